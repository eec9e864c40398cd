// The fleet timeline's axis (no React): the visible time range and its limits (a minute to a
// week), zoom and pan, time ↔ x, the buckets to ask the backend for, tick marks, which lanes to
// fetch, the replay scrubber's steps, and the colours of event kinds, task states and severities.
// (The escalation evidence timeline has its own layout in ./timeline.ts.)

import type { BoardColumn } from "../bindings/BoardColumn";
import type { EventKind } from "../bindings/EventKind";
import type { TaskState } from "../bindings/TaskState";

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The range the backend serves: a minute to a week. */
export const MIN_SPAN = MINUTE;
export const MAX_SPAN = 7 * DAY;
/** At most this many buckets per request, and lanes per request. */
export const MAX_BUCKETS = 2_000;
export const MAX_LANES = 200;

/** A time range in ms since the epoch. */
export interface TimeRange {
  from: number;
  to: number;
}

export const PRESETS: readonly { label: string; span: number }[] = [
  { label: "15 min", span: 15 * MINUTE },
  { label: "1 h", span: HOUR },
  { label: "6 h", span: 6 * HOUR },
  { label: "24 h", span: DAY },
  { label: "7 d", span: 7 * DAY },
];

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A span kept within a minute and a week (junk counts as a minute). */
export function clampSpan(span: number): number {
  return Number.isFinite(span) ? clamp(span, MIN_SPAN, MAX_SPAN) : MIN_SPAN;
}

/** The range of `span` (clamped) ending at `end`, never past `latest` (the clock: no future). */
export function rangeEnding(end: number, span: number, latest = Number.POSITIVE_INFINITY): TimeRange {
  const to = Math.min(end, latest);
  return { from: to - clampSpan(span), to };
}

/**
 * Zooms by `factor` (below 1 zooms in) keeping time `anchor` at the same place on screen; the
 * span stays within a minute and a week and the end never passes `latest`.
 */
export function zoomAt(range: TimeRange, factor: number, anchor: number, latest = Number.POSITIVE_INFINITY): TimeRange {
  const span = range.to - range.from;
  const next = clampSpan(span * factor);
  const a = clamp(anchor, range.from, range.to);
  const share = span > 0 ? (a - range.from) / span : 1;
  const from = a - share * next;
  return rangeEnding(from + next, next, latest);
}

/** Moves the range by `deltaMs` (negative: back in time); the end never passes `latest`. */
export function panBy(range: TimeRange, deltaMs: number, latest = Number.POSITIVE_INFINITY): TimeRange {
  return rangeEnding(range.to + deltaMs, range.to - range.from, latest);
}

/** Where time `t` falls on an axis `width` pixels wide showing `range`. */
export function timeToX(t: number, range: TimeRange, width: number): number {
  return ((t - range.from) / (range.to - range.from)) * width;
}

/** The time at pixel `x` of an axis `width` pixels wide showing `range`. */
export function xToTime(x: number, range: TimeRange, width: number): number {
  return range.from + (x / width) * (range.to - range.from);
}

const NICE_BUCKETS = [
  100, 200, 250, 500, SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE,
  5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY,
];

/** What to ask the backend for: a range aligned on round buckets, so panning keeps buckets still. */
export interface LaneRequest {
  from: number;
  to: number;
  buckets: number;
  bucketMs: number;
}

/**
 * The request covering `range` on an axis `width` px wide: about one bucket per `pxPerBucket`
 * pixels (at most 2000), each a round duration, the range widened to whole buckets (a week at most).
 */
export function laneRequest(range: TimeRange, width: number, pxPerBucket = 3): LaneRequest {
  const span = range.to - range.from;
  const target = clamp(Math.floor(width / pxPerBucket), 10, MAX_BUCKETS);
  let i = NICE_BUCKETS.findIndex((b) => b * target >= span);
  if (i < 0) i = NICE_BUCKETS.length - 1;
  for (;;) {
    const bucketMs = NICE_BUCKETS[i]!;
    const to = Math.ceil(range.to / bucketMs) * bucketMs;
    let from = Math.floor(range.from / bucketMs) * bucketMs;
    if (to - from > MAX_SPAN) from = to - Math.floor(MAX_SPAN / bucketMs) * bucketMs;
    const buckets = Math.round((to - from) / bucketMs);
    if (buckets <= MAX_BUCKETS || i === NICE_BUCKETS.length - 1) return { from, to, buckets, bucketMs };
    i += 1;
  }
}

const TICK_STEPS = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE,
  10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY,
];

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** "Sat 21 Nov" (local). */
export function dayLabel(t: number): string {
  const d = new Date(t);
  return `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]}`;
}

/** "09:14" or, with seconds, "09:14:02" (local). */
export function clockLabel(t: number, seconds = false): string {
  const d = new Date(t);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return seconds ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

/** A moment in words for the banner and tooltips: "09:14:02", or "Sat 21 Nov 09:14:02" when not today. */
export function momentLabel(t: number, today: number): string {
  const same = new Date(t).toDateString() === new Date(today).toDateString();
  return same ? clockLabel(t, true) : `${dayLabel(t)} ${clockLabel(t, true)}`;
}

/** The range in words: "09:00 – 10:00" or "Fri 20 Nov 09:00 – Sat 21 Nov 09:00". */
export function rangeLabel(range: TimeRange): string {
  const sameDay = new Date(range.from).toDateString() === new Date(range.to).toDateString();
  const secs = range.to - range.from < 10 * MINUTE;
  return sameDay
    ? `${dayLabel(range.from)} ${clockLabel(range.from, secs)} – ${clockLabel(range.to, secs)}`
    : `${dayLabel(range.from)} ${clockLabel(range.from, secs)} – ${dayLabel(range.to)} ${clockLabel(range.to, secs)}`;
}

export interface Tick {
  t: number;
  x: number;
  label: string;
  /** A new day starts here: the label is the date. */
  day: boolean;
}

/** The local timezone's offset at `t` in ms (local = UTC + offset). */
function localOffset(t: number): number {
  return -new Date(t).getTimezoneOffset() * MINUTE;
}

/**
 * Ticks at round local times, at least `minGapPx` apart: clock times ("09:15", with seconds
 * below a minute), and the date where a day starts (or on every tick when they are days apart).
 */
export function axisTicks(range: TimeRange, width: number, minGapPx = 84): Tick[] {
  const span = range.to - range.from;
  if (!(span > 0) || !(width > 0)) return [];
  const step = TICK_STEPS.find((s) => (s / span) * width >= minGapPx) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  const offset = localOffset(range.from);
  const ticks: Tick[] = [];
  for (let local = Math.ceil((range.from + offset) / step) * step; local - offset <= range.to; local += step) {
    // Keep local midnights on days across a daylight-saving change.
    const t = local - offset + (offset - localOffset(local - offset));
    const d = new Date(t);
    const day = step >= DAY || (d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0);
    ticks.push({ t, x: timeToX(t, range, width), label: day ? dayLabel(t) : clockLabel(t, step < MINUTE), day });
    if (ticks.length > 500) break;
  }
  return ticks;
}

/**
 * The lanes to ask for: the visible rows `first`..`last` with `overscan` rows each side, widened
 * to whole blocks of `block` rows (scrolling a few rows asks nothing new), at most `max`.
 */
export function lanesToFetch(
  order: readonly number[],
  first: number,
  last: number,
  overscan = 10,
  block = 10,
  max = MAX_LANES,
): number[] {
  if (order.length === 0 || last < first) return [];
  let start = Math.max(0, Math.floor((first - overscan) / block) * block);
  let end = Math.min(order.length, Math.ceil((last + 1 + overscan) / block) * block);
  if (end - start > max) {
    const mid = Math.floor((first + last) / 2);
    start = Math.max(0, Math.min(mid - Math.floor(max / 2), order.length - max));
    end = Math.min(order.length, start + max);
  }
  return order.slice(start, end);
}

/** One step of the scrubber (`,` / `.`): a bucket, at least a second, at most a 100th of the range. */
export function scrubStep(range: TimeRange, bucketMs: number): number {
  const span = range.to - range.from;
  return Math.max(SECOND, Math.min(bucketMs > 0 ? bucketMs : span / 100, span / 100));
}

/** The scrubber's time moved by `steps` steps, kept inside the range, on a whole second. */
export function stepCursor(at: number, steps: number, step: number, range: TimeRange): number {
  return snapSecond(clamp(at + steps * step, range.from, range.to));
}

/** A time on a whole second (replay frames are asked per second). */
export function snapSecond(t: number): number {
  return Math.round(t / SECOND) * SECOND;
}

/** The first index of sorted `times` at or after `t` (times.length when none). */
export function lowerBound(times: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The event kinds, in the legend's order (and the stacking order of a bucket, bottom up). */
export const KINDS: readonly EventKind[] = [
  "state",
  "write",
  "read",
  "trigger",
  "handoff",
  "needs_approval",
  "claim",
  "api_call",
];

/** One colour per event kind: the board's `.kind--*` text colours. */
export const KIND_COLOR: Record<EventKind, string> = {
  state: "#9fc2ff",
  write: "#f3a07d",
  read: "#a9b3c2",
  trigger: "#e6a2c9",
  handoff: "#8fd9b0",
  needs_approval: "#f0cf8f",
  claim: "#8fd0d9",
  api_call: "#c4a8f0",
};

export const KIND_LABEL: Record<EventKind, string> = {
  state: "state",
  write: "write",
  read: "read",
  trigger: "trigger",
  handoff: "handoff",
  needs_approval: "needs approval",
  claim: "claim",
  api_call: "API call",
};

/** The board column a task in this state sits in (as the backend files it). */
export const STATE_COLUMN: Record<TaskState, BoardColumn> = {
  submitted: "queued",
  working: "working",
  input_required: "needs_human",
  auth_required: "needs_human",
  blocked: "blocked",
  completed: "done",
  failed: "failed",
  canceled: "failed",
  rejected: "failed",
};
