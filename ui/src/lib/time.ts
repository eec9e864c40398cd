// Time helpers: parsing the backend's RFC 3339 timestamps and formatting ages.

import type { BoardColumn } from "../bindings/BoardColumn";

const FRACTION = /\.(\d{3})\d+/;

/**
 * Milliseconds since the epoch for an RFC 3339 timestamp ("2026-11-21T20:38:00.123456789Z").
 * Fractions beyond milliseconds are cut first: not every engine's Date.parse accepts nanoseconds.
 * Returns NaN for junk.
 */
export function parseTime(value: string): number {
  return Date.parse(value.replace(FRACTION, ".$1"));
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Compact duration: "12s", "4m12s", "2h03m", "3d4h". Negative or NaN counts as 0. */
export function formatDuration(ms: number): string {
  const t = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (t < MINUTE) return `${Math.floor(t / SECOND)}s`;
  if (t < HOUR) {
    const m = Math.floor(t / MINUTE);
    const s = Math.floor((t % MINUTE) / SECOND);
    return `${m}m${pad2(s)}s`;
  }
  if (t < DAY) {
    const h = Math.floor(t / HOUR);
    const m = Math.floor((t % HOUR) / MINUTE);
    return `${h}h${pad2(m)}m`;
  }
  const d = Math.floor(t / DAY);
  const h = Math.floor((t % DAY) / HOUR);
  return `${d}d${h}h`;
}

/** The word before a card's age. */
export const COLUMN_VERB: Record<BoardColumn, string> = {
  queued: "queued",
  working: "working",
  needs_human: "waiting",
  blocked: "blocked",
  done: "done",
  failed: "failed",
};

/** How long a task has been in its column: "blocked 4m12s". */
export function ageText(column: BoardColumn, stateSince: string, now: number): string {
  return `${COLUMN_VERB[column]} ${formatDuration(now - parseTime(stateSince))}`;
}

/** "3s ago", "just now", or "never" for a missing time. */
export function agoText(at: string | null | undefined, now: number): string {
  if (!at) return "never";
  const t = parseTime(at);
  if (Number.isNaN(t)) return "unknown";
  const diff = now - t;
  if (diff < SECOND) return "just now";
  return `${formatDuration(diff)} ago`;
}

/** Local wall-clock time with seconds, for event lists: "20:38:05". */
export function clockTime(at: string): string {
  const t = parseTime(at);
  if (Number.isNaN(t)) return at;
  const d = new Date(t);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local date and time: "2026-11-21 20:38:05". */
export function dateTime(at: string): string {
  const t = parseTime(at);
  if (Number.isNaN(t)) return at;
  const d = new Date(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clockTime(at)}`;
}

/** Milliseconds as Baton's messages spell them: "250 ms", "1.5 s", "2 s" (mirrors human_duration_ms). */
export function humanMs(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  const tenths = Math.floor((ms + 50) / 100);
  return tenths % 10 === 0 ? `${tenths / 10} s` : `${Math.floor(tenths / 10)}.${tenths % 10} s`;
}
