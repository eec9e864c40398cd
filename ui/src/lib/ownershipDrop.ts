// A resource dropped onto an agent on the ownership map: which agent is under the pointer (each
// agent's target is its whole row, gaps included, so a drop between two rows still lands on the
// nearer one and never on a node the dragged card merely grazes), and how the rule the drop would
// write reads before the person confirms it.

import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Rule } from "../bindings/Rule";
import { ROW } from "./ownershipLayout";

/** An agent's box on the map, in the map's coordinates. */
export interface ActorBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How far left and right of an agent's box a drop still lands on it (map px). */
export const SIDE_SLACK = 40;

/**
 * The agent whose drop target holds `point`: its box widened by `SIDE_SLACK` on each side and
 * grown to the whole row (`ROW` high, centred on the box). Where two targets meet, the one whose
 * centre is nearer wins. Null: the pointer is over no agent.
 */
export function actorAtPoint<T extends ActorBox>(boxes: readonly T[], point: { x: number; y: number }, row = ROW): T | null {
  let best: T | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const box of boxes) {
    const half = Math.max(box.height, row) / 2;
    const centre = box.y + box.height / 2;
    const inside =
      point.x >= box.x - SIDE_SLACK && point.x <= box.x + box.width + SIDE_SLACK && Math.abs(point.y - centre) <= half;
    const distance = Math.abs(point.y - centre);
    if (inside && distance < bestDistance) {
      best = box;
      bestDistance = distance;
    }
  }
  return best;
}

/** What the confirmation says a drop would do. */
export interface DropPreview {
  /** "New rule" or "Change rule 12". */
  title: string;
  /** The owner the rule names today, if the drop changes an existing rule. */
  previousOwner: string | null;
  /** Readers or followers the drop takes off the rule (the new owner no longer reads or follows). */
  dropped: string[];
}

/** How the rule a drop would write reads: new or changed, and whom it takes the resource from. */
export function dropPreview(map: OwnershipMap, change: { id: number | null; rule: Rule }): DropPreview {
  const before = change.id === null ? undefined : map.rules.find((r) => r.id === change.id);
  if (!before) return { title: "New rule", previousOwner: null, dropped: [] };
  const kept = new Set([...(change.rule.readers ?? []), ...(change.rule.sequence ?? [])]);
  const dropped = [...(before.readers ?? []), ...(before.sequence ?? [])].filter((name) => !kept.has(name));
  return { title: `Change rule ${before.id}`, previousOwner: before.owner, dropped: [...new Set(dropped)] };
}
