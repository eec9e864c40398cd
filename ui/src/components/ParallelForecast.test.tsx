// "Will it conflict?" on a parallel-edit item, from the answers the real engine recorded: the
// preview's two worktrees of one repository change the cart's same line (and, built on that
// answer, a third branch joining the item).

import { render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { BranchPair } from "../bindings/BranchPair";
import type { Escalation } from "../bindings/Escalation";
import type { ParallelEditView } from "../bindings/ParallelEditView";
import { setTransport } from "../lib/backend";
import { recorded, RECORDED_AT, replay } from "../test/recorded";
import { createTestTransport, transportSubscribe, type TestTransport } from "../test/transport";
import { ParallelForecast } from "./ParallelForecast";

const item = () => recorded<Escalation[]>("escalations").find((e) => e.kind === "parallel_edit")!;

function show(t: TestTransport, id = item().id, findingId: number | null = item().finding_id) {
  setTransport(t);
  return render(<ParallelForecast escalationId={id} findingId={findingId} now={RECORDED_AT} subscribe={transportSubscribe} />);
}

describe("Will it conflict?", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"], now: RECORDED_AT });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows each branch's conflicting lines side by side, their text, and when git was asked", async () => {
    const t = createTestTransport(replay(["parallel_edit"]));
    show(t);
    const section = await screen.findByTestId("parallel-forecast");
    expect(section.dataset.verdict).toBe("conflicts");
    expect(screen.getByTestId("parallel-verdict").textContent).toBe("conflicts in 1 file");
    expect(screen.getByTestId("parallel-checked").textContent).toMatch(/^checked by git (just now|.+ ago)$/);
    // The branches head the two sides, with their checkouts' folders.
    const heads = within(section).getAllByRole("columnheader").map((th) => th.textContent);
    expect(heads).toEqual(["File", "feature-coupons shop-coupons", "main shop"]);
    const row = screen.getByTestId("parallel-conflict");
    expect(row.dataset.path).toBe("src/cart.ts");
    expect(within(row).getByText("both change these lines")).toBeTruthy();
    const a = within(row).getByTestId("parallel-side-a");
    const b = within(row).getByTestId("parallel-side-b");
    expect(a.textContent).toBe("line 3" + "3  coupons: [],\n");
    expect(b.textContent).toBe("line 3" + "3  discountCode: null,\n");
    expect(screen.getByTestId("parallel-files").textContent).toBe("README.md, src/cart.ts");
  });

  it("says merges cleanly, cannot tell why, or not asked yet, and reloads when git answers", async () => {
    const edit = recorded<ParallelEditView>("parallel_edit", { id: item().id });
    const forecast = (f: BranchPair["forecast"]) => edit.pairs.map((p) => ({ ...p, forecast: f }));
    let answer: ParallelEditView = { ...edit, pairs: forecast(null), checked_at: null, texts: [] };
    const t = createTestTransport({ parallel_edit: () => answer });
    show(t);
    expect((await screen.findByTestId("parallel-verdict")).textContent).toBe("not checked yet");
    expect(screen.getByTestId("parallel-checked").textContent).toBe("git is asked once the writes pause");
    expect(screen.queryByTestId("parallel-conflict")).toBeNull();

    answer = { ...edit, pairs: forecast({ outcome: "clean" }), texts: [] };
    t.emit({ type: "findings", opened: [], updated: [item().finding_id!] });
    await waitFor(() => expect(screen.getByTestId("parallel-verdict").textContent).toBe("merges cleanly"));
    expect(screen.getByTestId("parallel-forecast").dataset.verdict).toBe("clean");

    answer = { ...edit, pairs: forecast({ outcome: "unknown", why: "neither checkout is on this machine" }), texts: [] };
    t.emit({ type: "escalations", opened: [], changed: [item().id], lapsing: [] });
    await waitFor(() =>
      expect(screen.getByTestId("parallel-verdict").textContent).toBe("cannot tell (neither checkout is on this machine)"),
    );
    // Another item's change does not reload it.
    const before = t.calls.length;
    t.emit({ type: "escalations", opened: [], changed: [item().id + 100], lapsing: [] });
    expect(t.calls.length).toBe(before);
  });

  it("shows each pair of three branches: its verdict, the sides of the one that conflicts, and each file's branches", async () => {
    // The recorded item, joined by a third branch: clean with feature-coupons, not asked yet
    // with main.
    const edit = recorded<ParallelEditView>("parallel_edit", { id: item().id });
    const three: ParallelEditView = {
      ...edit,
      branches: [...edit.branches, { branch: "feature-gifts", worktree: "/tmp/shop-gifts" }],
      pairs: [
        ...edit.pairs,
        { branch_a: "feature-coupons", branch_b: "feature-gifts", files: ["src/cart.ts"], forecast: { outcome: "clean" } },
        { branch_a: "feature-gifts", branch_b: "main", files: ["src/cart.ts"], forecast: null },
      ],
      files: [
        { path: "README.md", branches: ["feature-coupons", "main"] },
        { path: "src/cart.ts", branches: ["feature-coupons", "feature-gifts", "main"] },
      ],
    };
    show(createTestTransport({ parallel_edit: () => three }));
    const section = await screen.findByTestId("parallel-forecast");
    expect(section.dataset.verdict).toBe("conflicts");
    expect(screen.getByTestId("parallel-verdict").textContent).toBe("1 of 3 pairs conflict");
    const pairs = screen.getAllByTestId("parallel-pair");
    expect(pairs.map((p) => [p.dataset.pair, p.dataset.verdict, p.querySelector("p")?.textContent])).toEqual([
      ["feature-coupons main", "conflicts", "feature-coupons with main: conflicts in 1 file"],
      ["feature-coupons feature-gifts", "clean", "feature-coupons with feature-gifts: merges cleanly"],
      ["feature-gifts main", "unchecked", "feature-gifts with main: not checked yet"],
    ]);
    // Only the conflicting pair has its two sides, with their text.
    expect(pairs.map((p) => p.querySelector("table") !== null)).toEqual([true, false, false]);
    const heads = within(pairs[0]!).getAllByRole("columnheader").map((th) => th.textContent);
    expect(heads).toEqual(["File", "feature-coupons shop-coupons", "main shop"]);
    expect(within(pairs[0]!).getByTestId("parallel-side-b").textContent).toBe("line 3" + "3  discountCode: null,\n");
    // Each file with the branches that change it.
    const files = screen.getAllByTestId("parallel-file");
    expect(files.map((f) => [f.dataset.path, within(f).getAllByText(/./, { selector: ".tag" }).map((t) => t.textContent)])).toEqual([
      ["README.md", ["feature-coupons", "main"]],
      ["src/cart.ts", ["feature-coupons", "feature-gifts", "main"]],
    ]);
    expect(section.textContent).toContain("3 branches of shop change:");
  });

  it("shows nothing for an item that is no parallel edit, and the error of one that is gone", async () => {
    const t = createTestTransport(replay(["parallel_edit"]));
    const other = recorded<Escalation[]>("escalations").find((e) => e.kind !== "parallel_edit")!;
    const { unmount } = show(t, other.id, other.finding_id);
    await waitFor(() => expect(t.calls.some((c) => c.command === "parallel_edit")).toBe(true));
    expect(screen.queryByTestId("parallel-forecast")).toBeNull();
    unmount();

    const gone = createTestTransport({
      parallel_edit: () => {
        throw { code: "not_found", message: "no escalation with id 999", field: null };
      },
    });
    show(gone, 999, null);
    const section = await screen.findByTestId("parallel-forecast");
    expect([section.dataset.state, section.textContent]).toEqual(["error", "Will it conflict?no escalation with id 999"]);
  });
});
