import { describe, expect, it } from "vitest";

import { forecast, iso, ledger, MIN, NINE, quota } from "../test/rateLimits";
import {
  apiId,
  apiLabel,
  basisText,
  chartMetrics,
  countText,
  defaultApi,
  defaultMetric,
  forecastSentence,
  forecastWords,
  isUnderPressure,
  limitText,
  parseApiResource,
  percentText,
  pressureReasons,
  quotaText,
  rateLimitBadge,
  remainingResetText,
  stepApi,
  windowText,
} from "./rateLimits";

const names = new Map([
  [1, "Writer"],
  [2, "Editor"],
]);

describe("naming", () => {
  it("names APIs with and without a key", () => {
    expect(apiId({ api: "openai", key: null })).toBe("openai");
    expect(apiId({ api: "github", key: "ci-bot" })).toBe("github/ci-bot");
    expect(apiLabel({ api: "github", key: "ci-bot" })).toBe("github · ci-bot");
  });

  it("reads an escalation's API resource", () => {
    expect(parseApiResource("api:openai")).toEqual({ api: "openai", key: null });
    expect(parseApiResource("api:github/ci-bot")).toEqual({ api: "github", key: "ci-bot" });
    expect(parseApiResource("api:github/")).toEqual({ api: "github", key: null });
    expect(parseApiResource("api:")).toBeNull();
    expect(parseApiResource("file:///a")).toBeNull();
    expect(parseApiResource(null)).toBeNull();
  });

  it("spells windows, counts and limits", () => {
    expect([60, 3_600, 86_400, 300, 7_200, 30, 172_800].map(windowText)).toEqual(["min", "h", "day", "5 min", "2 h", "30 s", "2 days"]);
    expect(countText(200_000)).toBe("200,000");
    expect(countText(8.33)).toBe("8.3");
    expect(limitText({ limit: 500, metric: "requests", window_seconds: 60 })).toBe("500 requests/min");
    expect(limitText({ limit: 1_000, metric: "input_tokens", window_seconds: 3_600 })).toBe("1,000 input tokens/h");
  });

  it("describes a quota and where it comes from", () => {
    expect(quotaText(quota())).toBe("500 requests / min (from headers)");
    expect(quotaText(quota({ source: "user", limit: 5_000, window_seconds: 3_600 }))).toBe("5,000 requests / h (set by you)");
    expect(quotaText(quota({ policy: "core" }))).toBe("500 requests / min (from headers, core)");
  });

  it("says what remains and when it resets", () => {
    const q = quota({ remaining: 112, reset_at: iso(NINE + 40_000) });
    expect(remainingResetText(q, NINE)).toBe("112 remaining · resets 09:00 (in 40 s)");
    expect(remainingResetText(quota({ reset_at: iso(NINE - MIN) }), NINE)).toBe("reset 08:59");
    expect(remainingResetText(quota(), NINE)).toBeNull();
  });
});

describe("shares", () => {
  it("formats shares as percentages", () => {
    expect(percentText(0.623)).toBe("62%");
    expect(percentText(1.4)).toBe("140%");
    expect(percentText(0.001)).toBe("<1%");
    expect(percentText(0)).toBe("0%");
    expect(percentText(NaN)).toBe("0%");
  });
});

describe("pressure", () => {
  it("is pressure at the set share of the limit", () => {
    expect(isUnderPressure(ledger({ combined_share: 0.79 }), NINE)).toBe(false);
    expect(pressureReasons(ledger({ combined_share: 0.8 }), NINE)).toEqual(["combined use at 80% of the limit (pressure from 80%)"]);
    expect(isUnderPressure(ledger({ combined_share: 0.6, limits: { share_percent: 50, horizon_minutes: 30 } }), NINE)).toBe(true);
    // Without a quota the share means nothing.
    expect(isUnderPressure(ledger({ quotas: [], forecasts: [], combined_share: 5 }), NINE)).toBe(false);
  });

  it("is pressure when a forecast reaches the limit within the horizon", () => {
    const soon = ledger({ combined_share: 0.2, forecasts: [forecast({ reaches_limit_at: iso(NINE + 14 * MIN) })] });
    expect(pressureReasons(soon, NINE)).toEqual(["forecast to reach 500 requests/min in 14 min (within 30 min)"]);
    const later = ledger({ combined_share: 0.2, forecasts: [forecast({ reaches_limit_at: iso(NINE + 45 * MIN) })] });
    expect(isUnderPressure(later, NINE)).toBe(false);
    expect(isUnderPressure({ ...later, limits: { share_percent: 80, horizon_minutes: 60 } }, NINE)).toBe(true);
    const now = ledger({ combined_share: 0.2, forecasts: [forecast({ reaches_limit_at: iso(NINE - 5_000) })] });
    expect(pressureReasons(now, NINE)).toEqual(["at the limit of 500 requests/min now"]);
  });

  it("counts the last hour's 429s over every API for the badge", () => {
    expect(rateLimitBadge(null)).toBeNull();
    expect(rateLimitBadge([ledger(), ledger()])).toBeNull();
    expect(rateLimitBadge([ledger({ rate_limited_last_hour: 1 }), ledger({ rate_limited_last_hour: 3 })])).toEqual({
      text: "4",
      alert: true,
      title: "4 × 429 in the last hour",
    });
  });

  it("selects the API under pressure first, then one with 429s", () => {
    const calm = ledger({ api: "a", combined_share: 0.1 });
    const limited = ledger({ api: "b", combined_share: 0.1, rate_limited_last_hour: 2 });
    const hot = ledger({ api: "c", key: "k", combined_share: 0.95 });
    expect(defaultApi([calm, limited, hot], NINE)).toBe("c/k");
    expect(defaultApi([calm, limited], NINE)).toBe("b");
    expect(defaultApi([calm], NINE)).toBe("a");
    expect(defaultApi([], NINE)).toBeNull();
  });

  it("steps through the APIs, clamped", () => {
    const ids = ["a", "b", "c"];
    expect(stepApi(ids, "a", 1)).toBe("b");
    expect(stepApi(ids, "c", 1)).toBe("c");
    expect(stepApi(ids, "a", -1)).toBe("a");
    expect(stepApi(ids, null, 1)).toBe("a");
    expect(stepApi(ids, "zzz", -1)).toBe("c");
    expect(stepApi([], null, 1)).toBeNull();
  });
});

describe("forecast sentences", () => {
  it("says when combined use reaches the limit, and each agent's part of that window", () => {
    const f = forecast({
      reaches_limit_at: iso(NINE + 12 * MIN),
      agents: [
        { agent_id: 1, share: 0.62 },
        { agent_id: 2, share: 0.48 },
      ],
    });
    const now = NINE - 2 * MIN;
    expect(forecastWords(f, names, now)).toMatchObject({
      headline: "At this pace, combined use reaches 500 requests/min at 09:12 (in 14 min).",
      agents: "In that window: Writer 62%, Editor 48%.",
      reaches: true,
    });
    expect(forecastSentence(f, names, now)).toBe(
      "At this pace, combined use reaches 500 requests/min at 09:12 (in 14 min). In that window: Writer 62%, Editor 48%. " +
        "Based on the pace of the last 10 min only (no earlier days to learn the usual time of day from yet).",
    );
  });

  it("says when the limit is not reached within 24 h, with the peak", () => {
    const f = forecast({ peak_share: 0.41, peak_at: iso(NINE), agents: [{ agent_id: 7, share: 0.3 }] });
    const w = forecastWords(f, names, NINE - 3 * 60 * MIN);
    expect(w.headline).toBe("Not within 24 h; peak 41% at 09:00.");
    expect(w.agents).toBe("At the peak: agent #7 30%.");
    expect(w.reaches).toBe(false);
    expect(forecastWords(forecast({ peak_at: iso(NINE + 24 * 60 * MIN) }), names, NINE).headline).toBe(
      "Not within 24 h; peak 41% at tomorrow 09:00.",
    );
  });

  it("says when the limit is reached already, and omits an empty agent list", () => {
    const w = forecastWords(forecast({ reaches_limit_at: iso(NINE - 1_000) }), names, NINE);
    expect(w.headline).toBe("At this pace, combined use reaches 500 requests/min now.");
    expect(w.agents).toBeNull();
  });

  it("names the basis: the pace only, or pace and usual time of day", () => {
    expect(basisText("pace")).toMatch(/pace of the last 10 min only/);
    expect(basisText("pace_and_profile")).toBe("Based on the pace of the last 10 min and the usual use at this time of day.");
    expect(forecastSentence(forecast({ basis: "pace_and_profile" }), names, NINE)).toMatch(/usual use at this time of day\.$/);
  });
});

describe("metrics", () => {
  it("offers requests, the quotas' metrics, and tokens when there are any", () => {
    expect(chartMetrics(ledger({ quotas: [] }), false)).toEqual(["requests"]);
    expect(chartMetrics(ledger({ quotas: [] }), true)).toEqual(["requests", "tokens"]);
    expect(chartMetrics(ledger({ quotas: [quota({ metric: "input_tokens" }), quota()] }), false)).toEqual(["requests", "input_tokens"]);
  });

  it("shows the first quota's metric first", () => {
    expect(defaultMetric(ledger({ quotas: [quota({ metric: "tokens" })] }))).toBe("tokens");
    expect(defaultMetric(ledger({ quotas: [] }))).toBe("requests");
  });
});
