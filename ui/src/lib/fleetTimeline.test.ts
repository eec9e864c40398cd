import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { describe, expect, it } from "vitest";

import type { EventKind } from "../bindings/EventKind";
import { T0 } from "../test/fixtures";
import {
  axisTicks,
  clampSpan,
  DAY,
  HOUR,
  KIND_COLOR,
  KINDS,
  laneRequest,
  lanesToFetch,
  lowerBound,
  MAX_BUCKETS,
  MAX_SPAN,
  MIN_SPAN,
  MINUTE,
  panBy,
  rangeEnding,
  rangeLabel,
  scrubStep,
  SECOND,
  snapSecond,
  stepCursor,
  timeToX,
  xToTime,
  zoomAt,
} from "./fleetTimeline";

const range = (span: number, end = T0) => ({ from: end - span, to: end });

describe("time window", () => {
  it("keeps the span between a minute and a week", () => {
    expect(clampSpan(10 * SECOND)).toBe(MIN_SPAN);
    expect(clampSpan(30 * DAY)).toBe(MAX_SPAN);
    expect(clampSpan(Number.NaN)).toBe(MIN_SPAN);
    expect(clampSpan(HOUR)).toBe(HOUR);
    expect(rangeEnding(T0, HOUR)).toEqual({ from: T0 - HOUR, to: T0 });
    expect(rangeEnding(T0 + HOUR, HOUR, T0)).toEqual({ from: T0 - HOUR, to: T0 });
  });

  it("zooms around the anchor, which stays at the same place on screen", () => {
    const r = range(HOUR);
    const anchor = r.from + 0.25 * HOUR;
    const z = zoomAt(r, 0.5, anchor);
    expect(z.to - z.from).toBe(HOUR / 2);
    expect((anchor - z.from) / (z.to - z.from)).toBeCloseTo(0.25);
    // Zooming on the end keeps the end.
    expect(zoomAt(r, 2, r.to).to).toBe(r.to);
  });

  it("never zooms past a minute or a week, nor past the clock", () => {
    const tight = zoomAt(range(2 * MINUTE), 0.1, T0 - MINUTE);
    expect(tight.to - tight.from).toBe(MIN_SPAN);
    const wide = zoomAt(range(5 * DAY), 10, T0 - DAY, T0);
    expect(wide.to - wide.from).toBe(MAX_SPAN);
    expect(wide.to).toBeLessThanOrEqual(T0);
  });

  it("pans, and stops at the clock", () => {
    expect(panBy(range(HOUR), -10 * MINUTE, T0)).toEqual(range(HOUR, T0 - 10 * MINUTE));
    expect(panBy(range(HOUR, T0 - MINUTE), 10 * MINUTE, T0)).toEqual(range(HOUR, T0));
  });

  it("maps time to x and back", () => {
    const r = range(HOUR);
    expect(timeToX(r.from, r, 1000)).toBe(0);
    expect(timeToX(r.to, r, 1000)).toBe(1000);
    expect(timeToX(r.from + HOUR / 4, r, 1000)).toBe(250);
    expect(xToTime(250, r, 1000)).toBe(r.from + HOUR / 4);
    expect(xToTime(timeToX(T0 - 1234567, r, 777), r, 777)).toBeCloseTo(T0 - 1234567, 3);
  });
});

describe("lane request", () => {
  it("asks for round buckets covering the range, at most 2000, at most a week", () => {
    for (const span of [MINUTE, 15 * MINUTE, HOUR, 6 * HOUR, DAY, 7 * DAY]) {
      for (const width of [200, 1200, 6000, 20_000]) {
        const r = range(span, T0 + 12_345);
        const q = laneRequest(r, width);
        expect(q.buckets).toBeLessThanOrEqual(MAX_BUCKETS);
        expect(q.to - q.from).toBe(q.buckets * q.bucketMs);
        expect(q.to - q.from).toBeLessThanOrEqual(MAX_SPAN);
        expect(q.from % q.bucketMs).toBe(0);
        expect(q.to).toBeGreaterThanOrEqual(r.to);
        if (span < MAX_SPAN) expect(q.from).toBeLessThanOrEqual(r.from);
      }
    }
    expect(laneRequest(range(HOUR), 1200)).toMatchObject({ bucketMs: 10 * SECOND });
  });

  it("stays the same while the range moves inside one bucket (no new request)", () => {
    const a = laneRequest(range(HOUR, T0 + 1_000), 1200);
    const b = laneRequest(range(HOUR, T0 + 4_000), 1200);
    expect(b).toEqual(a);
  });
});

describe("axis ticks", () => {
  it("puts clock times at round local times, far enough apart", () => {
    const r = range(HOUR, T0 + 7 * MINUTE);
    const ticks = axisTicks(r, 1000);
    expect(ticks.length).toBeGreaterThan(3);
    for (let i = 1; i < ticks.length; i += 1) expect(ticks[i]!.x - ticks[i - 1]!.x).toBeGreaterThanOrEqual(84);
    for (const t of ticks) {
      const d = new Date(t.t);
      expect(t.label).toBe(`${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`);
      expect(d.getMinutes() % 5).toBe(0);
      expect(d.getSeconds()).toBe(0);
    }
  });

  it("shows seconds when zoomed in to a minute", () => {
    const ticks = axisTicks(range(MINUTE), 1000);
    expect(ticks.length).toBeGreaterThan(3);
    expect(ticks.every((t) => /^\d\d:\d\d:\d\d$/.test(t.label))).toBe(true);
  });

  it("shows dates where days start, and days across a week", () => {
    const day = axisTicks(range(DAY, T0 + 7 * HOUR), 1200);
    const midnights = day.filter((t) => t.day);
    expect(midnights).toHaveLength(1);
    expect(midnights[0]!.label).toMatch(/^[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}$/);
    expect(new Date(midnights[0]!.t).getHours()).toBe(0);

    const week = axisTicks(range(7 * DAY), 900);
    expect(week.length).toBeGreaterThanOrEqual(3);
    expect(week.every((t) => t.day)).toBe(true);
    expect(rangeLabel(range(7 * DAY))).toMatch(/ – /);
  });
});

describe("lanes to fetch", () => {
  const order = Array.from({ length: 1000 }, (_, i) => i + 1);

  it("asks for the visible rows with some overscan, in blocks", () => {
    const ids = lanesToFetch(order, 100, 129);
    expect(ids[0]).toBe(91);
    expect(ids[ids.length - 1]).toBe(140);
    // Scrolling a row asks nothing new.
    expect(lanesToFetch(order, 102, 128)).toEqual(ids);
    expect(lanesToFetch(order, 0, 20)[0]).toBe(1);
    expect(lanesToFetch(order, 990, 999).at(-1)).toBe(1000);
    expect(lanesToFetch([], 0, 10)).toEqual([]);
  });

  it("never more than 200 lanes, centred on the visible ones", () => {
    const ids = lanesToFetch(order, 300, 700);
    expect(ids).toHaveLength(200);
    expect(ids).toContain(501);
  });
});

describe("scrubber", () => {
  it("steps a bucket at a time, at least a second, kept inside the range on whole seconds", () => {
    const r = range(HOUR);
    expect(scrubStep(r, 10 * SECOND)).toBe(10 * SECOND);
    expect(scrubStep(r, 100)).toBe(SECOND);
    expect(scrubStep(r, HOUR)).toBe(HOUR / 100);
    expect(stepCursor(r.to, -3, 10 * SECOND, r)).toBe(r.to - 30 * SECOND);
    expect(stepCursor(r.to, 5, 10 * SECOND, r)).toBe(r.to);
    expect(stepCursor(r.from + 10, -1, 10 * SECOND, r)).toBe(snapSecond(r.from));
    expect(snapSecond(T0 + 1_499)).toBe(T0 + 1_000);
  });

  it("finds positions in sorted times", () => {
    const times = Float64Array.from([10, 20, 20, 30]);
    expect(lowerBound(times, 5)).toBe(0);
    expect(lowerBound(times, 20)).toBe(1);
    expect(lowerBound(times, 25)).toBe(3);
    expect(lowerBound(times, 99)).toBe(4);
  });
});

describe("colours", () => {
  it("uses the board's kind colours, one per kind", () => {
    const css = readFileSync(resolve(__dirname, "../styles/board.css"), "utf8");
    for (const kind of KINDS) {
      const m = new RegExp(`\\.kind--${kind} \\{ color: (#[0-9a-f]{6})`).exec(css);
      expect(m?.[1], kind).toBe(KIND_COLOR[kind as EventKind]);
    }
    expect(new Set(Object.values(KIND_COLOR)).size).toBe(KINDS.length);
  });
});
