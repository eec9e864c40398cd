// Rule edits on the ownership map with undo and redo. Each edit (and each undo or redo) is one
// backend call answered with the new map; one runs at a time.

import { useCallback, useEffect, useRef, useState } from "react";

import type { Dispute } from "../bindings/Dispute";
import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Resolution } from "../bindings/Resolution";
import type { Rule } from "../bindings/Rule";
import { addRule, removeRule, resolveConflict, toBackendError, updateRule } from "./backend";
import {
  emptyHistory,
  idAfter,
  labelOf,
  record,
  redoOp,
  redone,
  undoOp,
  undone,
  type History,
  type RuleOp,
} from "./ruleHistory";
import type { Ownership } from "./useOwnership";

function send(op: RuleOp): Promise<OwnershipMap> {
  switch (op.type) {
    case "add":
      return addRule(op.rule);
    case "update":
      return updateRule(op.id, op.rule);
    case "remove":
      return removeRule(op.id);
  }
}

export interface RuleEdits {
  busy: boolean;
  error: string | null;
  /** What the last resolution did, in sentences. */
  notice: string[] | null;
  history: History;
  /** `before`: the stored rule being changed (null to add); `after`: null to remove. */
  edit(before: { id: number; rule: Rule } | null, after: Rule | null): Promise<boolean>;
  undo(): Promise<void>;
  redo(): Promise<void>;
  resolve(dispute: Dispute, resolution: Resolution): Promise<void>;
  dismiss(): void;
}

export function useRuleEdits(ownership: Ownership): RuleEdits {
  const [history, setHistory] = useState<History>(emptyHistory);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string[] | null>(null);
  const running = useRef(false);
  const latest = useRef({ ownership, history });
  useEffect(() => {
    latest.current = { ownership, history };
  });

  /** Runs one backend call at a time; false when another is running or it failed. */
  const exclusive = useCallback(async (what: string, task: () => Promise<void>): Promise<boolean> => {
    if (running.current) return false;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      await task();
      return true;
    } catch (err) {
      setError(`${what}: ${toBackendError(err).message}`);
      return false;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);

  const edit = useCallback<RuleEdits["edit"]>(
    (before, after) =>
      exclusive("Could not save the rule", async () => {
        const op: RuleOp = !before
          ? { type: "add", rule: after! }
          : after
            ? { type: "update", id: before.id, rule: after }
            : { type: "remove", id: before.id };
        const previous = latest.current.ownership.map;
        const next = await send(op);
        latest.current.ownership.setMap(next);
        const id = previous ? idAfter(op, previous, next) : null;
        if (id !== null) {
          setHistory((h) => record(h, { id, before: before?.rule ?? null, after, label: labelOf(before?.rule ?? null, after) }));
        }
        setNotice(null);
      }),
    [exclusive],
  );

  const step = useCallback(
    async (direction: "undo" | "redo") => {
      const { history: h, ownership: o } = latest.current;
      const item = direction === "undo" ? h.past.at(-1) : h.future[0];
      if (!item) return;
      await exclusive(`Could not ${direction} “${item.label}”`, async () => {
        const op = direction === "undo" ? undoOp(item) : redoOp(item);
        const previous = o.map;
        const next = await send(op);
        o.setMap(next);
        const id = (previous ? idAfter(op, previous, next) : null) ?? item.id;
        setHistory((current) => (direction === "undo" ? undone(current, id) : redone(current, id)));
      });
    },
    [exclusive],
  );

  const resolve = useCallback(
    async (dispute: Dispute, resolution: Resolution) => {
      await exclusive("Could not settle the conflict", async () => {
        const resolved = await resolveConflict(dispute, resolution);
        latest.current.ownership.setMap(resolved.map);
        setNotice(resolved.summary);
      });
    },
    [exclusive],
  );

  return {
    busy,
    error,
    notice,
    history,
    edit,
    undo: () => step("undo"),
    redo: () => step("redo"),
    resolve,
    dismiss: () => {
      setError(null);
      setNotice(null);
    },
  };
}
