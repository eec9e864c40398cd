// Coding sessions on the Agents view: which are live, which have gone quiet or ended (shown
// greyed), which are old enough to be archived (hidden until asked for), and how their leases read.

import type { AgentRow } from "../bindings/AgentRow";
import type { SessionLease } from "../bindings/SessionLease";
import type { SessionSummary } from "../bindings/SessionSummary";
import { agoText, formatDuration, parseTime } from "./time";

/** A session with no hook call for this long is idle (greyed): its client was likely closed. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** An ended or idle session is archived this long after its last call. */
export const SESSION_ARCHIVE_MS = 24 * 60 * 60_000;
/** A lease not renewed by a write for this long has lapsed (the hook's default lease time). */
export const LEASE_TIME_MS = 10 * 60_000;

export type SessionPhase = "live" | "idle" | "ended" | "archived";

export const CLIENT_LABEL: Record<string, string> = {
  "claude-code": "Claude Code",
  codex: "Codex",
  copilot: "Copilot CLI",
};

export function sessionPhase(session: SessionSummary, now: number): SessionPhase {
  const lastCall = parseTime(session.last_seen_at);
  const quiet = Number.isNaN(lastCall) ? 0 : now - lastCall;
  if (quiet >= SESSION_ARCHIVE_MS) return "archived";
  if (session.ended_at) return "ended";
  if (quiet >= SESSION_IDLE_MS) return "idle";
  return "live";
}

/** The Agents view's groups: polled agents, sessions to show (live first), archived sessions. */
export function splitAgentRows(
  rows: readonly AgentRow[],
  now: number,
): { polled: AgentRow[]; sessions: AgentRow[]; archived: AgentRow[] } {
  const polled: AgentRow[] = [];
  const sessions: AgentRow[] = [];
  const archived: AgentRow[] = [];
  for (const row of rows) {
    if (!row.session) polled.push(row);
    else if (sessionPhase(row.session, now) === "archived") archived.push(row);
    else sessions.push(row);
  }
  const rank = (row: AgentRow) => (sessionPhase(row.session!, now) === "live" ? 0 : 1);
  const lastCall = (row: AgentRow) => parseTime(row.session!.last_seen_at) || 0;
  const order = (a: AgentRow, b: AgentRow) => rank(a) - rank(b) || lastCall(b) - lastCall(a);
  sessions.sort(order);
  archived.sort(order);
  return { polled, sessions, archived };
}

/** What a greyed session's row says of it: "ended 4m00s ago", "idle 42m00s". */
export function sessionPhaseText(session: SessionSummary, now: number): string {
  switch (sessionPhase(session, now)) {
    case "live":
      return session.turn_open ? "working on a turn" : "between turns";
    case "ended":
      return `ended ${agoText(session.ended_at, now)}`;
    case "idle":
    case "archived":
      return `no call for ${formatDuration(now - parseTime(session.last_seen_at))}`;
  }
}

/** A lease's file (`file://` + the path as written), relative to the session's repository. */
export function leasePath(lease: SessionLease, repoRoot: string | null): string {
  const path = lease.resource.replace(/^file:\/\//, "");
  const root = repoRoot?.replace(/\/+$/, "");
  return root && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

/** "held 12m04s · last write 1m02s ago", or "lapsed" once the lease time has passed. */
export function leaseText(lease: SessionLease, now: number): string {
  const lastWrite = parseTime(lease.last_write_at);
  const held = `held ${formatDuration(now - parseTime(lease.since))}`;
  if (!Number.isNaN(lastWrite) && now - lastWrite >= LEASE_TIME_MS) {
    return `${held} · lapsed (no write for ${formatDuration(now - lastWrite)})`;
  }
  return `${held} · last write ${agoText(lease.last_write_at, now)}`;
}
