// Validation of the Rate limits view's forms (quota, pressure limits) and of the escalation
// queue's budget split, mirroring the backend's checks (baton-store's set_quota and
// PressureLimits::check, EscalationAction::check) so problems show before the round trip. The
// backend checks again and has the last word.

/** A quota's window: 1 second to 31 days. */
export const MAX_WINDOW_SECONDS = 31 * 86_400;
export const MIN_SHARE_PERCENT = 1;
export const MAX_SHARE_PERCENT = 100;
export const MIN_HORIZON_MINUTES = 1;
export const MAX_HORIZON_MINUTES = 1_440;

export const WINDOW_PRESETS: readonly { seconds: number; label: string }[] = [
  { seconds: 60, label: "1 min" },
  { seconds: 3_600, label: "1 h" },
  { seconds: 86_400, label: "1 day" },
];

/** A whole, non-negative number as typed ("1,000", "1 000" and "1_000" accepted), or null. */
export function parseWhole(text: string): number | null {
  const t = text.trim().replace(/[,_\s]/g, "");
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

// Quota

export interface QuotaFormValues {
  limit: string;
  window: string;
}

export type QuotaErrors = Partial<Record<keyof QuotaFormValues, string>>;

export function validateQuotaForm(values: QuotaFormValues): QuotaErrors {
  const errors: QuotaErrors = {};
  const limit = parseWhole(values.limit);
  if (values.limit.trim() === "") errors.limit = "enter the limit: how many per window";
  else if (limit === null) errors.limit = "the limit must be a whole number";
  else if (limit < 1) errors.limit = "the limit must be 1 or more";

  const window = parseWhole(values.window);
  if (values.window.trim() === "") errors.window = "enter the window in seconds (60 for a minute)";
  else if (window === null) errors.window = "the window must be a whole number of seconds";
  else if (window < 1 || window > MAX_WINDOW_SECONDS) errors.window = "the window must be from 1 second to 31 days (2,678,400 s)";
  return errors;
}

/** The quota to send, from values that passed validation. */
export function quotaValue(values: QuotaFormValues): { limit: number; windowSeconds: number } {
  return { limit: parseWhole(values.limit) ?? 1, windowSeconds: parseWhole(values.window) ?? 60 };
}

// Pressure limits

export interface PressureFormValues {
  share: string;
  horizon: string;
}

export type PressureErrors = Partial<Record<keyof PressureFormValues, string>>;

export function validatePressureForm(values: PressureFormValues): PressureErrors {
  const errors: PressureErrors = {};
  const share = parseWhole(values.share);
  if (share === null || share < MIN_SHARE_PERCENT || share > MAX_SHARE_PERCENT) {
    errors.share = `the share must be a whole percentage from ${MIN_SHARE_PERCENT} to ${MAX_SHARE_PERCENT}`;
  }
  const horizon = parseWhole(values.horizon);
  if (horizon === null || horizon < MIN_HORIZON_MINUTES || horizon > MAX_HORIZON_MINUTES) {
    errors.horizon = `the horizon must be a whole number of minutes from ${MIN_HORIZON_MINUTES} to ${MAX_HORIZON_MINUTES} (a day)`;
  }
  return errors;
}

export function pressureValue(values: PressureFormValues): { share_percent: number; horizon_minutes: number } {
  return { share_percent: parseWhole(values.share) ?? 80, horizon_minutes: parseWhole(values.horizon) ?? 30 };
}

// Budget split

/** 100% shared out evenly in whole percents, the remainder to the first ones: 3 → 34, 33, 33. */
export function evenSplit(count: number): number[] {
  if (count <= 0) return [];
  const base = Math.floor(100 / count);
  const extra = 100 - base * count;
  return Array.from({ length: count }, (_, i) => base + (i < extra ? 1 : 0));
}

export interface SplitCheck {
  /** Per input: what is wrong with it, or null. */
  errors: (string | null)[];
  /** The sum of the valid inputs. */
  total: number;
  /** About the whole split (over 100%, nothing given), or null. */
  problem: string | null;
  ok: boolean;
}

export function validateSplit(values: readonly string[]): SplitCheck {
  let total = 0;
  const errors = values.map((v) => {
    const n = parseWhole(v);
    if (n === null || n > 100) return "a whole percentage from 0 to 100";
    total += n;
    return null;
  });
  let problem: string | null = null;
  if (values.length === 0) problem = "a budget split needs at least one agent";
  else if (total > 100) problem = `the shares add up to ${total}%: at most 100%`;
  const ok = problem === null && errors.every((e) => e === null);
  return { errors, total, problem, ok };
}
