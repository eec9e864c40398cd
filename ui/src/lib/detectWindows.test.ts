import { describe, expect, it } from "vitest";

import {
  checkWindows,
  describeDefault,
  DURATION_RANGE,
  formatDuration,
  MAX_WINDOW_SECONDS,
  normalizeWindows,
  parseDuration,
  parsePolls,
  parseWindows,
  POLLS_RANGE,
  windowsChange,
  windowsText,
} from "./detectWindows";

const ok = (value: number | null) => ({ ok: true, value });

describe("parseDuration", () => {
  it("reads plain seconds and every unit, in any case, with spaces anywhere", () => {
    expect(parseDuration("90")).toEqual(ok(90));
    expect(parseDuration("90s")).toEqual(ok(90));
    expect(parseDuration("10m")).toEqual(ok(600));
    expect(parseDuration("2h")).toEqual(ok(7_200));
    expect(parseDuration("1d")).toEqual(ok(86_400));
    expect(parseDuration("1h30m")).toEqual(ok(5_400));
    expect(parseDuration("  1h 30m 15s ")).toEqual(ok(5_415));
    expect(parseDuration("1 H 30 MIN")).toEqual(ok(5_400));
    expect(parseDuration("2 days 3 hours")).toEqual(ok(183_600));
    expect(parseDuration("5 secs")).toEqual(ok(5));
    expect(parseDuration("1.5h")).toEqual(ok(5_400));
    expect(parseDuration("0.1m")).toEqual(ok(6));
    expect(parseDuration("30m1h")).toEqual(ok(5_400));
    expect(parseDuration("\t45\n")).toEqual(ok(45));
  });

  it("reads blank as the default", () => {
    expect(parseDuration("")).toEqual(ok(null));
    expect(parseDuration("   ")).toEqual(ok(null));
  });

  it("refuses zero, negatives and anything past 30 days", () => {
    for (const text of ["0", "0s", "0h 0m", "-5", "- 5m", "31d", "30d 1s", "720h1s", "99999999999999999999999", "1e400s"]) {
      const p = parseDuration(text);
      expect(p.ok, text).toBe(false);
    }
    expect(parseDuration("0")).toEqual({ ok: false, error: DURATION_RANGE });
    expect(parseDuration("99999999999999999999999")).toEqual({ ok: false, error: DURATION_RANGE });
    expect(parseDuration("30d")).toEqual(ok(MAX_WINDOW_SECONDS));
    expect(parseDuration("720h")).toEqual(ok(MAX_WINDOW_SECONDS));
    expect(parseDuration("1")).toEqual(ok(1));
  });

  it("explains junk", () => {
    for (const text of ["abc", "1h30", "h", "1h 1h", "1,5m", "1h-30m", "m5", "1..5s", "1e5"]) {
      const p = parseDuration(text);
      expect(p.ok, text).toBe(false);
    }
    expect(parseDuration("5 weeks")).toEqual({ ok: false, error: '"weeks" is not a unit: use s, m, h or d' });
    expect(parseDuration("1h30")).toMatchObject({ error: expect.stringContaining("like 90s, 10m, 1h30m") });
    expect(parseDuration("1.5")).toEqual({ ok: false, error: "a window is a whole number of seconds" });
    expect(parseDuration("0.5s")).toEqual({ ok: false, error: "a window is a whole number of seconds" });
  });
});

describe("formatDuration", () => {
  it("writes the largest units first, leaving out zeros", () => {
    expect(formatDuration(45)).toBe("45s");
    expect(formatDuration(60)).toBe("1m");
    expect(formatDuration(90)).toBe("1m 30s");
    expect(formatDuration(900)).toBe("15m");
    expect(formatDuration(5_400)).toBe("1h 30m");
    expect(formatDuration(7_200)).toBe("2h");
    expect(formatDuration(86_400 + 5)).toBe("1d 5s");
    expect(formatDuration(MAX_WINDOW_SECONDS)).toBe("30d");
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(Number.NaN)).toBe("0s");
  });

  it("reads back what it writes", () => {
    for (const n of [1, 59, 60, 61, 3_599, 3_600, 3_661, 86_399, 86_400, 90_061, MAX_WINDOW_SECONDS]) {
      expect(parseDuration(formatDuration(n))).toEqual(ok(n));
    }
  });
});

describe("parsePolls", () => {
  it("reads a whole number from 1 to 1000; blank is the default", () => {
    expect(parsePolls(" 7 ")).toEqual(ok(7));
    expect(parsePolls("1000")).toEqual(ok(1_000));
    expect(parsePolls("")).toEqual(ok(null));
    expect(parsePolls("0")).toEqual({ ok: false, error: POLLS_RANGE });
    expect(parsePolls("1001")).toEqual({ ok: false, error: POLLS_RANGE });
    for (const text of ["-1", "2.5", "five", "5s", "1e3"]) expect(parsePolls(text).ok, text).toBe(false);
  });
});

describe("the six windows together", () => {
  it("shows stored overrides as text and reads them back", () => {
    const text = windowsText({ stall_seconds: 3_600, unreachable_polls: 2, time_budget_seconds: null });
    expect(text).toEqual({
      write_collision_seconds: "",
      trigger_collision_seconds: "",
      silent_completion_seconds: "",
      stall_seconds: "1h",
      time_budget_seconds: "",
      unreachable_polls: "2",
    });
    expect(parseWindows(text)).toEqual({ windows: { stall_seconds: 3_600, unreachable_polls: 2 }, errors: {} });
    expect(parseWindows({ ...text, write_collision_seconds: "soon" }).errors).toEqual({
      write_collision_seconds: expect.stringContaining("type a duration"),
    });
  });

  it("saves nothing when unchanged, the overrides when changed, null when all cleared", () => {
    const saved = { stall_seconds: 3_600 };
    expect(windowsChange(windowsText(saved), saved)).toEqual({ kind: "none" });
    expect(windowsChange({ ...windowsText(saved), stall_seconds: "60m" }, saved)).toEqual({ kind: "none" });
    expect(windowsChange({ ...windowsText(saved), unreachable_polls: "3" }, saved)).toEqual({
      kind: "set",
      windows: { stall_seconds: 3_600, unreachable_polls: 3 },
    });
    expect(windowsChange(windowsText({}), saved)).toEqual({ kind: "set", windows: null });
    expect(windowsChange(windowsText({}), {})).toEqual({ kind: "none" });
  });

  it("normalises what the backend sends and checks ranges like it", () => {
    expect(normalizeWindows({ stall_seconds: null, unreachable_polls: 4 })).toEqual({ unreachable_polls: 4 });
    expect(normalizeWindows(null)).toEqual({});
    expect(checkWindows({ stall_seconds: 0 })).toEqual({ field: "stall_seconds", message: DURATION_RANGE });
    expect(checkWindows({ unreachable_polls: 1_001 })).toEqual({ field: "unreachable_polls", message: POLLS_RANGE });
    expect(checkWindows({ time_budget_seconds: MAX_WINDOW_SECONDS })).toBeNull();
    expect(describeDefault("silent_completion_seconds")).toBe("10m");
    expect(describeDefault("unreachable_polls")).toBe("5 failed polls");
  });
});
