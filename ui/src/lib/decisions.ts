// The decision log in words: one readable sentence per entry, built from its `detail`, and the
// view's text filter. Pure (no React). The detail is untyped JSON from the store: everything here
// reads it defensively and never throws, whatever shape it has.

import type { DecisionEntry } from "../bindings/DecisionEntry";
import { formatDuration } from "./time";

/** What the log view needs of an entry (tests and junk-tolerant callers may pass less). */
export type DecisionLike = Pick<DecisionEntry, "who" | "action" | "subject" | "reason" | "detail"> &
  Partial<Pick<DecisionEntry, "escalation_id" | "host">>;

/** What the log knows besides the entry: agent names, and the resource of an escalation. */
export interface DescribeContext {
  names?: ReadonlyMap<number, string>;
  /** The resource of escalation `id` (`api:openai` for a rate-limit one), if known. */
  resourceOf?: (id: number) => string | null | undefined;
}

type Json = Record<string, unknown>;

function record(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v.trim() !== "") : [];
}

/** Any value as a string, for the fields the bindings say are strings (never throws). */
function str(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  try {
    return String(value);
  } catch {
    return "";
  }
}

/** "a", "a and b", "a, b and c". */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

// Rules

interface RuleView {
  kind: string | null;
  pattern: string | null;
  owner: string | null;
  readers: string[];
  sequence: string[];
  sla: number | null;
  note: string | null;
}

function readRule(value: unknown): RuleView | null {
  const r = record(value);
  if (!r) return null;
  // Neither a pattern nor an owner: nothing worth a sentence.
  if (text(r.pattern) === null && text(r.owner) === null) return null;
  const sla = typeof r.sla_seconds === "number" && Number.isFinite(r.sla_seconds) && r.sla_seconds > 0 ? r.sla_seconds : null;
  return {
    kind: text(r.kind),
    pattern: text(r.pattern),
    owner: text(r.owner),
    readers: texts(r.readers),
    sequence: texts(r.sequence),
    sla,
    note: text(r.note),
  };
}

/** "4 h", "90 min", "45 s"; other lengths as compact durations. */
export function slaText(seconds: number): string {
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  if (seconds < 60) return `${seconds} s`;
  return formatDuration(seconds * 1_000);
}

/** "data rule crm://contacts/*#status" (what is left when kind or pattern is missing). */
function ruleName(rule: RuleView): string {
  return [rule.kind, "rule", rule.pattern].filter(Boolean).join(" ");
}

/** "data rule crm://contacts/*#status → Writer", then readers, sequence, SLA and note if any. */
function ruleText(rule: RuleView): string {
  const parts = [rule.owner ? `${ruleName(rule)} → ${rule.owner}` : ruleName(rule)];
  if (rule.readers.length > 0) parts.push(`readers ${rule.readers.join(", ")}`);
  if (rule.sequence.length > 0) parts.push(`then ${rule.sequence.join(", ")}`);
  if (rule.sla !== null) parts.push(`SLA ${slaText(rule.sla)}`);
  if (rule.note) parts.push(`note “${rule.note}”`);
  return parts.join("; ");
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What changed between two versions of a rule: "owner Researcher → Writer; readers + Editor". */
function ruleChanges(before: RuleView, after: RuleView): string[] {
  const out: string[] = [];
  const swap = (label: string, a: string | null, b: string | null) => {
    if (a !== b) out.push(`${label} ${a ?? "none"} → ${b ?? "none"}`);
  };
  swap("kind", before.kind, after.kind);
  swap("pattern", before.pattern, after.pattern);
  swap("owner", before.owner, after.owner);
  const added = after.readers.filter((r) => !before.readers.includes(r));
  const removed = before.readers.filter((r) => !after.readers.includes(r));
  if (added.length > 0 || removed.length > 0) {
    const bits = [added.length > 0 ? `+ ${added.join(", ")}` : "", removed.length > 0 ? `− ${removed.join(", ")}` : ""];
    out.push(`readers ${bits.filter(Boolean).join(" ")}`);
  }
  if (!same(before.sequence, after.sequence)) {
    const seq = (s: string[]) => (s.length > 0 ? s.join(", ") : "none");
    out.push(`sequence ${seq(before.sequence)} → ${seq(after.sequence)}`);
  }
  if (before.sla !== after.sla) {
    const sla = (s: number | null) => (s === null ? "default" : slaText(s));
    out.push(`SLA ${sla(before.sla)} → ${sla(after.sla)}`);
  }
  if (before.note !== after.note) {
    if (after.note === null) out.push("note removed");
    else if (before.note === null) out.push(`note “${after.note}”`);
    else out.push(`note “${before.note}” → “${after.note}”`);
  }
  return out;
}

function describeRule(action: string, detail: Json | null): string | null {
  const before = readRule(detail?.before);
  const after = readRule(detail?.after);
  switch (action) {
    case "rule.add":
      return after ? ruleText(after) : null;
    case "rule.remove":
      return before ? `removed ${ruleText(before)}` : null;
    case "rule.update": {
      if (before && after) {
        const changes = ruleChanges(before, after);
        return changes.length > 0 ? `${ruleName(before)}: ${changes.join("; ")}` : `${ruleText(after)} (unchanged)`;
      }
      if (after) return `updated ${ruleText(after)}`;
      if (before) return `updated ${ruleText(before)}`;
      return null;
    }
    default:
      return null;
  }
}

// Declarations

type ListName = "triggers" | "writes" | "outputs" | "reads";

/** In the order sentences name them; `reads` last (never a conflict on its own). */
const LISTS: [ListName, string][] = [
  ["triggers", "triggers on"],
  ["writes", "writes"],
  ["outputs", "outputs to"],
  ["reads", "reads"],
];

type DeclaresView = Record<ListName, string[]>;

function readDeclares(value: unknown): DeclaresView | null {
  const d = record(value);
  if (!d || !LISTS.some(([list]) => Array.isArray(d[list]))) return null;
  return { triggers: texts(d.triggers), writes: texts(d.writes), outputs: texts(d.outputs), reads: texts(d.reads) };
}

/** "writes crm://a, reads crm://b and crm://c" (empty when every list is). */
function declaresText(d: DeclaresView): string {
  return LISTS.filter(([list]) => d[list].length > 0)
    .map(([list, verb]) => `${verb} ${listText(d[list])}`)
    .join(", ");
}

function describeDeclares(action: string, subject: string, detail: Json | null): string | null {
  const agent = text(detail?.agent) ?? subject;
  if (action === "declares.clear") return `${agent}: back to the agent's own declaration`;
  if (action !== "declares.set") return null;
  const after = readDeclares(detail?.after);
  if (!after) return null;
  const full = declaresText(after);
  const before = readDeclares(detail?.before);
  if (before) {
    const gone: string[] = [];
    const added: string[] = [];
    for (const [list, verb] of LISTS) {
      const lost = before[list].filter((p) => !after[list].includes(p));
      const won = after[list].filter((p) => !before[list].includes(p));
      if (lost.length > 0) gone.push(`${verb} ${listText(lost)}`);
      if (won.length > 0) added.push(`${verb} ${listText(won)}`);
    }
    const clauses = [gone.length > 0 ? `no longer ${gone.join(", ")}` : "", added.length > 0 ? `now ${added.join(", ")}` : ""];
    const changed = clauses.filter(Boolean).join("; ");
    if (changed) return `${agent} ${changed}`;
  }
  return full ? `${agent} declares ${full}` : `${agent} declares nothing`;
}

const ESCALATION_VERBS: Record<string, string> = {
  approve: "Approved",
  reject: "Rejected",
  retry: "Asked for a retry on",
  dismiss: "Dismissed",
  give_ownership: "Gave ownership on",
  grant_lease: "Granted the file of",
  keep_lease: "Kept the file's holder on",
  allow_both_once: "Allowed both once on",
  cancel_task: "Cancelled a deadlocked task of",
  give_lease: "Gave a deadlocked file on",
  stop_touching: "Told a branch (or a subagent) to stop changing the files of",
  hand_to_branch: "Handed to one branch the files of",
  let_both_go_on: "Let both branches go on with",
  pause_sessions: "Paused the sessions of",
  let_sessions_go_on: "Let the sessions go on with",
  snooze: "Snoozed",
  expire: "Expired (its SLA lapsed):",
};

/** "split the openai budget: Writer 60%, Editor 40%". */
function describeSplit(subject: string, escalationId: unknown, detail: Json | null, context: DescribeContext): string | null {
  const act = record(detail?.action);
  const shares = Array.isArray(act?.shares) ? act.shares.map(record).filter((s): s is Json => s !== null) : [];
  const parts = shares.flatMap((s) => {
    const id = s.agent_id;
    const percent = s.percent;
    if (typeof id !== "number" || typeof percent !== "number") return [];
    return [`${context.names?.get(id) ?? `agent #${id}`} ${percent}%`];
  });
  const fromSubject = subject.startsWith("escalation:") ? Number(subject.slice("escalation:".length)) : NaN;
  const id = typeof escalationId === "number" ? escalationId : fromSubject;
  // The log entry names the API (since the ledger landed); older entries go through the queue.
  const logged = text(detail?.api);
  const loggedKey = text(detail?.key);
  const resource = Number.isFinite(id) ? (context.resourceOf?.(id) ?? null) : null;
  const fromQueue = resource?.startsWith("api:") ? resource.slice("api:".length) : null;
  const api = logged ? (loggedKey ? `${logged}/${loggedKey}` : logged) : fromQueue;
  const what = api ? `split the ${api} budget` : Number.isFinite(id) ? `split the budget of escalation ${id}` : "split the budget";
  return parts.length > 0 ? `${what}: ${parts.join(", ")}` : what;
}

function describeEscalation(action: string, subject: string, detail: Json | null): string | null {
  const verb = ESCALATION_VERBS[action];
  const id = subject.startsWith("escalation:") ? subject.slice("escalation:".length) : null;
  if (!verb || !id) return null;
  const until = detail ? text(detail.snoozed_until) : null;
  return `${verb} escalation ${id}${until ? ` until ${until.slice(11, 16)} UTC` : ""}`;
}

function describeHandoffSchema(action: string, subject: string): string | null {
  const kind = subject.startsWith("handoff:") ? subject.slice("handoff:".length) : null;
  if (!kind) return null;
  if (action === "handoff_schema.set") return `Schema of ${kind} handoffs set`;
  if (action === "handoff_schema.remove") return `Schema of ${kind} handoffs removed`;
  return null;
}

// Detector windows

const WINDOW_LABELS: [string, string, string][] = [
  ["write_collision_seconds", "write collision", "s"],
  ["trigger_collision_seconds", "trigger collision", "s"],
  ["silent_completion_seconds", "silent completion", "s"],
  ["stall_seconds", "stall", "s"],
  ["time_budget_seconds", "time budget", "s"],
  ["unreachable_polls", "unreachable after", " polls"],
];

/** "Editor's detector windows: stall 300 s → 600 s, unreachable after default → 5 polls". */
function describeWindows(subject: string, detail: Json | null, context: DescribeContext): string | null {
  const id = subject.startsWith("agent:") ? Number(subject.slice("agent:".length)) : NaN;
  const agent = (Number.isInteger(id) ? context.names?.get(id) : undefined) ?? (subject || "an agent");
  const before = record(detail?.before) ?? {};
  const after = record(detail?.after) ?? {};
  const shown = (value: unknown, unit: string) =>
    typeof value === "number" && Number.isFinite(value) ? `${value.toLocaleString()}${unit === "s" ? " s" : unit}` : "default";
  const changes = WINDOW_LABELS.filter(([key]) => before[key] !== after[key]).map(
    ([key, label, unit]) => `${label} ${shown(before[key], unit)} → ${shown(after[key], unit)}`,
  );
  if (changes.length === 0) return `${agent}'s detector windows: unchanged`;
  return `${agent}'s detector windows: ${changes.join(", ")}`;
}

/**
 * One readable sentence for a decision-log entry, e.g. "data rule crm://contacts/*#status → Writer"
 * or "Writer no longer writes crm://x; now reads crm://x"; `context` names agents and APIs where
 * the detail only has ids (a budget split). Unknown actions (and details that are
 * not what the action promises) read "<action> <subject>". A reason is appended after " — ".
 */
export function describeDecision(entry: DecisionLike, context: DescribeContext = {}): string {
  const action = str(entry.action);
  const subject = str(entry.subject);
  const detail = record(entry.detail);
  let sentence: string | null;
  try {
    if (action.startsWith("rule.")) sentence = describeRule(action, detail);
    else if (action.startsWith("declares.")) sentence = describeDeclares(action, subject, detail);
    else if (action.startsWith("handoff_schema.")) sentence = describeHandoffSchema(action, subject);
    else if (action === "split_budget") sentence = describeSplit(subject, entry.escalation_id, detail, context);
    else if (action === "windows.set") sentence = describeWindows(subject, detail, context);
    else sentence = describeEscalation(action, subject, detail);
  } catch {
    // A detail getter that throws (not JSON from the store, but never worth a crash).
    sentence = null;
  }
  const base = sentence ?? [action, subject].filter(Boolean).join(" ");
  const reason = text(entry.reason)?.trim();
  if (!reason) return base;
  return base ? `${base} — ${reason}` : reason;
}

/**
 * Whether `entry` matches the filter text: every whitespace-separated word must occur
 * (case-insensitively) in its who, action, subject or description. Empty text matches all.
 * Pass `description` when it is already computed.
 */
export function matchesFilter(entry: DecisionLike, filter: string, description?: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [
    str(entry.who),
    str(entry.host),
    str(entry.action),
    str(entry.subject),
    description ?? describeDecision(entry),
  ]
    .join("\n")
    .toLowerCase();
  return words.every((w) => haystack.includes(w));
}

/** The colour family of an action: the chip's modifier class. */
export type ActionFamily = "rule" | "declares" | "approve" | "reject" | "other";

export function actionFamily(action: string): ActionFamily {
  const a = str(action);
  if (a.startsWith("rule.")) return "rule";
  if (a.startsWith("declares.")) return "declares";
  if (a === "approve" || a.startsWith("approve.")) return "approve";
  if (a === "reject" || a.startsWith("reject.")) return "reject";
  return "other";
}

/** The first 8 characters of a hash, as the list shows it. */
export function shortHash(hash: string): string {
  return str(hash).slice(0, 8);
}
