// The fake transport's Test connection: an A2A agent for a URL containing "a2a", nothing at all
// on port 7804 (it times out), a baton/1 agent anywhere else.

import type { AgentDraft } from "../bindings/AgentDraft";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import { UNNAMED, urlKey } from "./adapters";

const NOTHING = { latency_ms: null, remote_id: null, remote_name: null, task_count: null, declares: null, adapter: null, card: null };

export function fakeConnectionReport(draft: AgentDraft): ConnectionReport {
  const url = urlKey(draft.base_url);
  if (url.includes("7804")) {
    return { ok: false, message: `timed out after ${draft.timeout_ms / 1000} s`, ...NOTHING };
  }
  if (url.toLowerCase().includes("a2a")) {
    const name = "Echo Agent";
    return {
      ok: true,
      message: `A2A 1.0 (JSON-RPC) agent "${name}" answered in 9 ms with 2 tasks`,
      latency_ms: 9,
      remote_id: name,
      remote_name: name,
      task_count: 2,
      declares: null,
      adapter: "a2a",
      card: {
        name,
        description: "Echoes what it is sent; asks a question when a message starts with “ask”.",
        version: "1.0.0",
        skills: [{ id: "echo", name: "Echo", description: "Replies with the message it was sent." }],
        interfaces: [
          { url, binding: "json_rpc", version: "1.0" },
          { url: `${url}/v1`, binding: "http_json", version: "1.0" },
        ],
      },
    };
  }
  const typed = draft.name.trim();
  const port = /:(\d+)$/.exec(url)?.[1];
  const name = typed === "" || typed === UNNAMED ? `agent-${port ?? "1"}` : typed;
  return {
    ok: true,
    message: `baton/1 agent "${name}" answered in 14 ms with 3 tasks`,
    latency_ms: 14,
    remote_id: `${name}-1`,
    remote_name: name,
    task_count: 3,
    declares: name === "editor" ? { triggers: [], reads: [], writes: ["crm://contacts/*#status"], outputs: [] } : null,
    adapter: "baton",
    card: null,
  };
}
