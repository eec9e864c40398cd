// Escalations grouped by cause (pure, no React): what a group's count, scope and resources read
// like, what one decision on it settles, a decided item whose cause keeps firing, and how fast
// new items arrive (the queue header's rate and its notice).

import type { Escalation } from "../bindings/Escalation";
import type { FindingKind } from "../bindings/FindingKind";
import { nameOf } from "./agents";
import { kindLabel } from "./escalations";
import { agoText, parseTime } from "./time";

const MINUTE = 60_000;

/** The window the header counts new escalations in. */
export const ARRIVAL_WINDOW_MS = 10 * MINUTE;
/** More new escalations than this within `ARRIVAL_WINDOW_MS` and the header says they arrive fast. */
export const FAST_ARRIVALS = 10;
/** Resources a group's detail lists before "Show all". */
export const RESOURCES_FOLDED = 8;
/** Most resources the backend lists for a group (baton-core's MAX_GROUP_RESOURCES). */
export const MAX_LISTED_RESOURCES = 50;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A queue item standing for more than one finding. */
export function isGroup(e: Pick<Escalation, "occurrences">): boolean {
  return e.occurrences > 1;
}

/** "7 findings" (the count badge's accessible name). */
export function findingsText(n: number): string {
  return plural(n, "finding");
}

/** "fired 3× since the decision". */
export function sinceDecisionText(n: number): string {
  return `fired ${n}× since the decision`;
}

/** What a decision on a group will settle, or (closed) what it stood for; null for a lone finding. */
export function settlesText(e: Escalation, agentCount: number): string | null {
  if (!isGroup(e)) return null;
  let where = "";
  if (e.resource_count > 1) where = ` on ${plural(e.resource_count, "resource")}${e.scope ? ` under ${e.scope}` : ""}`;
  else if (e.resource_count === 1) where = ` on ${e.resources[0] ?? e.resource ?? "one resource"}`;
  else if (e.scope) where = ` under ${e.scope}`;
  if (e.state !== "open") {
    const after = e.since_decision > 0 ? `, ${e.since_decision} of them after the decision` : "";
    return `${findingsText(e.occurrences)}${where} in all${after}.`;
  }
  const told = agentCount > 1 ? "; each agent is told once" : agentCount === 1 ? "; the agent is told once" : "";
  return `This settles all ${findingsText(e.occurrences)}${where}${told}.`;
}

export interface ResourceList {
  /** The resources to show. */
  shown: string[];
  /** Listed by the backend but folded away (the "Show all" button's count). */
  folded: number;
  /** Beyond the backend's list: "and N more". */
  more: number;
}

/** A group's resources: the first `RESOURCES_FOLDED` unless expanded, and how many are not listed. */
export function resourceList(
  e: Pick<Escalation, "resources" | "resource_count">,
  expanded: boolean,
  folded = RESOURCES_FOLDED,
): ResourceList {
  const listed = e.resources.slice(0, MAX_LISTED_RESOURCES);
  // Unfolding two or three more is not worth a button.
  const shown = expanded || listed.length <= folded + 2 ? listed : listed.slice(0, folded);
  return {
    shown,
    folded: listed.length - shown.length,
    more: Math.max(0, e.resource_count - listed.length),
  };
}

/**
 * What "Give ownership" makes a rule for: the group's scope when it covers several resources
 * (as the backend decides it: decide/actions.rs), else null (the item's own resource).
 */
export function ownershipScope(e: Pick<Escalation, "scope" | "resource_count">): string | null {
  return e.scope !== null && e.resource_count > 1 ? e.scope : null;
}

/** "Give file:///drafts/* to editor" for a group, else "Give ownership to editor". */
export function giveLabel(e: Pick<Escalation, "scope" | "resource_count">, name: string): string {
  const scope = ownershipScope(e);
  return scope ? `Give ${scope} to ${name}` : `Give ownership to ${name}`;
}

/**
 * Why a decided item's cause may still fire: the decision has not reached an agent, or one
 * declined it. Null when every delivery went through (or there were none).
 */
export function deliveryGap(e: Pick<Escalation, "deliveries">, names: ReadonlyMap<number, string>): string | null {
  const waiting = e.deliveries.filter((d) => d.state === "pending" || d.state === "retrying").map((d) => nameOf(names, d.agent_id));
  const declined = e.deliveries.filter((d) => d.state === "declined").map((d) => nameOf(names, d.agent_id));
  const parts: string[] = [];
  if (waiting.length > 0) parts.push(`the decision has not reached ${waiting.join(", ")} yet`);
  if (declined.length > 0) parts.push(`${declined.join(", ")} declined it`);
  if (parts.length === 0) return null;
  const text = parts.join("; ");
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** The detail's notice on a decided item whose cause fired again. */
export function recurringText(e: Escalation, names: ReadonlyMap<number, string>, now: number): string {
  const fired = `Its cause fired ${e.since_decision}× after the decision, last ${agoText(e.last_seen_at, now)}: an agent may be ignoring it.`;
  const gap = deliveryGap(e, names);
  return `${fired} ${gap ?? "Every agent received the decision: see what they are doing (Board, key 1) or whether a rule covers this (Ownership, key 3)."}`;
}

// Arrival rate

export interface Arrivals {
  /** Items opened within `ARRIVAL_WINDOW_MS` before `now` (a group growing is not a new item). */
  count: number;
  /** More than `FAST_ARRIVALS`. */
  fast: boolean;
  /** "4 new in the last 10 min". */
  text: string;
}

const WINDOW_TEXT = `${ARRIVAL_WINDOW_MS / MINUTE} min`;

function recent(list: readonly Escalation[], now: number): Escalation[] {
  const from = now - ARRIVAL_WINDOW_MS;
  return list.filter((e) => {
    const t = parseTime(e.opened_at);
    return !Number.isNaN(t) && t > from;
  });
}

export function arrivals(list: readonly Escalation[], now: number): Arrivals {
  const count = recent(list, now).length;
  return {
    count,
    fast: count > FAST_ARRIVALS,
    text: `${count === 0 ? "none" : count} new in the last ${WINDOW_TEXT}`,
  };
}

const OWNERSHIP_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>([
  "ownership_violation",
  "write_collision",
  "read_during_write",
  "trigger_collision",
  "divergent_claims",
]);
const AGENT_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(["stall", "timeout", "unreachable", "silent_completion", "sequencing"]);

const RULE_CAUSE = "a missing ownership rule (Ownership view, key 3)";
const AGENT_CAUSE = "a stalled or unreachable agent (Agents view, key 2)";

/** The header's notice when escalations arrive fast, or null when they do not. */
export function fastArrivalText(list: readonly Escalation[], now: number): string | null {
  const fresh = recent(list, now);
  if (fresh.length <= FAST_ARRIVALS) return null;
  const byKind = new Map<FindingKind, number>();
  for (const e of fresh) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + 1);
  const [kind, n] = [...byKind].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
  const most = n * 2 > fresh.length ? kind : null;
  const cause =
    most && OWNERSHIP_KINDS.has(most)
      ? RULE_CAUSE
      : most && AGENT_KINDS.has(most)
        ? AGENT_CAUSE
        : `${RULE_CAUSE} or ${AGENT_CAUSE}`;
  const ofKind = most ? `, ${n} of one kind (${kindLabel(most)})` : "";
  return `Escalations are arriving fast: ${fresh.length} in the last ${WINDOW_TEXT}${ofKind}. They may share a cause: ${cause}.`;
}
