import { act, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { TaskCost } from "../bindings/TaskCost";
import { setTransport } from "../lib/backend";
import type { ChangeListener } from "../lib/useBatonData";
import { card } from "../test/fixtures";
import { breakdown, taskCost } from "../test/pipelines";
import { createTestTransport } from "../test/transport";
import { TaskDrawer } from "./TaskDrawer";

function drawer(cost: () => TaskCost) {
  const t = createTestTransport({ task_events: () => [], task_cost: cost });
  setTransport(t);
  const listeners = new Set<ChangeListener>();
  const subscribe = (l: ChangeListener) => {
    listeners.add(l);
    return () => listeners.delete(l);
  };
  render(<TaskDrawer card={card(1, "t-42", "working", -60_000)} onClose={() => {}} subscribe={subscribe} />);
  return { t, emit: (e: ChangeEvent) => listeners.forEach((l) => l(e)) };
}

describe("The task drawer's cost", () => {
  it("shows dollars, calls and tokens, and reloads with the events", async () => {
    let cost = taskCost(1, "t-42", 3, breakdown(0.0042));
    const { t, emit } = drawer(() => cost);
    const field = await screen.findByTestId("task-cost");
    await waitFor(() => expect(field).toHaveAttribute("data-state", "ready"));
    expect(field).toHaveTextContent("$0.0042 · 3 calls · 12,000 tokens (9,000 in / 3,000 out)");
    expect(t.calls.find((c) => c.command === "task_cost")?.args).toEqual({ agentId: 1, taskId: "t-42" });
    expect(within(field).queryAllByTestId("task-cost-model")).toHaveLength(0);

    cost = taskCost(1, "t-42", 4, breakdown(1.5, { upper_bound: true }));
    act(() => emit({ type: "ingested", agent_id: 1, tasks: [], new_events: 1, new_usage: 1, elsewhere: false }));
    await waitFor(() => expect(screen.getByTestId("task-cost")).toHaveTextContent("≤ $1.50 · 4 calls"));
  });

  it("lists each model when there are several, with unpriced tokens", async () => {
    drawer(() =>
      taskCost(
        1,
        "t-42",
        5,
        breakdown(0.05, {
          tokens: 2_000,
          unpriced_tokens: 500,
          by_model: [
            { api: "openai", model: "gpt-4o", tokens: { input: 1_000, output: 500, unsplit: 0 }, usd: 0.05, default_price: false },
            { api: "local", model: null, tokens: { input: 0, output: 0, unsplit: 500 }, usd: null, default_price: false },
          ],
        }),
      ),
    );
    await waitFor(() => expect(screen.getByTestId("task-cost")).toHaveAttribute("data-state", "ready"));
    const field = screen.getByTestId("task-cost");
    expect(field).toHaveTextContent("500 tokens unpriced");
    expect(within(field).getAllByTestId("task-cost-model").map((li) => li.textContent)).toEqual([
      "openai · gpt-4o: $0.05 · 1,000 in / 500 out",
      "local · every model: no price · 0 in / 0 out / 500 unsplit",
    ]);
  });

  it('says "no API calls recorded" when there are none', async () => {
    drawer(() => taskCost(1, "t-42", 0, breakdown(0)));
    await waitFor(() => expect(screen.getByTestId("task-cost")).toHaveTextContent("no API calls recorded"));
  });
});
