// `npm run bench`: preparing the stacked usage chart for its widest case, a week of minute
// buckets (10,080) for 20 agents: the stacking, the 429 markers, and the whole preparation
// (order, layers, markers, peak, y range). Nothing here asserts a time.
import { bench, describe } from "vitest";

import { weekSeries } from "../test/rateLimits";
import { prepareUsageChart, rateLimitMarkers, stackOrder, stackValues } from "./usageChart";

const week = weekSeries(20);
const n = week.minutes;
const ordered = stackOrder(week).map((i) => week.agents[i]!.values);
const totals = stackValues(ordered, n).at(-1)!;

describe("usage chart, a week of minutes × 20 agents (201,600 points)", () => {
  bench("stack 20 layers (cumulative sums)", () => {
    stackValues(ordered, n);
  });

  bench("extract the 429 markers", () => {
    rateLimitMarkers(week, totals);
  });

  bench("prepare the chart (order, stack, markers, peak, y range)", () => {
    prepareUsageChart(week);
  });
});
