// A deadlock's knot as the escalation queue offers it: cancel one of its tasks, or give one of
// its files to the session waiting for it.

import type { EscalationAction } from "../bindings/EscalationAction";
import type { Knot } from "../bindings/Knot";

/** What a knot offers: cancel one of its tasks, or give one of its files to the one waiting. */
export interface KnotChoice {
  key: string;
  action: Extract<EscalationAction, { action: "cancel_task" } | { action: "give_lease" }>;
  label: string;
  description: string;
  agentId: number;
}

/** A file's name from its resource: "file:///repo/src/app.rs" → "app.rs". */
export function fileName(resource: string): string {
  const path = resource.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/[?#].*$/, "").replace(/\/+$/, "");
  return path.split("/").pop() || resource;
}

/**
 * The buttons of a deadlock's knot: "Cancel Writer's t-42" for each task with an id (a session
 * between turns waits as itself: nothing to cancel), "Give app.rs to Editor" for each file
 * waited for. Duplicates are dropped.
 */
export function knotChoices(knot: Knot, names: ReadonlyMap<number, string>): KnotChoice[] {
  const name = (id: number) => names.get(id) ?? `agent #${id}`;
  const out: KnotChoice[] = [];
  const seen = new Set<string>();
  for (const t of knot.tasks) {
    if (t.task_id.trim() === "") continue;
    const key = `cancel:${t.agent_id}:${t.task_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      key,
      action: { action: "cancel_task", agent_id: t.agent_id, task_id: t.task_id },
      label: `Cancel ${name(t.agent_id)}'s ${t.task_id}`,
      description: `Tell ${name(t.agent_id)} to stop task ${t.task_id} (only it is told): the others it blocks go on`,
      agentId: t.agent_id,
    });
  }
  for (const l of knot.leases) {
    const key = `give:${l.waiter}:${l.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      key,
      action: { action: "give_lease", agent_id: l.waiter, resource: l.resource },
      label: `Give ${fileName(l.resource)} to ${name(l.waiter)}`,
      description: `${name(l.waiter)} takes ${l.resource} from the session holding it, and goes on`,
      agentId: l.waiter,
    });
  }
  return out;
}
