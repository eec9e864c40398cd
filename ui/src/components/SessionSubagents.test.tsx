import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { SubagentSummary } from "../bindings/SubagentSummary";
import { agentRow, sessionSummary } from "../test/fixtures";
import { AgentsView } from "./AgentsView";

const now = Date.now();
const iso = (ago: number) => new Date(now - ago).toISOString();

function subagent(id: number, n: number, extra: Partial<SubagentSummary> = {}): SubagentSummary {
  return {
    agent_id: id,
    name: `shop·4f1c2a9e › general-purpose #${n}`,
    session_agent_id: 2,
    agent_type: "general-purpose",
    started_at: iso(120_000),
    last_seen_at: iso(5_000),
    stopped_at: null,
    last_tool: null,
    leases: [],
    ...extra,
  };
}

const first = subagent(5, 1, {
  last_tool: "Write /home/ana/shop/src/app.rs",
  leases: [{ resource: "file:///home/ana/shop/src/app.rs", since: iso(60_000), last_write_at: iso(60_000) }],
});
const second = subagent(6, 2);
const third = subagent(7, 3, { stopped_at: iso(30_000) });

const sessionConfig = { ...agentRow(2, "x").config, name: "shop·4f1c2a9e", adapter: "session" as const };
const rows = [
  agentRow(1, "researcher"),
  agentRow(2, "shop·4f1c2a9e", {
    config: { ...sessionConfig, base_url: "session://claude-code/s" },
    session: sessionSummary({
      session_id: "4f1c2a9e",
      repo_root: "/home/ana/shop",
      started_at: iso(600_000),
      last_seen_at: iso(5_000),
      subagents: [first, second, third],
    }),
  }),
  // Each subagent is an agent of its own, listed under its session only.
  ...[first, second, third].map((sub) =>
    agentRow(sub.agent_id, sub.name, {
      config: { ...sessionConfig, id: sub.agent_id, name: sub.name, base_url: `session://claude-code/s/${sub.agent_id}` },
      subagent: sub,
    }),
  ),
];

describe("a coding session's subagents on the Agents view", () => {
  it("are listed under their session with what each does and holds, not as rows of their own", () => {
    render(<AgentsView agents={rows} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    expect(screen.getAllByTestId("agent-row").map((r) => r.dataset.agentName)).toEqual(["researcher"]);
    const sessions = screen.getAllByTestId("session-row");
    expect(sessions.map((r) => r.dataset.agentName)).toEqual(["shop·4f1c2a9e"]);
    const list = within(sessions[0]!).getByTestId("session-subagents");
    expect(list.textContent).toContain("2 subagents working");
    const items = within(list).getAllByTestId("session-subagent").map((li) => li.textContent);
    expect(items[0]).toMatch(/^general-purpose #1 · working · started 2m0\ds ago · Write \/home\/ana\/shop\/src\/app\.rs · holds src\/app\.rs$/);
    expect(items[1]).toMatch(/^general-purpose #2 · working · started/);
    expect(items[2]).toMatch(/^general-purpose #3 · stopped · started/);
  });
});
