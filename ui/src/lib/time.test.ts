// @vitest-environment node
import { describe, expect, it } from "vitest";

import { T0, at } from "../test/fixtures";
import { ageText, agoText, formatDuration, humanMs, parseTime } from "./time";

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [999, "0s"],
    [12_000, "12s"],
    [59_999, "59s"],
    [60_000, "1m00s"],
    [4 * 60_000 + 12_000, "4m12s"],
    [59 * 60_000 + 59_000, "59m59s"],
    [3_600_000, "1h00m"],
    [2 * 3_600_000 + 3 * 60_000 + 59_000, "2h03m"],
    [23 * 3_600_000 + 59 * 60_000, "23h59m"],
    [24 * 3_600_000, "1d0h"],
    [3 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, "3d4h"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("treats negative (clock skew) and NaN as zero", () => {
    expect(formatDuration(-5_000)).toBe("0s");
    expect(formatDuration(Number.NaN)).toBe("0s");
  });
});

describe("ageText", () => {
  it("names the column and ticks with now", () => {
    const since = at(0);
    expect(ageText("blocked", since, T0 + 4 * 60_000 + 12_000)).toBe("blocked 4m12s");
    expect(ageText("working", since, T0 + 12_000)).toBe("working 12s");
    expect(ageText("done", since, T0 + 2 * 3_600_000 + 3 * 60_000)).toBe("done 2h03m");
    expect(ageText("needs_human", since, T0 + 65_000)).toBe("waiting 1m05s");
  });
});

describe("parseTime", () => {
  it("accepts nanosecond fractions and offsets", () => {
    expect(parseTime("2026-11-21T12:00:00.123456789Z")).toBe(T0 + 123);
    expect(parseTime("2026-11-21T13:00:00+01:00")).toBe(T0);
    expect(parseTime("2026-11-21T12:00:00Z")).toBe(T0);
    expect(Number.isNaN(parseTime("yesterday"))).toBe(true);
  });
});

describe("agoText", () => {
  it("says how long ago", () => {
    expect(agoText(at(-3_000), T0)).toBe("3s ago");
    expect(agoText(at(-200), T0)).toBe("just now");
    expect(agoText(null, T0)).toBe("never");
    expect(agoText(at(-(3 * 86_400_000 + 4 * 3_600_000)), T0)).toBe("3d4h ago");
  });
});

describe("humanMs", () => {
  it("spells durations like the Rust side", () => {
    expect(humanMs(250)).toBe("250 ms");
    expect(humanMs(1_500)).toBe("1.5 s");
    expect(humanMs(2_000)).toBe("2 s");
    expect(humanMs(1_999)).toBe("2 s");
    expect(humanMs(1_234)).toBe("1.2 s");
  });
});
