// The store the app runs on: how the nav names it, what the "unreachable" banner says, and the
// checks on a store typed into the store dialog (the backend checks again, by connecting).

import type { MachineLink } from "../bindings/MachineLink";
import type { StoreOverview } from "../bindings/StoreOverview";
import { clockTime, formatDuration } from "./time";

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** "512 B", "3.4 MiB", "2 GiB". */
export function bytesText(bytes: number): string {
  if (bytes < KIB) return `${bytes} B`;
  const [unit, size] = bytes >= GIB ? ["GiB", GIB] : bytes >= MIB ? ["MiB", MIB] : ["KiB", KIB];
  const value = bytes / size;
  const text = value >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1);
  return `${text} ${unit}`;
}

/** The host (and database) of a postgres:// URL, or the file name of a path. */
export function storeWhere(location: string): string {
  const url = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?]*)(\/[^?]*)?/i.exec(location);
  if (url) {
    const host = url[1] || "local socket";
    const database = url[2] && url[2] !== "/" ? url[2] : "";
    return `${host}${database}`;
  }
  const parts = location.split(/[\\/]/);
  return parts[parts.length - 1] || location;
}

/** The nav's two lines: the engine, then the size (SQLite) or the host and database. */
export function storeLines(overview: StoreOverview): { engine: string; detail: string } {
  return overview.engine === "postgres"
    ? { engine: "PostgreSQL", detail: storeWhere(overview.location) }
    : { engine: "SQLite", detail: bytesText(overview.bytes) };
}

/** The same on one line: "SQLite · 42 MiB" or "PostgreSQL · db.example.org/baton". */
export function storeLabel(overview: StoreOverview): string {
  const { engine, detail } = storeLines(overview);
  return `${engine} · ${detail}`;
}

/** What the banner says while the store does not answer. */
export function unreachableText(since: string, detail: string | null, now: number): string {
  const started = Date.parse(since);
  const away = Number.isNaN(started) || now - started < 1000 ? "" : ` (${formatDuration(now - started)})`;
  const why = detail ? `: ${detail}` : "";
  return (
    `The store has not answered since ${clockTime(since)}${away}${why}. ` +
    "Polling waits meanwhile and nothing is lost: Baton carries on when it answers."
  );
}

/**
 * Why a store typed into the dialog cannot be used, or null: a postgres:// URL without a
 * password (that goes in the password field, kept in the OS keyring), or an absolute path.
 */
export function storeInputProblem(text: string): string | null {
  const value = text.trim();
  if (value === "") return "Type a postgres:// URL or the path of a SQLite file.";
  if (/^postgres(?:ql)?:\/\//i.test(value)) {
    const userinfo = /^postgres(?:ql)?:\/\/([^@/]*)@/i.exec(value)?.[1] ?? "";
    if (userinfo.includes(":") || /[?&]password=/i.test(value)) {
      return "Leave the password out of the URL: type it in the password field (it is kept in the OS keyring).";
    }
    if (!/^postgres(?:ql)?:\/\/[^/]*\/[^/?]+/i.test(value)) {
      return "Name the database too: postgres://user@host/database.";
    }
    return null;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return "Only postgres:// URLs and SQLite files are stores.";
  if (!value.startsWith("/") && !/^[a-zA-Z]:[\\/]/.test(value)) {
    return "Give the SQLite file's full path (starting with /).";
  }
  return null;
}

/** One machine's link to the store, as its coding agents' hooks measured it, in one line. */
export function machineLinkText(link: MachineLink): string {
  const call = link.call_ms === null ? "no hook call measured yet" : `a hook call takes ${link.call_ms} ms`;
  const unchecked =
    link.unchecked_today === 0
      ? "none unchecked today"
      : `${link.unchecked_today.toLocaleString()} unchecked today, recorded late`;
  return `${link.host}: ${call} · ${unchecked}`;
}
