// A coding session's card on the Board: its branch, and a marker for each open parallel edit it
// is part of that opens the item; from the answers the real engine recorded (the preview's
// sessions in two worktrees of one repository).

import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { AgentRow } from "../bindings/AgentRow";
import type { Escalation } from "../bindings/Escalation";
import type { TaskCard } from "../bindings/TaskCard";
import { emptyBoard, upsertCards } from "../lib/board";
import { recorded, RECORDED_AT } from "../test/recorded";
import { BoardView } from "./BoardView";

const noEvents = () => () => {};

function show(onOpenEscalation = vi.fn(), escalations: Escalation[] | null = recorded<Escalation[]>("escalations")) {
  const agents = recorded<AgentRow[]>("list_agents");
  const board = upsertCards(emptyBoard, recorded<TaskCard[]>("list_tasks", { agentId: null }));
  render(<BoardView board={board} agents={agents} escalations={escalations} onOpenEscalation={onOpenEscalation} subscribe={noEvents} />);
  const cardOf = (agentName: string) =>
    screen.getAllByTestId("task-card").filter((c) => c.getAttribute("aria-label")?.includes(`, ${agentName},`));
  return { onOpenEscalation, cardOf };
}

describe("a coding session's card", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: RECORDED_AT });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows its branch and its overlap with the other branch, which opens the item", async () => {
    const { onOpenEscalation, cardOf } = show();
    const item = recorded<Escalation[]>("escalations").find((e) => e.kind === "parallel_edit")!;
    const [coupons] = cardOf("shop·coupons");
    expect(coupons!.dataset.branch).toBe("feature-coupons");
    expect(within(coupons!).getByTestId("card-branch").textContent).toBe("feature-coupons");
    const marker = within(coupons!).getByTestId("card-overlap");
    expect(marker.textContent).toBe("overlaps main: 2 files");
    expect(marker.title).toBe("Open the parallel edit: README.md, src/cart.ts");
    expect(coupons!.getAttribute("aria-label")).toContain("branch feature-coupons, overlaps main: 2 files");
    // main's sessions overlap the worktree's branch, on every card of theirs.
    for (const card of [...cardOf("shop·checkout"), ...cardOf("shop·docs")]) {
      expect(within(card).getByTestId("card-overlap").textContent).toBe("overlaps feature-coupons: 2 files");
    }
    await userEvent.click(marker);
    expect(onOpenEscalation).toHaveBeenCalledWith(item.id);
    // The marker opens the item, not the card's drawer.
    expect(screen.queryByTestId("task-drawer")).toBeNull();
    expect(coupons!.getAttribute("aria-current")).toBeNull();
  });

  it("shows no branch on a polled agent's card, and no marker without an open parallel edit", () => {
    const settled = recorded<Escalation[]>("escalations").map((e) =>
      e.kind === "parallel_edit" ? { ...e, state: "resolved" as const } : e,
    );
    const { cardOf } = show(vi.fn(), settled);
    const [coupons] = cardOf("shop·coupons");
    expect(within(coupons!).getByTestId("card-branch").textContent).toBe("feature-coupons");
    expect(within(coupons!).queryByTestId("card-overlap")).toBeNull();
    const polled = screen.getAllByTestId("task-card").filter((c) => !c.getAttribute("aria-label")?.includes("shop·"));
    expect(polled.length).toBeGreaterThan(0);
    for (const card of polled) expect(card.dataset.branch).toBeUndefined();
  });
});

describe("a coding session's card with subagents at work", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: RECORDED_AT });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("says how many work, on its unfinished cards only", () => {
    const at = new Date(RECORDED_AT).toISOString();
    const sub = (n: number, stopped: string | null) => ({
      agent_id: 900 + n,
      name: `shop·coupons › general-purpose #${n}`,
      session_agent_id: 0,
      agent_type: "general-purpose",
      started_at: at,
      last_seen_at: at,
      stopped_at: stopped,
      last_tool: null,
      leases: [],
    });
    const agents = recorded<AgentRow[]>("list_agents").map((row) =>
      row.config.name === "shop·coupons" && row.session
        ? { ...row, session: { ...row.session, subagents: [sub(1, null), sub(2, null), sub(3, null), sub(4, at)] } }
        : row,
    );
    const board = upsertCards(emptyBoard, recorded<TaskCard[]>("list_tasks", { agentId: null }));
    render(<BoardView board={board} agents={agents} escalations={null} subscribe={noEvents} />);
    const cards = screen.getAllByTestId("task-card").filter((c) => c.getAttribute("aria-label")?.includes(", shop·coupons,"));
    const open = cards.filter((c) => c.dataset.column !== "done" && c.dataset.column !== "failed");
    expect(open.length).toBeGreaterThan(0);
    for (const card of open) expect(within(card).getByTestId("card-subagents").textContent).toBe("3 subagents working");
    for (const card of cards.filter((c) => !open.includes(c))) expect(within(card).queryByTestId("card-subagents")).toBeNull();
    // Another session's cards say nothing of subagents.
    const others = screen.getAllByTestId("task-card").filter((c) => c.getAttribute("aria-label")?.includes(", shop·checkout,"));
    for (const card of others) expect(within(card).queryByTestId("card-subagents")).toBeNull();
  });
});
