// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { SessionSummary } from "../bindings/SessionSummary";
import { agentRow, sessionSummary } from "../test/fixtures";
import {
  groupSessions,
  leasePath,
  onSeveralMachines,
  leaseText,
  sessionPhase,
  sessionPhaseText,
  SESSION_ARCHIVE_MS,
  SESSION_IDLE_MS,
  splitAgentRows,
  subagentLabel,
  subagentsUnderSessions,
} from "./sessions";

const NOW = Date.parse("2026-11-23T12:00:00Z");
const iso = (ago: number) => new Date(NOW - ago).toISOString();

function session(extra: Partial<SessionSummary> = {}): SessionSummary {
  return sessionSummary({
    session_id: "4f1c2a9e-0b7d",
    repo_root: "/home/ana/shop",
    repository: null,
    repository_name: null,
    branch: "main",
    prompt: "Fix the login",
    last_tool: "Write /home/ana/shop/src/app.rs",
    turn_open: true,
    started_at: iso(3_600_000),
    last_seen_at: iso(5_000),
    ...extra,
  });
}

describe("sessions", () => {
  it("are live while they call, greyed when ended or idle, archived after a day", () => {
    expect(sessionPhase(session(), NOW)).toBe("live");
    expect(sessionPhase(session({ ended_at: iso(60_000) }), NOW)).toBe("ended");
    expect(sessionPhase(session({ last_seen_at: iso(SESSION_IDLE_MS) }), NOW)).toBe("idle");
    expect(sessionPhase(session({ last_seen_at: iso(SESSION_ARCHIVE_MS), ended_at: iso(1) }), NOW)).toBe(
      "archived",
    );
    expect(sessionPhaseText(session({ ended_at: iso(240_000) }), NOW)).toBe("ended 4m00s ago");
    expect(sessionPhaseText(session({ last_seen_at: iso(SESSION_IDLE_MS + 60_000) }), NOW)).toBe(
      "no call for 31m00s",
    );
    expect(sessionPhaseText(session({ turn_open: false }), NOW)).toBe("between turns");
  });

  it("split from polled agents, live ones first, the archived apart", () => {
    const rows = [
      agentRow(1, "researcher"),
      agentRow(2, "shop·old", { session: session({ ended_at: iso(120_000), last_seen_at: iso(120_000) }) }),
      agentRow(3, "shop·live", { session: session() }),
      agentRow(4, "shop·gone", { session: session({ last_seen_at: iso(SESSION_ARCHIVE_MS + 1) }) }),
    ];
    const { polled, sessions, archived } = splitAgentRows(rows, NOW);
    expect(polled.map((r) => r.config.name)).toEqual(["researcher"]);
    expect(sessions.map((r) => r.config.name)).toEqual(["shop·live", "shop·old"]);
    expect(archived.map((r) => r.config.name)).toEqual(["shop·gone"]);
  });

  it("name a lease's file inside the repository and say when it lapsed", () => {
    const lease = {
      resource: "file:///home/ana/shop/src/app v2.rs",
      since: iso(12 * 60_000),
      last_write_at: iso(62_000),
    };
    expect(leasePath(lease, "/home/ana/shop/")).toBe("src/app v2.rs");
    expect(leasePath(lease, "/elsewhere")).toBe("/home/ana/shop/src/app v2.rs");
    expect(leaseText(lease, NOW)).toBe("held 12m00s · last write 1m02s ago");
    expect(leaseText({ ...lease, last_write_at: iso(11 * 60_000) }, NOW)).toBe(
      "held 12m00s · lapsed (no write for 11m00s)",
    );
  });
});

describe("sessions grouped by repository", () => {
  const row = (id: number, extra: Partial<SessionSummary>) => agentRow(id, `s${id}`, { session: session(extra) });
  const shop = { repository: "github.com/acme/shop", repository_name: "shop" };

  it("put every worktree and clone of one repository together, then folder and branch, in the rows' order", () => {
    const groups = groupSessions([
      row(1, { ...shop, repo_root: "/w/shop-wt/feature-a", branch: "feature-a" }),
      row(2, { repository: "root:abc", repository_name: "tools", repo_root: "/w/tools", branch: "main" }),
      row(3, { ...shop, repo_root: "/w/shop", branch: "main" }),
      row(4, { ...shop, repo_root: "/w/shop-wt/feature-a", branch: "feature-a" }),
      // A clone elsewhere on another branch: the same repository.
      row(5, { ...shop, repo_root: "/home/bo/shop", branch: "fix" }),
      agentRow(6, "polled"),
    ]);
    expect(groups.map((g) => [g.name, g.identity])).toEqual([
      ["shop", "github.com/acme/shop"],
      ["tools", "root:abc"],
    ]);
    const [first] = groups;
    expect(first!.worktrees.map((w) => [w.folder, w.branch, w.rows.map((r) => r.config.id)])).toEqual([
      ["feature-a", "feature-a", [1, 4]],
      ["shop", "main", [3]],
      ["shop", "fix", [5]],
    ]);
    expect(first!.worktrees[2]!.root).toBe("/home/bo/shop");
  });

  it("keep clones at the same folder on two machines apart, and name machines only when there are several", () => {
    const rows = [
      row(1, { ...shop, repo_root: "/home/dev/shop", branch: "main", host: "laptop-a" }),
      row(2, { ...shop, repo_root: "/home/dev/shop", branch: "main", host: "devbox-b" }),
      row(3, { ...shop, repo_root: "/home/dev/shop", branch: "main", host: "laptop-a" }),
    ];
    const [group] = groupSessions(rows);
    expect(group!.worktrees.map((w) => [w.host, w.rows.map((r) => r.config.id)])).toEqual([
      ["laptop-a", [1, 3]],
      ["devbox-b", [2]],
    ]);
    expect(onSeveralMachines(rows)).toBe(true);
    expect(onSeveralMachines([rows[0]!, rows[2]!])).toBe(false);
    // Sessions from before machines were recorded say none.
    expect(onSeveralMachines([row(4, { host: null }), row(5, {})])).toBe(false);
  });

  it("group sessions outside a repository by their folder, and name what is missing", () => {
    const groups = groupSessions([
      row(1, { repo_root: "/w/notes", branch: null }),
      row(2, { repo_root: "/w/notes", branch: null }),
      row(3, { repo_root: null, branch: null }),
      // A repository's row whose name is not known yet: its checkout's folder.
      row(4, { repository: "root:def", repository_name: null, repo_root: "/w/lab" }),
    ]);
    expect(groups.map((g) => [g.name, g.identity, g.worktrees.map((w) => [w.folder, w.rows.length])])).toEqual([
      ["notes", null, [["notes", 2]]],
      ["no repository", null, [["no folder", 1]]],
      ["lab", "root:def", [["lab", 1]]],
    ]);
    expect(groupSessions([])).toEqual([]);
  });

  it("read a repository's file held as its path inside the repository", () => {
    const lease = { resource: "repo://github.com/acme/shop/src/app.rs", since: iso(1000), last_write_at: iso(500) };
    expect(leasePath(lease, "/w/shop-wt/a", "github.com/acme/shop")).toBe("src/app.rs");
    // Another repository's file stays whole.
    expect(leasePath(lease, "/w/tools", "root:abc")).toBe("repo://github.com/acme/shop/src/app.rs");
  });
});

describe("subagents on the timeline", () => {
  const sub = (id: number, of: number) =>
    agentRow(id, `s${of} › general-purpose #${id}`, {
      subagent: {
        agent_id: id,
        name: `s${of} › general-purpose #${id}`,
        session_agent_id: of,
        agent_type: "general-purpose",
        started_at: "2026-11-28T10:00:00Z",
        last_seen_at: "2026-11-28T10:00:00Z",
        stopped_at: null,
        last_tool: null,
        leases: [],
      },
    });

  it("draw their lanes right under their session; one whose session is not drawn stays", () => {
    const rows = [sub(11, 2), agentRow(1, "polled"), agentRow(2, "s2"), sub(12, 2), agentRow(3, "s3"), sub(13, 9)];
    expect(subagentsUnderSessions(rows).map((r) => r.config.id)).toEqual([1, 2, 11, 12, 3, 13]);
    expect(subagentLabel("shop·4f1c2a9e › general-purpose #2")).toBe("general-purpose #2");
    expect(subagentLabel("polled")).toBe("polled");
  });
});
