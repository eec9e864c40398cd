import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { ReadinessThresholds } from "../bindings/ReadinessThresholds";
import { setTransport } from "../lib/backend";
import { agentRow, sessionSummary } from "../test/fixtures";
import { agentCost, readiness, ready, THRESHOLDS } from "../test/pipelines";
import { createTestTransport, type Handler } from "../test/transport";
import { AgentsView } from "./AgentsView";

const agents = [agentRow(1, "Writer"), agentRow(2, "Editor")];

function view(handlers: Record<string, Handler> = {}) {
  const t = createTestTransport({
    readiness: () => [readiness(1), ready(2)],
    agent_costs: () => [agentCost(1, 0.5), agentCost(2, 0)],
    prices: () => [],
    ...handlers,
  });
  setTransport(t);
  render(<AgentsView agents={agents} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
  return t;
}

const card = async (name: string) => {
  const cards = await screen.findAllByTestId("readiness-card");
  const found = cards.find((c) => within(c).queryByText(name));
  if (!found) throw new Error(`no card for ${name}`);
  return found;
};

describe("Rollout readiness on the Agents view", () => {
  it("shows a card per polled agent: Ready, or what is missing with the streak and figures", async () => {
    view();
    const writer = await card("Writer");
    expect(writer).toHaveAttribute("data-ready", "false");
    expect(within(writer).getByTestId("readiness-summary")).toHaveTextContent("19 of 28 days; approval 81 %");
    expect(within(writer).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "19");
    expect(within(writer).getByRole("progressbar")).toHaveAttribute("aria-valuemax", "28");
    expect(within(writer).getByText("81 %")).toBeInTheDocument();
    expect(within(writer).getByText(/of 21 decided/)).toBeInTheDocument();

    const editor = await card("Editor");
    expect(editor).toHaveAttribute("data-ready", "true");
    expect(within(editor).getByText("Ready")).toBeInTheDocument();

    // Cards follow the table's order (by name): Editor, then Writer.
    expect(screen.getAllByTestId("readiness-card").map((c) => c.dataset.agentId)).toEqual(["2", "1"]);
    expect(screen.getByText(/1 of 2 ready/)).toBeInTheDocument();

    // The table row carries a short badge.
    const row = screen.getAllByTestId("agent-row").find((r) => r.dataset.agentName === "Writer")!;
    expect(within(row).getByTestId("agent-readiness")).toHaveTextContent("Not ready");
    expect(within(row).getByTestId("agent-readiness")).toHaveTextContent("19 of 28 days; approval 81 %");
  });

  it("says nothing yet for figures without data", async () => {
    view({ readiness: () => [readiness(1, { approval_percent: null, decided: 0, failure_percent: null, poll_health_percent: null })] });
    const writer = await card("Writer");
    expect(within(writer).getByText("nothing decided yet")).toBeInTheDocument();
    expect(within(writer).getByText("no task ended yet")).toBeInTheDocument();
    expect(within(writer).getByText("not polled yet")).toBeInTheDocument();
  });

  it("shows a load failure with a retry", async () => {
    const user = userEvent.setup();
    let fail = true;
    view({
      readiness: () => {
        if (fail) throw { code: "store", message: "database is locked", field: null };
        return [readiness(1)];
      },
    });
    expect(await screen.findByTestId("readiness-error")).toHaveTextContent("Could not load readiness: database is locked");
    fail = false;
    await user.click(within(screen.getByTestId("readiness-error")).getByRole("button", { name: "Retry" }));
    expect(await card("Writer")).toBeInTheDocument();
    expect(screen.queryByTestId("readiness-error")).not.toBeInTheDocument();
  });

  it("edits the thresholds: checked before sending, the backend's refusal shown at its field", async () => {
    const user = userEvent.setup();
    const sent: ReadinessThresholds[] = [];
    let refuse = true;
    const t = view({
      set_readiness_thresholds: (args) => {
        const thresholds = args.thresholds as ReadinessThresholds;
        sent.push(thresholds);
        if (refuse) {
          throw { code: "invalid_setting", message: "poll_health_percent is a percentage: 0 to 100", field: "poll_health_percent" };
        }
        return [ready(1, { thresholds, days_needed: thresholds.days }), ready(2, { thresholds, days_needed: thresholds.days })];
      },
    });
    await card("Writer");
    await user.click(screen.getByTestId("readiness-thresholds"));
    const modal = screen.getByTestId("thresholds-modal");
    const days = within(modal).getByTestId("threshold-days");
    expect(days).toHaveValue(String(THRESHOLDS.days));

    // Checked here first: nothing is sent.
    await user.clear(days);
    await user.type(days, "0");
    await user.click(within(modal).getByTestId("thresholds-save"));
    expect(await within(modal).findByText(/Days of stable running: a whole number from 1 to 366/)).toBeInTheDocument();
    expect(days).toHaveAttribute("aria-invalid", "true");
    expect(t.calls.some((c) => c.command === "set_readiness_thresholds")).toBe(false);

    await user.clear(days);
    await user.type(days, "14{Enter}");
    const health = within(modal).getByTestId("threshold-poll_health_percent");
    await waitFor(() => expect(health).toHaveAttribute("aria-invalid", "true"));
    expect(within(modal).getByRole("alert")).toHaveTextContent("The poll health is a percentage: 0 to 100");
    expect(sent).toEqual([{ ...THRESHOLDS, days: 14 }]);

    refuse = false;
    await user.click(within(modal).getByTestId("thresholds-save"));
    await waitFor(() => expect(screen.queryByTestId("thresholds-modal")).not.toBeInTheDocument());
    // The answer is everyone's readiness under the new thresholds.
    expect(screen.getAllByTestId("readiness-card").every((c) => c.dataset.ready === "true")).toBe(true);
    expect(screen.getByText(/14 stable days/)).toBeInTheDocument();
  });

  it("has no readiness for coding sessions", async () => {
    const session = agentRow(3, "shop·4f1c", {
      config: { ...agentRow(3, "x").config, name: "shop·4f1c", adapter: "session", base_url: "session://x" },
      session: sessionSummary({
        session_id: "4f1c",
        repo_root: "/repo",
        repository: null,
        repository_name: null,
        branch: null,
      }),
    });
    setTransport(
      createTestTransport({ readiness: () => [], agent_costs: () => [agentCost(3, 0.25)], prices: () => [] }),
    );
    render(<AgentsView agents={[session]} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    // Sessions alone: no readiness section, but their cost shows.
    expect(await screen.findByTestId("costs-section")).toBeInTheDocument();
    expect(screen.queryByTestId("readiness-section")).not.toBeInTheDocument();
    await waitFor(() => expect(within(screen.getByTestId("session-row")).getByTestId("agent-cost-today")).toHaveTextContent("$0.25"));
  });
});
