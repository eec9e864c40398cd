// The layout of an escalation's evidence timeline (no React): one lane per agent, events placed
// on a shared time axis without overlapping, and the axis ticks.

import type { EscalationTimeline } from "../bindings/EscalationTimeline";
import type { TimelineEvent } from "../bindings/TimelineEvent";
import { parseTime } from "./time";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

export interface PlacedEvent {
  event: TimelineEvent;
  /** Position on the axis, 0 (left) to 1 (right). */
  x: number;
  /** Stacking row within the lane, so that events at nearly the same time stay apart. */
  level: number;
}

export interface TimelineLane {
  agentId: number;
  events: PlacedEvent[];
}

export interface TimelineLayout {
  start: number;
  end: number;
  lanes: TimelineLane[];
  ticks: { x: number; label: string }[];
}

/** Share of the axis kept empty at each end, so the first and last events are not cut. */
const EDGE = 0.03;
/** Closer than this (as a share of the axis) and two markers stack. */
const MIN_GAP = 0.018;
export const MAX_LEVEL = 2;

const TICK_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
];

function tickLabel(t: number, step: number): string {
  const d = new Date(t);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return step < MINUTE ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

/**
 * Lays the timeline out: one lane per agent (the timeline's agents in order, then any other agent
 * an event names), each event placed on one shared time axis, with ticks at round times.
 */
export function layoutTimeline(timeline: EscalationTimeline, maxTicks = 6): TimelineLayout {
  const times = timeline.events.map((e) => parseTime(e.at)).filter((t) => !Number.isNaN(t));
  let start = times.length > 0 ? Math.min(...times) : 0;
  let end = times.length > 0 ? Math.max(...times) : 0;
  if (end - start < 10 * SECOND) {
    const mid = (start + end) / 2;
    start = mid - 5 * SECOND;
    end = mid + 5 * SECOND;
  }
  const span = end - start;
  const place = (t: number) => EDGE + ((t - start) / span) * (1 - 2 * EDGE);

  const order = [...timeline.agents];
  for (const e of timeline.events) if (!order.includes(e.agent_id)) order.push(e.agent_id);
  const lanes: TimelineLane[] = order.map((agentId) => ({ agentId, events: [] }));
  const laneOf = new Map(lanes.map((l) => [l.agentId, l]));
  const sorted = timeline.events
    .map((event, i) => ({ event, i, t: parseTime(event.at) }))
    .filter((e) => !Number.isNaN(e.t))
    .sort((a, b) => a.t - b.t || a.i - b.i);
  const lastX = new Map<number, number[]>();
  for (const { event, t } of sorted) {
    const x = place(t);
    const rows = lastX.get(event.agent_id) ?? [];
    let level = rows.findIndex((last) => x - last >= MIN_GAP);
    if (level < 0) level = rows.length <= MAX_LEVEL ? rows.length : rows.indexOf(Math.min(...rows));
    rows[level] = x;
    lastX.set(event.agent_id, rows);
    laneOf.get(event.agent_id)!.events.push({ event, x, level });
  }

  const step = TICK_STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / DAY) * DAY;
  const ticks: { x: number; label: string }[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    ticks.push({ x: place(t), label: tickLabel(t, step) });
  }
  return { start, end, lanes, ticks };
}

/** Where time `t` falls on the layout's axis (0 to 1), or null outside it. */
export function axisX(layout: Pick<TimelineLayout, "start" | "end">, t: number): number | null {
  if (Number.isNaN(t) || t < layout.start || t > layout.end || layout.end <= layout.start) return null;
  return EDGE + ((t - layout.start) / (layout.end - layout.start)) * (1 - 2 * EDGE);
}

/** The events in time order (then lane order): where ←/→ go next. */
export function eventsInTimeOrder(layout: TimelineLayout): PlacedEvent[] {
  return layout.lanes
    .flatMap((lane, laneIndex) => lane.events.map((placed) => ({ placed, laneIndex })))
    .sort((a, b) => a.placed.x - b.placed.x || a.laneIndex - b.laneIndex)
    .map((e) => e.placed);
}

/** A stable key for an event (an agent's seq is unique). */
export function eventKey(e: Pick<TimelineEvent, "agent_id" | "seq">): string {
  return `${e.agent_id}:${e.seq}`;
}
