"""A tiny baton/1 agent, Python 3 standard library only (spec: ../protocol.md). Run: python3 agent.py [port]"""
import json, sys, time, datetime as dt, http.server as hs, urllib.parse as up
TITLES = {"t-1": "Draft brief 12", "t-2": "Publish brief 12"}
TIMELINE = [(0, "t-1", "submitted"), (0, "t-2", "submitted"), (2, "t-1", "working"), (3, "t-2", "working"),
            (5, "t-1", "completed"), (6, "t-2", "input_required")]  # (seconds after start, task, new state)
state, held, keys, seq, start = {}, [], set(), 0, time.monotonic()

def emit(kind, **fields):  # each event gets the next seq and is held until a poll's `since` passes it
    global seq; seq += 1
    held.append({"seq": seq, "at": dt.datetime.now(dt.timezone.utc).isoformat(), "kind": kind, **fields})
def set_state(tid, new):
    state[tid] = new; emit("state", task_id=tid, state=new)
    if new == "working": emit("write", task_id=tid, resource="file:///drafts/brief-12.md")
    if new == "input_required": emit("needs_approval", task_id=tid, message="Publish brief 12 now?")
def advance():  # apply every step of the timeline that is due
    while TIMELINE and TIMELINE[0][0] <= time.monotonic() - start: set_state(*TIMELINE.pop(0)[1:])

class Agent(hs.BaseHTTPRequestHandler):
    def reply(self, code, body):
        self.send_response(code); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(json.dumps(body).encode())
    def do_GET(self):
        url = up.urlparse(self.path); since = up.parse_qs(url.query).get("since", [""])[0]
        if url.path != "/baton/v1/status": return self.reply(404, {"error": "not found"})
        advance(); since = int(since) if since.isdecimal() and int(since) <= seq else 0  # junk: from the start
        held[:] = [e for e in held if e["seq"] > since]  # forget only what a poll has acknowledged
        tasks = [{"id": t, "title": TITLES[t], "state": s} for t, s in state.items()]
        self.reply(200, {"protocol": "baton/1", "agent": {"id": "example-py", "name": "Python example"},
                         "tasks": tasks, "events": held, "cursor": str(held[-1]["seq"] if held else seq)})
    def do_POST(self):  # POST /baton/v1/decisions: apply once per Idempotency-Key
        key = self.headers.get("Idempotency-Key")
        try: d = dict(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
        except (ValueError, TypeError): return self.reply(400, {"error": "body is not a JSON object"})
        if not key: return self.reply(400, {"error": "missing Idempotency-Key header"})
        new = {"approve": "completed", "reject": "canceled"}.get(d.get("action"))  # approve: it publishes
        if key not in keys and new and state.get(d.get("task_id")) == "input_required": set_state(d["task_id"], new)
        self.reply(200, {"accepted": True, "duplicate": key in keys}); keys.add(key)

hs.HTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8000), Agent).serve_forever()
