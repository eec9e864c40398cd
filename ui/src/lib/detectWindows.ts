// The detectors' time windows one agent may override (crates/baton-core/src/detect/windows.rs),
// as the agent form edits them: durations typed the way people write them ("90s", "10m",
// "1h30m", "2d", a plain number is seconds) and the failed polls before "unreachable". Pure
// functions; the backend checks again and has the last word.

import type { WindowOverrides } from "../bindings/WindowOverrides";

export type WindowField = keyof WindowOverrides;

/** The six windows, in the form's order. */
export const WINDOW_FIELDS: readonly WindowField[] = [
  "write_collision_seconds",
  "trigger_collision_seconds",
  "silent_completion_seconds",
  "stall_seconds",
  "time_budget_seconds",
  "unreachable_polls",
];

/** Longest window accepted: 30 days (MAX_WINDOW_SECONDS in Rust). */
export const MAX_WINDOW_SECONDS = 30 * 24 * 60 * 60;
/** Most failed polls accepted before "unreachable" (MAX_UNREACHABLE_POLLS in Rust). */
export const MAX_UNREACHABLE_POLLS = 1_000;

/** What each window is when the agent does not override it (seconds; polls for unreachable_polls). */
export const WINDOW_DEFAULTS: Record<WindowField, number> = {
  write_collision_seconds: 60,
  trigger_collision_seconds: 60,
  silent_completion_seconds: 10 * 60,
  stall_seconds: 15 * 60,
  time_budget_seconds: 2 * 60 * 60,
  unreachable_polls: 5,
};

/** The backend's words for a duration out of range. */
export const DURATION_RANGE = "a window lasts from 1 second to 30 days";
export const POLLS_RANGE = `from 1 to ${MAX_UNREACHABLE_POLLS} failed polls`;
const DURATION_SHAPE = "type a duration like 90s, 10m, 1h30m or 2d (a plain number is seconds)";
const POLLS_SHAPE = `type a whole number of failed polls, from 1 to ${MAX_UNREACHABLE_POLLS}`;

/**
 * Not a window: the `field` a windows error carries when it is about the section as a whole
 * (the agent is gone, the store failed), so the form shows it there rather than at its foot.
 */
export const WINDOWS_SECTION = "windows";

export function isWindowField(field: string | null | undefined): field is WindowField {
  return field !== null && field !== undefined && (WINDOW_FIELDS as readonly string[]).includes(field);
}

const SECOND = 1;
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNITS: Record<string, number> = {
  s: SECOND, sec: SECOND, secs: SECOND, second: SECOND, seconds: SECOND,
  m: MINUTE, min: MINUTE, mins: MINUTE, minute: MINUTE, minutes: MINUTE,
  h: HOUR, hr: HOUR, hrs: HOUR, hour: HOUR, hours: HOUR,
  d: DAY, day: DAY, days: DAY,
};

/** A field's text, read: `value` null means blank (the default). */
export type Parsed = { ok: true; value: number | null } | { ok: false; error: string };

function seconds(total: number): Parsed {
  if (!Number.isFinite(total) || total < 1 || total > MAX_WINDOW_SECONDS) {
    return { ok: false, error: DURATION_RANGE };
  }
  return { ok: true, value: total };
}

/**
 * A duration in whole seconds: "90", "90s", "10m", "1h30m", "1h 30m", "1.5h", "2 days", any case,
 * spaces anywhere between parts. Blank is null (the default). From 1 s to 30 days.
 */
export function parseDuration(text: string): Parsed {
  const t = text.trim().toLowerCase();
  if (t === "") return { ok: true, value: null };
  if (/^\d+$/.test(t)) return seconds(Number(t));
  if (/^-\s*\d/.test(t)) return { ok: false, error: DURATION_RANGE };
  if (/^\d*\.\d+$/.test(t)) return { ok: false, error: "a window is a whole number of seconds" };
  const part = /(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*/y;
  const seen = new Set<number>();
  let total = 0;
  let pos = 0;
  while (pos < t.length) {
    part.lastIndex = pos;
    const m = part.exec(t);
    if (!m) return { ok: false, error: DURATION_SHAPE };
    const unit = UNITS[m[2]!];
    if (unit === undefined) return { ok: false, error: `"${m[2]}" is not a unit: use s, m, h or d` };
    if (seen.has(unit)) return { ok: false, error: DURATION_SHAPE };
    seen.add(unit);
    total += Number(m[1]) * unit;
    pos = part.lastIndex;
  }
  // 0.1m is 6.000000000000001 s in floating point.
  const rounded = Math.round(total * 1_000) / 1_000;
  if (!Number.isInteger(rounded)) return { ok: false, error: "a window is a whole number of seconds" };
  return seconds(rounded);
}

/** Whole seconds the way parseDuration reads them back: "45s", "15m", "1h 30m", "1d 2h 5s". */
export function formatDuration(total: number): string {
  if (!Number.isFinite(total) || total <= 0) return "0s";
  let rest = Math.round(total);
  const parts: string[] = [];
  for (const [unit, size] of [["d", DAY], ["h", HOUR], ["m", MINUTE], ["s", SECOND]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join(" ");
}

/** A whole number of failed polls, 1 to 1,000; blank is null (the default). */
export function parsePolls(text: string): Parsed {
  const t = text.trim();
  if (t === "") return { ok: true, value: null };
  if (!/^\d+$/.test(t)) return { ok: false, error: POLLS_SHAPE };
  const n = Number(t);
  return n < 1 || n > MAX_UNREACHABLE_POLLS ? { ok: false, error: POLLS_RANGE } : { ok: true, value: n };
}

export function parseWindow(field: WindowField, text: string): Parsed {
  return field === "unreachable_polls" ? parsePolls(text) : parseDuration(text);
}

export function formatWindow(field: WindowField, value: number): string {
  return field === "unreachable_polls" ? String(value) : formatDuration(value);
}

/** The default in words: "15m", "5 failed polls". */
export function describeDefault(field: WindowField): string {
  const value = WINDOW_DEFAULTS[field];
  return field === "unreachable_polls" ? `${value} failed polls` : formatDuration(value);
}

/** The six inputs' text, as typed. */
export type WindowsText = Record<WindowField, string>;
export type WindowErrors = Partial<Record<WindowField, string>>;

/** Only the six fields, only those set (null and unknown keys dropped). */
export function normalizeWindows(windows: WindowOverrides | null | undefined): WindowOverrides {
  const out: WindowOverrides = {};
  for (const f of WINDOW_FIELDS) {
    const v = windows?.[f];
    if (typeof v === "number") out[f] = v;
  }
  return out;
}

export function windowsText(windows: WindowOverrides | null | undefined): WindowsText {
  const w = normalizeWindows(windows);
  const text = {} as WindowsText;
  for (const f of WINDOW_FIELDS) text[f] = w[f] == null ? "" : formatWindow(f, w[f]);
  return text;
}

/** What the text says: the overrides (blank fields left out) and every field that does not parse. */
export function parseWindows(text: WindowsText): { windows: WindowOverrides; errors: WindowErrors } {
  const windows: WindowOverrides = {};
  const errors: WindowErrors = {};
  for (const f of WINDOW_FIELDS) {
    const p = parseWindow(f, text[f]);
    if (!p.ok) errors[f] = p.error;
    else if (p.value !== null) windows[f] = p.value;
  }
  return { windows, errors };
}

export function countWindows(windows: WindowOverrides): number {
  return WINDOW_FIELDS.filter((f) => windows[f] != null).length;
}

export function sameWindows(a: WindowOverrides, b: WindowOverrides): boolean {
  return WINDOW_FIELDS.every((f) => (a[f] ?? null) === (b[f] ?? null));
}

/** What saving does: nothing, or store these overrides (null: back to every default). */
export type WindowsChange = { kind: "none" } | { kind: "set"; windows: WindowOverrides | null };

/** The change from `saved` to what `text` says (call it only when the text parses). */
export function windowsChange(text: WindowsText, saved: WindowOverrides): WindowsChange {
  const { windows } = parseWindows(text);
  if (sameWindows(windows, saved)) return { kind: "none" };
  return { kind: "set", windows: countWindows(windows) === 0 ? null : windows };
}

/** The backend's check (WindowOverrides::check): the first field out of range, or null. */
export function checkWindows(windows: WindowOverrides): { field: WindowField; message: string } | null {
  for (const f of WINDOW_FIELDS) {
    const v = windows[f];
    if (v == null) continue;
    const max = f === "unreachable_polls" ? MAX_UNREACHABLE_POLLS : MAX_WINDOW_SECONDS;
    if (!Number.isInteger(v) || v < 1 || v > max) {
      return { field: f, message: f === "unreachable_polls" ? POLLS_RANGE : DURATION_RANGE };
    }
  }
  return null;
}
