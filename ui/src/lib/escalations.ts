// The escalation queue's pure logic (no React): labels, grouping and order, the SLA countdown
// and its urgency, what a decision and its deliveries read like, and the nav badge. The
// evidence timeline's layout is in timeline.ts; what a group of findings and the arrival rate
// read like is in escalationGroups.ts.

import type { Delivery } from "../bindings/Delivery";
import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import type { FindingKind } from "../bindings/FindingKind";
import type { Knot } from "../bindings/Knot";
import { knotChoices } from "./deadlocks";
import type { Severity } from "../bindings/Severity";
import { parseTime } from "./time";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Under this much time left the countdown turns amber. */
export const SOON_MS = HOUR;
/** Under this much time left the countdown turns red (the backend's "about to lapse"). */
export const URGENT_MS = 15 * MINUTE;

// Labels

export const KIND_LABEL: Record<FindingKind, string> = {
  ownership_violation: "Ownership violation",
  write_collision: "Write collision",
  read_during_write: "Read during write",
  sequencing: "Out of sequence",
  silent_completion: "Silent completion",
  stall: "Stall",
  timeout: "Timeout",
  trigger_collision: "Trigger collision",
  unreachable: "Agent unreachable",
  divergent_claims: "Divergent claims",
  needs_approval: "Needs approval",
  invalid_handoff: "Invalid handoff",
  rate_limit_pressure: "Rate-limit pressure",
  counter_restart: "Counter restarted",
  deadlock: "Deadlock",
  over_budget: "Over budget",
  parallel_edit: "Parallel edit",
  usage_window: "Usage window running out",
};

/** "Write collision"; a kind this build does not know reads "Some new kind". */
export function kindLabel(kind: string): string {
  const known = (KIND_LABEL as Record<string, string>)[kind];
  if (known) return known;
  const words = kind.replace(/_/g, " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "Escalation";
}

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** The log's action as a past-tense word: "approve" → "Approved". */
const DONE: Record<string, string> = {
  approve: "Approved",
  reject: "Rejected",
  give_ownership: "Ownership given",
  retry: "Retry requested",
  dismiss: "Dismissed",
  snooze: "Snoozed",
  expire: "Expired",
  split_budget: "Budget split",
  grant_lease: "File granted",
  keep_lease: "Holder kept",
  allow_both_once: "Both allowed once",
  cancel_task: "Task cancelled",
  give_lease: "File given",
  stop_touching: "Told to stop",
  hand_to_branch: "Files handed to a branch",
  let_both_go_on: "Both branches go on",
  pause_sessions: "Sessions paused",
  let_sessions_go_on: "Sessions go on",
  settled: "Settled",
  reopen: "Reopened",
  delivered: "Answer delivered",
};

/** An approval of an agent's own question sends the person's answer: it reads "Answered". */
export function decisionLabel(action: string, kind?: string): string {
  if (action === "approve" && kind === "needs_approval") return "Answered";
  return DONE[action] ?? kindLabel(action);
}

export type ActionName = EscalationAction["action"];

/** Snooze lengths offered. */
export const SNOOZE_CHOICES: { minutes: number; label: string; long: string }[] = [
  { minutes: 15, label: "15 min", long: "15 minutes" },
  { minutes: 60, label: "1 h", long: "1 hour" },
  { minutes: 240, label: "4 h", long: "4 hours" },
  { minutes: 1_440, label: "1 day", long: "1 day" },
];

/** The action most likely to settle an escalation of this kind (drawn as the primary button). */
export function primaryAction(e: Pick<Escalation, "kind" | "resource"> & { knot?: Knot | null }): ActionName {
  switch (e.kind) {
    case "deadlock": {
      // Giving a file away loses no work; cancelling a task does.
      const choices = e.knot ? knotChoices(e.knot, new Map()) : [];
      return choices.find((c) => c.action.action === "give_lease")?.action.action ?? choices[0]?.action.action ?? "retry";
    }
    case "needs_approval":
    case "sequencing":
      return "approve";
    case "write_collision":
    case "ownership_violation":
    case "trigger_collision":
    case "read_during_write":
    case "divergent_claims":
      return e.resource ? "give_ownership" : "retry";
    case "rate_limit_pressure":
      return "split_budget";
    case "parallel_edit":
      return "hand_to_branch";
    default:
      return "retry";
  }
}

// Time

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** "23 h 12 min", "2 d 3 h", "12 min", "45 s" (time left, rounded down). */
export function remainingText(ms: number): string {
  const t = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (t < MINUTE) return `${Math.floor(t / SECOND)} s`;
  if (t < HOUR) return `${Math.floor(t / MINUTE)} min`;
  if (t < 2 * DAY) {
    const h = Math.floor(t / HOUR);
    const m = Math.floor((t % HOUR) / MINUTE);
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }
  const d = Math.floor(t / DAY);
  const h = Math.floor((t % DAY) / HOUR);
  return h === 0 ? `${d} d` : `${d} d ${h} h`;
}

/** Local "14:30", "tomorrow 14:30" or "2026-11-23 14:30" (as seen at `now`). */
export function whenText(at: string, now: number): string {
  const t = parseTime(at);
  if (Number.isNaN(t)) return at;
  const d = new Date(t);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const today = new Date(now);
  const sameDay = (a: Date, b: Date) =>
    a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  if (sameDay(d, today)) return hm;
  const tomorrow = new Date(now);
  tomorrow.setDate(tomorrow.getDate() + 1);
  if (sameDay(d, tomorrow)) return `tomorrow ${hm}`;
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (sameDay(d, yesterday)) return `yesterday ${hm}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}`;
}

// State

/** Open, and its snooze (if any) still running at `now`. */
export function isSnoozed(e: Escalation, now: number): boolean {
  if (e.state !== "open" || !e.snoozed_until) return false;
  const until = parseTime(e.snoozed_until);
  return !Number.isNaN(until) && until > now;
}

/** Open but past its SLA at `now` (the backend expires it on its next sweep or decision). */
export function isOverdue(e: Escalation, now: number): boolean {
  return e.state === "open" && parseTime(e.due_at) <= now;
}

/** True when a decision can be taken: open and within its SLA. */
export function isActionable(e: Escalation, now: number): boolean {
  return e.state === "open" && !isOverdue(e, now);
}

/** Why no action can be taken on `e` at `now` (the disabled buttons' title), or null. */
export function blockedReason(e: Escalation, now: number): string | null {
  if (e.state === "expired") {
    return `Expired${e.closed_at ? ` at ${whenText(e.closed_at, now)}` : ""}: no decision came before its SLA lapsed, so it takes none now`;
  }
  if (e.state === "resolved") {
    const how = e.decision ? ` (${decisionLabel(e.decision.action, e.kind).toLowerCase()} by ${e.decision.who})` : "";
    return `Already resolved${how}`;
  }
  if (isOverdue(e, now)) return `Past its SLA (due ${whenText(e.due_at, now)}): it is expiring and takes no decision`;
  return null;
}

export type Urgency = "ok" | "soon" | "urgent" | "expired" | "closed";

/** How pressing `remainingMs` of SLA is: amber under an hour, red under 15 min, expired at 0. */
export function urgencyOf(remainingMs: number): Urgency {
  if (!(remainingMs > 0)) return "expired";
  if (remainingMs < URGENT_MS) return "urgent";
  if (remainingMs < SOON_MS) return "soon";
  return "ok";
}

export interface Countdown {
  text: string;
  urgency: Urgency;
}

/** The SLA countdown: "due in 23 h 12 min" (with its urgency), "expired", or "resolved". */
export function slaCountdown(e: Escalation, now: number): Countdown {
  if (e.state === "expired") return { text: "expired", urgency: "expired" };
  if (e.state === "resolved") return { text: "resolved", urgency: "closed" };
  const left = parseTime(e.due_at) - now;
  if (Number.isNaN(left)) return { text: `due ${e.due_at}`, urgency: "ok" };
  const urgency = urgencyOf(left);
  return { text: urgency === "expired" ? "expired" : `due in ${remainingText(left)}`, urgency };
}

// Grouping

export interface EscalationGroups {
  /** Open and awake: soonest due first (then the most severe, then the oldest). */
  open: Escalation[];
  /** Resolved, but its cause fired again after the decision (see `isRecurring`): latest seen first. */
  recurring: Escalation[];
  /** Open but snoozed: the first to wake first. */
  snoozed: Escalation[];
  /** Expired and resolved: latest closed first. */
  closed: Escalation[];
}

/**
 * Resolved, yet its cause fired again after the decision: an agent may be ignoring what it was
 * told. A dismissal said "not a real problem", so its cause firing again is expected: not this.
 */
export function isRecurring(e: Escalation): boolean {
  return e.state === "resolved" && e.since_decision > 0 && e.decision?.action !== "dismiss";
}

const time = (at: string | null | undefined) => {
  const t = at ? parseTime(at) : NaN;
  return Number.isNaN(t) ? 0 : t;
};

function byDue(a: Escalation, b: Escalation): number {
  return (
    time(a.due_at) - time(b.due_at) ||
    (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
    a.id - b.id
  );
}

export function groupEscalations(list: readonly Escalation[], now: number): EscalationGroups {
  const open: Escalation[] = [];
  const recurring: Escalation[] = [];
  const snoozed: Escalation[] = [];
  const closed: Escalation[] = [];
  for (const e of list) {
    if (isRecurring(e)) recurring.push(e);
    else if (e.state !== "open") closed.push(e);
    else if (isSnoozed(e, now)) snoozed.push(e);
    else open.push(e);
  }
  open.sort(byDue);
  recurring.sort((a, b) => time(b.last_seen_at) - time(a.last_seen_at) || b.since_decision - a.since_decision || b.id - a.id);
  snoozed.sort((a, b) => time(a.snoozed_until) - time(b.snoozed_until) || byDue(a, b));
  closed.sort((a, b) => time(b.closed_at ?? b.opened_at) - time(a.closed_at ?? a.opened_at) || b.id - a.id);
  return { open, recurring, snoozed, closed };
}

/** Every row in display order: open, recurring after a decision, snoozed, closed. */
export function displayOrder(groups: EscalationGroups): Escalation[] {
  return [...groups.open, ...groups.recurring, ...groups.snoozed, ...groups.closed];
}

/**
 * The id `delta` rows away from `current` in `ids`, clamped to the ends; with no (or an unknown)
 * current id, the first row going down and the last going up. Null when `ids` is empty.
 */
export function stepSelection(ids: readonly number[], current: number | null, delta: number): number | null {
  if (ids.length === 0) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at < 0) return delta >= 0 ? ids[0]! : ids[ids.length - 1]!;
  return ids[Math.max(0, Math.min(ids.length - 1, at + delta))]!;
}

/** Where the selection goes once `decided` leaves the open list: the next one, else the one before. */
export function nextAfterDecision(openIds: readonly number[], decided: number): number | null {
  const at = openIds.indexOf(decided);
  if (at < 0) return openIds[0] ?? null;
  return openIds[at + 1] ?? openIds[at - 1] ?? null;
}

/** The escalation `id` replaced by `next` (added when new). */
export function replaceEscalation(list: readonly Escalation[], next: Escalation): Escalation[] {
  let found = false;
  const out = list.map((e) => {
    if (e.id !== next.id) return e;
    found = true;
    return next;
  });
  if (!found) out.push(next);
  return out;
}

/** `e` as the backend now holds it after answering `expired`: expired at `now`, snooze dropped. */
export function markExpired(e: Escalation, now: number): Escalation {
  return { ...e, state: "expired", closed_at: e.closed_at ?? new Date(now).toISOString(), snoozed_until: null };
}

// Badge

export interface QueueBadge {
  text: string;
  alert: boolean;
  title: string;
}

/** The nav badge: how many are open (snoozed included); red when one is critical or past due. */
export function queueBadge(list: readonly Escalation[], now: number): QueueBadge {
  const open = list.filter((e) => e.state === "open");
  const critical = open.filter((e) => e.severity === "critical").length;
  const overdue = open.filter((e) => isOverdue(e, now)).length;
  const snoozed = open.filter((e) => isSnoozed(e, now)).length;
  const parts = [`${open.length} open escalation${open.length === 1 ? "" : "s"}`];
  if (critical > 0) parts.push(`${critical} critical`);
  if (overdue > 0) parts.push(`${overdue} past due`);
  if (snoozed > 0) parts.push(`${snoozed} snoozed`);
  return { text: String(open.length), alert: critical > 0 || overdue > 0, title: parts.join(", ") };
}

/** Milliseconds from `now` until the next open escalation falls due (the badge may turn red), or null. */
export function msUntilNextDue(list: readonly Escalation[], now: number): number | null {
  let next: number | null = null;
  for (const e of list) {
    if (e.state !== "open") continue;
    const due = parseTime(e.due_at);
    if (Number.isNaN(due) || due <= now) continue;
    if (next === null || due < next) next = due;
  }
  return next === null ? null : next - now;
}

// Deliveries

/** "delivered 14:31", "retrying (3 attempts, last error: HTTP 503)", "pending", "declined 14:31". */
export function deliveryText(d: Delivery, now: number): string {
  switch (d.state) {
    case "pending":
      return "pending";
    case "retrying": {
      const attempts = `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`;
      return `retrying (${attempts}${d.last_error ? `, last error: ${d.last_error}` : ""})`;
    }
    case "delivered":
      return d.delivered_at ? `delivered ${whenText(d.delivered_at, now)}` : "delivered";
    case "declined": {
      // Why the agent did not take it (an A2A server that started a new task instead).
      const why = d.last_error ? `: ${d.last_error}` : "";
      return `${d.delivered_at ? `declined ${whenText(d.delivered_at, now)}` : "declined"}${why}`;
    }
    default:
      return String(d.state);
  }
}
