// Undo and redo of rule edits on the ownership map. Every edit is stored as (before, after) with
// the rule's id; undoing or redoing it is another edit sent to the backend (and audited there).
// Re-adding a removed rule gives it a new id, so the history follows the ids it is told about.

import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Rule } from "../bindings/Rule";
import type { StoredRule } from "../bindings/StoredRule";

/** One edit: `before` null is an addition, `after` null a removal. */
export interface RuleEdit {
  id: number;
  before: Rule | null;
  after: Rule | null;
  /** For the buttons' titles, e.g. "add data rule crm://… → Writer". */
  label: string;
}

export type RuleOp =
  | { type: "add"; rule: Rule }
  | { type: "update"; id: number; rule: Rule }
  | { type: "remove"; id: number };

export interface History {
  past: RuleEdit[];
  future: RuleEdit[];
}

/** Most edits kept. */
export const HISTORY_LIMIT = 200;

export const emptyHistory: History = { past: [], future: [] };

/** The rule part of a stored rule (what edits compare and send). */
export function plainRule(stored: StoredRule): Rule {
  const { id: _id, created_at: _c, updated_at: _u, ...rule } = stored;
  return rule;
}

export function describeRule(rule: Rule): string {
  return `${rule.kind} rule ${rule.pattern} → ${rule.owner}`;
}

export function labelOf(before: Rule | null, after: Rule | null): string {
  if (!before && after) return `add ${describeRule(after)}`;
  if (before && !after) return `remove ${describeRule(before)}`;
  return `change ${describeRule(after ?? before!)}`;
}

/** A new edit: it goes on the past, and the future is dropped. */
export function record(history: History, edit: RuleEdit): History {
  return { past: [...history.past, edit].slice(-HISTORY_LIMIT), future: [] };
}

/** What undoing `edit` sends. */
export function undoOp(edit: RuleEdit): RuleOp {
  if (!edit.before) return { type: "remove", id: edit.id };
  if (!edit.after) return { type: "add", rule: edit.before };
  return { type: "update", id: edit.id, rule: edit.before };
}

/** What redoing `edit` sends. */
export function redoOp(edit: RuleEdit): RuleOp {
  if (!edit.before) return { type: "add", rule: edit.after! };
  if (!edit.after) return { type: "remove", id: edit.id };
  return { type: "update", id: edit.id, rule: edit.after };
}

/** The id a successful `op` left the rule with: for an addition, the id new in `after`. */
export function idAfter(op: RuleOp, before: OwnershipMap, after: OwnershipMap): number | null {
  if (op.type !== "add") return op.id;
  const known = new Set(before.rules.map((r) => r.id));
  const added = after.rules.filter((r) => !known.has(r.id));
  return added.length > 0 ? Math.max(...added.map((r) => r.id)) : null;
}

/** Every edit of rule `from` now refers to rule `to` (a removed rule came back with a new id). */
function remap(history: History, from: number, to: number): History {
  if (from === to) return history;
  const move = (e: RuleEdit) => (e.id === from ? { ...e, id: to } : e);
  return { past: history.past.map(move), future: history.future.map(move) };
}

/** After undoing the newest edit (which left the rule at `id`): it moves to the future. */
export function undone(history: History, id: number): History {
  const edit = history.past.at(-1);
  if (!edit) return history;
  const moved = { past: history.past.slice(0, -1), future: [edit, ...history.future] };
  return remap(moved, edit.id, id);
}

/** After redoing the next edit (which left the rule at `id`): it moves back to the past. */
export function redone(history: History, id: number): History {
  const [edit, ...rest] = history.future;
  if (!edit) return history;
  return remap({ past: [...history.past, edit], future: rest }, edit.id, id);
}
