// Rollout readiness as the Agents view shows it: may a second agent join this one? The backend
// evaluates the rule (baton-core's readiness::evaluate) and says what is missing; this module
// turns its answer into cards, badges and figures, and checks the thresholds' form (mirroring
// ReadinessThresholds::check) before the round trip.

import type { Readiness } from "../bindings/Readiness";
import type { ReadinessThresholds } from "../bindings/ReadinessThresholds";

/** Most days the rule may ask for (baton-core's MAX_READINESS_DAYS). */
export const MAX_READINESS_DAYS = 366;

/** Baton's own thresholds (four weeks; 85 % approved; at most 10 % failed; 95 % of polls answered). */
export const DEFAULT_THRESHOLDS: ReadinessThresholds = {
  days: 28,
  approval_percent: 85,
  max_failure_percent: 10,
  poll_health_percent: 95,
};

/**
 * A percentage in whole numbers, as the backend words it: a share that must reach a bar is
 * rounded down ("81 %"), one that must stay under a bar rounded up, so the figure never
 * seems to pass a threshold it misses.
 */
export function percentText(p: number, round: "down" | "up" = "down"): string {
  if (!Number.isFinite(p)) return "–";
  return `${round === "down" ? Math.floor(p) : Math.ceil(p)} %`;
}

/** Readiness by agent id. */
export function readinessByAgent(list: readonly Readiness[] | null): Map<number, Readiness> {
  return new Map((list ?? []).map((r) => [r.agent_id, r]));
}

/** Stable days over days needed, 0 to 1. */
export function streakProgress(r: Pick<Readiness, "stable_days" | "days_needed">): number {
  if (!(r.days_needed > 0)) return 1;
  return Math.max(0, Math.min(1, r.stable_days / r.days_needed));
}

/** The card's one line: "Ready", or what is missing ("19 of 28 days; approval 81 %"). */
export function readinessLine(r: Readiness): string {
  if (r.ready) return "Ready";
  if (r.missing.length > 0) return r.missing.join("; ");
  return r.summary || "Not ready";
}

export interface ReadinessBadge {
  text: string;
  tone: "ready" | "not-ready" | "none";
  title: string;
}

/** The agents table's short badge. */
export function readinessBadge(r: Readiness | undefined): ReadinessBadge {
  if (!r) return { text: "–", tone: "none", title: "No readiness yet" };
  if (r.ready) return { text: "Ready", tone: "ready", title: "Ready for a second agent beside it" };
  return { text: "Not ready", tone: "not-ready", title: `Not ready: ${readinessLine(r)}` };
}

export interface Figure {
  key: "days" | "approval" | "failure" | "polls" | "conflicts";
  label: string;
  value: string;
  /** Short context ("of 21 decided", "need ≥ 85 %"). */
  detail: string | null;
  /** Falls short of its threshold (null: nothing to judge yet). */
  short: boolean | null;
}

/** The card's figures: days, approval, failures, poll health, open conflicts ("nothing yet" for nulls). */
export function readinessFigures(r: Readiness): Figure[] {
  const t = r.thresholds;
  return [
    {
      key: "days",
      label: "Stable days",
      value: `${r.stable_days} of ${r.days_needed}`,
      detail: null,
      short: r.stable_days < r.days_needed,
    },
    {
      key: "approval",
      label: "Approved as asked",
      value: r.approval_percent === null ? "nothing decided yet" : percentText(r.approval_percent),
      detail: r.approval_percent === null ? null : `of ${r.decided} decided · need ≥\u00a0${t.approval_percent}\u00a0%`,
      short: r.approval_percent === null ? null : r.approval_percent < t.approval_percent,
    },
    {
      key: "failure",
      label: "Failed tasks",
      value: r.failure_percent === null ? "no task ended yet" : percentText(r.failure_percent, "up"),
      detail: r.failure_percent === null ? null : `at most ${t.max_failure_percent}\u00a0%`,
      short: r.failure_percent === null ? null : r.failure_percent > t.max_failure_percent,
    },
    {
      key: "polls",
      label: "Poll health",
      value: r.poll_health_percent === null ? "not polled yet" : percentText(r.poll_health_percent),
      detail: `a stable day ≥\u00a0${t.poll_health_percent}\u00a0%`,
      short: r.poll_health_percent === null ? null : r.poll_health_percent < t.poll_health_percent,
    },
    {
      key: "conflicts",
      label: "Open conflicts",
      value: String(r.open_conflicts),
      detail: null,
      short: r.open_conflicts > 0,
    },
  ];
}

/** The rule in one line: "28 stable days · approval ≥ 85 % · failures ≤ 10 % · polls ≥ 95 % a day". */
export function thresholdsText(t: ReadinessThresholds): string {
  return `${t.days} stable day${t.days === 1 ? "" : "s"} · approval ≥ ${t.approval_percent} % · failures ≤ ${t.max_failure_percent} % · polls ≥ ${t.poll_health_percent} % a day`;
}

/** The thresholds in force (every readiness carries them), or null before any agent has one. */
export function currentThresholds(list: readonly Readiness[] | null): ReadinessThresholds | null {
  return list?.[0]?.thresholds ?? null;
}

/** How many of `list` are ready, "3 of 5 ready". */
export function readyCountText(list: readonly Readiness[]): string {
  return `${list.filter((r) => r.ready).length} of ${list.length} ready`;
}

// Thresholds form

export type ThresholdField = keyof ReadinessThresholds;

export const THRESHOLD_FIELDS: readonly ThresholdField[] = ["days", "approval_percent", "max_failure_percent", "poll_health_percent"];

export type ThresholdValues = Record<ThresholdField, string>;
export type ThresholdErrors = Partial<Record<ThresholdField, string>>;

export function isThresholdField(field: string | null | undefined): field is ThresholdField {
  return field !== null && field !== undefined && (THRESHOLD_FIELDS as readonly string[]).includes(field);
}

export function thresholdValues(t: ReadinessThresholds): ThresholdValues {
  return {
    days: String(t.days),
    approval_percent: String(t.approval_percent),
    max_failure_percent: String(t.max_failure_percent),
    poll_health_percent: String(t.poll_health_percent),
  };
}

function wholeNumber(text: string): number | null {
  const t = text.trim().replace(/\s*%$/, "");
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

const PERCENT_WORDS: Record<Exclude<ThresholdField, "days">, string> = {
  approval_percent: "the share approved as asked",
  max_failure_percent: "the share of failed tasks",
  poll_health_percent: "the poll health",
};

/** Every problem with the thresholds as typed, keyed by field. */
export function validateThresholds(values: ThresholdValues): ThresholdErrors {
  const errors: ThresholdErrors = {};
  const days = wholeNumber(values.days);
  if (days === null || days < 1 || days > MAX_READINESS_DAYS) {
    errors.days = `days of stable running: a whole number from 1 to ${MAX_READINESS_DAYS}`;
  }
  for (const field of ["approval_percent", "max_failure_percent", "poll_health_percent"] as const) {
    const n = wholeNumber(values[field]);
    if (n === null || n > 100) errors[field] = `${PERCENT_WORDS[field]} is a whole percentage from 0 to 100`;
  }
  return errors;
}

/**
 * A refusal of the backend in words: its messages may name the field as the code does
 * ("poll_health_percent is a percentage: 0 to 100").
 */
export function thresholdMessage(field: ThresholdField, message: string): string {
  if (field === "days") return message;
  return message.split(field).join(PERCENT_WORDS[field]);
}

/** The thresholds to send, from values that passed validation. */
export function thresholdsOf(values: ThresholdValues): ReadinessThresholds {
  return {
    days: wholeNumber(values.days) ?? DEFAULT_THRESHOLDS.days,
    approval_percent: wholeNumber(values.approval_percent) ?? DEFAULT_THRESHOLDS.approval_percent,
    max_failure_percent: wholeNumber(values.max_failure_percent) ?? DEFAULT_THRESHOLDS.max_failure_percent,
    poll_health_percent: wholeNumber(values.poll_health_percent) ?? DEFAULT_THRESHOLDS.poll_health_percent,
  };
}

// Pre-deploy

/** "Writer", "Writer and Editor", "Writer, Editor and Publisher". */
function andList(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * The pre-deploy dialog's one line when agents the new one overlaps are not ready for a second
 * agent beside them (each name once), or null when all are.
 */
export function notReadyHeadline(names: readonly string[]): string | null {
  const unique = [...new Set(names)];
  if (unique.length === 0) return null;
  const one = unique.length === 1;
  return `${andList(unique)} ${one ? "is" : "are"} not ready for a second agent beside ${one ? "it" : "them"} yet (rollout readiness): see below.`;
}
