// @vitest-environment node
import { afterEach, describe, expect, it } from "vitest";

import type { FleetTimeline } from "../bindings/FleetTimeline";
import type { TimelineLane } from "../bindings/TimelineLane";
import { HOUR, MINUTE, SECOND } from "./fleetTimeline";
import {
  chosenSpan,
  firstActivity,
  forgetSpan,
  MAX_OPENING_SPAN,
  MIN_OPENING_SPAN,
  openingSpan,
  rememberSpan,
} from "./timelineOpening";

const NOW = Date.parse("2026-11-25T10:00:00Z");
const iso = (t: number) => new Date(t).toISOString();

function answer(lanes: TimelineLane[], from = NOW - HOUR, bucketMs = 15 * SECOND): FleetTimeline {
  return {
    from: iso(from),
    to: iso(NOW),
    bucket_ms: bucketMs,
    buckets: Math.round((NOW - from) / bucketMs),
    lanes,
    escalations: [],
    decisions: [],
    compacted_before: null,
  };
}

const lane = (extra: Partial<TimelineLane>): TimelineLane => ({
  agent_id: 1,
  name: "Writer",
  total: 0,
  buckets: [],
  events: [],
  states: [],
  ...extra,
});

describe("openingSpan", () => {
  it("opens on the fleet's age with a tenth more room, rounded up to a minute", () => {
    expect(openingSpan(NOW - 20 * MINUTE, NOW)).toBe(22 * MINUTE);
    expect(openingSpan(NOW - 30 * MINUTE - 10 * SECOND, NOW)).toBe(34 * MINUTE);
  });

  it("never opens on less than five minutes (a fleet started a minute ago)", () => {
    expect(openingSpan(NOW - MINUTE, NOW)).toBe(MIN_OPENING_SPAN);
    expect(openingSpan(NOW, NOW)).toBe(MIN_OPENING_SPAN);
    // An event stamped a little in the future (another machine's clock) is "just now".
    expect(openingSpan(NOW + 30 * SECOND, NOW)).toBe(MIN_OPENING_SPAN);
  });

  it("never opens on more than an hour (an older fleet)", () => {
    expect(openingSpan(NOW - 58 * MINUTE, NOW)).toBe(MAX_OPENING_SPAN);
    expect(openingSpan(NOW - 3 * 24 * HOUR, NOW)).toBe(MAX_OPENING_SPAN);
  });

  it("opens on an hour when nothing happened yet or the times are junk", () => {
    expect(openingSpan(null, NOW)).toBe(HOUR);
    expect(openingSpan(Number.NaN, NOW)).toBe(HOUR);
    expect(openingSpan(NOW - MINUTE, Number.NaN)).toBe(HOUR);
  });
});

describe("firstActivity", () => {
  it("is null when no lane holds anything", () => {
    expect(firstActivity(answer([]))).toBeNull();
    expect(firstActivity(answer([lane({}), lane({ agent_id: 2, events: null })]))).toBeNull();
  });

  it("takes the earliest of every lane's first event, bucket and state change", () => {
    const events = lane({
      total: 1,
      events: [{ seq: 1, at: iso(NOW - 4 * MINUTE), kind: "write", task_id: "t-1", resource: "crm://a" }],
    });
    const buckets = lane({
      agent_id: 2,
      total: 40,
      events: null,
      buckets: [
        { index: 200, total: 30, counts: { write: 30 } },
        { index: 230, total: 10, counts: { read: 10 } },
      ],
    });
    const states = lane({ agent_id: 3, states: [{ at: iso(NOW - 12 * MINUTE), task_id: "t-9", state: "working" }] });
    expect(firstActivity(answer([events]))).toBe(NOW - 4 * MINUTE);
    // Bucket 200 of 15 s from an hour ago: 50 minutes in.
    expect(firstActivity(answer([events, buckets]))).toBe(NOW - 10 * MINUTE);
    expect(firstActivity(answer([events, buckets, states]))).toBe(NOW - 12 * MINUTE);
  });

  it("ignores unreadable times", () => {
    const junk = lane({ events: [{ seq: 1, at: "yesterday", kind: "write", task_id: null, resource: null }] });
    expect(firstActivity(answer([junk]))).toBeNull();
  });
});

describe("the person's choice", () => {
  afterEach(forgetSpan);

  it("is kept once made, and only a real span is kept", () => {
    expect(chosenSpan()).toBeNull();
    rememberSpan(6 * HOUR);
    expect(chosenSpan()).toBe(6 * HOUR);
    rememberSpan(Number.NaN);
    rememberSpan(0);
    expect(chosenSpan()).toBe(6 * HOUR);
    forgetSpan();
    expect(chosenSpan()).toBeNull();
  });
});
