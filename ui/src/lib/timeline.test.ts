// @vitest-environment node
import { describe, expect, it } from "vitest";

import { T0 } from "../test/fixtures";
import { timeline, timelineEvent } from "../test/escalations";
import { axisX, eventsInTimeOrder, layoutTimeline } from "./timeline";

describe("timeline layout", () => {
  const t = T0;
  const tl = timeline(7, [2, 1], [
    timelineEvent(1, 10, t, "state → working"),
    timelineEvent(2, 20, t + 30_000, "write file:///a", true),
    timelineEvent(1, 11, t + 60_000, "write file:///a", true),
    timelineEvent(3, 30, t + 120_000, "read file:///a"),
  ]);

  it("puts one lane per agent (the timeline's order, then others) on one time axis", () => {
    const layout = layoutTimeline(tl);
    expect(layout.lanes.map((l) => l.agentId)).toEqual([2, 1, 3]);
    expect(layout.start).toBe(t);
    expect(layout.end).toBe(t + 120_000);
    const x = (agent: number, seq: number) => layout.lanes.find((l) => l.agentId === agent)!.events.find((e) => e.event.seq === seq)!.x;
    expect(x(1, 10)).toBeCloseTo(0.03);
    expect(x(3, 30)).toBeCloseTo(0.97);
    expect(x(2, 20)).toBeCloseTo(0.03 + 0.94 / 4);
    expect(x(1, 11)).toBeCloseTo(0.5);
    expect(layout.lanes[1]!.events.map((e) => e.event.evidence)).toEqual([false, true]);
  });

  it("ticks at round times, at most the number asked for", () => {
    const layout = layoutTimeline(tl, 6);
    expect(layout.ticks.length).toBeGreaterThan(1);
    expect(layout.ticks.length).toBeLessThanOrEqual(7);
    expect(layout.ticks.every((tick) => /^\d\d:\d\d(:\d\d)?$/.test(tick.label))).toBe(true);
    expect(layout.ticks.every((tick) => tick.x >= 0 && tick.x <= 1)).toBe(true);
  });

  it("stacks events at nearly the same time, and widens a single instant", () => {
    const crowded = layoutTimeline(
      timeline(1, [1], [
        timelineEvent(1, 1, t, "a"),
        timelineEvent(1, 2, t + 100, "b"),
        timelineEvent(1, 3, t + 200, "c"),
        timelineEvent(1, 4, t + 60_000, "d"),
      ]),
    );
    expect(crowded.lanes[0]!.events.map((e) => e.level)).toEqual([0, 1, 2, 0]);

    const single = layoutTimeline(timeline(1, [1], [timelineEvent(1, 1, t, "a", true)]));
    expect(single.end - single.start).toBe(10_000);
    expect(single.lanes[0]!.events[0]!.x).toBeCloseTo(0.5);
  });

  it("orders events in time across lanes and maps times onto the axis", () => {
    const layout = layoutTimeline(tl);
    expect(eventsInTimeOrder(layout).map((p) => p.event.seq)).toEqual([10, 20, 11, 30]);
    expect(axisX(layout, t + 60_000)).toBeCloseTo(0.5);
    expect(axisX(layout, t - 1)).toBeNull();
  });

  it("an empty timeline keeps its lanes and has no events", () => {
    const layout = layoutTimeline(timeline(1, [1, 2], []));
    expect(layout.lanes.map((l) => [l.agentId, l.events.length])).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });
});
