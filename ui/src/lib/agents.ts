// Helpers for the Agents view's rows.

import type { AgentHealth } from "../bindings/AgentHealth";
import type { AgentHealthNow } from "../bindings/AgentHealthNow";
import type { AgentRow } from "../bindings/AgentRow";
import type { ColumnCounts } from "../bindings/ColumnCounts";
import { COLUMN_LABEL, COLUMNS } from "./board";
import { parseTime } from "./time";

function attemptMs(health: AgentHealth): number {
  const t = health.last_attempt_at ? parseTime(health.last_attempt_at) : Number.NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** The rows with one agent's health replaced, or null when that agent is not in the list. */
export function patchHealth(
  rows: readonly AgentRow[],
  agentId: number,
  health: AgentHealth,
): AgentRow[] | null {
  const i = rows.findIndex((r) => r.config.id === agentId);
  if (i < 0) return null;
  const next = rows.slice();
  next[i] = { ...rows[i]!, health };
  return next;
}

/**
 * The rows with the healths of a quiet polls' flush (`healths` event) applied, or null when one
 * of those agents is not in the list (the list is stale: reload it).
 */
export function patchHealths(rows: readonly AgentRow[], healths: readonly AgentHealthNow[]): AgentRow[] | null {
  const byId = new Map(healths.map((h) => [h.agent_id, h.health]));
  let found = 0;
  const next = rows.map((row) => {
    const health = byId.get(row.config.id);
    if (health === undefined) return row;
    found += 1;
    return { ...row, health };
  });
  return found === byId.size ? next : null;
}

/**
 * Freshly listed rows, keeping any health we already hold that is newer (by last attempt) than
 * the listed one: a health event can overtake a list_agents answer in flight.
 */
export function mergeAgentRows(fresh: readonly AgentRow[], current: readonly AgentRow[] | null): AgentRow[] {
  if (!current) return fresh.slice();
  const held = new Map(current.map((r) => [r.config.id, r.health]));
  return fresh.map((row) => {
    const h = held.get(row.config.id);
    return h && attemptMs(h) > attemptMs(row.health) ? { ...row, health: h } : row;
  });
}

export function totalTasks(counts: ColumnCounts): number {
  let n = 0;
  for (const c of COLUMNS) n += counts[c];
  return n;
}

/** "3 working · 1 blocked · 12 done" (non-zero columns only), or "no tasks". */
export function countsText(counts: ColumnCounts): string {
  const parts = COLUMNS.filter((c) => counts[c] > 0).map(
    (c) => `${counts[c]} ${COLUMN_LABEL[c].toLowerCase()}`,
  );
  return parts.length ? parts.join(" · ") : "no tasks";
}

/** Agents sorted by name (case-insensitive), then id. */
export function sortAgents(rows: readonly AgentRow[]): AgentRow[] {
  return rows
    .slice()
    .sort(
      (a, b) =>
        a.config.name.localeCompare(b.config.name, undefined, { sensitivity: "base" }) ||
        a.config.id - b.config.id,
    );
}

/** Agent ids to names, from the app's agent rows. */
export function agentNames(agents: readonly { config: { id: number; name: string } }[] | null): Map<number, string> {
  return new Map((agents ?? []).map((a) => [a.config.id, a.config.name]));
}

/** An agent's name, or "agent #7" for one Baton no longer knows. */
export function nameOf(names: ReadonlyMap<number, string>, id: number): string {
  return names.get(id) ?? `agent #${id}`;
}
