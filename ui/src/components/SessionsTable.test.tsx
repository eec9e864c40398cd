import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { AgentCost } from "../bindings/AgentCost";
import type { AgentRow } from "../bindings/AgentRow";
import type { SessionSummary } from "../bindings/SessionSummary";
import { SESSION_ARCHIVE_MS } from "../lib/sessions";
import { agentRow, sessionSummary } from "../test/fixtures";
import { recorded, RECORDED_AT } from "../test/recorded";
import { AgentsView } from "./AgentsView";
import { SessionsTable } from "./SessionsTable";

const now = Date.now();
const iso = (ago: number) => new Date(now - ago).toISOString();

function session(extra: Partial<SessionSummary> = {}): SessionSummary {
  return sessionSummary({
    session_id: "4f1c2a9e-0b7d",
    repo_root: "/home/ana/shop",
    repository: null,
    repository_name: null,
    branch: "feature/login",
    prompt: "Fix the login form",
    last_tool: "Write /home/ana/shop/src/app.rs",
    turn_open: true,
    started_at: iso(3_600_000),
    last_seen_at: iso(4_000),
    ...extra,
  });
}

const rows = [
  agentRow(1, "researcher"),
  agentRow(2, "shop·4f1c2a9e", {
    config: { ...agentRow(2, "x").config, name: "shop·4f1c2a9e", adapter: "session", base_url: "session://x" },
    task_counts: { queued: 0, working: 0, needs_human: 1, blocked: 0, done: 2, failed: 0 },
    session: session({
      leases: [{ resource: "file:///home/ana/shop/src/app.rs", since: iso(300_000), last_write_at: iso(60_000) }],
    }),
  }),
  agentRow(3, "shop·77b03c11", {
    config: { ...agentRow(3, "x").config, name: "shop·77b03c11", adapter: "session", base_url: "session://y" },
    session: session({ client: "codex", ended_at: iso(120_000), last_seen_at: iso(120_000), turn_open: false }),
  }),
  agentRow(4, "shop·0a0a0a0a", {
    config: { ...agentRow(4, "x").config, name: "shop·0a0a0a0a", adapter: "session", base_url: "session://z" },
    session: session({ last_seen_at: iso(SESSION_ARCHIVE_MS + 60_000) }),
  }),
];

describe("coding sessions on the Agents view", () => {
  it("have a group of their own with prompt, last tool and the files they hold; old ones are archived", async () => {
    render(<AgentsView agents={rows} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    expect(screen.getAllByTestId("agent-row").map((r) => r.dataset.agentName)).toEqual(["researcher"]);
    expect(screen.getByText(/1 configured · 1 up · 3 coding sessions/)).toBeTruthy();
    const group = screen.getByTestId("sessions-group");
    const sessionRows = within(group).getAllByTestId("session-row");
    expect(sessionRows.map((r) => [r.dataset.agentName, r.dataset.phase])).toEqual([
      ["shop·4f1c2a9e", "live"],
      ["shop·77b03c11", "ended"],
    ]);
    const live = sessionRows[0]!;
    expect(live.textContent).toContain("Claude Code");
    // Outside a known repository (no identity): grouped by its folder, then folder and branch.
    expect(within(group).getByTestId("session-repository-name").textContent).toBe("shop");
    const worktree = within(group).getAllByTestId("session-worktree")[0]!;
    expect([worktree.textContent, worktree.dataset.branch]).toEqual(["shopfeature/login", "feature/login"]);
    expect(live.textContent).toContain("Fix the login form");
    expect(live.textContent).toContain("Write /home/ana/shop/src/app.rs");
    expect(within(live).getByTestId("session-waiting").textContent).toBe("waiting for you");
    expect(within(live).getByTestId("session-lease").textContent).toMatch(/^src\/app\.rs held 5m0\ds · last write 1m0\ds ago$/);
    // No endpoint and nothing to edit: a session is heard, not configured.
    expect(within(live).queryByRole("button", { name: /Edit/ })).toBeNull();
    expect(within(sessionRows[1]!).getByTestId("session-phase").textContent).toMatch(/^ended 2m0\ds ago$/);
    expect(sessionRows[1]!.className).toContain("session-row--quiet");

    await userEvent.click(screen.getByTestId("sessions-archived-toggle"));
    expect(within(group).getAllByTestId("session-row")).toHaveLength(3);
    expect(screen.getByTestId("sessions-archived-toggle").textContent).toBe("Hide archived sessions");
  });

  it("say in a line when the default branch moved under them, amber when their work would conflict", () => {
    const line = (conflicts: boolean) =>
      agentRow(5, "shop·5e5e5e5e", {
        config: { ...agentRow(5, "x").config, name: "shop·5e5e5e5e", adapter: "session", base_url: "session://b" },
        session: session({
          base: {
            branch: "main",
            moved: 3,
            forecast: conflicts ? { outcome: "conflicts", files: [], more: 0 } : { outcome: "clean" },
            checked_at: iso(10_000),
          },
          base_line: `main moved 3 commits since feature/login forked from it: ${conflicts ? "conflicts in src/app.rs" : "merges cleanly"}`,
        }),
      });
    const { unmount } = render(<SessionsTable sessions={[line(true)]} archived={[]} onRemove={() => {}} />);
    const conflicting = screen.getByTestId("session-base");
    expect(conflicting.textContent).toBe("main moved 3 commits since feature/login forked from it: conflicts in src/app.rs");
    expect(conflicting.className).toContain("session-base--conflicts");
    unmount();
    render(<SessionsTable sessions={[line(false), rows[1]!]} archived={[]} onRemove={() => {}} />);
    // Only the session whose default branch moved has the line; a clean merge is muted.
    const clean = screen.getAllByTestId("session-base");
    expect(clean).toHaveLength(1);
    expect(clean[0]!.className).not.toContain("session-base--conflicts");
    expect(clean[0]!.className).toContain("muted");
  });

  it("show each session's tokens and cost today, read from its client's records", () => {
    const today = { input: 1200, output: 300, cache_read: 10_000, cache_write: 500 };
    const used = agentRow(6, "shop·6f6f6f6f", {
      config: { ...agentRow(6, "x").config, name: "shop·6f6f6f6f", adapter: "session", base_url: "session://u" },
      session: session({
        usage: { today, today_usd: 0.0123, models: [], usd: 0.02, unpriced_tokens: 0, client_usd: null },
      }),
    });
    render(<SessionsTable sessions={[used, rows[1]!]} archived={[]} onRemove={() => {}} />);
    const lines = screen.getAllByTestId("session-usage");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.textContent).toBe("12,000 tokens today · $0.01");
    expect(lines[0]!.title).toContain("10000 cache read");
  });

  it("says — under Today for a session with no usage yet, while the costs load and after", () => {
    // The demo's coding session as the engine answers its cost: no call, no token today.
    const recordedCost = recorded<AgentCost[]>("agent_costs").find((c) => c.today.tokens === 0 && c.today.by_model.length === 0)!;
    const row = rows[1]!;
    const { unmount } = render(<SessionsTable sessions={[row]} archived={[]} onRemove={() => {}} costsLoading />);
    const loading = screen.getByTestId("agent-cost-today");
    expect(loading.textContent).toBe("—");
    expect(loading.title).toBe("Loading today's cost…");
    unmount();
    const costs = new Map([[row.config.id, { ...recordedCost, agent_id: row.config.id }]]);
    render(<SessionsTable sessions={[row]} archived={[]} onRemove={() => {}} costs={costs} />);
    const none = screen.getByTestId("agent-cost-today");
    expect(none.textContent).toBe("—");
    expect(none.title).toBe("No API calls today");
  });

  it("removing one says the session itself is not touched", async () => {
    render(<AgentsView agents={rows} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    const live = screen.getAllByTestId("session-row")[0]!;
    await userEvent.click(within(live).getByTestId("agent-remove"));
    expect(screen.getByTestId("confirm-remove").textContent).toContain("Baton forgets this coding session");
  });
});

describe("coding sessions grouped by repository", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: RECORDED_AT });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("put the worktrees of one repository under its name, each folder with its branch (recorded)", () => {
    const agents = recorded<AgentRow[]>("list_agents");
    const sessions = agents.filter((a) => a.session);
    render(<AgentsView agents={agents} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    const repos = screen.getAllByTestId("session-repository");
    expect(repos).toHaveLength(1);
    const identity = sessions[0]!.session!.repository!;
    expect(identity).toMatch(/^root:[0-9a-f]{40}$/);
    expect(repos[0]!.dataset.repository).toBe(identity);
    const name = within(repos[0]!).getByTestId("session-repository-name");
    // Its main checkout's folder, the full identity on hover.
    expect([name.textContent, name.title]).toEqual(["shop", identity]);
    expect(repos[0]!.textContent).toContain("2 checkouts · 3 sessions");
    const worktrees = within(repos[0]!).getAllByTestId("session-worktree");
    expect(worktrees.map((w) => [w.textContent, w.dataset.branch]).sort()).toEqual([
      ["shop-couponsfeature-coupons", "feature-coupons"],
      ["shopmain", "main"],
    ]);
    // Each session sits under its checkout: rows follow their worktree's heading.
    const order = within(repos[0]!)
      .getAllByTestId(/^session-(worktree|row)$/)
      .map((el) => el.dataset.branch ?? el.dataset.agentName);
    expect(order.indexOf("shop·coupons")).toBe(order.indexOf("feature-coupons") + 1);
    // A repository's file held reads as its path inside the repository.
    const checkout = screen.getAllByTestId("session-row").find((r) => r.dataset.agentName === "shop·checkout")!;
    expect(within(checkout).getByTestId("session-lease").textContent).toMatch(/^src\/cart\.ts held/);
  });
});
