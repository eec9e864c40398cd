// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { LaneEvent } from "../bindings/LaneEvent";
import type { TimelineLane } from "../bindings/TimelineLane";
import { at, T0 } from "../test/fixtures";
import { HOUR, MINUTE, SECOND } from "./fleetTimeline";
import {
  barHeight,
  bucketSpan,
  countsText,
  diamondsPath,
  hitLane,
  LANE_BOX,
  laneMarks,
  marksTransform,
  maxBucket,
  packRows,
  stateAt,
  stateMarks,
  synthesizeCard,
} from "./fleetTimelineMarks";

// An hour on 1200 px: 3 s a pixel; buckets of a minute (20 px).
const axis = { from: T0, to: T0 + HOUR, width: 1200 };
const buckets = { from: T0, bucketMs: MINUTE };

function event(seq: number, offsetMs: number, kind: LaneEvent["kind"], taskId: string | null = "t1"): LaneEvent {
  return { seq, at: at(offsetMs), kind, task_id: taskId, resource: null };
}

function lane(extra: Partial<TimelineLane> = {}): TimelineLane {
  return { agent_id: 7, name: "Writer", total: 0, buckets: [], events: null, states: [], ...extra };
}

const listed = lane({
  total: 3,
  events: [event(1, 60 * SECOND, "write"), event(2, 90 * SECOND, "read", null), event(3, 30 * MINUTE, "write")],
  states: [
    { at: at(30 * SECOND), task_id: "t1", state: "working" },
    { at: at(20 * MINUTE), task_id: "t1", state: "completed" },
  ],
});

const bucketed = lane({
  total: 60,
  buckets: [
    { index: 2, total: 40, counts: { write: 30, read: 10 } },
    { index: 10, total: 20, counts: { api_call: 20 } },
  ],
});

describe("lane marks", () => {
  it("draws each listed event as a tick in its kind's colour, in the answer's units", () => {
    const marks = laneMarks(listed, buckets, 0);
    expect(marks.mode).toBe("events");
    expect(marks.bars).toBe(3);
    // x in tenths of a bucket (a minute): 60 s → 10, 30 min → 300; y in tenths of a px.
    expect(marks.kinds.get("write")).toBe("M10 50v170M300 50v170");
    expect(marks.kinds.get("read")).toBe("M15 50v170");
    expect([...marks.kinds.keys()]).toEqual(["write", "read"]);
  });

  it("places the marks on the axis with a transform (panning rebuilds no path)", () => {
    // 20 px a bucket: tenth-of-a-bucket units are 2 px.
    expect(marksTransform(buckets, axis, "events")).toEqual({ transform: "translate(0 0) scale(2 0.1)", barWidth: 1.5 });
    const later = { ...axis, from: T0 + 10 * MINUTE, to: T0 + 70 * MINUTE };
    expect(marksTransform(buckets, later, "buckets")).toEqual({ transform: "translate(-200 0) scale(2 0.1)", barWidth: 19 });
    // Zoomed out tenfold before the next answer: bars 2 px apart, 2 px wide.
    const wide = { ...axis, to: T0 + 10 * HOUR };
    expect(marksTransform(buckets, wide, "buckets").barWidth).toBe(2);
  });

  it("draws state changes as diamonds on the axis, skipping those off it", () => {
    const y = (LANE_BOX.bottom + LANE_BOX.height) / 2;
    const states = stateMarks(listed, axis);
    expect(states.get("working")).toEqual([10, y]);
    expect(states.get("done")?.[0]).toBeCloseTo(400);
    expect(stateMarks(listed, { ...axis, from: T0 + 10 * MINUTE }).has("working")).toBe(false);
  });

  it("draws buckets as bars stacked by kind, taller for more events", () => {
    const max = maxBucket([bucketed]);
    expect(max).toBe(40);
    const marks = laneMarks(bucketed, buckets, max);
    expect(marks.mode).toBe("buckets");
    expect(marks.bars).toBe(3);
    // The fullest bucket fills the band (170 tenths): write (3/4) at the bottom, read (1/4) on top.
    expect(marks.kinds.get("write")).toBe("M25 92v128");
    expect(marks.kinds.get("read")).toBe("M25 49v43");
    const h = Math.round((Math.log1p(20) / Math.log1p(40)) * 170);
    expect(marks.kinds.get("api_call")).toBe(`M105 ${220 - h}v${h}`);
    expect(h).toBeLessThan(170);
  });

  it("bar heights grow with the log of the count, at least 2 px", () => {
    expect(barHeight(0, 10, 20)).toBe(0);
    expect(barHeight(1, 10_000, 20)).toBe(2);
    expect(barHeight(10_000, 10_000, 20)).toBe(20);
    expect(barHeight(100, 10_000, 20)).toBeCloseTo(10, 0);
    expect(barHeight(20, 10, 20)).toBe(20);
  });

  it("bucket geometry follows the axis (no gap below 3 px)", () => {
    expect(bucketSpan(0, buckets, axis)).toEqual({ x: 0, w: 19 });
    expect(bucketSpan(3, buckets, { ...axis, width: 120 })).toEqual({ x: 6, w: 2 });
    expect(bucketSpan(3, { from: T0, bucketMs: SECOND }, axis).w).toBe(1);
  });

  it("joins diamonds into one path", () => {
    expect(diamondsPath([10, 20, 5.55, 20], 3)).toBe("M10 17l3 3l-3 3l-3 -3zM5.6 17l3 3l-3 3l-3 -3z");
  });
});

describe("what is under the pointer", () => {
  it("an event within a few pixels", () => {
    expect(hitLane(listed, buckets, axis, 21, 10)).toMatchObject({ type: "event", event: { seq: 1 } });
    expect(hitLane(listed, buckets, axis, 31, 10)).toMatchObject({ type: "event", event: { seq: 2 } });
    expect(hitLane(listed, buckets, axis, 300, 10)).toBeNull();
  });

  it("a state diamond near the bottom of the lane", () => {
    expect(hitLane(listed, buckets, axis, 11, 26)).toMatchObject({ type: "state", state: { state: "working" } });
    // Up in the marks, the event wins.
    expect(hitLane(listed, buckets, axis, 19, 10)).toMatchObject({ type: "event" });
    expect(hitLane(listed, buckets, axis, 401, 10)).toMatchObject({ type: "state", state: { state: "completed" } });
  });

  it("the bucket under the pointer, with its counts", () => {
    const hit = hitLane(bucketed, buckets, axis, 45, 10);
    expect(hit).toMatchObject({ type: "bucket", bucket: { index: 2 }, from: T0 + 2 * MINUTE, to: T0 + 3 * MINUTE });
    expect(hitLane(bucketed, buckets, axis, 65, 10)).toBeNull();
    expect(countsText({ read: 10, write: 30 })).toBe("30 write · 10 read");
    expect(countsText({ needs_approval: 1 })).toBe("1 needs approval");
  });
});

describe("tasks from the lane", () => {
  it("knows a task's state at a moment, and makes a card for it", () => {
    expect(stateAt(listed, "t1", T0)).toBeNull();
    expect(stateAt(listed, "t1", T0 + 30 * SECOND)?.state).toBe("working");
    expect(stateAt(listed, "t1", T0 + HOUR)?.state).toBe("completed");
    const card = synthesizeCard(listed, "t1", T0 + MINUTE);
    expect(card).toMatchObject({ agent_id: 7, agent_name: "Writer", task_id: "t1", state: "working", column: "working" });
    expect(card.state_since).toBe(at(30 * SECOND));
    expect(synthesizeCard(listed, "t9", T0).column).toBe("working");
  });
});

describe("escalation rows", () => {
  it("packs overlapping spans into rows, the rest on the last one", () => {
    const rows = packRows(
      [
        { start: 0, end: 10 },
        { start: 5, end: 20 },
        { start: 12, end: 30 },
        { start: 6, end: 8 },
        { start: 7, end: 9 },
      ],
      3,
    );
    expect(rows).toEqual([0, 1, 0, 2, 2]);
  });
});
