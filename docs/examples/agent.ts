// A tiny baton/1 agent, Node 20 with node:http only (spec: ../protocol.md).
// Run: npx tsx agent.ts [port]
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

type BatonEvent = { seq: number; at: string; kind: string; task_id: string; [field: string]: unknown };

const titles: Record<string, string> = { "t-1": "Draft brief 12", "t-2": "Publish brief 12" };
// (seconds after start, task, new state); t-2 then waits for a human's decision.
const timeline: [number, string, string][] = [
  [0, "t-1", "submitted"], [0, "t-2", "submitted"], [2, "t-1", "working"], [3, "t-2", "working"],
  [5, "t-1", "completed"], [6, "t-2", "input_required"],
];
const state = new Map<string, string>();
const keys = new Set<string>();
let held: BatonEvent[] = [];
let seq = 0;
const start = Date.now();

// Each event gets the next seq and is held until a poll's `since` passes it.
function emit(kind: string, taskId: string, fields: Record<string, unknown>): void {
  held.push({ seq: ++seq, at: new Date().toISOString(), kind, task_id: taskId, ...fields });
}

function setState(taskId: string, next: string): void {
  state.set(taskId, next);
  emit("state", taskId, { state: next });
  if (next === "working") emit("write", taskId, { resource: "file:///drafts/brief-12.md" });
  if (next === "input_required") emit("needs_approval", taskId, { message: "Publish brief 12 now?" });
}

function advance(): void {
  while (timeline.length > 0 && timeline[0][0] * 1000 <= Date.now() - start) {
    const [, taskId, next] = timeline.shift()!;
    setState(taskId, next);
  }
}

function reply(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}

function status(url: URL, res: ServerResponse): void {
  advance();
  const raw = url.searchParams.get("since") ?? "";
  // Junk, or a position never issued: answer from the oldest event still held.
  const since = /^\d+$/.test(raw) && Number(raw) <= seq ? Number(raw) : 0;
  held = held.filter((e) => e.seq > since); // forget only what a poll has acknowledged
  const tasks = [...state].map(([id, s]) => ({ id, title: titles[id], state: s }));
  const cursor = String(held.length > 0 ? held[held.length - 1].seq : seq);
  const agent = { id: "example-ts", name: "TypeScript example" };
  reply(res, 200, { protocol: "baton/1", agent, tasks, events: held, cursor });
}

// POST /baton/v1/decisions: apply once per Idempotency-Key.
function decide(req: IncomingMessage, body: string, res: ServerResponse): void {
  const key = req.headers["idempotency-key"];
  if (typeof key !== "string" || key === "") {
    return reply(res, 400, { error: "missing Idempotency-Key header" });
  }
  let decision: { action?: unknown; task_id?: unknown };
  try {
    decision = JSON.parse(body);
    if (typeof decision !== "object" || decision === null) throw new Error("not an object");
  } catch {
    return reply(res, 400, { error: "body is not a JSON object" });
  }
  const duplicate = keys.has(key);
  const next = decision.action === "approve" ? "completed" : decision.action === "reject" ? "canceled" : null;
  const taskId = String(decision.task_id);
  if (!duplicate && next && state.get(taskId) === "input_required") setState(taskId, next);
  keys.add(key);
  reply(res, 200, { accepted: true, duplicate });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
  req.on("end", () => {
    if (req.method === "GET" && url.pathname === "/baton/v1/status") return status(url, res);
    if (req.method === "POST" && url.pathname === "/baton/v1/decisions") return decide(req, body, res);
    reply(res, 404, { error: "not found" });
  });
});
const port = Number(process.argv[2] ?? 8000);
server.listen(port, "127.0.0.1", () => console.log(`baton/1 example agent on http://127.0.0.1:${port}`));
