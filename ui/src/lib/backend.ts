// The one module that talks to the backend. Components import these typed functions;
// nothing else imports @tauri-apps/api (ESLint enforces it).
//
// The transport (invoke + listen) is injectable: inside the app it is Tauri's IPC; in a plain
// browser it is HTTP to `baton preview`, the same commands on the real engine (httpTransport.ts,
// chosen by `connectBackend`); Vitest tests install their own with `setTransport`.

import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen as tauriListen } from "@tauri-apps/api/event";

import { createHttpTransport, previewToken } from "./httpTransport";
import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentCost } from "../bindings/AgentCost";
import type { AgentDraft } from "../bindings/AgentDraft";
import type { AgentRow } from "../bindings/AgentRow";
import type { ApiLedger } from "../bindings/ApiLedger";
import type { ChainCheck } from "../bindings/ChainCheck";
import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { DecisionEntry } from "../bindings/DecisionEntry";
import type { Declares } from "../bindings/Declares";
import type { Dispute } from "../bindings/Dispute";
import type { DraftCheck } from "../bindings/DraftCheck";
import type { Escalation } from "../bindings/Escalation";
import type { RouteInput } from "../bindings/RouteInput";
import type { RoutePolicy } from "../bindings/RoutePolicy";
import type { RouteView } from "../bindings/RouteView";
import type { EscalationAction } from "../bindings/EscalationAction";
import type { EscalationTimeline } from "../bindings/EscalationTimeline";
import type { EventRow } from "../bindings/EventRow";
import type { FleetTimeline } from "../bindings/FleetTimeline";
import type { Metric } from "../bindings/Metric";
import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { ParallelEditView } from "../bindings/ParallelEditView";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import type { PressureLimits } from "../bindings/PressureLimits";
import type { Price } from "../bindings/Price";
import type { Readiness } from "../bindings/Readiness";
import type { ReadinessThresholds } from "../bindings/ReadinessThresholds";
import type { ReplayFrame } from "../bindings/ReplayFrame";
import type { Resolution } from "../bindings/Resolution";
import type { Resolved } from "../bindings/Resolved";
import type { Rule } from "../bindings/Rule";
import type { ScenarioInfo } from "../bindings/ScenarioInfo";
import type { HooksInstalled } from "../bindings/HooksInstalled";
import type { SecretsStatus } from "../bindings/SecretsStatus";
import type { TaskCard } from "../bindings/TaskCard";
import type { TaskCost } from "../bindings/TaskCost";
import type { Presence } from "../bindings/Presence";
import type { StoreOverview } from "../bindings/StoreOverview";
import type { StoreTooNew } from "../bindings/StoreTooNew";
import type { UsageHeatmap } from "../bindings/UsageHeatmap";
import type { UsageSeries } from "../bindings/UsageSeries";
import type { WindowOverrides } from "../bindings/WindowOverrides";

/** The event the shell emits for every store change. */
export const CHANGE_EVENT = "baton://change";
/** The event the shell emits when the user clicks an escalation's notification or tray item. */
export const OPEN_ESCALATION_EVENT = "baton://open-escalation";

/** The payload of OPEN_ESCALATION_EVENT: the escalation to show, or null for the queue itself. */
export interface OpenEscalation {
  id: number | null;
}

export type InvokeArgs = Record<string, unknown>;

export interface Transport {
  invoke<T>(command: string, args?: InvokeArgs): Promise<T>;
  /** Subscribes to an event; the handler gets the event's payload. Resolves to an unsubscribe. */
  listen<T>(event: string, handler: (payload: T) => void): Promise<() => void>;
}

export const tauriTransport: Transport = {
  invoke: <T>(command: string, args?: InvokeArgs) => tauriInvoke<T>(command, args),
  listen: <T>(event: string, handler: (payload: T) => void) =>
    tauriListen<T>(event, (e) => handler(e.payload)),
};

let transport: Transport = tauriTransport;

/**
 * Picks the transport for the page: Tauri's inside the app; otherwise `baton preview` over HTTP
 * (`/api` on this origin, its token from `?token=` or the one kept for this tab; none under
 * `vite dev`, whose proxy adds it). False when there is no backend to talk to.
 */
export function connectBackend(page: Window): boolean {
  if (page.__TAURI_INTERNALS__) {
    transport = tauriTransport;
    return true;
  }
  const token = previewToken(new URL(page.location.href), page.sessionStorage);
  if (token === null && !import.meta.env.DEV) return false;
  transport = createHttpTransport({ token });
  return true;
}

/** Replaces the transport (tests, browser preview). Returns the previous one. */
export function setTransport(next: Transport): Transport {
  const previous = transport;
  transport = next;
  return previous;
}

/** An error from a backend command, normalised from whatever was thrown. */
export class BackendError extends Error {
  readonly code: string;
  /**
   * The form field the error is about (`name`, `base_url`, `poll_interval_ms`, `timeout_ms`,
   * `token`, a declares list, a detector window such as `stall_seconds`).
   */
  readonly field: string | null;

  constructor(code: string, message: string, field: string | null = null) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    this.field = field;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Turns any thrown value (an ErrorPayload object, a string, an Error) into a BackendError. */
export function toBackendError(thrown: unknown): BackendError {
  if (thrown instanceof BackendError) return thrown;
  if (typeof thrown === "string") {
    return new BackendError("unknown", thrown.trim() || "Unknown error");
  }
  if (thrown instanceof Error) {
    return new BackendError("unknown", thrown.message || thrown.name || "Unknown error");
  }
  if (isRecord(thrown)) {
    const message =
      typeof thrown.message === "string" && thrown.message.trim() !== ""
        ? thrown.message
        : typeof thrown.error === "string"
          ? thrown.error
          : "Unknown error";
    const code = typeof thrown.code === "string" && thrown.code !== "" ? thrown.code : "unknown";
    const field = typeof thrown.field === "string" && thrown.field !== "" ? thrown.field : null;
    return new BackendError(code, message, field);
  }
  return new BackendError("unknown", thrown === undefined ? "Unknown error" : String(thrown));
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await transport.invoke<T>(command, args);
  } catch (thrown) {
    throw toBackendError(thrown);
  }
}

// Argument names are camelCase: Tauri maps them to the commands' snake_case parameters.

export function listAgents(): Promise<AgentRow[]> {
  return call<AgentRow[]>("list_agents");
}

export function addAgent(draft: AgentDraft, token: string | null): Promise<AgentConfig> {
  return call<AgentConfig>("add_agent", { draft, token });
}

export function updateAgent(
  id: number,
  draft: AgentDraft,
  token: string | null,
  clearToken: boolean,
): Promise<AgentConfig> {
  return call<AgentConfig>("update_agent", { id, draft, token, clearToken });
}

export function removeAgent(id: number): Promise<void> {
  return call<void>("remove_agent", { id });
}

/** One poll with `draft`, nothing stored. With `token` null and `agentId` set, the backend uses that agent's stored token. */
export function testConnection(
  draft: AgentDraft,
  token: string | null,
  agentId: number | null,
): Promise<ConnectionReport> {
  return call<ConnectionReport>("test_connection", { draft, token, agentId });
}

export function listTasks(agentId: number | null): Promise<TaskCard[]> {
  return call<TaskCard[]>("list_tasks", { agentId });
}

export function taskEvents(agentId: number, taskId: string): Promise<EventRow[]> {
  return call<EventRow[]>("task_events", { agentId, taskId });
}

/**
 * Follows a task of an A2A agent that cannot list its tasks: Baton reads it on every poll from
 * now on. False when it was followed already. Errors: `not_a2a`, `invalid_task_id` (empty, or
 * longer than the protocol allows), `not_found`.
 */
export function followTask(agentId: number, taskId: string): Promise<boolean> {
  return call<boolean>("follow_task", { agentId, taskId });
}

export function startDemoFleet(): Promise<AgentConfig[]> {
  return call<AgentConfig[]>("start_demo_fleet");
}

/** The scripted scenarios (one per detector) the app can run next to the fleet. */
export function listScenarios(): Promise<ScenarioInfo[]> {
  return call<ScenarioInfo[]>("scenarios");
}

/** Runs one scenario on loopback: its rules and schemas, then its agents (returned). */
export function startScenario(name: string): Promise<AgentConfig[]> {
  return call<AgentConfig[]>("start_scenario", { name });
}

export function secretsStatus(): Promise<SecretsStatus> {
  return call<SecretsStatus>("secrets_status");
}

/** A coding agent's client whose hooks Baton installs. */
export type HooksClient = "claude-code" | "codex" | "copilot" | "gemini" | "opencode";

/** Installs Baton's hooks for `client` in the repository at `project` (its full path). */
export function installHooks(client: HooksClient, project: string, mode: PermitModeName): Promise<HooksInstalled> {
  return call<HooksInstalled>("install_hooks", { client, project, mode });
}

export type PermitModeName = "observe" | "warn" | "enforce";

/** The coding agents found on this machine (their program on PATH or their folder in the home). */
export function codingClients(): Promise<HooksClient[]> {
  return call<HooksClient[]>("coding_clients");
}

// Ownership map. Every edit answers with the whole new map (rules, declarations, conflicts).

export function ownershipMap(): Promise<OwnershipMap> {
  return call<OwnershipMap>("ownership_map");
}

export function addRule(rule: Rule): Promise<OwnershipMap> {
  return call<OwnershipMap>("add_rule", { rule });
}

export function updateRule(id: number, rule: Rule): Promise<OwnershipMap> {
  return call<OwnershipMap>("update_rule", { id, rule });
}

export function removeRule(id: number): Promise<OwnershipMap> {
  return call<OwnershipMap>("remove_rule", { id });
}

/** Validates a rule being edited and lists the stored rules it would overlap (`editing`: its own id). */
export function checkRule(rule: Rule, editing: number | null): Promise<DraftCheck> {
  return call<DraftCheck>("check_rule", { rule, editing });
}

/** What the user declares for an agent; `null` goes back to the agent's own declaration. */
export function setDeclaration(agentId: number, declares: Declares | null): Promise<OwnershipMap> {
  return call<OwnershipMap>("set_declaration", { agentId, declares });
}

/** The overlaps an agent named `agent` declaring `declares` would have with the rules and other agents. */
export function predeployCheck(agent: string, declares: Declares): Promise<PredeployConflict[]> {
  return call<PredeployConflict[]>("predeploy_check", { agent, declares });
}

export function resolveConflict(dispute: Dispute, resolution: Resolution): Promise<Resolved> {
  return call<Resolved>("resolve_conflict", { dispute, resolution });
}

// Detector windows, per agent.

/** The agent's overrides of the detectors' windows; `{}` when it has none. Error: `not_found`. */
export function detectWindows(agentId: number): Promise<WindowOverrides> {
  return call<WindowOverrides>("detect_windows", { agentId });
}

/**
 * Stores the agent's overrides (`null` clears them all: every window back to its default) and
 * answers with them as saved. Errors: `invalid_windows` (field: the window, e.g. `stall_seconds`),
 * `not_found`.
 */
export function setDetectWindows(agentId: number, windows: WindowOverrides | null): Promise<WindowOverrides> {
  return call<WindowOverrides>("set_detect_windows", { agentId, windows });
}

// Decision log.

/** The newest entries (up to 2,000), oldest first; `subjectPrefix` filters (`rule:`, `agent:3`). */
export function decisionLog(subjectPrefix: string | null): Promise<DecisionEntry[]> {
  return call<DecisionEntry[]>("decision_log", { subjectPrefix });
}

export function verifyDecisions(): Promise<ChainCheck> {
  return call<ChainCheck>("verify_decisions");
}

// Escalation queue.

/** Every open escalation (soonest due first), then up to 100 closed ones (latest first). */
export function listEscalations(): Promise<Escalation[]> {
  return call<Escalation[]>("escalations");
}

/** The involved agents' events around an escalation's evidence, oldest first. */
export function escalationTimeline(id: number): Promise<EscalationTimeline> {
  return call<EscalationTimeline>("escalation_timeline", { id });
}

/**
 * The parallel edit of a queue item: its branches and checkouts, the files both change, git's
 * forecast of their merge (when asked) and the lines that meet on each side; null when the item
 * is no parallel edit. Error code: `not_found`.
 */
export function parallelEdit(id: number): Promise<ParallelEditView | null> {
  return call<ParallelEditView | null>("parallel_edit", { id });
}

/**
 * Takes a decision on an open escalation; answers with the escalation as it is now. Error codes:
 * `expired` (past its SLA: it is now expired), `escalation_closed`, `invalid_decision` (e.g. a
 * dismissal without a reason, a budget split over 100% or naming an agent twice), `not_found`.
 */
export function decideEscalation(id: number, action: EscalationAction, note: string | null): Promise<Escalation> {
  return call<Escalation>("decide_escalation", { id, action, note });
}

// Rate limits. `key` is the API key's name as the agents report it (null: the API's only key).

/** Every API the agents use: quotas, forecasts, shares of the current window, 429s, header issues. */
export function rateLimits(): Promise<ApiLedger[]> {
  return call<ApiLedger[]>("rate_limits");
}

/** Each agent's use of one API per minute over the last `hours` (1 to 168). */
export function usageSeries(api: string, key: string | null, metric: Metric, hours: number): Promise<UsageSeries> {
  return call<UsageSeries>("usage_series", { api, key, metric, hours });
}

/** When each agent usually uses one API: mean use per minute per quarter hour of the day (UTC). */
export function usageHeatmap(api: string, key: string | null, metric: Metric): Promise<UsageHeatmap> {
  return call<UsageHeatmap>("usage_heatmap", { api, key, metric });
}

/**
 * Sets the user's quota for one API (and key) and metric; it wins over the headers. Error:
 * `invalid_rate_limit` (a limit of 0, a window outside 1 s to 31 days).
 */
export function setQuota(api: string, key: string | null, metric: Metric, limit: number, windowSeconds: number): Promise<null> {
  return call<null>("set_quota", { api, key, metric, limit, windowSeconds });
}

/** Removes the user's quota (the headers' applies again); false when there was none. */
export function removeQuota(api: string, key: string | null, metric: Metric): Promise<boolean> {
  return call<boolean>("remove_quota", { api, key, metric });
}

/** When one API's use is pressure. Error: `invalid_rate_limit` (share 1–100, horizon 1–1440). */
export function setPressureLimits(api: string, limits: PressureLimits): Promise<null> {
  return call<null>("set_pressure_limits", { api, limits });
}

// The fleet over time. Times are RFC 3339 strings.

/**
 * The lanes of `agentIds` (at most 200; the ones on screen) from `from` to `to`, cut into
 * `buckets` buckets (the range is kept between a minute and a week), with the range's
 * escalations and decisions. A lane lists its events one by one when it has at most 400.
 */
export function fleetTimeline(from: string, to: string, buckets: number, agentIds: number[]): Promise<FleetTimeline> {
  return call<FleetTimeline>("fleet_timeline", { from, to, buckets, agentIds });
}

/** The board, the agents and the open escalations as they were at `at`. */
export function replayAt(at: string): Promise<ReplayFrame> {
  return call<ReplayFrame>("replay_at", { at });
}

/** Days events are kept before they are compacted into task state changes. */
export function retentionDays(): Promise<number> {
  return call<number>("retention_days");
}

/** Error: `invalid_setting` (field `retention_days`: 1 to 3660). */
export function setRetentionDays(days: number): Promise<number> {
  return call<number>("set_retention_days", { days });
}

// The store: where Baton keeps what it sees.

/** The store this app runs on: engine, place, who chose it, size and growth. */
export function storeOverview(): Promise<StoreOverview> {
  return call<StoreOverview>("store_overview");
}

/**
 * Makes `url` (a postgres:// URL without its password, or a SQLite file's path) the store of
 * this data folder from the next start, after connecting to it (and bringing its schema up to
 * date); `null` goes back to the folder's own baton.sqlite3. A password is kept in the OS
 * keyring. Errors: `invalid_store` (field `store`), `store_unreachable`, `store`.
 */
export function chooseStore(url: string | null, password: string | null): Promise<StoreOverview> {
  return call<StoreOverview>("choose_store", { url, password });
}

/**
 * Where this app stands: its store, who it acts as (and from which machine), whether it
 * watches the agents or only views a store others watch, and the watchers sharing the store
 * with what each polls.
 */
export function presence(): Promise<Presence> {
  return call<Presence>("presence");
}

/**
 * Set when this app could not open its store because a newer Baton wrote it (every other
 * command is then refused with `schema_too_new`); null when the store is open.
 */
export function storeTooNew(): Promise<StoreTooNew | null> {
  return call<StoreTooNew | null>("store_too_new");
}

/** Whether this app watches its store from its next start (`null`: the default, on). */
export function setWatching(watching: boolean | null): Promise<Presence> {
  return call<Presence>("set_watching", { watching });
}

// Notifications: routes to a person outside the app (ntfy with buttons that answer, a webhook,
// the desktop).

/** Every route, by name, with how its sends went (never a token: where it is kept). */
export function notifyRoutes(): Promise<RouteView[]> {
  return call<RouteView[]>("notify_routes");
}

/**
 * Adds a route; empty ntfy topics are made up, long and random. A token goes to the OS keyring.
 * Errors: `invalid_route`, `duplicate_name` (field `name`), `secrets`.
 */
export function addRoute(route: RouteInput, token: string | null): Promise<RouteView> {
  return call<RouteView>("add_route", { route, token });
}

/** Removes a route (and the token Baton kept for it). Error: `not_found`. */
export function removeRoute(name: string): Promise<void> {
  return call<void>("remove_route", { name });
}

/**
 * Sends a test message on a route, waiting up to `waitSeconds` for its button's answer; answers
 * how it went. Error: `route_failed` with what failed (DNS, TLS, 401, 403, …).
 */
export function testRoute(name: string, waitSeconds: number | null): Promise<string> {
  return call<string>("test_route", { name, waitSeconds });
}

/**
 * Changes what a route sends and how often. Errors: `invalid_route` (what is wrong, in words),
 * `not_found`.
 */
export function setRoutePolicy(name: string, policy: RoutePolicy): Promise<RouteView> {
  return call<RouteView>("set_route_policy", { name, policy });
}

/** What a route sends when nobody says otherwise (the Add form's starting values). */
export function defaultRoutePolicy(): Promise<RoutePolicy> {
  return call<RoutePolicy>("default_route_policy");
}

// Readiness: may a second agent join this one?

/** Each polled agent's readiness (coding sessions have none). */
export function readiness(): Promise<Readiness[]> {
  return call<Readiness[]>("readiness");
}

/** Error: `invalid_setting` (field: the threshold). Answers with everyone's readiness under the new thresholds. */
export function setReadinessThresholds(thresholds: ReadinessThresholds): Promise<Readiness[]> {
  return call<Readiness[]>("set_readiness_thresholds", { thresholds });
}

// Cost. Dollars; prices per 1,000 tokens.

/** What each agent's calls cost today and on each of the last 7 days (UTC), with its budget. */
export function agentCosts(): Promise<AgentCost[]> {
  return call<AgentCost[]>("agent_costs");
}

/** What one task's calls cost. */
export function taskCost(agentId: number, taskId: string): Promise<TaskCost> {
  return call<TaskCost>("task_cost", { agentId, taskId });
}

/** The prices in force: the user's, and Baton's defaults (`default: true`) where the user has none. */
export function prices(): Promise<Price[]> {
  return call<Price[]>("prices");
}

/** Sets the user's price (it replaces a default for the same API and model). Error: `invalid_setting` (field `price`). */
export function setPrice(price: Price): Promise<Price[]> {
  return call<Price[]>("set_price", { price });
}

/** Removes the user's price for an API and model (`model` null: the API's price for every model). */
export function removePrice(api: string, model: string | null): Promise<Price[]> {
  return call<Price[]>("remove_price", { api, model });
}

/** Sets an agent's daily budget in dollars (null removes it). Error: `invalid_setting` (field `daily_budget_usd`), `not_found`. */
export function setDailyBudget(agentId: number, usd: number | null): Promise<AgentCost[]> {
  return call<AgentCost[]>("set_daily_budget", { agentId, usd });
}

/**
 * Subscribes to the shell's "open this escalation" requests (a notification or the tray item was
 * clicked): `{ id }`, or `{ id: null }` for the queue itself. Malformed payloads are ignored.
 * Resolves to a function that unsubscribes.
 */
export async function onOpenEscalation(handler: (e: OpenEscalation) => void): Promise<() => void> {
  try {
    return await transport.listen<unknown>(OPEN_ESCALATION_EVENT, (payload) => {
      if (!isRecord(payload)) return;
      if (typeof payload.id === "number" && Number.isFinite(payload.id)) handler({ id: payload.id });
      else if (payload.id === null || payload.id === undefined) handler({ id: null });
    });
  } catch (thrown) {
    throw toBackendError(thrown);
  }
}

/** Subscribes to store changes. Resolves to a function that unsubscribes. */
export async function onChange(handler: (e: ChangeEvent) => void): Promise<() => void> {
  try {
    return await transport.listen<ChangeEvent>(CHANGE_EVENT, handler);
  } catch (thrown) {
    throw toBackendError(thrown);
  }
}
