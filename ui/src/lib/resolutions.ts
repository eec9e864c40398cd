// The ways to settle a conflict between an agent's declaration and a rule or another agent,
// as buttons: who gets it, who only reads it, or both in a sequence.

import type { Dispute } from "../bindings/Dispute";
import type { MapConflict } from "../bindings/MapConflict";
import type { Resolution } from "../bindings/Resolution";
import type { StoredRule } from "../bindings/StoredRule";

export interface Choice {
  id: "give_new" | "keep_other" | "new_reads" | "other_reads" | "sequence";
  label: string;
  resolution: Resolution;
}

/** The other side's name: the rule's owner or the other agent. */
export function otherSide(dispute: Dispute): string {
  return dispute.other.side === "rule" ? dispute.other.owner : dispute.other.name;
}

export function choicesFor(dispute: Dispute): Choice[] {
  const mine = dispute.agent;
  const other = otherSide(dispute);
  const choices: Choice[] = [
    { id: "give_new", label: `Give it to ${mine}`, resolution: { action: "give_ownership", owner: mine } },
    { id: "keep_other", label: `Give it to ${other}`, resolution: { action: "give_ownership", owner: other } },
  ];
  if (dispute.kind === "data") {
    choices.push({ id: "new_reads", label: `${mine} only reads it`, resolution: { action: "make_reader", reader: mine } });
    if (dispute.other.side === "agent") {
      choices.push({
        id: "other_reads",
        label: `${other} only reads it`,
        resolution: { action: "make_reader", reader: other },
      });
    }
  }
  choices.push({
    id: "sequence",
    label: `Both: ${other} first, then ${mine}`,
    resolution: { action: "accept_sequence", order: [other, mine] },
  });
  return choices;
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
