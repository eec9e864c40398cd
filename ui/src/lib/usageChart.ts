// The stacked usage chart's data (no React, no uPlot): each agent's use per minute stacked into
// cumulative layers (the biggest user at the bottom), the minutes with 429s as markers on top of
// the stack, the limit line, and the y range. Built to stay cheap for a week of minutes for 20
// agents (see usageChart.bench.ts): typed arrays, one pass per layer.

import type { Metric } from "../bindings/Metric";
import type { UsageSeries } from "../bindings/UsageSeries";
import { countText, metricLabel } from "./rateLimits";

/** One minute with 429s. */
export interface RateMarker {
  /** Index of the minute in the series. */
  index: number;
  /** Its start (seconds since the epoch). */
  t: number;
  /** 429s in it, over all agents. */
  count: number;
  /** The top of the stack there (where the marker sits). */
  top: number;
}

export interface PreparedChart {
  /** Minute starts, seconds since the epoch (uPlot's x). */
  xs: Float64Array;
  /** Agents bottom to top. */
  agentIds: number[];
  /** Cumulative use per layer, same order: layer k is agents 0..k summed. */
  stacked: Float64Array[];
  /** The top of the stack per minute (zeros without agents). */
  totals: Float64Array;
  markers: RateMarker[];
  rateLimitedTotal: number;
  /** Limit per minute, if known. */
  limit: number | null;
  /** Highest stack, and where. */
  peak: { index: number; value: number } | null;
  /** Top of the y axis: room above the highest stack and the limit. */
  yMax: number;
  /** Plotted points: minutes × agents. */
  points: number;
}

function sum(values: ArrayLike<number>, n: number): number {
  let s = 0;
  const m = Math.min(n, values.length);
  for (let i = 0; i < m; i++) s += values[i] ?? 0;
  return s;
}

/** Indices into `series.agents`, biggest total use first (ties by agent id): the stacking order. */
export function stackOrder(series: Pick<UsageSeries, "agents" | "minutes">): number[] {
  const totals = series.agents.map((a) => sum(a.values, series.minutes));
  return series.agents
    .map((_, i) => i)
    .sort((a, b) => totals[b]! - totals[a]! || series.agents[a]!.agent_id - series.agents[b]!.agent_id);
}

/** Cumulative sums of `rows` (each `n` long, missing values 0): result k = rows 0..k added up. */
export function stackValues(rows: readonly ArrayLike<number>[], n: number): Float64Array[] {
  const out: Float64Array[] = [];
  let below: Float64Array | null = null;
  for (const row of rows) {
    const layer = new Float64Array(n);
    const m = Math.min(n, row.length);
    if (below) {
      for (let i = 0; i < m; i++) layer[i] = below[i]! + (row[i] ?? 0);
      for (let i = m; i < n; i++) layer[i] = below[i]!;
    } else {
      for (let i = 0; i < m; i++) layer[i] = row[i] ?? 0;
    }
    out.push(layer);
    below = layer;
  }
  return out;
}

/** The minutes with 429s (over all agents), each placed on top of the stack. */
export function rateLimitMarkers(series: Pick<UsageSeries, "agents" | "minutes" | "start">, totals: ArrayLike<number>): RateMarker[] {
  const n = series.minutes;
  const counts = new Float64Array(n);
  let any = false;
  for (const a of series.agents) {
    const rl = a.rate_limited;
    const m = Math.min(n, rl.length);
    for (let i = 0; i < m; i++) {
      const c = rl[i] ?? 0;
      if (c > 0) {
        counts[i] = counts[i]! + c;
        any = true;
      }
    }
  }
  const markers: RateMarker[] = [];
  if (!any) return markers;
  for (let i = 0; i < n; i++) {
    const count = counts[i]!;
    if (count > 0) markers.push({ index: i, t: series.start + 60 * i, count, top: totals[i] ?? 0 });
  }
  return markers;
}

/** The y axis' top: 15% above the higher of the stack's peak and the limit (at least 1). */
export function chartYMax(peak: number, limit: number | null): number {
  const top = Math.max(peak, limit ?? 0);
  return top > 0 ? top * 1.15 : 1;
}

/** Everything the chart draws, from the backend's series. */
export function prepareUsageChart(series: UsageSeries): PreparedChart {
  const n = Math.max(0, Math.floor(series.minutes));
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = series.start + 60 * i;
  const order = stackOrder(series);
  const agents = order.map((i) => series.agents[i]!);
  const stacked = stackValues(
    agents.map((a) => a.values),
    n,
  );
  const totals = stacked[stacked.length - 1] ?? new Float64Array(n);
  let peak: { index: number; value: number } | null = null;
  for (let i = 0; i < n; i++) {
    const v = totals[i]!;
    if (peak === null || v > peak.value) peak = { index: i, value: v };
  }
  const markers = rateLimitMarkers(series, totals);
  const limit = series.limit_per_minute !== null && Number.isFinite(series.limit_per_minute) && series.limit_per_minute > 0 ? series.limit_per_minute : null;
  return {
    xs,
    agentIds: agents.map((a) => a.agent_id),
    stacked,
    totals,
    markers,
    rateLimitedTotal: markers.reduce((s, m) => s + m.count, 0),
    limit,
    peak,
    yMax: chartYMax(peak?.value ?? 0, limit),
    points: n * agents.length,
  };
}

/** `data-limit`: the limit per minute (3 decimals at most), or "" without one. */
export function limitAttr(limit: number | null): string {
  return limit === null ? "" : String(Math.round(limit * 1000) / 1000);
}

/** The limit line's label: "limit 500 requests/min". */
export function limitLabel(limit: number, metric: Metric): string {
  return `limit ${countText(limit)} ${metricLabel(metric)}/min`;
}

/** Axis numbers: "950", "1.2k", "3.4M". */
export function compactNumber(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (a >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(+n.toFixed(a < 10 ? 1 : 0));
}

/** One colour per agent, the same in the chart, the shares and the heat map. */
export const AGENT_COLORS = [
  "#4f8ff7",
  "#e8a04a",
  "#3fb67a",
  "#b07cf0",
  "#e06c9f",
  "#3fb6a8",
  "#c9c25a",
  "#f0784a",
  "#7d9cf0",
  "#6fcf97",
  "#d08bf0",
  "#5ec8d8",
  "#b5a48a",
  "#9ad45a",
  "#f0b35a",
  "#8a9bb0",
  "#ff8fb1",
  "#62a8e5",
  "#a3e0c0",
  "#d9a0ff",
];

export function agentColor(agentId: number): string {
  const n = AGENT_COLORS.length;
  return AGENT_COLORS[(((agentId - 1) % n) + n) % n]!;
}

/** Each agent's use in minute `index` (in the series' order) and the 429s there. */
export function minuteBreakdown(series: UsageSeries, index: number): { agentId: number; value: number; rateLimited: number }[] {
  return series.agents.map((a) => ({ agentId: a.agent_id, value: a.values[index] ?? 0, rateLimited: a.rate_limited[index] ?? 0 }));
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Local "09:05" of a minute start (seconds since the epoch). */
export function minuteText(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/**
 * The chart in words, for screen readers: "Requests per minute, stacked by agent (writer,
 * editor): peak 497 at 09:05; limit 500 per minute; 1 × 429 in 1 minute."
 */
export function chartSummary(p: PreparedChart, unit: string, names: ReadonlyMap<number, string>): string {
  const who = p.agentIds.map((id) => names.get(id) ?? `agent #${id}`).join(", ");
  const parts = [`${unit[0]?.toUpperCase() ?? ""}${unit.slice(1)} per minute, stacked by agent (${who})`];
  const details: string[] = [];
  if (p.peak) details.push(`peak ${countText(p.peak.value)} at ${minuteText(p.xs[p.peak.index] ?? 0)}`);
  if (p.limit !== null) details.push(`limit ${countText(p.limit)} per minute`);
  if (p.markers.length > 0) {
    details.push(`${p.rateLimitedTotal} × 429 in ${p.markers.length} minute${p.markers.length === 1 ? "" : "s"}`);
  } else {
    details.push("no 429s");
  }
  return `${parts[0]}: ${details.join("; ")}.`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A time axis label (local time, 24 h): "09:05" for ranges up to a day; over longer ranges
 * "21 Nov" at midnight and "21 Nov 12:00" otherwise.
 */
export function timeTick(seconds: number, spanSeconds: number): string {
  const hm = minuteText(seconds);
  if (spanSeconds <= 26 * 3_600) return hm;
  const d = new Date(seconds * 1000);
  const day = `${d.getDate()} ${MONTHS[d.getMonth()]}`;
  return hm === "00:00" ? day : `${day} ${hm}`;
}
