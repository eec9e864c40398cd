import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { AgentCost } from "../bindings/AgentCost";
import { setTransport } from "../lib/backend";
import { agentRow } from "../test/fixtures";
import { agentCost, breakdown, readiness } from "../test/pipelines";
import { createTestTransport, type Handler } from "../test/transport";
import { AgentsView } from "./AgentsView";

const agents = [agentRow(1, "Writer"), agentRow(2, "Editor"), agentRow(3, "Publisher")];

function view(costs: () => AgentCost[], handlers: Record<string, Handler> = {}) {
  const t = createTestTransport({
    readiness: () => [readiness(1), readiness(2), readiness(3)],
    agent_costs: costs,
    prices: () => [],
    ...handlers,
  });
  setTransport(t);
  render(<AgentsView agents={agents} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
  return t;
}

const tableRow = (name: string) => screen.getAllByTestId("agent-row").find((r) => r.dataset.agentName === name)!;
const costRow = async (name: string) => {
  await screen.findAllByTestId("cost-row");
  return screen.getAllByTestId("cost-row").find((r) => r.dataset.agentName === name)!;
};

describe("Costs on the Agents view", () => {
  it("shows today's cost in the table: an upper bound marked ≤, unpriced tokens counted, over budget flagged", async () => {
    view(() => [
      agentCost(1, 1.27),
      agentCost(2, 0.0042, null, { today: breakdown(0.0042, { upper_bound: true, unpriced_tokens: 1_204 }) }),
      agentCost(3, 6.2, 5),
    ]);
    await waitFor(() => expect(within(tableRow("Writer")).getByTestId("agent-cost-today")).toHaveTextContent("$1.27"));
    const editor = within(tableRow("Editor")).getByTestId("agent-cost-today");
    expect(editor).toHaveTextContent("≤ $0.0042");
    expect(editor).toHaveTextContent("1,204 tokens unpriced");
    const publisher = within(tableRow("Publisher")).getByTestId("agent-cost-today");
    expect(publisher).toHaveTextContent("$6.20");
    expect(publisher).toHaveTextContent("over budget");
    expect(publisher).toHaveClass("cost-today--over");
  });

  it("lists each agent's week as bars and its budget as spent of budget", async () => {
    view(() => [agentCost(1, 3.1, 5), agentCost(2, 0), agentCost(3, 6.2, 5)]);
    const writer = await costRow("Writer");
    expect(within(writer).getByTestId("budget-text")).toHaveTextContent("$3.10 of $5.00 today");
    expect(within(writer).getByTestId("budget")).toHaveAttribute("data-level", "under");
    const spark = within(writer).getByTestId("cost-spark");
    expect(spark.children).toHaveLength(7);
    expect(spark).toHaveAttribute("aria-label", expect.stringContaining("Sat 21 Nov $3.10"));
    expect(within(await costRow("Editor")).getByTestId("budget-text")).toHaveTextContent("no budget");
    expect(within(await costRow("Publisher")).getByTestId("budget")).toHaveAttribute("data-level", "over");
  });

  it("sets a budget inline: checked first, sent as dollars, empty removes it, refusals at the field", async () => {
    const user = userEvent.setup();
    const budgets = new Map<number, number | null>([[1, 5]]);
    const costs = () => agents.map((a) => agentCost(a.config.id, 3.1, budgets.get(a.config.id) ?? null));
    const t = view(costs, {
      set_daily_budget: (args) => {
        const usd = args.usd as number | null;
        if (usd !== null && usd > 500) {
          throw { code: "invalid_setting", message: "a daily budget is a number of dollars above 0, at most 500 here", field: "daily_budget_usd" };
        }
        budgets.set(args.agentId as number, usd);
        return costs();
      },
    });
    const writer = await costRow("Writer");
    await user.click(within(writer).getByRole("button", { name: "Set Writer's daily budget" }));
    const input = within(writer).getByTestId("budget-input");
    expect(input).toHaveFocus();
    expect(input).toHaveValue("5");

    // Not a number: said at once, nothing sent.
    await user.clear(input);
    await user.type(input, "lots{Enter}");
    expect(within(writer).getByTestId("budget-error")).toHaveTextContent("A daily budget is a number of dollars, like 5 or 2.50");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(t.calls.some((c) => c.command === "set_daily_budget")).toBe(false);

    // The backend's refusal, at the field.
    await user.clear(input);
    await user.type(input, "900{Enter}");
    expect(await within(writer).findByTestId("budget-error")).toHaveTextContent("at most 500 here");

    await user.clear(input);
    await user.type(input, "$7.50{Enter}");
    await waitFor(() => expect(within(writer).getByTestId("budget-text")).toHaveTextContent("$3.10 of $7.50 today"));
    expect(t.calls.filter((c) => c.command === "set_daily_budget").at(-1)?.args).toEqual({ agentId: 1, usd: 7.5 });
    await waitFor(() => expect(within(writer).getByTestId("budget-edit")).toHaveFocus());

    // Empty: no budget.
    await user.click(within(writer).getByTestId("budget-edit"));
    await user.clear(within(writer).getByTestId("budget-input"));
    await user.keyboard("{Enter}");
    await waitFor(() => expect(within(writer).getByTestId("budget-text")).toHaveTextContent("no budget"));
    expect(t.calls.filter((c) => c.command === "set_daily_budget").at(-1)?.args).toEqual({ agentId: 1, usd: null });

    // Escape cancels without sending.
    const sent = t.calls.length;
    await user.click(within(writer).getByTestId("budget-edit"));
    await user.type(within(writer).getByTestId("budget-input"), "3{Escape}");
    expect(within(writer).queryByTestId("budget-input")).not.toBeInTheDocument();
    expect(t.calls.slice(sent).some((c) => c.command === "set_daily_budget")).toBe(false);
  });

  it("says why the costs could not load, and retries", async () => {
    const user = userEvent.setup();
    let fail = true;
    view(() => {
      if (fail) throw { code: "store", message: "database is locked", field: null };
      return [agentCost(1, 1.27)];
    });
    expect(await screen.findByTestId("costs-error")).toHaveTextContent("Could not load the costs: database is locked");
    expect(within(tableRow("Writer")).getByTestId("agent-cost-today")).toHaveTextContent("—");
    fail = false;
    await user.click(within(screen.getByTestId("costs-error")).getByRole("button", { name: "Retry" }));
    expect(within(await costRow("Writer")).getByTestId("cost-today")).toHaveTextContent("$1.27");
    expect(screen.queryByTestId("costs-error")).not.toBeInTheDocument();
  });
});
