// The span the fleet timeline opens on: from the fleet's first event to now (at most an hour,
// at least five minutes), until the person picks a span; their choice is then kept for the rest
// of the session (across view switches), not fitted again.

import type { FleetTimeline } from "../bindings/FleetTimeline";
import { HOUR, MINUTE } from "./fleetTimeline";
import { parseTime } from "./time";

/** The timeline never opens on less than this (a fleet started a few seconds ago). */
export const MIN_OPENING_SPAN = 5 * MINUTE;
/** …nor on more than this (an older fleet opens on its last hour). */
export const MAX_OPENING_SPAN = HOUR;

/** The earliest moment something happened in an answer (ms), or null when its lanes are empty. */
export function firstActivity(timeline: FleetTimeline): number | null {
  const from = parseTime(timeline.from);
  let first = Number.POSITIVE_INFINITY;
  const take = (t: number) => {
    if (Number.isFinite(t) && t < first) first = t;
  };
  for (const lane of timeline.lanes) {
    const bucket = lane.buckets[0];
    if (bucket && bucket.total > 0) take(from + bucket.index * timeline.bucket_ms);
    const event = lane.events?.[0];
    if (event) take(parseTime(event.at));
    const state = lane.states[0];
    if (state) take(parseTime(state.at));
  }
  return Number.isFinite(first) ? first : null;
}

/**
 * The span to open on, given the first activity the opening answer shows (`null`: none yet) and
 * the clock: that activity to now with a tenth more room on the left, rounded up to a whole
 * minute, between five minutes and an hour. Nothing seen yet: an hour.
 */
export function openingSpan(first: number | null, now: number): number {
  if (first === null || !Number.isFinite(first) || !Number.isFinite(now)) return MAX_OPENING_SPAN;
  const age = Math.max(0, now - first);
  const span = Math.ceil((age * 1.1) / MINUTE) * MINUTE;
  return Math.min(MAX_OPENING_SPAN, Math.max(MIN_OPENING_SPAN, span));
}

// The person's choice, for the life of the page (the app's session): the UI keeps no view
// choices across restarts.
let chosen: number | null = null;

/** The span the person last picked in this session, if any. */
export function chosenSpan(): number | null {
  return chosen;
}

/** Keeps the span the person picked (a preset or a zoom). */
export function rememberSpan(span: number): void {
  if (Number.isFinite(span) && span > 0) chosen = span;
}

/** Forgets the choice (tests). */
export function forgetSpan(): void {
  chosen = null;
}
