// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { AgentRow } from "../bindings/AgentRow";
import type { BranchPair } from "../bindings/BranchPair";
import type { Escalation } from "../bindings/Escalation";
import type { ParallelEditView } from "../bindings/ParallelEditView";
import { escalation } from "../test/escalations";
import { agentRow, sessionSummary } from "../test/fixtures";
import { recorded } from "../test/recorded";
import { branchChoices, cardSessions, forecastVerdict, itemVerdict, overlapsBySession, overlapText, rangesText, rangeText } from "./parallelEdits";

describe("parallel edits in words", () => {
  it("name each side's lines in its own numbering", () => {
    expect(rangeText({ start: 3, count: 1 })).toBe("line 3");
    expect(rangeText({ start: 2, count: 4 })).toBe("lines 2–5");
    expect(rangeText({ start: 5, count: 0 })).toBe("lines removed after line 4");
    expect(rangeText({ start: 0, count: 0 })).toBe("lines removed after line 0");
    expect(rangesText([{ start: 1, count: 1 }, { start: 9, count: 2 }])).toBe("line 1, lines 9–10");
    expect(rangesText([])).toBe("no lines");
  });

  it("say what git forecast, or that it was not asked yet", () => {
    expect(forecastVerdict(null)).toEqual({ verdict: "unchecked", text: "not checked yet" });
    expect(forecastVerdict({ outcome: "clean" })).toEqual({ verdict: "clean", text: "merges cleanly" });
    expect(forecastVerdict({ outcome: "unknown", why: "neither checkout is on this machine" }).text).toBe(
      "cannot tell (neither checkout is on this machine)",
    );
    expect(forecastVerdict({ outcome: "conflicts", files: [], more: 1 }).text).toBe("conflicts in 1 file");
    // The recorded preview's two worktrees change the cart's same line.
    const edit = recordedEdit();
    expect(itemVerdict(edit.pairs)).toEqual({ verdict: "conflicts", text: "conflicts in 1 file" });
    expect(itemVerdict([])).toEqual({ verdict: "unchecked", text: "not checked yet" });
  });

  it("say for an item of several pairs how many conflict, cannot be told or wait for git", () => {
    const pair = (forecast: BranchPair["forecast"]): BranchPair => ({ branch_a: "a", branch_b: "b", files: ["f"], forecast });
    const clean = pair({ outcome: "clean" });
    const conflicts = pair({ outcome: "conflicts", files: [], more: 1 });
    const unknown = pair({ outcome: "unknown", why: "x" });
    expect(itemVerdict([clean, conflicts, unknown])).toEqual({ verdict: "conflicts", text: "1 of 3 pairs conflict" });
    expect(itemVerdict([clean, unknown, unknown])).toEqual({ verdict: "unknown", text: "cannot tell for 2 of 3 pairs" });
    expect(itemVerdict([clean, pair(null)])).toEqual({ verdict: "unchecked", text: "1 of 2 pairs not checked yet" });
    expect(itemVerdict([pair(null), pair(null)]).text).toBe("not checked yet");
    expect(itemVerdict([clean, clean, clean])).toEqual({ verdict: "clean", text: "each pair merges cleanly" });
  });
});

function recordedEdit(): ParallelEditView {
  const item = recorded<Escalation[]>("escalations").find((e) => e.kind === "parallel_edit")!;
  return recorded<ParallelEditView>("parallel_edit", { id: item.id });
}

describe("a session's card and its overlaps", () => {
  it("mark each session of an open parallel edit with the other branch and the files (recorded)", () => {
    const agents = recorded<AgentRow[]>("list_agents");
    const queue = recorded<Escalation[]>("escalations");
    const cards = cardSessions(agents, queue);
    const byName = (name: string) => cards.get(agents.find((a) => a.config.name === name)!.config.id)!;
    const item = queue.find((e) => e.kind === "parallel_edit")!;
    expect(byName("shop·coupons")).toEqual({
      branch: "feature-coupons",
      overlaps: [{ escalationId: item.id, otherBranches: ["main"], files: ["README.md", "src/cart.ts"] }],
      subagents: null,
    });
    expect(overlapText(byName("shop·checkout").overlaps[0]!)).toBe("overlaps feature-coupons: 2 files");
    // Polled agents have no session card.
    expect(cards.size).toBe(3);
  });

  it("ignore settled items, other kinds and agents that are no sessions; a session on another branch names all", () => {
    const now = Date.now();
    const parallel = { repository: "root:abc", branches: ["a", "b"], files: [{ path: "x.rs", branches: ["a", "b"] }] };
    const rows = [
      agentRow(1, "one", { session: sessionSummary({ branch: "a" }) }),
      agentRow(2, "two", { session: sessionSummary({ branch: "c" }) }),
      agentRow(3, "polled"),
    ];
    const queue = [
      escalation(10, now, 60_000, { kind: "parallel_edit", agents: [1, 2, 3], parallel }),
      escalation(11, now, 60_000, { kind: "parallel_edit", agents: [1], parallel, state: "resolved" }),
      escalation(12, now, 60_000, { agents: [1, 2] }),
    ];
    const overlaps = overlapsBySession(queue, rows);
    expect(overlaps.get(1)).toEqual([{ escalationId: 10, otherBranches: ["b"], files: ["x.rs"] }]);
    expect(overlaps.get(2)![0]!.otherBranches).toEqual(["a", "b"]);
    expect(overlaps.has(3)).toBe(false);
    expect(overlapsBySession(null, rows).size).toBe(0);
    expect(overlapText({ escalationId: 1, otherBranches: ["b"], files: ["x"] })).toBe("overlaps b: 1 file");
  });

  it("mark a session of three branches with the files of its branch and the others that change them", () => {
    const file = (path: string, branches: string[]) => ({ path, branches });
    const parallel = {
      repository: "root:abc",
      branches: ["a", "b", "c"],
      files: [file("app.rs", ["a", "b", "c"]), file("lib.rs", ["a", "b"]), file("README.md", ["b", "c"])],
    };
    const rows = ["a", "b", "c"].map((branch, i) => agentRow(i + 1, branch, { session: sessionSummary({ branch }) }));
    const overlaps = overlapsBySession([escalation(10, Date.now(), 60_000, { kind: "parallel_edit", agents: [1, 2, 3], parallel })], rows);
    expect(overlaps.get(1)).toEqual([{ escalationId: 10, otherBranches: ["b", "c"], files: ["app.rs", "lib.rs"] }]);
    expect(overlaps.get(3)).toEqual([{ escalationId: 10, otherBranches: ["a", "b"], files: ["app.rs", "README.md"] }]);
    expect(overlapText(overlaps.get(2)![0]!)).toBe("overlaps a, c: 3 files");
  });
});

describe("a parallel edit's branches as choices", () => {
  it("are one per branch, in the order of their first session; a session with no branch is its own", () => {
    const names = new Map([
      [1, "shop·aaaa"],
      [2, "shop-wt·bbbb"],
      [3, "clone·cccc"],
      [4, "loose·dddd"],
    ]);
    const branches = new Map<number, string | null>([
      [1, "main"],
      [2, "feature"],
      [3, "main"],
      [4, null],
    ]);
    expect(branchChoices([1, 2, 3, 4, 5], branches, names)).toEqual([
      { agentId: 1, label: "main", branch: "main", sessions: ["shop·aaaa", "clone·cccc"] },
      { agentId: 2, label: "feature", branch: "feature", sessions: ["shop-wt·bbbb"] },
      { agentId: 4, label: "loose·dddd", branch: null, sessions: ["loose·dddd"] },
      { agentId: 5, label: "agent #5", branch: null, sessions: ["agent #5"] },
    ]);
    expect(branchChoices([], branches, names)).toEqual([]);
  });
});
