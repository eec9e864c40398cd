// Parallel edits (branches of one repository changing the same files) as people read them:
// git's forecast in words (per pair of branches, and for the item), each side's line ranges,
// and which sessions' cards on the Board overlap other branches. The data is Rust's (the
// `parallel_edit` command and the queue items' `parallel`); this only words it and looks it up.

import type { AgentRow } from "../bindings/AgentRow";
import type { BranchPair } from "../bindings/BranchPair";
import type { ConflictKind } from "../bindings/ConflictKind";
import type { Escalation } from "../bindings/Escalation";
import type { LineRange } from "../bindings/LineRange";
import type { MergeForecast } from "../bindings/MergeForecast";
import { nameOf } from "./agents";
import { subagentsWorkingText } from "./sessions";

/** "line 3", "lines 2–5", "lines removed after line 4" (each side's own numbering). */
export function rangeText(range: LineRange): string {
  if (range.count === 0) return `lines removed after line ${Math.max(0, range.start - 1)}`;
  if (range.count === 1) return `line ${range.start}`;
  return `lines ${range.start}–${range.start + range.count - 1}`;
}

/** Every range of one side, or what stands for none. */
export function rangesText(ranges: readonly LineRange[]): string {
  return ranges.length === 0 ? "no lines" : ranges.map(rangeText).join(", ");
}

export const CONFLICT_KIND_TEXT: Record<ConflictKind, string> = {
  content: "both change these lines",
  add_add: "added on both, differently",
  modify_delete: "deleted on one branch, changed on the other",
};

export type Verdict = "unchecked" | "clean" | "conflicts" | "unknown";

/** What git forecast, in one phrase, and its tone. */
export function forecastVerdict(forecast: MergeForecast | null): { verdict: Verdict; text: string } {
  if (forecast === null) return { verdict: "unchecked", text: "not checked yet" };
  switch (forecast.outcome) {
    case "clean":
      return { verdict: "clean", text: "merges cleanly" };
    case "unknown":
      return { verdict: "unknown", text: `cannot tell (${forecast.why})` };
    case "conflicts": {
      const n = forecast.files.length + forecast.more;
      return { verdict: "conflicts", text: `conflicts in ${n} ${n === 1 ? "file" : "files"}` };
    }
  }
}

/**
 * The item's forecast in one phrase: its pair's, or how many of its pairs conflict, cannot be
 * told, are not checked yet, or that each merges cleanly.
 */
export function itemVerdict(pairs: readonly BranchPair[]): { verdict: Verdict; text: string } {
  if (pairs.length <= 1) return forecastVerdict(pairs[0]?.forecast ?? null);
  const each = pairs.map((p) => forecastVerdict(p.forecast).verdict);
  const count = (v: Verdict) => each.filter((x) => x === v).length;
  const of = `of ${pairs.length} pairs`;
  if (count("conflicts") > 0) return { verdict: "conflicts", text: `${count("conflicts")} ${of} conflict` };
  if (count("unknown") > 0) return { verdict: "unknown", text: `cannot tell for ${count("unknown")} ${of}` };
  const unchecked = count("unchecked");
  if (unchecked === pairs.length) return { verdict: "unchecked", text: "not checked yet" };
  if (unchecked > 0) return { verdict: "unchecked", text: `${unchecked} ${of} not checked yet` };
  return { verdict: "clean", text: "each pair merges cleanly" };
}

/** One open parallel edit a session's card overlaps: the item, the other branches, the files. */
export interface Overlap {
  escalationId: number;
  otherBranches: string[];
  files: string[];
}

/**
 * The open parallel edits each coding session is part of (by agent id): the files of the
 * session's branch, and the other branches that change them (all the item's, when the session
 * has since moved to a branch the item does not name).
 */
export function overlapsBySession(
  escalations: readonly Escalation[] | null,
  agents: readonly AgentRow[],
): Map<number, Overlap[]> {
  const branchOf = new Map<number, string | null>();
  for (const row of agents) if (row.session) branchOf.set(row.config.id, row.session.branch);
  const overlaps = new Map<number, Overlap[]>();
  for (const e of escalations ?? []) {
    const p = e.parallel;
    if (!p || e.state !== "open") continue;
    for (const id of e.agents) {
      if (!branchOf.has(id)) continue;
      const own = branchOf.get(id) ?? null;
      const mine = own !== null && p.branches.includes(own) ? p.files.filter((f) => f.branches.includes(own)) : p.files;
      const others = new Set(mine.flatMap((f) => f.branches).filter((b) => b !== own));
      const list = overlaps.get(id) ?? [];
      list.push({ escalationId: e.id, otherBranches: p.branches.filter((b) => others.has(b)), files: mine.map((f) => f.path) });
      overlaps.set(id, list);
    }
  }
  return overlaps;
}

/** The card's marker: "overlaps feature-a: 2 files", "overlaps feature-a, feature-c: 1 file". */
export function overlapText(overlap: Overlap): string {
  const n = overlap.files.length;
  return `overlaps ${overlap.otherBranches.join(", ")}: ${n} ${n === 1 ? "file" : "files"}`;
}

/** What a coding session's card on the Board shows of it: its branch, its overlaps, its subagents at work. */
export interface CardSession {
  branch: string | null;
  overlaps: Overlap[];
  /** "3 subagents working", or null when none works. */
  subagents: string | null;
}

/** Each coding session's branch and open parallel edits, by agent id (polled agents have none). */
export function cardSessions(agents: readonly AgentRow[], escalations: readonly Escalation[] | null): Map<number, CardSession> {
  const overlaps = overlapsBySession(escalations, agents);
  const cards = new Map<number, CardSession>();
  for (const row of agents) {
    if (!row.session) continue;
    cards.set(row.config.id, {
      branch: row.session.branch,
      overlaps: overlaps.get(row.config.id) ?? [],
      subagents: subagentsWorkingText(row.session),
    });
  }
  return cards;
}

/** One branch of a parallel edit's item, as its "Files to" and "Stop" buttons offer it. */
export interface BranchChoice {
  /** The session the decision names: the item's first session on the branch (the decision keeps the branch). */
  agentId: number;
  /** The branch; for a session whose branch is not known, the session's name. */
  label: string;
  branch: string | null;
  /** The item's sessions on the branch, by name. */
  sessions: string[];
}

/**
 * The branches of a parallel edit's sessions, once each (two sessions on one branch are one
 * choice: the decision is the branch's), in the order of their first session. A session whose
 * branch is not known is a choice of its own.
 */
export function branchChoices(
  sessionIds: readonly number[],
  branches: ReadonlyMap<number, string | null>,
  names: ReadonlyMap<number, string>,
): BranchChoice[] {
  const choices: BranchChoice[] = [];
  for (const id of sessionIds) {
    const name = nameOf(names, id);
    const branch = branches.get(id) ?? null;
    const same = branch === null ? undefined : choices.find((c) => c.branch === branch);
    if (same) same.sessions.push(name);
    else choices.push({ agentId: id, label: branch ?? name, branch, sessions: [name] });
  }
  return choices;
}
