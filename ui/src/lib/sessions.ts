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
  gemini: "Gemini CLI",
  opencode: "OpenCode",
};

export function sessionPhase(session: SessionSummary, now: number): SessionPhase {
  const lastCall = parseTime(session.last_seen_at);
  const quiet = Number.isNaN(lastCall) ? 0 : now - lastCall;
  if (quiet >= SESSION_ARCHIVE_MS) return "archived";
  if (session.ended_at) return "ended";
  if (quiet >= SESSION_IDLE_MS) return "idle";
  return "live";
}

/**
 * The Agents view's groups: polled agents, sessions to show (live first), archived sessions. A
 * session's subagents are no rows of their own: their session's row lists them.
 */
export function splitAgentRows(
  rows: readonly AgentRow[],
  now: number,
): { polled: AgentRow[]; sessions: AgentRow[]; archived: AgentRow[] } {
  const polled: AgentRow[] = [];
  const sessions: AgentRow[] = [];
  const archived: AgentRow[] = [];
  for (const row of rows) {
    // A subagent is listed under its session's row.
    if (row.subagent) continue;
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

/**
 * A lease's file relative to the session's repository: a repository's file
 * (`repo://<identity>/<path>`) by its path inside, a folder's (`file://` + the path) relative to
 * the session's checkout.
 */
export function leasePath(lease: SessionLease, repoRoot: string | null, repository: string | null = null): string {
  const inRepository = repository ? `repo://${repository}/` : null;
  if (inRepository && lease.resource.startsWith(inRepository)) return lease.resource.slice(inRepository.length);
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

/** One checkout (a worktree's folder) of a repository, on one branch, and its sessions. */
export interface WorktreeGroup {
  key: string;
  /** The folder (null: the session said none). */
  root: string | null;
  /** The folder's last part, as shown. */
  folder: string;
  branch: string | null;
  /** The machine its sessions' hooks run on (null: not said, a session from before). */
  host: string | null;
  rows: AgentRow[];
}

/** A repository and its checkouts with sessions. */
export interface RepositoryGroup {
  key: string;
  /** Its name for a person (`shop`); "no repository" for sessions outside one. */
  name: string;
  /** Its full identity (`github.com/acme/shop`, `root:<hash>`), shown on hover; null outside one. */
  identity: string | null;
  worktrees: WorktreeGroup[];
}

const lastPart = (path: string) => path.split("/").filter(Boolean).pop() ?? path;

/**
 * Whether the sessions come from more than one machine (a shared store): then each checkout
 * says which machine it is on; on one machine that would only repeat its name.
 */
export function onSeveralMachines(rows: readonly AgentRow[]): boolean {
  const hosts = new Set<string>();
  for (const row of rows) {
    const host = row.session?.host;
    if (host) hosts.add(host);
  }
  return hosts.size > 1;
}

/**
 * Sessions grouped by repository (its identity: every worktree and clone of it together), then
 * by checkout folder and branch. Groups come in the order of their first session in `rows` (so
 * an ordering of the rows, live first, carries over); a session outside any repository is
 * grouped by its folder.
 */
export function groupSessions(rows: readonly AgentRow[]): RepositoryGroup[] {
  const groups = new Map<string, RepositoryGroup>();
  for (const row of rows) {
    const s = row.session;
    if (!s) continue;
    const key = s.repository ? `repo:${s.repository}` : s.repo_root ? `folder:${s.repo_root}` : "none";
    let group = groups.get(key);
    if (!group) {
      const name = s.repository_name ?? (s.repo_root ? lastPart(s.repo_root) : "no repository");
      group = { key, name, identity: s.repository, worktrees: [] };
      groups.set(key, group);
    }
    // One folder on two machines (clones at the same path) is two checkouts.
    const host = s.host ?? null;
    const worktreeKey = `${host ?? ""}\u0000${s.repo_root ?? ""}\u0000${s.branch ?? ""}`;
    let worktree = group.worktrees.find((w) => w.key === worktreeKey);
    if (!worktree) {
      worktree = {
        key: worktreeKey,
        root: s.repo_root,
        folder: s.repo_root ? lastPart(s.repo_root) : "no folder",
        branch: s.branch,
        host,
        rows: [],
      };
      group.worktrees.push(worktree);
    }
    worktree.rows.push(row);
  }
  return [...groups.values()];
}

/** "3 subagents working", or null when none works: what a session's row says of its subagents. */
export function subagentsWorkingText(session: SessionSummary): string | null {
  const working = (session.subagents ?? []).filter((s) => !s.stopped_at).length;
  if (working === 0) return null;
  return `${working} subagent${working === 1 ? "" : "s"} working`;
}

/** A subagent as its session's row lists it: its name past its session's ("general-purpose #2"). */
export function subagentLabel(name: string): string {
  const at = name.lastIndexOf(" › ");
  return at < 0 ? name : name.slice(at + 3);
}

/**
 * `rows` in their order, each subagent moved right under its session (the timeline draws its lane
 * there); a subagent whose session is not among `rows` stays where it was.
 */
export function subagentsUnderSessions(rows: readonly AgentRow[]): AgentRow[] {
  const present = new Set(rows.map((r) => r.config.id));
  const under = new Map<number, AgentRow[]>();
  for (const row of rows) {
    const of = row.subagent?.session_agent_id;
    if (of !== undefined && present.has(of)) under.set(of, [...(under.get(of) ?? []), row]);
  }
  const out: AgentRow[] = [];
  for (const row of rows) {
    const of = row.subagent?.session_agent_id;
    if (of !== undefined && present.has(of)) continue;
    out.push(row, ...(under.get(row.config.id) ?? []));
  }
  return out;
}
