// The Rate limits view's pure logic (no React): naming APIs and quotas, shares and percentages,
// when an API is under pressure, the nav badge, the forecast in words, and which metrics the
// chart offers. The chart's data lives in usageChart.ts, the heat map's in usageHeatmap.ts and
// the forms' validation in rateLimitForms.ts.

import type { ApiLedger } from "../bindings/ApiLedger";
import type { Forecast } from "../bindings/Forecast";
import type { ForecastBasis } from "../bindings/ForecastBasis";
import type { Metric } from "../bindings/Metric";
import type { PressureLimits } from "../bindings/PressureLimits";
import type { Quota } from "../bindings/Quota";
import { nameOf } from "./agents";
import { remainingText, whenText } from "./escalations";
import { parseTime } from "./time";

const SECOND = 1000;
const MINUTE = 60_000;

/** How far ahead the backend's forecasts look (FORECAST_LOOK_AHEAD). */
export const LOOK_AHEAD_HOURS = 24;
/** How far back the forecast's pace looks (PACE_MINUTES). */
export const PACE_MINUTES = 10;
/** The backend's defaults when the user has set none. */
export const DEFAULT_LIMITS: PressureLimits = { share_percent: 80, horizon_minutes: 30 };

/** The chart's time ranges. */
export const RANGES: readonly { hours: number; label: string }[] = [
  { hours: 1, label: "1 h" },
  { hours: 6, label: "6 h" },
  { hours: 24, label: "24 h" },
  { hours: 168, label: "7 d" },
];

export const METRICS: readonly Metric[] = ["requests", "tokens", "input_tokens", "output_tokens"];

type ApiKey = Pick<ApiLedger, "api" | "key">;

// Naming

/** "openai", or "openai/ci-bot" for one of several keys: unique per ledger. */
export function apiId(l: ApiKey): string {
  return l.key ? `${l.api}/${l.key}` : l.api;
}

/** The API as a person reads it: "openai", "github · ci-bot". */
export function apiLabel(l: ApiKey): string {
  return l.key ? `${l.api} · ${l.key}` : l.api;
}

/** The API a rate-limit escalation is about: `api:openai` or `api:openai/<key>`; else null. */
export function parseApiResource(resource: string | null | undefined): { api: string; key: string | null } | null {
  if (!resource || !resource.startsWith("api:")) return null;
  const named = resource.slice("api:".length);
  const slash = named.indexOf("/");
  const api = slash < 0 ? named : named.slice(0, slash);
  const key = slash < 0 ? null : named.slice(slash + 1);
  if (api === "") return null;
  return { api, key: key === "" ? null : key };
}

/** "requests", "tokens", "input tokens", "output tokens". */
export function metricLabel(metric: Metric | string): string {
  return String(metric).replace(/_/g, " ");
}

/** A window's length as the unit after "/": "min", "h", "day", "5 min", "30 s", "7 days". */
export function windowText(seconds: number): string {
  if (seconds === 60) return "min";
  if (seconds === 3_600) return "h";
  if (seconds === 86_400) return "day";
  if (seconds % 86_400 === 0) return `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** "1,234" (no more than one decimal). */
export function countText(n: number): string {
  if (!Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { maximumFractionDigits: n < 10 ? 1 : 0 });
}

/** "500 requests/min" (in sentences). */
export function limitText(q: Pick<Quota, "limit" | "metric" | "window_seconds">): string {
  return `${countText(q.limit)} ${metricLabel(q.metric)}/${windowText(q.window_seconds)}`;
}

/** "500 requests / min (from headers)" or "(set by you)". */
export function quotaText(q: Quota): string {
  const source = q.source === "user" ? "set by you" : "from headers";
  const policy = q.policy ? `, ${q.policy}` : "";
  return `${countText(q.limit)} ${metricLabel(q.metric)} / ${windowText(q.window_seconds)} (${source}${policy})`;
}

/** "112 remaining · resets 09:13 (in 40 s)"; null when the headers said neither. */
export function remainingResetText(q: Quota, now: number): string | null {
  const parts: string[] = [];
  if (q.remaining !== null) parts.push(`${countText(q.remaining)} remaining`);
  if (q.reset_at) {
    const t = parseTime(q.reset_at);
    if (!Number.isNaN(t)) parts.push(t > now ? `resets ${whenText(q.reset_at, now)} (in ${remainingText(t - now)})` : `reset ${whenText(q.reset_at, now)}`);
  }
  return parts.length > 0 ? parts.join(" · ") : null;
}

/** A share (0–1, more when over) as a percentage: "62%", "<1%", "0%", "140%". */
export function percentText(share: number): string {
  if (!Number.isFinite(share) || share <= 0) return "0%";
  if (share < 0.005) return "<1%";
  return `${Math.round(share * 100)}%`;
}

/** "1 × 429", "12 × 429". */
export function rateLimitedText(count: number): string {
  return `${count} × 429`;
}

// Pressure

/** Why an API is under pressure (empty when it is not): the share, or a forecast within the horizon. */
export function pressureReasons(l: Pick<ApiLedger, "combined_share" | "forecasts" | "limits" | "quotas">, now: number): string[] {
  const reasons: string[] = [];
  const threshold = l.limits.share_percent / 100;
  if (l.quotas.length > 0 && l.combined_share >= threshold) {
    reasons.push(`combined use at ${percentText(l.combined_share)} of the limit (pressure from ${l.limits.share_percent}%)`);
  }
  const horizon = now + l.limits.horizon_minutes * MINUTE;
  for (const f of l.forecasts) {
    if (!f.reaches_limit_at) continue;
    const at = parseTime(f.reaches_limit_at);
    if (Number.isNaN(at) || at > horizon) continue;
    reasons.push(
      at - now < SECOND
        ? `at the limit of ${limitText(f)} now`
        : `forecast to reach ${limitText(f)} in ${remainingText(at - now)} (within ${l.limits.horizon_minutes} min)`,
    );
  }
  return reasons;
}

export function isUnderPressure(l: Pick<ApiLedger, "combined_share" | "forecasts" | "limits" | "quotas">, now: number): boolean {
  return pressureReasons(l, now).length > 0;
}

/** The nav badge: the 429s of the last hour over every API, or null when there were none. */
export function rateLimitBadge(list: readonly Pick<ApiLedger, "rate_limited_last_hour">[] | null): { text: string; alert: true; title: string } | null {
  const total = (list ?? []).reduce((sum, l) => sum + l.rate_limited_last_hour, 0);
  if (total <= 0) return null;
  return { text: String(total), alert: true, title: `${rateLimitedText(total)} in the last hour` };
}

/** The API to select at first: the first under pressure, else the first with 429s, else the first. */
export function defaultApi(list: readonly ApiLedger[], now: number): string | null {
  const pick = list.find((l) => isUnderPressure(l, now)) ?? list.find((l) => l.rate_limited_last_hour > 0) ?? list[0];
  return pick ? apiId(pick) : null;
}

/**
 * The id `delta` steps from `current` in `ids`, clamped to the ends; with no (or an unknown)
 * current id, the first going down and the last going up. Null when `ids` is empty.
 */
export function stepApi(ids: readonly string[], current: string | null, delta: number): string | null {
  if (ids.length === 0) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at < 0) return delta >= 0 ? ids[0]! : ids[ids.length - 1]!;
  return ids[Math.max(0, Math.min(ids.length - 1, at + delta))]!;
}

// Forecast

export function basisText(basis: ForecastBasis): string {
  return basis === "pace_and_profile"
    ? `Based on the pace of the last ${PACE_MINUTES} min and the usual use at this time of day.`
    : `Based on the pace of the last ${PACE_MINUTES} min only (no earlier days to learn the usual time of day from yet).`;
}

export interface ForecastWords {
  /** "At this pace, combined use reaches 500 requests/min at 09:12 (in 14 min)." */
  headline: string;
  /** "In that window: Writer 62%, Editor 48%." (null when no agent is projected). */
  agents: string | null;
  basis: string;
  /** The limit is reached within the look-ahead. */
  reaches: boolean;
}

/** The forecast of one quota in words (times local, as seen at `now`). */
export function forecastWords(f: Forecast, names: ReadonlyMap<number, string>, now: number): ForecastWords {
  const at = f.reaches_limit_at ? parseTime(f.reaches_limit_at) : NaN;
  const reaches = !Number.isNaN(at);
  let headline: string;
  // Under a second away is now (the backend's clock ran a moment before this one).
  if (reaches && at - now < SECOND) headline = `At this pace, combined use reaches ${limitText(f)} now.`;
  else if (reaches) headline = `At this pace, combined use reaches ${limitText(f)} at ${whenText(f.reaches_limit_at!, now)} (in ${remainingText(at - now)}).`;
  else headline = `Not within ${LOOK_AHEAD_HOURS} h; peak ${percentText(f.peak_share)} at ${whenText(f.peak_at, now)}.`;
  const shares = f.agents.map((a) => `${nameOf(names, a.agent_id)} ${percentText(a.share)}`);
  const agents = shares.length === 0 ? null : `${reaches ? "In that window" : "At the peak"}: ${shares.join(", ")}.`;
  return { headline, agents, basis: basisText(f.basis), reaches };
}

/** The whole forecast as one paragraph. */
export function forecastSentence(f: Forecast, names: ReadonlyMap<number, string>, now: number): string {
  const w = forecastWords(f, names, now);
  return [w.headline, w.agents, w.basis].filter(Boolean).join(" ");
}

// Metrics

/**
 * The metrics the chart offers: requests (every call is one), each metric with a quota, and
 * tokens when the agents report any. In METRICS order.
 */
export function chartMetrics(l: Pick<ApiLedger, "quotas">, tokensHaveData: boolean): Metric[] {
  const wanted = new Set<Metric>(["requests"]);
  for (const q of l.quotas) wanted.add(q.metric);
  if (tokensHaveData) wanted.add("tokens");
  return METRICS.filter((m) => wanted.has(m));
}

/** The metric shown first: the first quota's (the one the shares are about), else requests. */
export function defaultMetric(l: Pick<ApiLedger, "quotas">): Metric {
  return l.quotas[0]?.metric ?? "requests";
}
