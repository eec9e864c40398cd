// @vitest-environment node
import { describe, expect, it } from "vitest";

import {
  budgetState,
  checkBudget,
  costText,
  dayBars,
  dayLabel,
  formatPrice,
  formatUsd,
  modelLine,
  parseDollars,
  priceErrorField,
  priceValue,
  samePrice,
  sortPrices,
  tokenSplit,
  tokensText,
  unpricedText,
  validatePriceForm,
  weekTotal,
} from "./costs";

describe("dollars", () => {
  it("reads like a person writes them", () => {
    expect(formatUsd(0.0042)).toBe("$0.0042");
    expect(formatUsd(1.27)).toBe("$1.27");
    expect(formatUsd(1204.4)).toBe("$1,204");
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(0.00001)).toBe("<$0.0001");
    expect(formatUsd(0.35)).toBe("$0.35");
    expect(formatUsd(999.999)).toBe("$1,000");
    expect(formatUsd(Number.NaN)).toBe("–");
  });

  it("marks an upper bound and counts unpriced tokens", () => {
    expect(costText({ usd: 3.1, upper_bound: false })).toBe("$3.10");
    expect(costText({ usd: 3.1, upper_bound: true })).toBe("≤ $3.10");
    expect(unpricedText(0)).toBeNull();
    expect(unpricedText(1)).toBe("1 token unpriced");
    expect(unpricedText(12_040)).toBe("12,040 tokens unpriced");
  });

  it("writes a price as exact as it was set", () => {
    expect(formatPrice(0.00015)).toBe("$0.00015");
    expect(formatPrice(0.01)).toBe("$0.01");
    expect(formatPrice(15)).toBe("$15");
  });

  it("parses dollars as typed, refusing a decimal comma", () => {
    expect(parseDollars("5")).toBe(5);
    expect(parseDollars(" $2.50 ")).toBe(2.5);
    expect(parseDollars("1,000")).toBe(1000);
    expect(parseDollars("1,000.25")).toBe(1000.25);
    expect(parseDollars(".5")).toBe(0.5);
    expect(parseDollars("2,5")).toBeNull();
    expect(parseDollars("-1")).toBeNull();
    expect(parseDollars("five")).toBeNull();
    expect(parseDollars("")).toBeNull();
  });
});

describe("tokens", () => {
  const breakdown = {
    by_model: [
      { api: "openai", model: "gpt-4o", tokens: { input: 800, output: 200, unsplit: 0 }, usd: 0.003, default_price: true },
      { api: "anthropic", model: null, tokens: { input: 400, output: 180, unsplit: 24 }, usd: null, default_price: false },
    ],
  };

  it("adds up the split over the models", () => {
    expect(tokenSplit(breakdown)).toEqual({ input: 1200, output: 380, unsplit: 24 });
    expect(tokensText({ input: 1200, output: 380, unsplit: 24 })).toBe("1,200 in / 380 out / 24 unsplit");
    expect(tokensText({ input: 5, output: 1, unsplit: 0 })).toBe("5 in / 1 out");
  });

  it("says one model's line", () => {
    expect(modelLine(breakdown.by_model[0]!)).toBe("openai · gpt-4o: $0.0030 (default price) · 800 in / 200 out");
    expect(modelLine(breakdown.by_model[1]!)).toBe("anthropic · every model: no price · 400 in / 180 out / 24 unsplit");
  });
});

describe("the week", () => {
  it("labels UTC days and scales bars to the dearest", () => {
    expect(dayLabel("2026-11-21")).toBe("Sat 21 Nov");
    expect(dayLabel("garbage")).toBe("garbage");
    const days = [
      { day: "2026-11-20", usd: 0, tokens: 0 },
      { day: "2026-11-21", usd: 2, tokens: 100 },
      { day: "2026-11-22", usd: 0.01, tokens: 3 },
    ];
    const bars = dayBars(days);
    expect(bars.map((b) => b.height)).toEqual([0, 1, 0.06]);
    expect(weekTotal(days)).toBeCloseTo(2.01);
    expect(dayBars([{ day: "2026-11-20", usd: 0, tokens: 0 }])[0]!.height).toBe(0);
  });
});

describe("budgets", () => {
  it("is over only past the budget, near from 80 %", () => {
    expect(budgetState(3.1, 5)).toEqual({ level: "under", text: "$3.10 of $5.00 today", ratio: 0.62 });
    expect(budgetState(4, 5).level).toBe("near");
    expect(budgetState(5, 5).level).toBe("near");
    expect(budgetState(5.01, 5).level).toBe("over");
    expect(budgetState(1, null)).toEqual({ level: "none", text: "no budget", ratio: 0 });
    expect(budgetState(1, 5, true).text).toBe("≤ $1.00 of $5.00 today");
  });

  it("checks a budget as typed: empty removes it", () => {
    expect(checkBudget("")).toEqual({ ok: true, usd: null });
    expect(checkBudget(" 5 ")).toEqual({ ok: true, usd: 5 });
    expect(checkBudget("$2.50")).toEqual({ ok: true, usd: 2.5 });
    expect(checkBudget("0")).toMatchObject({ ok: false });
    expect(checkBudget("lots")).toMatchObject({ ok: false });
    expect(checkBudget("2000000")).toMatchObject({ ok: false, error: "a daily budget is at most $1,000,000" });
  });
});

describe("the price form", () => {
  const ok = { api: "openai", model: "gpt-4o*", input: "0.0025", output: "0.01" };

  it("accepts a price and builds it", () => {
    expect(validatePriceForm(ok)).toEqual({});
    expect(priceValue(ok)).toEqual({ api: "openai", model: "gpt-4o*", input_per_1k: 0.0025, output_per_1k: 0.01, default: false });
    expect(priceValue({ ...ok, model: "  " }).model).toBeNull();
  });

  it("flags each field as the backend would", () => {
    expect(Object.keys(validatePriceForm({ api: " ", model: "", input: "", output: "x" })).sort()).toEqual(["api", "input", "output"]);
    expect(validatePriceForm({ ...ok, model: "*" }).model).toMatch(/leave the model empty/);
    expect(validatePriceForm({ ...ok, model: "gpt-*-mini" }).model).toMatch(/may end in \*/);
    expect(validatePriceForm({ ...ok, input: "1001" }).input).toMatch(/at most \$1000/);
    expect(validatePriceForm({ ...ok, output: "-1" }).output).toMatch(/number of dollars/);
    expect(validatePriceForm({ ...ok, api: "a".repeat(257) }).api).toMatch(/256 bytes/);
  });

  it("places a backend refusal at the field it names", () => {
    expect(priceErrorField("input_per_1k")).toBe("input");
    expect(priceErrorField("output_per_1k")).toBe("output");
    expect(priceErrorField("model")).toBe("model");
    expect(priceErrorField("api")).toBe("api");
    expect(priceErrorField(null)).toBeNull();
    expect(priceErrorField("daily_budget_usd")).toBeNull();
  });

  it("keys prices by API and model; the user's rows first", () => {
    expect(samePrice({ api: "openai", model: null }, { api: "openai ", model: "" })).toBe(true);
    expect(samePrice({ api: "openai", model: "a" }, { api: "openai", model: null })).toBe(false);
    const p = (api: string, model: string | null, d: boolean) => ({ api, model, input_per_1k: 1, output_per_1k: 1, default: d });
    expect(sortPrices([p("openai", "b", true), p("zeta", null, false), p("openai", "a", true)]).map((x) => `${x.api}/${x.model}`)).toEqual([
      "zeta/null",
      "openai/a",
      "openai/b",
    ]);
  });
});
