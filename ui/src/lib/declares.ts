// What an agent declares (triggers, reads, writes, outputs), as the agent form edits it. Pure
// functions; the backend has the last word on what a pattern means (docs/rules.md). The choices
// for settling an overlap are in ./resolutions.

import type { Declares } from "../bindings/Declares";

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
