import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Rule } from "../bindings/Rule";
import { setTransport, type Transport } from "../lib/backend";
import { RightsProvider } from "../lib/rights";
import { useOwnership } from "../lib/useOwnership";
import { createTestTransport, type TestTransport } from "../test/transport";
import { OwnershipView } from "./OwnershipView";

const none = { triggers: [], reads: [], writes: [], outputs: [] };
const FIELD = "crm://contacts/*#status";

function conflicted(): OwnershipMap {
  return {
    leases: [], branch_edits: [],
    agents: [
      { id: 1, name: "Researcher", declares: { ...none, writes: [FIELD] }, source: "user", agent_declares: null },
      { id: 2, name: "Writer", declares: { ...none, writes: [FIELD] }, source: "user", agent_declares: null },
    ],
    rules: [],
    conflicts: [
      {
        kind: "data",
        rules: [],
        claims: [
          { agent: "Researcher", kind: "data", pattern: FIELD },
          { agent: "Writer", kind: "data", pattern: FIELD },
        ],
        example: "crm://contacts/x#status",
        message: "Researcher and Writer both declare writes to crm://contacts/x#status",
      },
    ],
  };
}

function settled(): OwnershipMap {
  const map = conflicted();
  return {
    leases: [], branch_edits: [],
    agents: [map.agents[0]!, { ...map.agents[1]!, declares: none }],
    rules: [{ id: 1, kind: "data", pattern: FIELD, owner: "Researcher", created_at: "t", updated_at: "t" }],
    conflicts: [],
  };
}

/** Stable, as the app's `subscribe` is (an unstable one would reload the map on every render). */
const noEvents = () => () => {};

function Harness() {
  const ownership = useOwnership(noEvents);
  return <OwnershipView ownership={ownership} />;
}

describe("OwnershipView", () => {
  let t: TestTransport;
  let previous: Transport;
  beforeEach(() => {
    t = createTestTransport({ ownership_map: () => conflicted() });
    previous = setTransport(t);
  });
  afterEach(() => {
    setTransport(previous);
  });

  it("shows a viewer role every edit disabled with the reason", async () => {
    const why = "You are a viewer on this store (PostgreSQL role cy): you see everything and decide nothing.";
    render(
      <RightsProvider value={{ cannotChange: why, cannotRunFleets: why }}>
        <Harness />
      </RightsProvider>,
    );
    const conflict = await screen.findByTestId("map-conflict");
    const choices = within(conflict).getAllByTestId("conflict-resolve");
    expect(choices.length).toBeGreaterThan(0);
    for (const button of [...choices, screen.getByTestId("new-rule"), screen.getByTestId("undo"), screen.getByTestId("redo")]) {
      expect(button).toBeDisabled();
      expect(button).toHaveAttribute("title", why);
    }
    fireEvent.keyDown(window, { key: "n" });
    expect(screen.queryByTestId("rule-panel")).not.toBeInTheDocument();
  });

  it("lists the conflict and settles it by giving ownership to one side", async () => {
    t.handlers.resolve_conflict = () => ({ summary: ["New data rule crm://contacts/*#status → Researcher"], map: settled() });
    render(<Harness />);
    const conflict = await screen.findByTestId("map-conflict");
    expect(conflict).toHaveTextContent("both declare writes");
    fireEvent.click(within(conflict).getByText("Give it to Researcher"));
    await screen.findByText("No conflicts");
    expect(screen.getByTestId("map-notice")).toHaveTextContent("New data rule");
    const call = t.calls.find((c) => c.command === "resolve_conflict")!;
    expect(call.args).toEqual({
      dispute: {
        agent: "Researcher",
        kind: "data",
        pattern: FIELD,
        other: { side: "agent", name: "Writer", pattern: FIELD },
      },
      resolution: { action: "give_ownership", owner: "Researcher" },
    });
  });

  it("adds a rule from the side panel, checking it as it is typed, then undoes and redoes it", async () => {
    const added: Rule[] = [];
    const withRule = (id: number): OwnershipMap => ({
      ...settled(),
      rules: [...settled().rules, { id, kind: "output", pattern: "file:///drafts/**", owner: "Writer", created_at: "t", updated_at: "t" }],
    });
    t.handlers.ownership_map = () => settled();
    t.handlers.check_rule = (args) => {
      const rule = args.rule as Rule;
      return rule.pattern.includes("x**")
        ? { problem: { field: "pattern", message: "column 17: `**` must be a whole segment on its own", column: 17 }, overlaps: [] }
        : { problem: null, overlaps: [] };
    };
    t.handlers.add_rule = (args) => {
      added.push(args.rule as Rule);
      return withRule(added.length + 1);
    };
    t.handlers.remove_rule = () => settled();
    render(<Harness />);
    await screen.findByText("No conflicts");
    fireEvent.click(screen.getByTestId("new-rule"));
    fireEvent.change(screen.getByTestId("rule-kind"), { target: { value: "output" } });
    fireEvent.change(screen.getByTestId("rule-pattern"), { target: { value: "file:///drafts/x**" } });
    fireEvent.change(screen.getByTestId("rule-owner"), { target: { value: "Writer" } });
    await waitFor(() => expect(screen.getByTestId("rule-check")).toHaveTextContent("column 17"));
    expect(screen.getByTestId("rule-save")).toBeDisabled();
    fireEvent.change(screen.getByTestId("rule-pattern"), { target: { value: "file:///drafts/**" } });
    await waitFor(() => expect(screen.getByTestId("rule-check")).toHaveTextContent("No overlap"));
    fireEvent.click(screen.getByTestId("rule-save"));
    await waitFor(() => expect(added).toEqual([{ kind: "output", pattern: "file:///drafts/**", owner: "Writer" }]));
    await waitFor(() => expect(screen.getByTestId("undo")).toBeEnabled());

    await act(async () => {
      fireEvent.keyDown(window, { key: "z", ctrlKey: true });
    });
    await waitFor(() => expect(t.calls.some((c) => c.command === "remove_rule" && c.args?.id === 2)).toBe(true));
    await waitFor(() => expect(screen.getByTestId("redo")).toBeEnabled());
    fireEvent.click(screen.getByTestId("redo"));
    await waitFor(() => expect(added).toHaveLength(2));
  });

  it("shows the same map as a matrix", async () => {
    render(<Harness />);
    await screen.findByTestId("map-conflict");
    fireEvent.click(screen.getByTestId("map-tab-matrix"));
    const row = await screen.findByTestId("matrix-row");
    expect(row).toHaveAttribute("data-pattern", FIELD);
    const cells = within(row).getAllByTestId("matrix-cell");
    expect(cells.map((c) => c.textContent)).toEqual(["w", "w"]);
    expect(cells.every((c) => c.dataset.conflict === "true")).toBe(true);
  });
});
