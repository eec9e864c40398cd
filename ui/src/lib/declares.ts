// What an agent declares (triggers, reads, writes, outputs), as the agent form edits it, and the
// choices the pre-deploy dialog offers for each overlap. Pure functions; the backend has the last
// word on what a pattern means (docs/rules.md).

import type { ConflictSide } from "../bindings/ConflictSide";
import type { Declares } from "../bindings/Declares";
import type { Dispute } from "../bindings/Dispute";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import type { Resolution } from "../bindings/Resolution";

export type DeclaresList = keyof Declares;

/** The four lists, in the form's order. */
export const DECLARES_LISTS: readonly DeclaresList[] = ["triggers", "reads", "writes", "outputs"];

/** The lists that claim something (compete under rule kinds trigger, data, output). */
export const CLAIM_LISTS: readonly DeclaresList[] = ["triggers", "writes", "outputs"];

/** The four textareas' text, as typed. */
export type DeclaresText = Record<DeclaresList, string>;

export function isDeclaresList(field: string | null | undefined): field is DeclaresList {
  return field !== null && field !== undefined && (DECLARES_LISTS as readonly string[]).includes(field);
}

export function emptyDeclares(): Declares {
  return { triggers: [], reads: [], writes: [], outputs: [] };
}

/** One pattern per line: trimmed, blank lines dropped, duplicates dropped (first one kept). */
export function parsePatterns(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const p = line.trim();
    if (p !== "" && !out.includes(p)) out.push(p);
  }
  return out;
}

export function parseDeclares(text: DeclaresText): Declares {
  return {
    triggers: parsePatterns(text.triggers),
    reads: parsePatterns(text.reads),
    writes: parsePatterns(text.writes),
    outputs: parsePatterns(text.outputs),
  };
}

export function declaresText(d: Declares | null | undefined): DeclaresText {
  return {
    triggers: (d?.triggers ?? []).join("\n"),
    reads: (d?.reads ?? []).join("\n"),
    writes: (d?.writes ?? []).join("\n"),
    outputs: (d?.outputs ?? []).join("\n"),
  };
}

export function isEmptyDeclares(d: Declares): boolean {
  return DECLARES_LISTS.every((l) => d[l].length === 0);
}

export function isBlankText(text: DeclaresText): boolean {
  return DECLARES_LISTS.every((l) => text[l].trim() === "");
}

/** Whether it triggers on, writes or outputs to anything (reads alone never conflict). */
export function hasClaims(d: Declares): boolean {
  return CLAIM_LISTS.some((l) => d[l].length > 0);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

/** Same patterns in the given lists, whatever their order. */
export function sameDeclares(a: Declares, b: Declares, lists: readonly DeclaresList[] = DECLARES_LISTS): boolean {
  return lists.every((l) => sameSet(a[l], b[l]));
}

/** "triggers webhook://crm/updated; writes crm://contacts/*#status, crm://contacts/*#owner". */
export function describeDeclares(d: Declares): string {
  return DECLARES_LISTS.filter((l) => d[l].length > 0)
    .map((l) => `${l} ${d[l].join(", ")}`)
    .join("; ");
}

/** What saving the form does with the declaration. */
export type DeclarationChange =
  | { kind: "none" }
  /** Store `declares` as typed in Baton; `check`: run the pre-deploy check first. */
  | { kind: "set"; declares: Declares; check: boolean }
  /** Back to what the agent declares itself. */
  | { kind: "clear" };

/**
 * `stored`: the declaration in force (null for a new agent or one that declares nothing);
 * `useAgents`: the user chose to go back to the agent's own declaration.
 */
export function declarationChange(
  declares: Declares,
  stored: Declares | null,
  useAgents: boolean,
): DeclarationChange {
  if (useAgents) return { kind: "clear" };
  if (stored === null) {
    if (isEmptyDeclares(declares)) return { kind: "none" };
    return { kind: "set", declares, check: hasClaims(declares) };
  }
  if (sameDeclares(declares, stored)) return { kind: "none" };
  return { kind: "set", declares, check: hasClaims(declares) && !sameDeclares(declares, stored, CLAIM_LISTS) };
}

// Pre-deploy choices.

export type Choice = "give_new" | "keep_other" | "new_reads" | "other_reads" | "sequence" | "later";

export const DEFAULT_CHOICE: Choice = "later";

/** The other side's name: the rule's owner or the other agent. */
export function otherName(other: ConflictSide): string {
  return other.side === "rule" ? other.owner : other.name;
}

/** The choices that make sense for a conflict, in the order the dialog lists them. */
export function choicesFor(conflict: Pick<PredeployConflict, "kind" | "other">): Choice[] {
  const data = conflict.kind === "data";
  const out: Choice[] = ["give_new", "keep_other"];
  if (data) out.push("new_reads");
  if (data && conflict.other.side === "agent") out.push("other_reads");
  out.push("sequence", "later");
  return out;
}

export function choiceLabel(choice: Choice, newName: string, other: string): string {
  switch (choice) {
    case "give_new":
      return `Give it to ${newName}`;
    case "keep_other":
      return `Keep it with ${other}`;
    case "new_reads":
      return `${newName} only reads it`;
    case "other_reads":
      return `${other} only reads it`;
    case "sequence":
      return `Both: ${other} first, then ${newName}`;
    case "later":
      return "Decide later on the Ownership map";
  }
}

/** The resolution a choice stands for; null for "decide later". */
export function toResolution(choice: Choice, newName: string, other: ConflictSide): Resolution | null {
  const o = otherName(other);
  switch (choice) {
    case "give_new":
      return { action: "give_ownership", owner: newName };
    case "keep_other":
      return { action: "give_ownership", owner: o };
    case "new_reads":
      return { action: "make_reader", reader: newName };
    case "other_reads":
      return { action: "make_reader", reader: o };
    case "sequence":
      return { action: "accept_sequence", order: [o, newName] };
    case "later":
      return null;
  }
}

export function toDispute(agent: string, conflict: PredeployConflict): Dispute {
  return { agent, kind: conflict.kind, pattern: conflict.pattern, other: conflict.other };
}
