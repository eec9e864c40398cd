// @vitest-environment node
import { describe, expect, it } from "vitest";

import { agentSeries, series, weekSeries } from "../test/rateLimits";
import {
  AGENT_COLORS,
  agentColor,
  chartSummary,
  chartYMax,
  compactNumber,
  limitAttr,
  limitLabel,
  minuteBreakdown,
  minuteText,
  prepareUsageChart,
  rateLimitMarkers,
  stackOrder,
  stackValues,
  timeTick,
} from "./usageChart";
import { stackBands } from "./usageChartPlot";

const arr = (a: ArrayLike<number>) => Array.from(a);

describe("stacking", () => {
  it("adds the layers up, bottom first, padding short rows with zeros", () => {
    const layers = stackValues([[1, 2, 3], [10, 20, 30], [5]], 3);
    expect(layers.map(arr)).toEqual([
      [1, 2, 3],
      [11, 22, 33],
      [16, 22, 33],
    ]);
    expect(stackValues([], 3)).toEqual([]);
    expect(stackValues([[1, 2, 3, 4]], 2).map(arr)).toEqual([[1, 2]]);
  });

  it("stacks the biggest user at the bottom (ties by agent id)", () => {
    const s = series([agentSeries(1, [1, 1]), agentSeries(2, [5, 5]), agentSeries(3, [1, 1])]);
    expect(stackOrder(s)).toEqual([1, 0, 2]);
    const p = prepareUsageChart(s);
    expect(p.agentIds).toEqual([2, 1, 3]);
    expect(p.stacked.map(arr)).toEqual([
      [5, 5],
      [6, 6],
      [7, 7],
    ]);
    expect(arr(p.totals)).toEqual([7, 7]);
  });

  it("puts each minute at start + 60·i and counts the points", () => {
    const p = prepareUsageChart(series([agentSeries(1, [1, 2, 3]), agentSeries(2, [0, 0, 4])], { start: 600 }));
    expect(arr(p.xs)).toEqual([600, 660, 720]);
    expect(p.points).toBe(6);
    expect(p.peak).toEqual({ index: 2, value: 7 });
  });

  it("handles a series with no agents", () => {
    const p = prepareUsageChart(series([], { minutes: 3 }));
    expect(p.points).toBe(0);
    expect(arr(p.totals)).toEqual([0, 0, 0]);
    expect(p.markers).toEqual([]);
    expect(p.yMax).toBeGreaterThan(0);
  });

  it("makes one band per layer above the first", () => {
    expect(stackBands(1)).toEqual([]);
    expect(stackBands(3)).toEqual([{ series: [2, 1] }, { series: [3, 2] }]);
  });
});

describe("limit line and y range", () => {
  it("keeps the limit, and room above the higher of limit and peak", () => {
    const p = prepareUsageChart(series([agentSeries(1, [100, 300])], { limit_per_minute: 500 }));
    expect(p.limit).toBe(500);
    expect(p.yMax).toBeCloseTo(575);
    expect(chartYMax(800, 500)).toBeCloseTo(920);
    expect(chartYMax(0, null)).toBe(1);
  });

  it("drops a missing or nonsensical limit", () => {
    expect(prepareUsageChart(series([agentSeries(1, [1])], { limit_per_minute: null })).limit).toBeNull();
    expect(prepareUsageChart(series([agentSeries(1, [1])], { limit_per_minute: 0 })).limit).toBeNull();
  });

  it("writes data-limit without float noise", () => {
    expect(limitAttr(500)).toBe("500");
    expect(limitAttr(5_000 / 60)).toBe("83.333");
    expect(limitAttr(null)).toBe("");
    expect(limitLabel(500, "requests")).toBe("limit 500 requests/min");
  });
});

describe("429 markers", () => {
  it("marks each minute with 429s on top of the stack, summed over agents", () => {
    const s = series(
      [agentSeries(1, [10, 20, 30, 40], [0, 1, 0, 2]), agentSeries(2, [5, 5, 5, 5], [0, 1, 0, 0])],
      { start: 0 },
    );
    const p = prepareUsageChart(s);
    expect(p.markers).toEqual([
      { index: 1, t: 60, count: 2, top: 25 },
      { index: 3, t: 180, count: 2, top: 45 },
    ]);
    expect(p.rateLimitedTotal).toBe(4);
  });

  it("ignores 429s beyond the series' minutes", () => {
    const s = series([agentSeries(1, [1, 1], [0, 0, 5])], { minutes: 2 });
    expect(rateLimitMarkers(s, [1, 1])).toEqual([]);
  });

  it("stays cheap and right for a week of minutes of 20 agents", () => {
    const s = weekSeries(20);
    const p = prepareUsageChart(s);
    expect(p.points).toBe(10_080 * 20);
    expect(p.stacked).toHaveLength(20);
    // Every 997th minute per agent, shifted by the agent: 20 agents × 11 (or 10) minutes.
    expect(p.rateLimitedTotal).toBe(s.agents.reduce((t, a) => t + a.rate_limited.reduce((x, y) => x + y, 0), 0));
    const i = 5_000;
    expect(p.totals[i]).toBe(s.agents.reduce((t, a) => t + a.values[i]!, 0));
  });
});

describe("presentation", () => {
  it("gives every agent a stable colour", () => {
    expect(agentColor(1)).toBe(AGENT_COLORS[0]);
    expect(agentColor(21)).toBe(AGENT_COLORS[0]);
    expect(agentColor(2)).not.toBe(agentColor(1));
    expect(agentColor(0)).toBe(AGENT_COLORS[AGENT_COLORS.length - 1]);
  });

  it("writes axis numbers compactly", () => {
    expect([0, 7.5, 950, 1_234, 12_345, 3_400_000].map(compactNumber)).toEqual(["0", "7.5", "950", "1.2k", "12k", "3.4M"]);
  });

  it("labels the time axis in local 24 h time, with the day over long ranges", () => {
    const nine = new Date(2026, 10, 21, 9, 5).getTime() / 1000;
    const midnight = new Date(2026, 10, 22, 0, 0).getTime() / 1000;
    expect(minuteText(nine)).toBe("09:05");
    expect(timeTick(nine, 3_600)).toBe("09:05");
    expect(timeTick(nine, 24 * 3_600)).toBe("09:05");
    expect(timeTick(nine, 7 * 24 * 3_600)).toBe("21 Nov 09:05");
    expect(timeTick(midnight, 7 * 24 * 3_600)).toBe("22 Nov");
  });

  it("breaks a minute down by agent", () => {
    const s = series([agentSeries(1, [1, 2], [0, 1]), agentSeries(2, [3, 4])]);
    expect(minuteBreakdown(s, 1)).toEqual([
      { agentId: 1, value: 2, rateLimited: 1 },
      { agentId: 2, value: 4, rateLimited: 0 },
    ]);
  });

  it("sums the chart up in words", () => {
    const s = series([agentSeries(1, [10, 490], [0, 1]), agentSeries(2, [5, 5])], { start: new Date(2026, 10, 21, 9, 4).getTime() / 1000 });
    const text = chartSummary(prepareUsageChart(s), "requests", new Map([[1, "Writer"]]));
    expect(text).toBe("Requests per minute, stacked by agent (Writer, agent #2): peak 495 at 09:05; limit 500 per minute; 1 × 429 in 1 minute.");
  });
});
