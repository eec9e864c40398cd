import type { AgentHealth } from "../bindings/AgentHealth";
import type { AgentRow } from "../bindings/AgentRow";
import type { BoardColumn } from "../bindings/BoardColumn";
import type { DecisionEntry } from "../bindings/DecisionEntry";
import type { SessionSummary } from "../bindings/SessionSummary";
import type { TaskCard } from "../bindings/TaskCard";
import type { TaskState } from "../bindings/TaskState";
import type { Presence } from "../bindings/Presence";
import type { StoreOverview } from "../bindings/StoreOverview";
import type { WatcherView } from "../bindings/WatcherView";

export const T0 = Date.parse("2026-11-21T12:00:00Z");
export const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

const STATE_FOR: Record<BoardColumn, TaskState> = {
  queued: "submitted",
  working: "working",
  needs_human: "input_required",
  blocked: "blocked",
  done: "completed",
  failed: "failed",
};

export function card(
  agentId: number,
  taskId: string,
  column: BoardColumn,
  sinceOffsetMs: number,
  extra: Partial<TaskCard> = {},
): TaskCard {
  return {
    agent_id: agentId,
    agent_name: `agent-${agentId}`,
    task_id: taskId,
    title: `Task ${taskId}`,
    state: STATE_FOR[column],
    column,
    state_since: at(sinceOffsetMs),
    updated_at: at(sinceOffsetMs),
    depends_on: [],
    detail: null,
    ...extra,
  };
}

export function health(extra: Partial<AgentHealth> = {}): AgentHealth {
  return {
    reachability: "up",
    last_success_at: at(-3_000),
    last_attempt_at: at(-3_000),
    latency_ms: 12,
    consecutive_failures: 0,
    last_error: null,
    last_error_at: null,
    ...extra,
  };
}

export function agentRow(id: number, name: string, extra: Partial<AgentRow> = {}): AgentRow {
  return {
    config: {
      id,
      name,
      base_url: `http://127.0.0.1:${7800 + id}`,
      poll_interval_ms: 2000,
      timeout_ms: 1500,
      adapter: "baton",
      has_token: false,
    },
    health: health(),
    remote_id: `${name}-remote`,
    remote_name: name,
    remote_version: "1.0.0",
    remote_state: "working",
    remote_detail: null,
    a2a: null,
    session: null,
    task_counts: { queued: 0, working: 0, needs_human: 0, blocked: 0, done: 0, failed: 0 },
    ...extra,
  };
}

/** A coding session heard through its hooks: live, in the worktree `/w/x` of `root:abc`. */
export function sessionSummary(extra: Partial<SessionSummary> = {}): SessionSummary {
  const now = new Date().toISOString();
  return {
    client: "claude-code",
    session_id: "s",
    repo_root: "/w/x",
    repository: "root:abc",
    repository_name: "x",
    branch: "main",
    prompt: null,
    last_tool: null,
    turn_open: false,
    started_at: now,
    last_seen_at: now,
    ended_at: null,
    leases: [],
    base: null,
    base_line: null,
    subagents: [],
    ...extra,
  };
}

/** A store as the store panel shows it: the data folder's own SQLite file, 3 MiB. */
export function storeOverview(over: Partial<StoreOverview> = {}): StoreOverview {
  return {
    engine: "sqlite",
    location: "/home/ana/.local/share/baton/baton.sqlite3",
    chosen_by: "the data folder's own",
    choice_applies: true,
    saved_choice: false,
    schema_version: 13,
    bytes: 3 * 1024 * 1024,
    max_bytes: 2 * 1024 ** 3,
    growth_per_day: 1024 * 1024,
    events: 12_000,
    machines: [],
    ...over,
  };
}

/** Entry `seq` of a decision log whose hashes chain (entry 1 after the genesis hash), at `seq` minutes. */
export function decision(seq: number, action: string, subject: string, detail: unknown, extra: Partial<DecisionEntry> = {}): DecisionEntry {
  const hash = (n: number) => n.toString(16).padStart(8, "0") + "f".repeat(56);
  return {
    seq,
    at: at(seq * 60_000),
    who: "ana",
    action,
    subject,
    reason: null,
    escalation_id: null,
    detail,
    prev_hash: seq === 1 ? "0".repeat(64) : hash(seq - 1),
    hash: hash(seq),
    ...extra,
  };
}

/** A live watcher polling Researcher and Writer and running the detectors. */
export function watcher(over: Partial<WatcherView> = {}): WatcherView {
  return {
    id: 1,
    name: "build-box",
    host: "build-box",
    pid: 977,
    started_at: "2026-05-01T12:00:00.000000000Z",
    heartbeat_at: "2026-05-01T12:10:00.000Z",
    heartbeat_age_ms: 800,
    ttl_ms: 6_666,
    live: true,
    left_at: null,
    agents: [
      [1, "Researcher"],
      [2, "Writer"],
    ],
    detectors: true,
    ...over,
  };
}

/** Where an app stands: on a PostgreSQL store, watching off, one watcher polling two agents. */
export function presence(over: Partial<Presence> = {}): Presence {
  return {
    store_engine: "postgres",
    store_location: "postgres://ana@db.example.org/baton",
    person: "ana",
    host: "laptop-a",
    watching: false,
    watching_chosen_by: "chosen for this data folder",
    watching_choice_applies: true,
    watching_saved: false,
    watchers: [watcher()],
    role: null,
    cannot_change: null,
    cannot_run_fleets: "This app only views the store (watching is off)",
    otlp_listen: null,
    ...over,
  };
}
