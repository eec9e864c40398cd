// @vitest-environment node
import { describe, expect, it } from "vitest";

import { readiness } from "../test/pipelines";
import {
  currentThresholds,
  DEFAULT_THRESHOLDS,
  isThresholdField,
  notReadyHeadline,
  percentText,
  readinessBadge,
  readinessFigures,
  readinessLine,
  readyCountText,
  streakProgress,
  thresholdMessage,
  thresholdsOf,
  thresholdsText,
  thresholdValues,
  validateThresholds,
} from "./readiness";

describe("readiness", () => {
  it("says what is missing, or Ready", () => {
    expect(readinessLine(readiness(1))).toBe("19 of 28 days; approval 81 %");
    expect(readinessLine(readiness(1, { ready: true, missing: [], summary: "ready" }))).toBe("Ready");
    expect(readinessLine(readiness(1, { missing: [], summary: "" }))).toBe("Not ready");
    expect(readinessBadge(readiness(1))).toMatchObject({ text: "Not ready", tone: "not-ready", title: "Not ready: 19 of 28 days; approval 81 %" });
    expect(readinessBadge(readiness(1, { ready: true }))).toMatchObject({ text: "Ready", tone: "ready" });
    expect(readinessBadge(undefined)).toMatchObject({ text: "–", tone: "none" });
  });

  it("measures the streak against the days needed", () => {
    expect(streakProgress({ stable_days: 19, days_needed: 28 })).toBeCloseTo(19 / 28);
    expect(streakProgress({ stable_days: 40, days_needed: 28 })).toBe(1);
    expect(streakProgress({ stable_days: 0, days_needed: 0 })).toBe(1);
  });

  it("words percentages as the backend does: never seeming to pass a bar it misses", () => {
    expect(percentText(81.9)).toBe("81 %");
    expect(percentText(84.99)).toBe("84 %");
    expect(percentText(10.2, "up")).toBe("11 %");
    expect(percentText(Number.NaN)).toBe("–");
  });

  it("lists the figures, with nothing yet for nulls, and flags those short of their bar", () => {
    const figures = readinessFigures(readiness(1));
    expect(figures.map((f) => [f.key, f.value, f.short])).toEqual([
      ["days", "19 of 28", true],
      ["approval", "81 %", true],
      ["failure", "5 %", false],
      ["polls", "99 %", false],
      ["conflicts", "0", false],
    ]);
    expect(figures[1]!.detail).toBe("of 21 decided · need ≥\u00a085\u00a0%");
    const fresh = readinessFigures(
      readiness(2, { approval_percent: null, decided: 0, failure_percent: null, poll_health_percent: null, open_conflicts: 2 }),
    );
    expect(fresh.map((f) => [f.value, f.short])).toEqual([
      ["19 of 28", true],
      ["nothing decided yet", null],
      ["no task ended yet", null],
      ["not polled yet", null],
      ["2", true],
    ]);
  });

  it("tells the rule and the count", () => {
    expect(thresholdsText(DEFAULT_THRESHOLDS)).toBe("28 stable days · approval ≥ 85 % · failures ≤ 10 % · polls ≥ 95 % a day");
    expect(currentThresholds([])).toBeNull();
    expect(currentThresholds([readiness(1)])).toEqual(DEFAULT_THRESHOLDS);
    expect(readyCountText([readiness(1), readiness(2, { ready: true })])).toBe("1 of 2 ready");
  });
});

describe("the thresholds form", () => {
  it("round-trips the thresholds", () => {
    const values = thresholdValues({ days: 14, approval_percent: 90, max_failure_percent: 5, poll_health_percent: 99 });
    expect(values).toEqual({ days: "14", approval_percent: "90", max_failure_percent: "5", poll_health_percent: "99" });
    expect(validateThresholds(values)).toEqual({});
    expect(thresholdsOf({ ...values, approval_percent: " 90 % " })).toEqual({ days: 14, approval_percent: 90, max_failure_percent: 5, poll_health_percent: 99 });
  });

  it("refuses what the backend refuses", () => {
    const errors = validateThresholds({ days: "0", approval_percent: "101", max_failure_percent: "2.5", poll_health_percent: "" });
    expect(Object.keys(errors).sort()).toEqual(["approval_percent", "days", "max_failure_percent", "poll_health_percent"]);
    expect(errors.days).toBe("days of stable running: a whole number from 1 to 366");
    expect(validateThresholds({ days: "367", approval_percent: "0", max_failure_percent: "100", poll_health_percent: "0" })).toEqual({
      days: "days of stable running: a whole number from 1 to 366",
    });
    expect(thresholdMessage("max_failure_percent", "max_failure_percent is a percentage: 0 to 100")).toBe(
      "the share of failed tasks is a percentage: 0 to 100",
    );
    expect(isThresholdField("days")).toBe(true);
    expect(isThresholdField("price")).toBe(false);
    expect(isThresholdField(null)).toBe(false);
  });
});

describe("pre-deploy", () => {
  it("names the agents not ready once each", () => {
    expect(notReadyHeadline([])).toBeNull();
    expect(notReadyHeadline(["Writer", "Writer"])).toBe(
      "Writer is not ready for a second agent beside it yet (rollout readiness): see below.",
    );
    expect(notReadyHeadline(["Writer", "Editor", "Publisher"])).toBe(
      "Writer, Editor and Publisher are not ready for a second agent beside them yet (rollout readiness): see below.",
    );
  });
});
