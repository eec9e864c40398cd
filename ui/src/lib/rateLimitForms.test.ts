import { describe, expect, it } from "vitest";

import {
  evenSplit,
  parseWhole,
  pressureValue,
  quotaValue,
  validatePressureForm,
  validateQuotaForm,
  validateSplit,
} from "./rateLimitForms";

describe("quota form", () => {
  it("accepts a whole limit and a window from 1 s to 31 days", () => {
    expect(validateQuotaForm({ limit: "500", window: "60" })).toEqual({});
    expect(validateQuotaForm({ limit: "1,000,000", window: "2678400" })).toEqual({});
    expect(quotaValue({ limit: " 1_000 ", window: "3600" })).toEqual({ limit: 1_000, windowSeconds: 3_600 });
  });

  it("explains what is wrong with each field", () => {
    expect(validateQuotaForm({ limit: "", window: "" })).toEqual({
      limit: "enter the limit: how many per window",
      window: "enter the window in seconds (60 for a minute)",
    });
    expect(validateQuotaForm({ limit: "0", window: "0" })).toEqual({
      limit: "the limit must be 1 or more",
      window: "the window must be from 1 second to 31 days (2,678,400 s)",
    });
    expect(validateQuotaForm({ limit: "12.5", window: "1m" })).toEqual({
      limit: "the limit must be a whole number",
      window: "the window must be a whole number of seconds",
    });
    expect(validateQuotaForm({ limit: "-3", window: "2678401" }).window).toMatch(/31 days/);
    expect(validateQuotaForm({ limit: "99999999999999999999", window: "60" }).limit).toBe("the limit must be a whole number");
  });
});

describe("pressure form", () => {
  it("accepts a share of 1–100% and a horizon of 1–1440 min", () => {
    expect(validatePressureForm({ share: "80", horizon: "30" })).toEqual({});
    expect(validatePressureForm({ share: "1", horizon: "1440" })).toEqual({});
    expect(pressureValue({ share: "70", horizon: "15" })).toEqual({ share_percent: 70, horizon_minutes: 15 });
  });

  it("refuses values out of range", () => {
    const errors = validatePressureForm({ share: "0", horizon: "1441" });
    expect(errors.share).toBe("the share must be a whole percentage from 1 to 100");
    expect(errors.horizon).toBe("the horizon must be a whole number of minutes from 1 to 1440 (a day)");
    expect(Object.keys(validatePressureForm({ share: "101", horizon: "" }))).toEqual(["share", "horizon"]);
    expect(validatePressureForm({ share: "50%", horizon: "30" }).share).toBeDefined();
  });
});

describe("budget split", () => {
  it("splits 100% evenly in whole percents", () => {
    expect(evenSplit(2)).toEqual([50, 50]);
    expect(evenSplit(3)).toEqual([34, 33, 33]);
    expect(evenSplit(7).reduce((a, b) => a + b, 0)).toBe(100);
    expect(evenSplit(1)).toEqual([100]);
    expect(evenSplit(0)).toEqual([]);
  });

  it("totals the shares and refuses more than 100%", () => {
    expect(validateSplit(["60", "40"])).toEqual({ errors: [null, null], total: 100, problem: null, ok: true });
    expect(validateSplit(["30", "20"])).toMatchObject({ total: 50, ok: true });
    const over = validateSplit(["70", "50"]);
    expect(over).toMatchObject({ total: 120, ok: false, problem: "the shares add up to 120%: at most 100%" });
  });

  it("flags each share that is not a whole 0–100", () => {
    const check = validateSplit(["101", "abc", "", "0"]);
    expect(check.errors).toEqual([
      "a whole percentage from 0 to 100",
      "a whole percentage from 0 to 100",
      "a whole percentage from 0 to 100",
      null,
    ]);
    expect(check.ok).toBe(false);
    expect(check.total).toBe(0);
    expect(validateSplit([]).problem).toBe("a budget split needs at least one agent");
  });

  it("parses whole numbers only", () => {
    expect(parseWhole(" 42 ")).toBe(42);
    expect(parseWhole("4.2")).toBeNull();
    expect(parseWhole("-1")).toBeNull();
    expect(parseWhole("")).toBeNull();
  });
});
