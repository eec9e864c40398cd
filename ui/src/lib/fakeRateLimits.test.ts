import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ApiLedger } from "../bindings/ApiLedger";
import type { UsageHeatmap } from "../bindings/UsageHeatmap";
import type { UsageSeries } from "../bindings/UsageSeries";
import { createFakeEscalations } from "./fakeEscalations";
import { createFakeRateLimits } from "./fakeRateLimits";
import { isUnderPressure } from "./rateLimits";
import { prepareHeatmap } from "./usageHeatmap";

const AGENTS = [
  { id: 1, name: "Writer" },
  { id: 2, name: "Editor" },
  { id: 3, name: "publisher" },
];
const NOW = Date.parse("2026-11-21T10:30:20Z");

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  const fake = createFakeRateLimits(() => AGENTS);
  const call = <T,>(command: string, args: Record<string, unknown> = {}) => fake.handlers[command]!(args) as T;
  return { fake, call };
}

describe("fake rate limits", () => {
  it("has writer and editor sharing openai at 500 requests/min, under pressure, with one 429 and a forecast", () => {
    const { call } = setup();
    const list = call<ApiLedger[]>("rate_limits");
    expect(list.map((l) => [l.api, l.key])).toEqual([
      ["openai", null],
      ["github", "ci-bot"],
      ["anthropic", null],
    ]);
    const openai = list[0]!;
    expect(openai.quotas.map((q) => [q.metric, q.limit, q.window_seconds, q.source])).toEqual([
      ["requests", 500, 60, "headers"],
      ["tokens", 200_000, 60, "headers"],
    ]);
    expect(openai.shares.map((s) => s.agent_id)).toEqual([1, 2]);
    expect(openai.rate_limited_last_hour).toBe(1);
    expect(openai.shares[0]!.rate_limited).toBe(1);
    expect(isUnderPressure(openai, NOW)).toBe(true);
    const reach = openai.forecasts[0]!.reaches_limit_at;
    expect(reach).not.toBeNull();
    expect(Date.parse(reach!) - NOW).toBeLessThan(60 * 60_000);
    expect(openai.forecasts[0]!.agents.map((a) => a.agent_id)).toEqual([1, 2]);
    expect(list[1]!.header_issues).toHaveLength(1);
    expect(list[2]!.quotas).toEqual([]);
  });

  it("answers a series of one value per minute per agent, with the 429", () => {
    const { call } = setup();
    const s = call<UsageSeries>("usage_series", { api: "openai", key: null, metric: "requests", hours: 1 });
    expect(s.minutes).toBe(60);
    expect(s.start).toBe(Math.floor(NOW / 60_000) * 60 + 60 - 3_600);
    expect(s.agents.map((a) => a.values.length)).toEqual([60, 60]);
    expect(s.limit_per_minute).toBe(500);
    expect(s.agents[0]!.rate_limited.reduce((a, b) => a + b, 0)).toBe(1);
    const week = call<UsageSeries>("usage_series", { api: "github", key: "ci-bot", metric: "requests", hours: 999 });
    expect(week.minutes).toBe(168 * 60);
    expect(week.limit_per_minute).toBeCloseTo(5_000 / 60);
    expect(call<UsageSeries>("usage_series", { api: "nope", key: null, metric: "requests", hours: 1 }).agents).toEqual([]);
  });

  it("has a heat map where writer and editor overlap in the late morning (UTC)", () => {
    const { call } = setup();
    const h = prepareHeatmap(call<UsageHeatmap>("usage_heatmap", { api: "openai", key: null, metric: "requests" }));
    expect(h.rows).toHaveLength(2);
    expect(h.ranges.map((r) => [r.from, r.to])).toEqual([
      [36, 44],
      [52, 56],
    ]);
  });

  it("sets and removes quotas and pressure limits, with the backend's refusals", () => {
    const { call } = setup();
    expect(() => call("set_quota", { api: "openai", key: null, metric: "requests", limit: 0, windowSeconds: 60 })).toThrow();
    try {
      call("set_quota", { api: "openai", key: null, metric: "requests", limit: 10, windowSeconds: 0 });
    } catch (e) {
      expect(e).toMatchObject({ code: "invalid_rate_limit" });
    }
    call("set_quota", { api: "openai", key: null, metric: "requests", limit: 450, windowSeconds: 60 });
    const q = call<ApiLedger[]>("rate_limits")[0]!.quotas[0]!;
    expect([q.limit, q.source]).toEqual([450, "user"]);
    expect(call("remove_quota", { api: "openai", key: null, metric: "requests" })).toBe(true);
    expect(call("remove_quota", { api: "openai", key: null, metric: "requests" })).toBe(false);
    expect(() => call("set_pressure_limits", { api: "openai", limits: { share_percent: 101, horizon_minutes: 30 } })).toThrow();
    call("set_pressure_limits", { api: "openai", limits: { share_percent: 60, horizon_minutes: 10 } });
    expect(call<ApiLedger[]>("rate_limits")[0]!.limits).toEqual({ share_percent: 60, horizon_minutes: 10 });
  });

  it("records a budget split decided on the pressure escalation, and refuses bad ones", () => {
    const { fake, call } = setup();
    const names = [
      { id: 1, name: "writer" },
      { id: 2, name: "editor" },
      { id: 3, name: "publisher" },
    ];
    const esc = createFakeEscalations(() => names, () => {}, fake.setBudget);
    (esc.escalations as () => unknown)();
    const decide = (shares: { agent_id: number; percent: number }[]) =>
      esc.decide_escalation!({ id: 7, action: { action: "split_budget", shares }, note: null });
    expect(() => decide([{ agent_id: 1, percent: 70 }, { agent_id: 2, percent: 50 }])).toThrow(
      expect.objectContaining({ code: "invalid_decision" }),
    );
    expect(() => decide([{ agent_id: 1, percent: 10 }, { agent_id: 1, percent: 10 }])).toThrow(
      expect.objectContaining({ code: "invalid_decision" }),
    );
    decide([{ agent_id: 1, percent: 60 }, { agent_id: 2, percent: 40 }]);
    const shares = call<ApiLedger[]>("rate_limits")[0]!.shares;
    expect(shares.map((s) => [s.agent_id, s.budget_percent])).toEqual([
      [1, 60],
      [2, 40],
    ]);
  });
});
