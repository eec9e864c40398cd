// The time-of-day heat map's data (no React): each agent's usual use per quarter hour (UTC) as a
// colour intensity, and how many agents are active in each slot, the overlaps being where they
// collide.

import type { UsageHeatmap } from "../bindings/UsageHeatmap";

export const DEFAULT_SLOT_MINUTES = 15;
/** A slot counts as active above this share of the heat map's highest cell. */
export const ACTIVE_SHARE = 0.05;
/** Column labels every this many hours. */
export const LABEL_EVERY_HOURS = 3;

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** How many slots a day has at `slotMinutes` (96 for quarter hours). */
export function slotCount(slotMinutes: number): number {
  const m = slotMinutes > 0 ? slotMinutes : DEFAULT_SLOT_MINUTES;
  return Math.max(1, Math.round((24 * 60) / m));
}

/** The slot's start, UTC: "09:15". */
export function slotLabel(slot: number, slotMinutes: number): string {
  const minutes = (slot * slotMinutes) % (24 * 60);
  return `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

/** "09:00–09:15" (an end at midnight reads 24:00). */
export function slotRange(from: number, to: number, slotMinutes: number): string {
  const end = to * slotMinutes;
  const endText = end >= 24 * 60 ? "24:00" : slotLabel(to, slotMinutes);
  return `${slotLabel(from, slotMinutes)}–${endText}`;
}

/** The highest mean use per minute in any agent's slot (0 for an empty heat map). */
export function heatmapMax(heatmap: Pick<UsageHeatmap, "agents">): number {
  let max = 0;
  for (const a of heatmap.agents) for (const v of a.per_slot) if (Number.isFinite(v) && v > max) max = v;
  return max;
}

/** A cell's colour intensity, 0–1, proportional to its use (0 when nothing was used anywhere). */
export function intensity(value: number, max: number): number {
  if (!(max > 0) || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(1, value / max);
}

/** Above this mean use per minute an agent counts as active in a slot. */
export function activeThreshold(max: number): number {
  return max > 0 ? max * ACTIVE_SHARE : Infinity;
}

/** How many agents are active in each slot. */
export function overlapCounts(heatmap: Pick<UsageHeatmap, "agents" | "slot_minutes">, threshold: number): number[] {
  const counts = new Array<number>(slotCount(heatmap.slot_minutes)).fill(0);
  for (const a of heatmap.agents) {
    for (let s = 0; s < counts.length; s++) {
      const v = a.per_slot[s] ?? 0;
      if (v > threshold) counts[s]! += 1;
    }
  }
  return counts;
}

export interface OverlapRange {
  /** First slot. */
  from: number;
  /** The slot after the last. */
  to: number;
  /** Most agents active at once in it. */
  max: number;
}

/** The runs of slots where two agents or more are active. */
export function overlapRanges(counts: readonly number[]): OverlapRange[] {
  const out: OverlapRange[] = [];
  let current: OverlapRange | null = null;
  counts.forEach((c, s) => {
    if (c >= 2) {
      if (current) current.max = Math.max(current.max, c);
      else current = { from: s, to: s + 1, max: c };
      current.to = s + 1;
    } else if (current) {
      out.push(current);
      current = null;
    }
  });
  if (current) out.push(current);
  return out;
}

/** "Agents overlap 09:00–11:00 and 13:00–14:00 UTC (up to 3 at once)." or that they never do. */
export function overlapSummary(ranges: readonly OverlapRange[], slotMinutes: number): string {
  if (ranges.length === 0) return "The agents do not usually use this API at the same time of day.";
  const spans = ranges.map((r) => slotRange(r.from, r.to, slotMinutes));
  const list = spans.length === 1 ? spans[0]! : `${spans.slice(0, -1).join(", ")} and ${spans[spans.length - 1]}`;
  const most = Math.max(...ranges.map((r) => r.max));
  return `Agents overlap ${list} UTC${most > 2 ? ` (up to ${most} at once)` : ""}.`;
}

export interface HeatmapRow {
  agentId: number;
  /** Mean use per minute per slot. */
  values: number[];
  /** Colour intensity per slot, 0–1. */
  cells: number[];
}

export interface PreparedHeatmap {
  slotMinutes: number;
  slots: number;
  max: number;
  threshold: number;
  rows: HeatmapRow[];
  overlap: number[];
  ranges: OverlapRange[];
  /** Column labels: slot index and "09:00", every LABEL_EVERY_HOURS. */
  labels: { slot: number; text: string }[];
}

export function prepareHeatmap(heatmap: UsageHeatmap): PreparedHeatmap {
  const slotMinutes = heatmap.slot_minutes > 0 ? heatmap.slot_minutes : DEFAULT_SLOT_MINUTES;
  const slots = slotCount(slotMinutes);
  const max = heatmapMax(heatmap);
  const threshold = activeThreshold(max);
  const rows = heatmap.agents.map((a) => {
    const values = Array.from({ length: slots }, (_, s) => {
      const v = a.per_slot[s] ?? 0;
      return Number.isFinite(v) && v > 0 ? v : 0;
    });
    return { agentId: a.agent_id, values, cells: values.map((v) => intensity(v, max)) };
  });
  const overlap = overlapCounts({ agents: heatmap.agents, slot_minutes: slotMinutes }, threshold);
  const every = Math.max(1, Math.round((LABEL_EVERY_HOURS * 60) / slotMinutes));
  const labels: { slot: number; text: string }[] = [];
  for (let s = 0; s < slots; s += every) labels.push({ slot: s, text: slotLabel(s, slotMinutes) });
  return { slotMinutes, slots, max, threshold, rows, overlap, ranges: overlapRanges(overlap), labels };
}

/** The slot a moment falls in (UTC). */
export function slotOf(ms: number, slotMinutes: number): number {
  const d = new Date(ms);
  return Math.floor((d.getUTCHours() * 60 + d.getUTCMinutes()) / slotMinutes) % slotCount(slotMinutes);
}
