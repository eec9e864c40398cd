// Rate-limit fixtures for the tests.

import type { AgentSeries } from "../bindings/AgentSeries";
import type { ApiLedger } from "../bindings/ApiLedger";
import type { Forecast } from "../bindings/Forecast";
import type { Quota } from "../bindings/Quota";
import type { UsageSeries } from "../bindings/UsageSeries";

/** 09:00 local time on 2026-11-21 (sentences print local times). */
export const NINE = new Date(2026, 10, 21, 9, 0, 0).getTime();
export const MIN = 60_000;
export const iso = (ms: number) => new Date(ms).toISOString();

export function quota(extra: Partial<Quota> = {}): Quota {
  return {
    metric: "requests",
    policy: null,
    limit: 500,
    window_seconds: 60,
    source: "headers",
    remaining: null,
    reset_at: null,
    seen_at: iso(NINE),
    ...extra,
  };
}

export function forecast(extra: Partial<Forecast> = {}): Forecast {
  return {
    metric: "requests",
    limit: 500,
    window_seconds: 60,
    used_now: 410,
    reaches_limit_at: null,
    peak_share: 0.41,
    peak_at: iso(NINE),
    agents: [],
    basis: "pace",
    ...extra,
  };
}

export function ledger(extra: Partial<ApiLedger> = {}): ApiLedger {
  return {
    api: "openai",
    key: null,
    quotas: [quota()],
    forecasts: [forecast()],
    shares: [],
    combined_share: 0.5,
    rate_limited_last_hour: 0,
    limits: { share_percent: 80, horizon_minutes: 30 },
    header_issues: [],
    ...extra,
  };
}

export function agentSeries(agentId: number, values: number[], rateLimited: number[] = values.map(() => 0)): AgentSeries {
  return { agent_id: agentId, values, rate_limited: rateLimited };
}

export function series(agents: AgentSeries[], extra: Partial<UsageSeries> = {}): UsageSeries {
  const minutes = Math.max(0, ...agents.map((a) => a.values.length));
  return {
    api: "openai",
    key: null,
    metric: "requests",
    start: 1_700_000_040,
    minutes,
    agents,
    limit_per_minute: 500,
    ...extra,
  };
}

/** A week of minutes for `agents` agents (deterministic), with a 429 every 997th minute. */
export function weekSeries(agents = 20): UsageSeries {
  const minutes = 7 * 24 * 60;
  const list: AgentSeries[] = [];
  for (let a = 0; a < agents; a++) {
    const values = new Array<number>(minutes);
    const rl = new Array<number>(minutes);
    for (let i = 0; i < minutes; i++) {
      values[i] = (i * (a + 3) + a * 17) % 41;
      rl[i] = (i + a) % 997 === 0 ? 1 : 0;
    }
    list.push({ agent_id: a + 1, values, rate_limited: rl });
  }
  return { api: "openai", key: null, metric: "requests", start: 1_700_000_040, minutes, agents: list, limit_per_minute: 500 };
}
