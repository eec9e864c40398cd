// The rate-limit ledger of the in-memory fake backend (browser preview and tests): writer and
// editor share openai (500 requests/min and 200,000 tokens/min from the headers) and are ramping
// up towards the limit, with one 429 23 minutes ago; writer also uses github (5,000 requests/h,
// one header Baton cannot read) and editor anthropic (no quota known). Use per minute comes from
// a deterministic generator: each agent's usual hours of the day, but a ramp over the last three
// hours (today is busier than usual), a little noise. Forecasts follow the ramp for an hour, then the usual day.

import type { AgentShare } from "../bindings/AgentShare";
import type { ApiLedger } from "../bindings/ApiLedger";
import type { BudgetShare } from "../bindings/BudgetShare";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { Forecast } from "../bindings/Forecast";
import type { ForecastBasis } from "../bindings/ForecastBasis";
import type { HeaderIssue } from "../bindings/HeaderIssue";
import type { Metric } from "../bindings/Metric";
import type { PressureLimits } from "../bindings/PressureLimits";
import type { Quota } from "../bindings/Quota";
import type { UsageHeatmap } from "../bindings/UsageHeatmap";
import type { UsageSeries } from "../bindings/UsageSeries";
import type { InvokeArgs } from "./backend";
import { DEFAULT_LIMITS, METRICS } from "./rateLimits";
import { MAX_WINDOW_SECONDS } from "./rateLimitForms";

type Named = { id: number; name: string };

interface User {
  agent: string;
  /** Requests per minute at full activity. */
  level: number;
  tokensPerRequest: number;
  /** Usual active hours of the day (UTC), [from, to). */
  hours: [number, number][];
  seed: number;
}

interface Spec {
  api: string;
  key: string | null;
  users: User[];
  quotas: { metric: Metric; limit: number; window: number; policy: string | null }[];
  basis: ForecastBasis;
  /** 429s: which agent, how many minutes ago. */
  rateLimited: { agent: string; minutesAgo: number }[];
  issues: { header: string; reason: string; count: number; last_value: string; secondsAgo: number }[];
}

const SPECS: Spec[] = [
  {
    api: "openai",
    key: null,
    users: [
      { agent: "writer", level: 300, tokensPerRequest: 350, hours: [[6, 11], [13, 16]], seed: 1 },
      { agent: "editor", level: 185, tokensPerRequest: 240, hours: [[9, 14]], seed: 2 },
    ],
    quotas: [
      { metric: "requests", limit: 500, window: 60, policy: null },
      { metric: "tokens", limit: 200_000, window: 60, policy: null },
    ],
    basis: "pace_and_profile",
    rateLimited: [{ agent: "writer", minutesAgo: 23 }],
    issues: [],
  },
  {
    api: "github",
    key: "ci-bot",
    users: [{ agent: "writer", level: 9, tokensPerRequest: 0, hours: [[7, 18]], seed: 3 }],
    quotas: [{ metric: "requests", limit: 5_000, window: 3_600, policy: "core" }],
    basis: "pace",
    rateLimited: [],
    issues: [{ header: "x-ratelimit-reset", reason: "not a number of seconds or a timestamp", count: 3, last_value: "soon", secondsAgo: 420 }],
  },
  {
    api: "anthropic",
    key: null,
    users: [{ agent: "editor", level: 35, tokensPerRequest: 900, hours: [[8, 20]], seed: 4 }],
    quotas: [],
    basis: "pace",
    rateLimited: [],
    issues: [],
  },
];

const RAMP_MINUTES = 180;
const TREND_MINUTES = 60;
const LOOK_AHEAD_MINUTES = 24 * 60;

const iso = (ms: number) => new Date(ms).toISOString();
const idOf = (spec: Pick<Spec, "api" | "key">) => (spec.key ? `${spec.api}/${spec.key}` : spec.api);

function invalid(message: string): ErrorPayload {
  return { code: "invalid_rate_limit", message, field: null };
}

/** Deterministic noise in [0, 1). */
function hash01(n: number): number {
  let x = Math.imul((n | 0) ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

/** The user's usual activity (0–1) at minute-of-day `tod` (UTC). */
function usual(u: User, tod: number): number {
  const h = tod / 60;
  return u.hours.some(([a, b]) => h >= a && h < b) ? 1 : 0.04;
}

const todOf = (minute: number) => ((((minute / 60) % 1440) + 1440) % 1440);

/** Requests in `minute` (epoch seconds), seen at `nowMinute`. */
function requestsAt(u: User, minute: number, nowMinute: number): number {
  const ago = (nowMinute - minute) / 60;
  const base = usual(u, todOf(minute));
  const act = ago >= 0 && ago < RAMP_MINUTES ? 0.55 + 0.45 * (1 - ago / RAMP_MINUTES) : base;
  return Math.round(u.level * act * (0.96 + 0.08 * hash01(minute / 60 + u.seed * 7919)));
}

function count(u: User, metric: Metric, minute: number, nowMinute: number): number {
  const r = requestsAt(u, minute, nowMinute);
  return metric === "requests" ? r : r * u.tokensPerRequest;
}

export function createFakeRateLimits(agentList: () => Named[]) {
  const userQuotas = new Map<string, Map<Metric, { limit: number; window: number }>>();
  const limits = new Map<string, PressureLimits>();
  const budgets = new Map<string, Map<number, number>>();

  const agentId = (name: string) => agentList().find((a) => a.name.toLowerCase() === name)?.id ?? null;
  const nowMinute = () => Math.floor(Date.now() / 60_000) * 60;

  /** The spec's users Baton knows (by agent name), with their ids. */
  const users = (spec: Spec) =>
    spec.users.flatMap((u) => {
      const id = agentId(u.agent);
      return id === null ? [] : [{ user: u, id }];
    });

  const find = (api: unknown, key: unknown) => SPECS.find((s) => s.api === api && s.key === ((key as string | null) ?? null));

  const quotasOf = (spec: Spec, now: number): Quota[] => {
    const mine = userQuotas.get(idOf(spec));
    const nm = nowMinute();
    return METRICS.flatMap((metric): Quota[] => {
      const user = mine?.get(metric);
      if (user) {
        return [{ metric, policy: null, limit: user.limit, window_seconds: user.window, source: "user", remaining: null, reset_at: null, seen_at: null }];
      }
      const q = spec.quotas.find((x) => x.metric === metric);
      if (!q) return [];
      const used = windowUse(spec, metric, q.window, nm);
      const windowMs = q.window * 1_000;
      return [
        {
          metric,
          policy: q.policy,
          limit: q.limit,
          window_seconds: q.window,
          source: "headers",
          remaining: Math.max(0, q.limit - used),
          reset_at: iso(Math.floor(now / windowMs) * windowMs + windowMs),
          seen_at: iso(now - 4_000),
        },
      ];
    });
  };

  /** Combined use of the window ending with the current minute. */
  const windowUse = (spec: Spec, metric: Metric, window: number, nm: number) => {
    const w = Math.max(1, Math.ceil(window / 60));
    let used = 0;
    for (const { user } of users(spec)) for (let k = 0; k < w; k++) used += count(user, metric, nm - 60 * k, nm);
    return used;
  };

  const rateLimitedOf = (spec: Spec, agent: string) => spec.rateLimited.filter((r) => r.agent === agent && r.minutesAgo < 60).length;

  const forecastOf = (spec: Spec, q: Quota): Forecast => {
    const nm = nowMinute();
    const w = Math.max(1, Math.ceil(q.window_seconds / 60));
    const perAgent = users(spec).map(({ user, id }) => {
      const mean = (from: number, to: number) => {
        let s = 0;
        for (let k = from; k < to; k++) s += count(user, q.metric, nm - 60 * k, nm);
        return s / (to - from);
      };
      const pace = mean(0, 10);
      const slope = (pace - mean(50, 60)) / 50;
      const factor = q.metric === "requests" ? user.level : user.level * user.tokensPerRequest;
      const at = (k: number) => (k <= TREND_MINUTES ? Math.max(0, pace + slope * k) : factor * usual(user, todOf(nm + 60 * k)));
      return { id, at };
    });
    let reach: number | null = null;
    let peak = { k: 0, share: -1 };
    for (let k = 1; k <= LOOK_AHEAD_MINUTES; k++) {
      const share = perAgent.reduce((s, a) => s + a.at(k), 0) * w / q.limit;
      if (share > peak.share) peak = { k, share };
      if (share >= 1 && reach === null) reach = k;
    }
    const k = reach ?? peak.k;
    return {
      metric: q.metric,
      limit: q.limit,
      window_seconds: q.window_seconds,
      used_now: windowUse(spec, q.metric, q.window_seconds, nm),
      reaches_limit_at: reach === null ? null : iso((nm + 60 * reach) * 1_000),
      peak_share: Math.max(0, peak.share),
      peak_at: iso((nm + 60 * peak.k) * 1_000),
      agents: perAgent
        .map((a) => ({ agent_id: a.id, share: (a.at(k) * w) / q.limit }))
        .filter((a) => a.share > 0)
        .sort((a, b) => b.share - a.share),
      basis: spec.basis,
    };
  };

  const ledger = (spec: Spec): ApiLedger => {
    const now = Date.now();
    const nm = nowMinute();
    const quotas = quotasOf(spec, now);
    const first = quotas[0];
    const budget = budgets.get(idOf(spec)) ?? new Map<number, number>();
    const known = users(spec);
    const ids = [...new Set([...known.map((k) => k.id), ...budget.keys()])];
    const shares: AgentShare[] = ids
      .map((id) => {
        const u = known.find((k) => k.id === id)?.user;
        const metric = first?.metric ?? "requests";
        const w = Math.max(1, Math.ceil((first?.window_seconds ?? 60) / 60));
        let used = 0;
        if (u) for (let k = 0; k < w; k++) used += count(u, metric, nm - 60 * k, nm);
        return {
          agent_id: id,
          used,
          share: first ? used / first.limit : 0,
          rate_limited: u ? rateLimitedOf(spec, u.agent) : 0,
          budget_percent: budget.get(id) ?? null,
        };
      })
      .sort((a, b) => b.used - a.used || a.agent_id - b.agent_id);
    return {
      api: spec.api,
      key: spec.key,
      quotas,
      forecasts: quotas.map((q) => forecastOf(spec, q)),
      shares,
      combined_share: first ? shares.reduce((s, a) => s + a.used, 0) / first.limit : 0,
      rate_limited_last_hour: known.reduce((s, k) => s + rateLimitedOf(spec, k.user.agent), 0),
      limits: limits.get(spec.api) ?? { ...DEFAULT_LIMITS },
      header_issues: spec.issues.map(
        (i): HeaderIssue => ({ header: i.header, reason: i.reason, count: i.count, last_value: i.last_value, last_seen: iso(now - i.secondsAgo * 1_000) }),
      ),
    };
  };

  const series = (args: InvokeArgs): UsageSeries => {
    const metric = args.metric as Metric;
    const hours = Math.min(168, Math.max(1, Math.floor(Number(args.hours) || 1)));
    const minutes = hours * 60;
    const nm = nowMinute();
    const start = nm + 60 - minutes * 60;
    const spec = find(args.api, args.key);
    const key = (args.key as string | null) ?? null;
    if (!spec) return { api: String(args.api), key, metric, start, minutes, agents: [], limit_per_minute: null };
    const quota = quotasOf(spec, Date.now()).find((q) => q.metric === metric);
    return {
      api: spec.api,
      key: spec.key,
      metric,
      start,
      minutes,
      agents: users(spec)
        .map(({ user, id }) => {
          const values = new Array<number>(minutes);
          const rateLimited = new Array<number>(minutes).fill(0);
          for (let i = 0; i < minutes; i++) values[i] = count(user, metric, start + 60 * i, nm);
          for (const r of spec.rateLimited) {
            const i = minutes - 1 - r.minutesAgo;
            if (r.agent === user.agent && i >= 0) rateLimited[i] = (rateLimited[i] ?? 0) + 1;
          }
          return { agent_id: id, values, rate_limited: rateLimited };
        })
        .sort((a, b) => a.agent_id - b.agent_id),
      limit_per_minute: quota ? (quota.limit * 60) / quota.window_seconds : null,
    };
  };

  const heatmap = (args: InvokeArgs): UsageHeatmap => {
    const metric = args.metric as Metric;
    const spec = find(args.api, args.key);
    const base = { api: String(args.api), key: (args.key as string | null) ?? null, metric, slot_minutes: 15 };
    if (!spec) return { ...base, days: 0, agents: [] };
    return {
      ...base,
      days: 7,
      agents: users(spec).map(({ user, id }) => ({
        agent_id: id,
        per_slot: Array.from({ length: 96 }, (_, s) => {
          let sum = 0;
          for (let m = 0; m < 15; m++) sum += usual(user, s * 15 + m);
          const perRequest = metric === "requests" ? 1 : user.tokensPerRequest;
          return Math.round(((user.level * perRequest * sum) / 15) * 10) / 10;
        }),
      })),
    };
  };

  const handlers: Record<string, (args: InvokeArgs) => unknown> = {
    rate_limits: () => SPECS.filter((s) => users(s).length > 0).map(ledger),
    usage_series: series,
    usage_heatmap: heatmap,
    set_quota: (args) => {
      const api = String(args.api ?? "").trim();
      const limit = Number(args.limit);
      const window = Number(args.windowSeconds);
      if (api === "") throw invalid("name the API");
      if (!Number.isSafeInteger(limit) || limit < 1) throw invalid("a quota's limit is 1 or more");
      if (!Number.isInteger(window) || window < 1 || window > MAX_WINDOW_SECONDS) throw invalid("a quota's window is from 1 second to 31 days");
      const id = idOf({ api, key: (args.key as string | null) ?? null });
      const mine = userQuotas.get(id) ?? new Map();
      mine.set(args.metric as Metric, { limit, window });
      userQuotas.set(id, mine);
      return null;
    },
    remove_quota: (args) => userQuotas.get(idOf({ api: String(args.api), key: (args.key as string | null) ?? null }))?.delete(args.metric as Metric) ?? false,
    set_pressure_limits: (args) => {
      const l = args.limits as PressureLimits;
      if (!Number.isInteger(l.share_percent) || l.share_percent < 1 || l.share_percent > 100) throw invalid("the pressure share is from 1 to 100%");
      if (!Number.isInteger(l.horizon_minutes) || l.horizon_minutes < 1 || l.horizon_minutes > 1_440) {
        throw invalid("the forecast horizon is from 1 minute to 1 day");
      }
      limits.set(String(args.api), { share_percent: l.share_percent, horizon_minutes: l.horizon_minutes });
      return null;
    },
  };

  return {
    handlers,
    /** A budget split decided on an escalation about `resource` (`api:<api>[/<key>]`). */
    setBudget(resource: string, shares: readonly BudgetShare[]) {
      const id = resource.replace(/^api:/, "");
      budgets.set(id, new Map(shares.map((s) => [s.agent_id, s.percent])));
    },
  };
}
