// `npm run bench`: the fleet timeline's work with 100,000 events over 7 days across 1,000 agents.
// Building the lanes' marks (once per answer) is bounded by the buckets on screen (2000 × the
// visible lanes), not by the events stored; a pan, zoom or scrubber frame only moves transforms.
// Nothing here asserts a time.
import { bench, describe } from "vitest";

import type { EventKind } from "../bindings/EventKind";
import type { LaneBucket } from "../bindings/LaneBucket";
import type { LaneEvent } from "../bindings/LaneEvent";
import type { TimelineLane } from "../bindings/TimelineLane";
import {
  axisTicks,
  DAY,
  KINDS,
  laneRequest,
  lanesToFetch,
  panBy,
  snapSecond,
  timeToX,
  xToTime,
  zoomAt,
} from "./fleetTimeline";
import {
  diamondsPath,
  hitLane,
  laneMarks,
  marksTransform,
  maxBucket,
  stateMarks,
  type Axis,
  type Buckets,
} from "./fleetTimelineMarks";

const AGENTS = 1_000;
const EVENTS = 100_000;
const VISIBLE = 30;
const END = Date.parse("2026-11-21T12:00:00Z");
const WIDTH = 6_000; // 2000 buckets of 3 px

let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

const view = { from: END - 7 * DAY, to: END };
/** The most the backend cuts a range into: 2000 buckets (of 5 min 2.4 s over a week). */
const BUCKETS = 2_000;
const buckets: Buckets = { from: view.from, bucketMs: (7 * DAY) / BUCKETS };
const axis: Axis = { ...view, width: WIDTH };

/** A lane as the backend answers it: its events counted per bucket (and listed when ≤ 400). */
function laneOf(id: number, times: number[]): TimelineLane {
  times.sort((a, b) => a - b);
  const byIndex = new Map<number, LaneBucket>();
  const events: LaneEvent[] = [];
  times.forEach((t, i) => {
    const kind = KINDS[Math.floor(random() * KINDS.length)] as EventKind;
    const index = Math.floor((t - buckets.from) / buckets.bucketMs);
    let b = byIndex.get(index);
    if (!b) byIndex.set(index, (b = { index, total: 0, counts: {} }));
    b.total += 1;
    b.counts[kind] = (b.counts[kind] ?? 0) + 1;
    events.push({ seq: i + 1, at: new Date(t).toISOString(), kind, task_id: `t-${i % 50}`, resource: null });
  });
  return {
    agent_id: id,
    name: `agent-${id}`,
    total: times.length,
    buckets: [...byIndex.values()].sort((a, b) => a.index - b.index),
    events: times.length <= 400 ? events : null,
    states: events.filter((_, i) => i % 10 === 0).map((e) => ({ at: e.at, task_id: e.task_id!, state: "working" as const })),
  };
}

/** Spread evenly: 100 events per agent, each lane lists its events. */
const spread: TimelineLane[] = [];
{
  const times: number[][] = Array.from({ length: AGENTS }, () => []);
  for (let i = 0; i < EVENTS; i += 1) times[i % AGENTS]!.push(view.from + random() * 7 * DAY);
  for (let id = 0; id < VISIBLE; id += 1) spread.push(laneOf(id + 1, times[id]!));
}

/** Worst case: all 100,000 events on the 30 lanes on screen (3,333 each, drawn as buckets). */
const crowded: TimelineLane[] = [];
{
  const times: number[][] = Array.from({ length: VISIBLE }, () => []);
  for (let i = 0; i < EVENTS; i += 1) times[i % VISIBLE]!.push(view.from + random() * 7 * DAY);
  for (let id = 0; id < VISIBLE; id += 1) crowded.push(laneOf(id + 1, times[id]!));
}
const crowdedMax = maxBucket(crowded);
const order = Array.from({ length: AGENTS }, (_, i) => i + 1);

/** Builds the visible lanes' marks: what an answer from the backend costs to draw. */
function build(lanes: readonly TimelineLane[], max: number): number {
  let chars = 0;
  for (const lane of lanes) for (const d of laneMarks(lane, buckets, max).kinds.values()) chars += d.length;
  return chars;
}

const crowdedMarks = crowded.map((lane) => laneMarks(lane, buckets, crowdedMax));

/** One frame after the axis moved: the ticks, each lane's transform and its state diamonds. */
function frame(on: Axis): number {
  let chars = axisTicks(on, on.width).length;
  crowded.forEach((lane, i) => {
    chars += marksTransform(buckets, on, crowdedMarks[i]!.mode).transform.length;
    for (const points of stateMarks(lane, on).values()) chars += diamondsPath(points).length;
  });
  return chars;
}

describe(`fleet timeline, ${EVENTS.toLocaleString()} events over 7 days, ${AGENTS.toLocaleString()} agents`, () => {
  bench(`build the marks of ${VISIBLE} lanes × ${BUCKETS} buckets (all the events on screen, bucketed)`, () => {
    build(crowded, crowdedMax);
  });

  bench(`build the marks of ${VISIBLE} lanes listing their events (100 each)`, () => {
    build(spread, 0);
  });

  let shift = 0;
  bench(`one pan frame: move the range, ticks, place ${VISIBLE} lanes (333 state changes each)`, () => {
    shift = (shift + 1) % 100;
    frame({ ...panBy(view, -shift * 60_000, END), width: WIDTH });
  });

  let zoom = 0;
  bench(`one zoom frame: zoom at a point, the next request, place ${VISIBLE} lanes`, () => {
    zoom = (zoom + 1) % 20;
    const on = zoomAt(view, 1 - zoom / 40, view.from + 3 * DAY, END);
    laneRequest(on, WIDTH);
    frame({ ...on, width: WIDTH });
  });

  let x = 0;
  bench("one scrubber move: x → time, snap, cursor x, and what each visible lane holds there", () => {
    x = (x + 37) % WIDTH;
    const t = snapSecond(xToTime(x, axis, WIDTH));
    timeToX(t, axis, WIDTH);
    for (const lane of crowded) hitLane(lane, buckets, axis, x, 10);
  });

  let row = 0;
  bench("one scroll step: the lanes to fetch among 1,000", () => {
    row = (row + 7) % (AGENTS - VISIBLE);
    lanesToFetch(order, row, row + VISIBLE);
  });
});
