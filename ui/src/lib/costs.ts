// What the agents' API calls cost, as the Agents view and the task drawer show it: dollars,
// tokens, the days of the last week, budgets, and the price table's form. Validation mirrors
// the backend (baton-core's check_price, baton-store's set_budget_in) so problems show before
// the round trip; the backend checks again and has the last word.

import type { CostBreakdown } from "../bindings/CostBreakdown";
import type { DayCost } from "../bindings/DayCost";
import type { ModelCost } from "../bindings/ModelCost";
import type { Price } from "../bindings/Price";
import type { TokenCount } from "../bindings/TokenCount";

/** A daily budget's ceiling, in dollars (baton-store's MAX_DAILY_BUDGET). */
export const MAX_DAILY_BUDGET = 1_000_000;
/** A price per 1,000 tokens is at most this many dollars (baton-core's MAX_PRICE_PER_1K). */
export const MAX_PRICE_PER_1K = 1_000;
/** An API's or model's name is at most this many bytes (baton-core's MAX_PRICE_NAME). */
export const MAX_PRICE_NAME = 256;
/** From this share of its budget on, an agent's spending is shown as nearing it. */
export const NEAR_BUDGET = 0.8;

const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** "12,345". */
export function countText(n: number): string {
  return whole.format(n);
}

/**
 * Dollars as a person reads them: "$0.0042" under a cent, "$1.27" under a thousand, "$1,204"
 * from there; "$0.00" for nothing and "<$0.0001" for a trace.
 */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return "–";
  const sign = usd < 0 ? "-" : "";
  const v = Math.abs(usd);
  if (v === 0) return "$0.00";
  if (v < 0.0001) return `${sign}<$0.0001`;
  if (v < 0.01) return `${sign}$${v.toFixed(4)}`;
  if (v < 1_000) {
    const cents = v.toFixed(2);
    // 999.999 rounds up to 1000.00: write it like the thousands.
    return Number(cents) < 1_000 ? `${sign}$${cents}` : `${sign}$${whole.format(v)}`;
  }
  return `${sign}$${whole.format(v)}`;
}

/** A price per 1,000 tokens, as exact as it was set: "$0.00015", "$0.01", "$15". */
export function formatPrice(usd: number): string {
  if (!Number.isFinite(usd)) return "–";
  return `$${usd.toLocaleString("en-US", { maximumFractionDigits: 6, useGrouping: true })}`;
}

/** A breakdown's dollars, "≤ $1.27" when some tokens had no split (priced at the dearer rate). */
export function costText(cost: Pick<CostBreakdown, "usd" | "upper_bound">): string {
  return `${cost.upper_bound ? "≤ " : ""}${formatUsd(cost.usd)}`;
}

/** "1,204 tokens unpriced", or null when every token had a price. */
export function unpricedText(tokens: number): string | null {
  if (!(tokens > 0)) return null;
  return `${countText(tokens)} token${tokens === 1 ? "" : "s"} unpriced`;
}

/** The input, output and unsplit tokens of a breakdown, added up over its models. */
export function tokenSplit(cost: Pick<CostBreakdown, "by_model">): TokenCount {
  return cost.by_model.reduce(
    (sum, m) => ({
      input: sum.input + m.tokens.input,
      output: sum.output + m.tokens.output,
      unsplit: sum.unsplit + m.tokens.unsplit,
    }),
    { input: 0, output: 0, unsplit: 0 },
  );
}

/** "800 in / 380 out", with " / 24 unsplit" when some came without a split. */
export function tokensText(t: TokenCount): string {
  const parts = [`${countText(t.input)} in`, `${countText(t.output)} out`];
  if (t.unsplit > 0) parts.push(`${countText(t.unsplit)} unsplit`);
  return parts.join(" / ");
}

/** "openai · gpt-4o", "openai · every model". */
export function modelText(api: string, model: string | null): string {
  return `${api} · ${model ?? "every model"}`;
}

/** One model line of a breakdown: "openai · gpt-4o: $0.0030 · 800 in / 200 out". */
export function modelLine(m: ModelCost): string {
  const usd = m.usd === null ? "no price" : `${formatUsd(m.usd)}${m.default_price ? " (default price)" : ""}`;
  return `${modelText(m.api, m.model)}: ${usd} · ${tokensText(m.tokens)}`;
}

// Days

const WEEKDAY = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A UTC day `YYYY-MM-DD` as "Sat 21 Nov" (the text itself when it is not a date). */
export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (Number.isNaN(d.getTime())) return day;
  return `${WEEKDAY[d.getUTCDay()]} ${d.getUTCDate()} ${MONTH[d.getUTCMonth()]}`;
}

export interface DayBar {
  day: string;
  label: string;
  usd: number;
  tokens: number;
  /** The bar's height, 0 to 1 of the week's dearest day (a day with any spending shows at least a sliver). */
  height: number;
}

/** The week's days as bars scaled to the dearest one. */
export function dayBars(days: readonly DayCost[]): DayBar[] {
  const max = days.reduce((m, d) => Math.max(m, d.usd), 0);
  return days.map((d) => ({
    day: d.day,
    label: dayLabel(d.day),
    usd: d.usd,
    tokens: d.tokens,
    height: max > 0 ? (d.usd > 0 ? Math.max(0.06, d.usd / max) : 0) : 0,
  }));
}

/** The week's spending in all. */
export function weekTotal(days: readonly DayCost[]): number {
  return days.reduce((sum, d) => sum + d.usd, 0);
}

// Budgets

export type BudgetLevel = "none" | "under" | "near" | "over";

export interface BudgetState {
  level: BudgetLevel;
  /** "$3.10 of $5.00 today", or "no budget". */
  text: string;
  /** Today's share of the budget (0 without one); may pass 1. */
  ratio: number;
}

/** Today's spending against the agent's daily budget: over when past it (as the over_budget finding says). */
export function budgetState(spent: number, budget: number | null, upperBound = false): BudgetState {
  if (budget === null || !(budget > 0)) return { level: "none", text: "no budget", ratio: 0 };
  const ratio = spent / budget;
  const level: BudgetLevel = spent > budget ? "over" : ratio >= NEAR_BUDGET ? "near" : "under";
  return { level, text: `${upperBound ? "≤ " : ""}${formatUsd(spent)} of ${formatUsd(budget)} today`, ratio };
}

/**
 * Dollars as typed: "5", "0.25", "$5.00", "1,000", "1 000.50". Null when it is not a plain
 * non-negative number (a decimal comma is refused rather than guessed).
 */
export function parseDollars(text: string): number | null {
  let t = text.trim().replace(/^\$\s*/, "").replace(/[\s_]/g, "");
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(t)) t = t.replace(/,/g, "");
  if (!/^(\d+\.?\d*|\.\d+)$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export type BudgetCheck = { ok: true; usd: number | null } | { ok: false; error: string };

/** A budget as typed: empty removes it; else dollars above 0, at most a million. */
export function checkBudget(text: string): BudgetCheck {
  if (text.trim() === "") return { ok: true, usd: null };
  const usd = parseDollars(text);
  if (usd === null) return { ok: false, error: "a daily budget is a number of dollars, like 5 or 2.50" };
  if (usd <= 0) return { ok: false, error: "a daily budget is above $0 (leave it empty for no budget)" };
  if (usd > MAX_DAILY_BUDGET) return { ok: false, error: `a daily budget is at most ${formatUsd(MAX_DAILY_BUDGET)}` };
  return { ok: true, usd };
}

/** The budget as the edit field starts: "5", "2.5", or empty without one. */
export function budgetInput(budget: number | null): string {
  return budget === null ? "" : String(budget);
}

// Prices

export interface PriceFormValues {
  api: string;
  model: string;
  input: string;
  output: string;
}

export type PriceField = keyof PriceFormValues;
export type PriceErrors = Partial<Record<PriceField, string>>;

export const EMPTY_PRICE_FORM: PriceFormValues = { api: "", model: "", input: "", output: "" };

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** Every problem with the price form's values, keyed by field. */
export function validatePriceForm(values: PriceFormValues): PriceErrors {
  const errors: PriceErrors = {};
  const api = values.api.trim();
  const model = values.model.trim();
  if (api === "") errors.api = "name the API the price is for (as the agents report it, e.g. openai)";
  else if (bytes(api) > MAX_PRICE_NAME) errors.api = `an API name is at most ${MAX_PRICE_NAME} bytes`;
  if (model !== "") {
    if (/^\*+$/.test(model)) errors.model = "leave the model empty for every model of the API";
    else if (model.replace(/\*+$/, "").includes("*")) errors.model = "a model may end in * (a prefix of names), but holds no other *";
    else if (bytes(model) > MAX_PRICE_NAME) errors.model = `a model name is at most ${MAX_PRICE_NAME} bytes`;
  }
  for (const field of ["input", "output"] as const) {
    const text = values[field];
    const n = parseDollars(text);
    if (text.trim() === "") errors[field] = `enter the ${field} price: dollars per 1,000 tokens (0 for free)`;
    else if (n === null) errors[field] = `the ${field} price is a number of dollars, like 0.0025`;
    else if (n > MAX_PRICE_PER_1K) errors[field] = `the ${field} price is per 1,000 tokens: at most $${MAX_PRICE_PER_1K}`;
  }
  return errors;
}

/** The price to send, from values that passed validation. */
export function priceValue(values: PriceFormValues): Price {
  const model = values.model.trim();
  return {
    api: values.api.trim(),
    model: model === "" ? null : model,
    input_per_1k: parseDollars(values.input) ?? 0,
    output_per_1k: parseDollars(values.output) ?? 0,
    default: false,
  };
}

/** The form filled from a price (to edit it, or to set one's own over a default). */
export function priceFormOf(price: Price): PriceFormValues {
  return {
    api: price.api,
    model: price.model ?? "",
    input: String(price.input_per_1k),
    output: String(price.output_per_1k),
  };
}

/** Prices are keyed by API and model (null: every model). */
export function samePrice(a: Pick<Price, "api" | "model">, b: Pick<Price, "api" | "model">): boolean {
  return a.api.trim() === b.api.trim() && (a.model?.trim() || null) === (b.model?.trim() || null);
}

export function priceKey(p: Pick<Price, "api" | "model">): string {
  return `${p.api}\u0000${p.model ?? ""}`;
}

/** The form field a backend refusal names (`api`, `model`, `input_per_1k`, `output_per_1k`). */
export function priceErrorField(field: string | null): PriceField | null {
  switch (field) {
    case "api":
      return "api";
    case "model":
      return "model";
    case "input_per_1k":
      return "input";
    case "output_per_1k":
      return "output";
    default:
      return null;
  }
}

/** The user's rows first (by API, then model), then Baton's defaults. */
export function sortPrices(list: readonly Price[]): Price[] {
  return [...list].sort(
    (a, b) =>
      Number(a.default) - Number(b.default) ||
      a.api.localeCompare(b.api) ||
      (a.model ?? "").localeCompare(b.model ?? ""),
  );
}
