// The ways to settle an overlap between an agent's declaration and a rule or another agent:
// who gets it, who only reads it, both in a sequence, or (in the pre-deploy dialog) later. Used
// by the pre-deploy dialog and the ownership map's conflict list.

import type { ConflictSide } from "../bindings/ConflictSide";
import type { Dispute } from "../bindings/Dispute";
import type { MapConflict } from "../bindings/MapConflict";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import type { Resolution } from "../bindings/Resolution";
import type { StoredRule } from "../bindings/StoredRule";

export type Choice = "give_new" | "keep_other" | "new_reads" | "other_reads" | "sequence" | "later";

export const DEFAULT_CHOICE: Choice = "later";

/** The other side's name: the rule's owner or the other agent. */
export function otherName(other: ConflictSide): string {
  return other.side === "rule" ? other.owner : other.name;
}

/** The choices that make sense for a conflict, in the order they are listed. */
export function choicesFor(conflict: Pick<PredeployConflict, "kind" | "other">): Choice[] {
  const data = conflict.kind === "data";
  const out: Choice[] = ["give_new", "keep_other"];
  if (data) out.push("new_reads");
  if (data && conflict.other.side === "agent") out.push("other_reads");
  out.push("sequence", "later");
  return out;
}

/**
 * A choice in words. Before an agent goes live the other side "keeps" what it has; on the map,
 * where both are live, either side is simply given it.
 */
export function choiceLabel(choice: Choice, newName: string, other: string, onMap = false): string {
  switch (choice) {
    case "give_new":
      return `Give it to ${newName}`;
    case "keep_other":
      return onMap ? `Give it to ${other}` : `Keep it with ${other}`;
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

/** A choice as the ownership map's conflict list offers it (never "later": it is already later). */
export interface MapChoice {
  id: Choice;
  label: string;
  resolution: Resolution;
}

export function mapChoicesFor(dispute: Dispute): MapChoice[] {
  const other = otherName(dispute.other);
  return choicesFor(dispute).flatMap((id) => {
    const resolution = toResolution(id, dispute.agent, dispute.other);
    return resolution ? [{ id, label: choiceLabel(id, dispute.agent, other, true), resolution }] : [];
  });
}

/** The dispute behind a map conflict about a declaration; null for two overlapping rules. */
export function disputeOf(conflict: MapConflict, rules: StoredRule[]): Dispute | null {
  const [claim, second] = conflict.claims;
  if (!claim) return null;
  if (second) {
    return {
      agent: claim.agent,
      kind: conflict.kind,
      pattern: claim.pattern,
      other: { side: "agent", name: second.agent, pattern: second.pattern },
    };
  }
  const index = conflict.rules[0];
  const rule = index === undefined ? undefined : rules[index];
  if (index === undefined || !rule) return null;
  return {
    agent: claim.agent,
    kind: conflict.kind,
    pattern: claim.pattern,
    other: { side: "rule", index, pattern: rule.pattern, owner: rule.owner },
  };
}
