// The fake backend's A2A side. A URL with "a2a" in it answers A2A 1.0 (fakeConnection.ts); one
// that also says "v0.3" (http://127.0.0.1:7811/a2a/v0.3) answers A2A 0.3, which cannot list its
// tasks, so Baton follows only the tasks a person gives it by id (follow_task).

import type { A2aSummary } from "../bindings/A2aSummary";
import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentDraft } from "../bindings/AgentDraft";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { TaskCard } from "../bindings/TaskCard";
import type { InvokeArgs } from "./backend";
import { urlKey } from "./adapters";
import { fakeConnectionReport } from "./fakeConnection";

/** The longest task id Baton follows, in bytes (the protocol's MAX_ID_LEN). */
export const MAX_TASK_ID_BYTES = 256;

const speaks03 = (url: string) => /v0\.3\b/i.test(url);

/** Test connection, with A2A 0.3 for a URL that says so. */
export function fakeA2aReport(draft: AgentDraft): ConnectionReport {
  const report = fakeConnectionReport(draft);
  if (!report.card || !speaks03(urlKey(draft.base_url))) return report;
  const url = urlKey(draft.base_url);
  return {
    ...report,
    message: `A2A 0.3 (JSON-RPC) agent "${report.card.name}" answered in ${report.latency_ms ?? 9} ms; it cannot list its tasks`,
    task_count: null,
    card: { ...report.card, interfaces: [{ url, binding: "json_rpc", version: "0.3" }] },
  };
}

/** What an A2A agent's row says of it: its card as read at `readAt`. Null for a baton/1 agent. */
export function fakeA2aSummary(config: AgentConfig, readAt: string): A2aSummary | null {
  if (config.adapter !== "a2a") return null;
  const { card } = fakeA2aReport(config);
  if (!card) return null;
  return { card, card_read_at: readAt, lists_tasks: card.interfaces[0]?.version !== "0.3" };
}

const refuse = (code: string, message: string): ErrorPayload => ({ code, message, field: null });

/**
 * follow_task's card for `agent` (its config, undefined when there is none), as submitted and
 * queued; throws the backend's errors (not_found, not_a2a, invalid_task_id).
 */
export function fakeFollowCard(agent: AgentConfig | undefined, args: InvokeArgs, now: number): TaskCard {
  if (!agent) throw refuse("not_found", `no agent with id ${String(args.agentId)}`);
  if (agent.adapter !== "a2a") {
    throw refuse("not_a2a", `${agent.name} does not speak A2A: Baton follows tasks by id only for A2A agents`);
  }
  const taskId = String(args.taskId ?? "").trim();
  if (taskId === "" || new TextEncoder().encode(taskId).length > MAX_TASK_ID_BYTES) {
    throw refuse("invalid_task_id", `invalid task id ${JSON.stringify(taskId.slice(0, 60))}`);
  }
  const at = new Date(now).toISOString();
  return {
    agent_id: agent.id,
    agent_name: agent.name,
    task_id: taskId,
    title: `A2A task ${taskId}`,
    state: "submitted",
    column: "queued",
    state_since: at,
    updated_at: at,
    depends_on: [],
    detail: null,
  };
}
