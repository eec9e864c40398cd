// An in-memory stand-in for the Tauri backend, for looking at the UI in a plain browser
// (`npm run dev`, or any build with `?fake`). Never used inside Tauri. It answers the same
// commands with the same shapes and emits change events like the real shell does.

import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentDraft } from "../bindings/AgentDraft";
import type { AgentHealth } from "../bindings/AgentHealth";
import type { AgentRow } from "../bindings/AgentRow";
import type { BoardColumn } from "../bindings/BoardColumn";
import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { ColumnCounts } from "../bindings/ColumnCounts";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { EventKind } from "../bindings/EventKind";
import type { EventRow } from "../bindings/EventRow";
import type { TaskCard } from "../bindings/TaskCard";
import type { TaskState } from "../bindings/TaskState";
import { CHANGE_EVENT, type InvokeArgs, type Transport } from "./backend";
import { fakeA2aReport, fakeA2aSummary, fakeFollowCard } from "./fakeA2a";
import { createFakeEscalations } from "./fakeEscalations";
import { DETAILS, FLEET, RESOURCES, rng, STATE_MIX } from "./fakeFleet";
import { createFakeOwnership } from "./fakeOwnership";
import { createFakeRateLimits } from "./fakeRateLimits";
import { createFakeWindows } from "./fakeWindows";
import { validateAgentForm } from "./validation";

export interface FakeOptions {
  /** Start with no agents (first-run panel). */
  empty?: boolean;
  /** Report that tokens are kept in memory only. */
  secretsWarning?: boolean;
  /** Move tasks and update health every few seconds. */
  live?: boolean;
  /** Number of tasks per agent in the seeded fleet (default: 12). */
  tasksPerAgent?: number;
  /** Latency of every command in ms (default: 80). */
  latencyMs?: number;
  /** Seed a dozen escalations opened in the last minutes (the queue's "arriving fast" notice). */
  escalationBurst?: boolean;
}

const COLUMN_OF: Record<TaskState, BoardColumn> = {
  submitted: "queued",
  working: "working",
  input_required: "needs_human",
  auth_required: "needs_human",
  blocked: "blocked",
  completed: "done",
  failed: "failed",
  canceled: "failed",
  rejected: "failed",
};

const iso = (ms: number) => new Date(ms).toISOString();

function invalid(message: string, field: string | null): ErrorPayload {
  return { code: "invalid_config", message, field };
}

interface FakeAgent {
  config: AgentConfig;
  health: AgentHealth;
  remote: { id: string; version: string } | null;
  token: string | null;
}

export function createFakeTransport(options: FakeOptions = {}): Transport & {
  /** Emit a change event to the listeners (for tests). */
  emit(e: ChangeEvent): void;
  stop(): void;
} {
  const random = rng(7);
  const latency = options.latencyMs ?? 80;
  const agents = new Map<number, FakeAgent>();
  const tasks = new Map<string, TaskCard>();
  const events = new Map<string, EventRow[]>();
  const listeners = new Set<(payload: unknown) => void>();
  let nextId = 1;
  let seq = 1000;
  let timer: ReturnType<typeof setInterval> | null = null;

  const key = (agentId: number, taskId: string) => `${agentId}/${taskId}`;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

  const emit = (e: ChangeEvent) => {
    for (const l of listeners) l(e);
  };

  const pushEvent = (card: TaskCard, kind: EventKind, at: number, resource: string | null, summary: string) => {
    const k = key(card.agent_id, card.task_id);
    const list = events.get(k) ?? [];
    seq += 1;
    list.push({
      agent_id: card.agent_id,
      seq,
      at: iso(at),
      kind,
      task_id: card.task_id,
      resource,
      summary,
      raw: { seq, at: iso(at), kind, task: card.task_id, resource },
    });
    events.set(k, list);
  };

  const seedEvents = (card: TaskCard, start: number) => {
    let t = start;
    const step = () => (t += 2_000 + random() * 30_000);
    pushEvent(card, "state", step(), null, "state → working");
    const n = 2 + Math.floor(random() * 7);
    for (let i = 0; i < n; i += 1) {
      const resource = pick(RESOURCES);
      const kind = pick<EventKind>(["read", "write", "api_call", "claim", "write", "read"]);
      const summary =
        kind === "read"
          ? `read ${resource}`
          : kind === "write"
            ? `wrote ${resource}`
            : kind === "api_call"
              ? `called api://openai → 200 (${Math.floor(400 + random() * 3000)} tokens)`
              : `claims ${resource.split("#")[0]}#owner = "${card.agent_name}"`;
      pushEvent(card, kind, step(), kind === "api_call" ? "api://openai" : resource, summary);
    }
    if (card.column === "needs_human") {
      pushEvent(card, "needs_approval", step(), null, `asks for approval: ${card.detail ?? "continue?"}`);
    }
    if (card.state !== "working") pushEvent(card, "state", step(), null, `state → ${card.state}`);
  };

  const addAgentRecord = (draft: AgentDraft, token: string | null, health?: AgentHealth): FakeAgent => {
    const id = nextId++;
    const agent: FakeAgent = {
      config: {
        id,
        name: draft.name.trim(),
        base_url: draft.base_url.trim().replace(/\/+$/, ""),
        poll_interval_ms: draft.poll_interval_ms,
        timeout_ms: draft.timeout_ms,
        adapter: draft.adapter ?? "baton",
        has_token: token !== null,
      },
      health: health ?? {
        reachability: "unknown",
        last_success_at: null,
        last_attempt_at: null,
        latency_ms: null,
        consecutive_failures: 0,
        last_error: null,
        last_error_at: null,
      },
      remote: null,
      token,
    };
    agents.set(id, agent);
    return agent;
  };

  const seedFleet = () => {
    const now = Date.now();
    const perAgent = options.tasksPerAgent ?? 12;
    FLEET.forEach((spec, a) => {
      const down = spec.name === "billing-bot";
      const agent = addAgentRecord(
        {
          name: spec.name,
          base_url: `http://127.0.0.1:${spec.port}`,
          poll_interval_ms: 2_000,
          timeout_ms: 1_500,
          adapter: "baton",
        },
        spec.name === "crm-sync" ? "secret" : null,
        down
          ? {
              reachability: "down",
              last_success_at: iso(now - 4 * 60_000 - 12_000),
              last_attempt_at: iso(now - 1_400),
              latency_ms: 41,
              consecutive_failures: 3,
              last_error: "timed out after 1.5 s",
              last_error_at: iso(now - 1_400),
            }
          : {
              reachability: "up",
              last_success_at: iso(now - 1_000 - a * 300),
              last_attempt_at: iso(now - 1_000 - a * 300),
              latency_ms: [12, 18, 9, 41, 31][a] ?? 15,
              consecutive_failures: 0,
              last_error: a === 2 ? "HTTP 503" : null,
              last_error_at: a === 2 ? iso(now - 2 * 3_600_000 - 180_000) : null,
            },
      );
      agent.remote = { id: `${spec.name}-${(a + 1) * 7}`, version: spec.version };
      for (let i = 0; i < perAgent; i += 1) {
        const state = STATE_MIX[(i + a * 5) % STATE_MIX.length]!;
        const column = COLUMN_OF[state];
        const age =
          column === "done" || column === "failed"
            ? 600_000 + random() * 20 * 3_600_000
            : column === "working"
              ? 3_000 + random() * 600_000
              : 20_000 + random() * 3_000_000;
        const title = spec.titles[i % spec.titles.length]! + (i >= spec.titles.length ? ` (${Math.floor(i / spec.titles.length) + 1})` : "");
        const card: TaskCard = {
          agent_id: agent.config.id,
          agent_name: spec.name,
          task_id: `${spec.name.slice(0, 3)}-${1000 + i}`,
          title,
          state,
          column,
          state_since: iso(now - age),
          updated_at: iso(now - age),
          depends_on: i % 4 === 3 ? [`${spec.name.slice(0, 3)}-${1000 + i - 1}`] : [],
          detail: DETAILS[state] ? pick(DETAILS[state]!) : null,
        };
        tasks.set(key(card.agent_id, card.task_id), card);
        seedEvents(card, now - age - 120_000);
      }
    });
  };

  const counts = (agentId: number): ColumnCounts => {
    const c: ColumnCounts = { queued: 0, working: 0, needs_human: 0, blocked: 0, done: 0, failed: 0 };
    for (const t of tasks.values()) if (t.agent_id === agentId) c[t.column] += 1;
    return c;
  };

  const row = (a: FakeAgent): AgentRow => ({
    config: { ...a.config },
    health: { ...a.health },
    remote_id: a.remote?.id ?? null,
    remote_name: a.remote ? a.config.name : null,
    remote_version: a.remote?.version ?? null,
    remote_state: a.remote ? "working" : null,
    remote_detail: null,
    task_counts: counts(a.config.id),
    a2a: fakeA2aSummary(a.config, a.health.last_success_at ?? a.health.last_attempt_at ?? iso(Date.now())),
    session: null,
  });

  const checkDraft = (draft: AgentDraft, token: string | null, exceptId: number | null = null, duplicates = true) => {
    const errors = validateAgentForm({
      name: draft.name,
      base_url: draft.base_url,
      poll_interval_ms: String(draft.poll_interval_ms),
      timeout_ms: String(draft.timeout_ms),
      token: token ?? "",
    });
    const first = (["name", "base_url", "poll_interval_ms", "timeout_ms", "token"] as const).find((f) => errors[f]);
    if (first) throw invalid(errors[first]!, first);
    for (const a of duplicates ? agents.values() : []) {
      if (a.config.id !== exceptId && a.config.base_url === draft.base_url.trim().replace(/\/+$/, "")) {
        throw { code: "duplicate", message: `${a.config.name} already polls this URL`, field: "base_url" } satisfies ErrorPayload;
      }
    }
  };

  const tick = () => {
    const now = Date.now();
    // Health for every agent.
    for (const a of agents.values()) {
      if (a.config.name === "billing-bot") {
        a.health = { ...a.health, last_attempt_at: iso(now), consecutive_failures: a.health.consecutive_failures + 1, last_error_at: iso(now) };
      } else {
        const lat = Math.max(4, Math.round((a.health.latency_ms ?? 15) + (random() - 0.5) * 8));
        a.health = { ...a.health, reachability: "up", latency_ms: lat, last_success_at: iso(now), last_attempt_at: iso(now), consecutive_failures: 0 };
        if (!a.remote) a.remote = { id: `${a.config.name}-${a.config.id}`, version: "0.1.0" };
      }
      emit({ type: "health", agent_id: a.config.id, health: { ...a.health } });
    }
    // Move one open task forward.
    const open = [...tasks.values()].filter((t) => t.column !== "done" && t.column !== "failed" && agents.get(t.agent_id)?.config.name !== "billing-bot");
    if (open.length === 0) return;
    const card = pick(open);
    const next: TaskState =
      card.state === "submitted" ? "working" : card.state === "working" ? pick<TaskState>(["completed", "completed", "blocked", "input_required"]) : "working";
    const moved: TaskCard = { ...card, state: next, column: COLUMN_OF[next], state_since: iso(now), updated_at: iso(now), detail: DETAILS[next] ? pick(DETAILS[next]!) : null };
    tasks.set(key(card.agent_id, card.task_id), moved);
    pushEvent(moved, "state", now, null, `state → ${next}`);
    emit({ type: "ingested", agent_id: card.agent_id, tasks: [moved], new_events: 1, new_usage: 0 });
  };

  const startTicking = () => {
    if (options.live && timer === null) timer = setInterval(tick, 3_000);
  };

  if (!options.empty) {
    seedFleet();
    startTicking();
  }

  const named = () => [...agents.values()].map((a) => ({ id: a.config.id, name: a.config.name }));
  const rateLimits = createFakeRateLimits(named);

  const handlers: Record<string, (args: InvokeArgs) => unknown> = {
    list_agents: () => [...agents.values()].map(row),
    secrets_status: () =>
      options.secretsWarning
        ? {
            backend: "memory",
            warning: "No OS keyring is available, so tokens are kept in memory only and are lost when Baton quits.",
          }
        : { backend: "os_keyring", warning: null },
    install_hooks: (args) => {
      const project = String(args.project ?? "").trim();
      if (!project.startsWith("/")) {
        throw invalid(`${project || "(nothing)"} is not a folder: give the repository's full path`, "project");
      }
      const file =
        args.client === "codex"
          ? `${project}/.codex/hooks.json`
          : args.client === "copilot"
            ? `${project}/.github/hooks/baton.json`
            : `${project}/.claude/settings.json`;
      const notes =
        args.client === "codex" ? [`marked ${project} trusted in ~/.codex/config.toml (Codex reads a project's hooks only when it trusts the project)`] : [];
      return { file, changed: true, notes };
    },
    add_agent: (args) => {
      const draft = args.draft as AgentDraft;
      const token = (args.token as string | null) ?? null;
      checkDraft(draft, token);
      const agent = addAgentRecord(draft, token);
      setTimeout(() => emit({ type: "agents_changed" }), 0);
      return { ...agent.config };
    },
    update_agent: (args) => {
      const agent = agents.get(args.id as number);
      if (!agent) throw { code: "not_found", message: "no such agent", field: null } satisfies ErrorPayload;
      const draft = args.draft as AgentDraft;
      const token = (args.token as string | null) ?? null;
      checkDraft(draft, token, agent.config.id);
      agent.config = {
        ...agent.config,
        name: draft.name.trim(),
        base_url: draft.base_url.trim().replace(/\/+$/, ""),
        poll_interval_ms: draft.poll_interval_ms,
        timeout_ms: draft.timeout_ms,
        adapter: draft.adapter ?? agent.config.adapter,
        has_token: args.clearToken ? false : token !== null || agent.config.has_token,
      };
      if (args.clearToken) agent.token = null;
      else if (token !== null) agent.token = token;
      setTimeout(() => emit({ type: "agents_changed" }), 0);
      return { ...agent.config };
    },
    remove_agent: (args) => {
      const id = args.id as number;
      if (!agents.delete(id)) throw { code: "not_found", message: "no such agent", field: null } satisfies ErrorPayload;
      for (const [k, t] of tasks) if (t.agent_id === id) tasks.delete(k);
      setTimeout(() => emit({ type: "agents_changed" }), 0);
      return null;
    },
    test_connection: (args) => {
      const draft = args.draft as AgentDraft;
      checkDraft(draft, (args.token as string | null) ?? null, null, false);
      return fakeA2aReport(draft);
    },
    list_tasks: (args) => {
      const id = (args.agentId as number | null) ?? null;
      return [...tasks.values()].filter((t) => id === null || t.agent_id === id);
    },
    follow_task: (args) => {
      const card = fakeFollowCard(agents.get(args.agentId as number)?.config, args, Date.now());
      const k = key(card.agent_id, card.task_id);
      if (tasks.has(k)) return false;
      tasks.set(k, card);
      setTimeout(() => emit({ type: "agents_changed" }), 0);
      return true;
    },
    task_events: (args) => events.get(key(args.agentId as number, args.taskId as string)) ?? [],
    scenarios: () => [
      { name: "write-collision", description: "An editor and a publisher write the same launch draft two seconds apart." },
      { name: "needs-approval", description: "A publisher asks for approval before publishing the launch post." },
    ],
    start_scenario: () => [],
    start_demo_fleet: () => {
      if (agents.size === 0) seedFleet();
      startTicking();
      setTimeout(() => emit({ type: "agents_changed" }), 0);
      return [...agents.values()].map((a) => ({ ...a.config }));
    },
    ...createFakeOwnership(named),
    ...createFakeWindows(named),
    ...createFakeEscalations(named, emit, rateLimits.setBudget, { burst: options.escalationBurst }),
    ...rateLimits.handlers,
  };

  return {
    async invoke<T>(command: string, args: InvokeArgs = {}): Promise<T> {
      const handler = handlers[command];
      const wait = command === "start_demo_fleet" ? 1_200 : command === "test_connection" ? 500 : latency;
      await new Promise((r) => setTimeout(r, wait));
      if (!handler) throw `command ${command} not found`;
      return structuredClone(handler(args)) as T;
    },
    async listen<T>(event: string, handler: (payload: T) => void) {
      if (event !== CHANGE_EVENT) return () => {};
      const l = (p: unknown) => handler(structuredClone(p) as T);
      listeners.add(l);
      return () => {
        listeners.delete(l);
      };
    },
    emit,
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
