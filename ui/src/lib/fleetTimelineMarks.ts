// What a fleet timeline lane draws (no React), and what lies under the pointer: each event as a
// tick when the lane lists them, else per-bucket bars stacked by kind (height by count); task
// state changes as small diamonds; escalations packed into rows. Marks of one colour are joined
// into one SVG path, so a lane costs a handful of DOM nodes whatever its events. The paths are
// built once per answer, in the answer's own units (tenths of a bucket across, tenths of a pixel
// down); panning and zooming only change their transform.

import type { BoardColumn } from "../bindings/BoardColumn";
import type { EventKind } from "../bindings/EventKind";
import type { LaneBucket } from "../bindings/LaneBucket";
import type { LaneEvent } from "../bindings/LaneEvent";
import type { LaneState } from "../bindings/LaneState";
import type { TaskCard } from "../bindings/TaskCard";
import type { TimelineLane } from "../bindings/TimelineLane";
import { KIND_LABEL, KINDS, lowerBound, STATE_COLUMN, timeToX, type TimeRange } from "./fleetTimeline";
import { parseTime } from "./time";

/** The axis a lane is drawn on: the range shown and its width in px. */
export interface Axis extends TimeRange {
  width: number;
}

/** Where the lane's data starts and how wide its buckets are (from the backend's answer). */
export interface Buckets {
  from: number;
  bucketMs: number;
}

/** A lane's height, and the band its marks use (above the state diamonds). */
export interface LaneBox {
  height: number;
  /** Top of the marks' band. */
  top: number;
  /** Bottom of the marks' band (state diamonds sit below it). */
  bottom: number;
}

export const LANE_BOX: LaneBox = { height: 30, top: 5, bottom: 22 };

/**
 * A lane's marks, independent of the axis: one path per event kind, x in tenths of a bucket from
 * the answer's start, y in tenths of a pixel; each mark a vertical bar (stroke it, see marksTransform).
 */
export interface LaneMarks {
  mode: "events" | "buckets";
  kinds: Map<EventKind, string>;
  /** How many bars the paths hold. */
  bars: number;
}

/** Path units per bucket across and per pixel down. */
export const PATH_SCALE = 10;

const timesCache = new WeakMap<readonly { at: string }[], Float64Array>();

/** The `at` of each item as ms, cached per array (the lanes' lists are sorted oldest first). */
export function timesOf(items: readonly { at: string }[]): Float64Array {
  let times = timesCache.get(items);
  if (!times) {
    times = new Float64Array(items.length);
    for (let i = 0; i < items.length; i += 1) times[i] = parseTime(items[i]!.at);
    timesCache.set(items, times);
  }
  return times;
}

/** A bucket's bar height: grows with the log of its count, relative to `max`, at least 2 px. */
export function barHeight(count: number, max: number, band: number): number {
  if (count <= 0 || max <= 0) return 0;
  return Math.max(2, (Math.log1p(count) / Math.log1p(Math.max(count, max))) * band);
}

/** The x extent of bucket `index` on the axis (a sliver of gap when wide enough). */
export function bucketSpan(index: number, buckets: Buckets, axis: Axis): { x: number; w: number } {
  const x0 = timeToX(buckets.from + index * buckets.bucketMs, axis, axis.width);
  const x1 = timeToX(buckets.from + (index + 1) * buckets.bucketMs, axis, axis.width);
  return { x: x0, w: barWidthFor(x1 - x0) };
}

function barWidthFor(step: number): number {
  return step > 3 ? step - 1 : Math.max(1, step);
}

/** The largest bucket total of these lanes (the bars' common scale). */
export function maxBucket(lanes: readonly TimelineLane[]): number {
  let max = 0;
  for (const lane of lanes) for (const b of lane.buckets) if (b.total > max) max = b.total;
  return max;
}

/** The width of one tick for a listed event, in px. */
export const TICK_WIDTH = 1.5;

const KIND_INDEX = Object.fromEntries(KINDS.map((k, i) => [k, i])) as Record<EventKind, number>;

/**
 * The lane's marks: its events as ticks when listed, else its buckets as bars stacked by kind
 * (height by count, scaled to `max`, the legend's order from the bottom). Built once per answer.
 */
export function laneMarks(lane: TimelineLane, buckets: Buckets, max: number, box = LANE_BOX): LaneMarks {
  const d: string[] = KINDS.map(() => "");
  const band = box.bottom - box.top;
  let bars = 0;
  if (lane.events) {
    const times = timesOf(lane.events);
    const tail = " " + box.top * PATH_SCALE + "v" + band * PATH_SCALE;
    const perUnit = buckets.bucketMs / PATH_SCALE;
    for (let i = 0; i < lane.events.length; i += 1) {
      const k = KIND_INDEX[lane.events[i]!.kind];
      if (k === undefined) continue;
      d[k] += "M" + Math.round((times[i]! - buckets.from) / perUnit) + tail;
      bars += 1;
    }
  } else {
    const logMax = Math.log1p(max);
    const n = new Float64Array(KINDS.length);
    const bottom = box.bottom * PATH_SCALE;
    for (const b of lane.buckets) {
      const h = (b.total >= max ? band : Math.max(2, (Math.log1p(b.total) / logMax) * band)) * PATH_SCALE;
      // The kinds present (one or two, mostly), as bits in the legend's order.
      let present = 0;
      const counts = b.counts as Record<string, number>;
      for (const kind in counts) {
        const k = KIND_INDEX[kind as EventKind];
        if (k === undefined || !(counts[kind]! > 0)) continue;
        present |= 1 << k;
        n[k] = counts[kind]!;
      }
      const x = "M" + (b.index * PATH_SCALE + PATH_SCALE / 2) + " ";
      let y = bottom;
      for (let k = 0; present !== 0; k += 1, present >>= 1) {
        if ((present & 1) === 0) continue;
        const part = Math.round((h * n[k]!) / b.total);
        if (part <= 0) continue;
        y -= part;
        d[k] += x + y + "v" + part;
        bars += 1;
      }
    }
  }
  const kinds = new Map<EventKind, string>();
  d.forEach((path, k) => {
    if (path !== "") kinds.set(KINDS[k]!, path);
  });
  return { mode: lane.events ? "events" : "buckets", kinds, bars };
}

/**
 * Where the marks of an answer go on `axis`: the SVG transform of their paths, and the bars'
 * stroke width in px (draw them with a non-scaling stroke).
 */
export function marksTransform(buckets: Buckets, axis: Axis, mode: LaneMarks["mode"]): { transform: string; barWidth: number } {
  const step = (buckets.bucketMs / (axis.to - axis.from)) * axis.width;
  const x0 = timeToX(buckets.from, axis, axis.width);
  return {
    transform: `translate(${x0} 0) scale(${step / PATH_SCALE} ${1 / PATH_SCALE})`,
    barWidth: mode === "events" ? TICK_WIDTH : barWidthFor(step),
  };
}

/** The lane's task state changes on `axis`: diamond centres [x, y, …] in px, per board column. */
export function stateMarks(lane: TimelineLane, axis: Axis, box = LANE_BOX): Map<BoardColumn, number[]> {
  const states = new Map<BoardColumn, number[]>();
  const times = timesOf(lane.states);
  const y = (box.bottom + box.height) / 2;
  for (let i = lowerBound(times, axis.from); i < lane.states.length && times[i]! <= axis.to; i += 1) {
    const column = STATE_COLUMN[lane.states[i]!.state];
    let list = states.get(column);
    if (!list) states.set(column, (list = []));
    list.push(timeToX(times[i]!, axis, axis.width), y);
  }
  return states;
}

/** One SVG path (in px, to a tenth) for diamonds of radius `r` centred on flat [x, y, …] points. */
export function diamondsPath(points: readonly number[], r = 3.5): string {
  const tail = `l${r} ${r}l${-r} ${r}l${-r} ${-r}z`;
  let d = "";
  for (let i = 0; i + 1 < points.length; i += 2) {
    d += "M" + Math.round(points[i]! * 10) / 10 + " " + Math.round((points[i + 1]! - r) * 10) / 10 + tail;
  }
  return d;
}

export type Hit =
  | { type: "event"; event: LaneEvent; t: number }
  | { type: "state"; state: LaneState; t: number }
  | { type: "bucket"; bucket: LaneBucket; from: number; to: number };

function nearest(times: Float64Array, t: number): number {
  const i = lowerBound(times, t);
  if (i === 0) return times.length > 0 ? 0 : -1;
  if (i >= times.length) return times.length - 1;
  return t - times[i - 1]! <= times[i]! - t ? i - 1 : i;
}

/**
 * What lies under pixel (x, y) of the lane: a state diamond (near the bottom) or an event within
 * `tolerance` px, else the bucket at x. Null over nothing.
 */
export function hitLane(
  lane: TimelineLane,
  buckets: Buckets,
  axis: Axis,
  x: number,
  y: number,
  tolerance = 4,
  box = LANE_BOX,
): Hit | null {
  const t = axis.from + (x / axis.width) * (axis.to - axis.from);
  const msPerPx = (axis.to - axis.from) / axis.width;
  const within = (at: number) => Math.abs(at - t) <= tolerance * msPerPx;

  const stateTimes = timesOf(lane.states);
  const s = nearest(stateTimes, t);
  const stateHit = s >= 0 && within(stateTimes[s]!) ? { type: "state" as const, state: lane.states[s]!, t: stateTimes[s]! } : null;
  if (stateHit && y >= box.bottom - 2) return stateHit;

  if (lane.events) {
    const times = timesOf(lane.events);
    const e = nearest(times, t);
    if (e >= 0 && within(times[e]!)) return { type: "event", event: lane.events[e]!, t: times[e]! };
    return stateHit;
  }
  const index = Math.floor((t - buckets.from) / buckets.bucketMs);
  let lo = 0;
  let hi = lane.buckets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lane.buckets[mid]!.index < index) lo = mid + 1;
    else hi = mid;
  }
  const bucket = lane.buckets[lo];
  if (bucket && bucket.index === index) {
    const from = buckets.from + index * buckets.bucketMs;
    return { type: "bucket", bucket, from, to: from + buckets.bucketMs };
  }
  return stateHit;
}

/** The counts of a bucket in words, most first: "12 write · 3 read". */
export function countsText(counts: LaneBucket["counts"]): string {
  return KINDS.filter((k) => (counts[k] ?? 0) > 0)
    .sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0))
    .map((k) => `${counts[k]} ${KIND_LABEL[k]}`)
    .join(" · ");
}

/**
 * Packs intervals into rows (first row where it fits), at most `maxRows`: the rest go on the
 * last row. Returns each item's row, in the items' order.
 */
export function packRows(items: readonly { start: number; end: number }[], maxRows = 3): number[] {
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.start - items[b]!.start);
  const ends: number[] = [];
  const rows = new Array<number>(items.length).fill(0);
  for (const i of order) {
    const { start, end } = items[i]!;
    let row = ends.findIndex((e) => e <= start);
    if (row < 0) row = ends.length < maxRows ? ends.length : maxRows - 1;
    ends[row] = Math.max(ends[row] ?? Number.NEGATIVE_INFINITY, end);
    rows[i] = row;
  }
  return rows;
}

/** The state task `taskId` of the lane was in at `t` (its latest change at or before), or null. */
export function stateAt(lane: TimelineLane, taskId: string, t: number): LaneState | null {
  const times = timesOf(lane.states);
  for (let i = lowerBound(times, t + 1) - 1; i >= 0; i -= 1) {
    if (lane.states[i]!.task_id === taskId) return lane.states[i]!;
  }
  return null;
}

/**
 * A card for a task the replayed board did not show (its row is gone, or it was compacted):
 * what the lane knows of it at `t`.
 */
export function synthesizeCard(lane: TimelineLane, taskId: string, t: number): TaskCard {
  const state = stateAt(lane, taskId, t);
  const at = new Date(t).toISOString();
  return {
    agent_id: lane.agent_id,
    agent_name: lane.name,
    task_id: taskId,
    title: taskId,
    state: state?.state ?? "working",
    column: STATE_COLUMN[state?.state ?? "working"],
    state_since: state?.at ?? at,
    updated_at: at,
    depends_on: [],
    detail: null,
  };
}
