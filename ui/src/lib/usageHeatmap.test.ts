// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { UsageHeatmap } from "../bindings/UsageHeatmap";
import {
  activeThreshold,
  heatmapMax,
  intensity,
  overlapCounts,
  overlapRanges,
  overlapSummary,
  prepareHeatmap,
  slotLabel,
  slotOf,
  slotRange,
} from "./usageHeatmap";

/** A heat map where each agent uses `level` per minute in the slots [from, to). */
function heatmap(agents: { id: number; from: number; to: number; level: number }[]): UsageHeatmap {
  return {
    api: "openai",
    key: null,
    metric: "requests",
    slot_minutes: 15,
    days: 7,
    agents: agents.map((a) => ({
      agent_id: a.id,
      per_slot: Array.from({ length: 96 }, (_, s) => (s >= a.from && s < a.to ? a.level : 0)),
    })),
  };
}

describe("slots", () => {
  it("labels quarter hours (UTC)", () => {
    expect(slotLabel(0, 15)).toBe("00:00");
    expect(slotLabel(37, 15)).toBe("09:15");
    expect(slotRange(36, 37, 15)).toBe("09:00–09:15");
    expect(slotRange(92, 96, 15)).toBe("23:00–24:00");
    expect(slotOf(Date.UTC(2026, 10, 21, 9, 20), 15)).toBe(37);
  });
});

describe("intensity", () => {
  it("is proportional to use, from 0 to 1", () => {
    expect(intensity(50, 200)).toBe(0.25);
    expect(intensity(200, 200)).toBe(1);
    expect(intensity(300, 200)).toBe(1);
    expect(intensity(0, 200)).toBe(0);
    expect(intensity(5, 0)).toBe(0);
    expect(intensity(NaN, 10)).toBe(0);
  });

  it("scales every row to the heat map's highest cell", () => {
    const h = heatmap([
      { id: 1, from: 0, to: 4, level: 200 },
      { id: 2, from: 2, to: 6, level: 50 },
    ]);
    expect(heatmapMax(h)).toBe(200);
    const p = prepareHeatmap(h);
    expect(p.rows[0]!.cells.slice(0, 5)).toEqual([1, 1, 1, 1, 0]);
    expect(p.rows[1]!.cells.slice(0, 7)).toEqual([0, 0, 0.25, 0.25, 0.25, 0.25, 0]);
    expect(p.slots).toBe(96);
    expect(p.labels.map((l) => l.text)).toEqual(["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]);
  });
});

describe("overlap", () => {
  it("counts the agents active in each slot, above a small threshold", () => {
    const h = heatmap([
      { id: 1, from: 24, to: 44, level: 300 }, // 06:00–11:00
      { id: 2, from: 36, to: 56, level: 180 }, // 09:00–14:00
      { id: 3, from: 40, to: 42, level: 10 }, // under 5% of 300: not active
    ]);
    const threshold = activeThreshold(heatmapMax(h));
    expect(threshold).toBe(15);
    const counts = overlapCounts(h, threshold);
    expect(counts[23]).toBe(0);
    expect(counts[24]).toBe(1);
    expect(counts[36]).toBe(2);
    expect(counts[41]).toBe(2);
    expect(counts[44]).toBe(1);
    expect(counts).toHaveLength(96);
  });

  it("finds the runs where two or more collide, and says so", () => {
    const counts = new Array<number>(96).fill(0);
    [36, 37, 38, 39, 40, 41, 42, 43].forEach((s) => (counts[s] = 2));
    counts[40] = 3;
    [52, 53, 54, 55].forEach((s) => (counts[s] = 2));
    counts[60] = 1;
    const ranges = overlapRanges(counts);
    expect(ranges).toEqual([
      { from: 36, to: 44, max: 3 },
      { from: 52, to: 56, max: 2 },
    ]);
    expect(overlapSummary(ranges, 15)).toBe("Agents overlap 09:00–11:00 and 13:00–14:00 UTC (up to 3 at once).");
    expect(overlapSummary([], 15)).toBe("The agents do not usually use this API at the same time of day.");
    expect(overlapRanges([2, 2, 0, 2])).toEqual([
      { from: 0, to: 2, max: 2 },
      { from: 3, to: 4, max: 2 },
    ]);
  });

  it("has no active agent in an empty heat map", () => {
    const p = prepareHeatmap(heatmap([{ id: 1, from: 0, to: 0, level: 0 }]));
    expect(p.max).toBe(0);
    expect(p.overlap.every((c) => c === 0)).toBe(true);
    expect(p.ranges).toEqual([]);
  });
});
