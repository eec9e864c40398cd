// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Rule } from "../bindings/Rule";
import { emptyHistory, idAfter, labelOf, record, redoOp, redone, undoOp, undone, type RuleEdit } from "./ruleHistory";

const rule = (owner: string): Rule => ({ kind: "data", pattern: "crm://contacts/*#status", owner });
const mapWith = (...ids: number[]): OwnershipMap => ({
  leases: [], branch_edits: [],
  agents: [],
  conflicts: [],
  rules: ids.map((id) => ({ id, ...rule("x"), created_at: "", updated_at: "" })),
});

describe("rule history", () => {
  it("undoes an addition by removing it and redoes it as a new rule with a new id", () => {
    const add: RuleEdit = { id: 4, before: null, after: rule("Writer"), label: labelOf(null, rule("Writer")) };
    const update: RuleEdit = { id: 4, before: rule("Writer"), after: rule("Editor"), label: "" };
    let h = record(record(emptyHistory, add), update);
    expect(add.label).toBe("add data rule crm://contacts/*#status → Writer");

    expect(undoOp(h.past.at(-1)!)).toEqual({ type: "update", id: 4, rule: rule("Writer") });
    h = undone(h, 4);
    expect(undoOp(h.past.at(-1)!)).toEqual({ type: "remove", id: 4 });
    h = undone(h, 4);
    expect(h.past).toEqual([]);

    const op = redoOp(h.future[0]!);
    expect(op).toEqual({ type: "add", rule: rule("Writer") });
    const id = idAfter(op, mapWith(1), mapWith(1, 9))!;
    expect(id).toBe(9);
    h = redone(h, id);
    // The later edit of the same rule now targets its new id.
    expect(redoOp(h.future[0]!)).toEqual({ type: "update", id: 9, rule: rule("Editor") });
  });

  it("undoes a removal by adding the rule back, and a new edit drops the future", () => {
    const remove: RuleEdit = { id: 2, before: rule("Writer"), after: null, label: "" };
    let h = record(emptyHistory, remove);
    expect(undoOp(remove)).toEqual({ type: "add", rule: rule("Writer") });
    h = undone(h, 7);
    expect(h.future[0]!.id).toBe(7);
    expect(redoOp(h.future[0]!)).toEqual({ type: "remove", id: 7 });
    h = record(h, { id: 3, before: null, after: rule("A"), label: "" });
    expect(h.future).toEqual([]);
    expect(idAfter({ type: "update", id: 3, rule: rule("A") }, mapWith(3), mapWith(3))).toBe(3);
  });
});
