// A drop on the ownership map: the rule it would write and its overlaps, then Write or Cancel.

import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { DraftCheck } from "../bindings/DraftCheck";
import type { OwnershipMap } from "../bindings/OwnershipMap";
import { setTransport } from "../lib/backend";
import { createTestTransport, type TestTransport } from "../test/transport";
import { DropConfirm, type DropChange } from "./DropConfirm";

const MAP: OwnershipMap = {
  agents: [],
  leases: [], branch_edits: [],
  conflicts: [],
  rules: [
    { id: 3, kind: "data", pattern: "crm://contacts/*#status", owner: "Publisher", readers: ["Editor"], created_at: "t", updated_at: "t" },
    { id: 4, kind: "data", pattern: "crm://contacts/**", owner: "Writer", created_at: "t", updated_at: "t" },
  ],
};

const CHANGE: DropChange = {
  id: 3,
  rule: { kind: "data", pattern: "crm://contacts/*#status", owner: "Editor", readers: [], sequence: [] },
};

const OVERLAP: DraftCheck = {
  problem: null,
  overlaps: [{ index: 1, example: "crm://contacts/x#status", message: "Writer owns crm://contacts/** (data), which also matches crm://contacts/x#status" }],
};

function setup(check: () => unknown): TestTransport {
  const t = createTestTransport({ check_rule: check });
  setTransport(t);
  return t;
}

function renderConfirm(change = CHANGE) {
  const onWrite = vi.fn();
  const onCancel = vi.fn();
  render(<DropConfirm map={MAP} change={change} onWrite={onWrite} onCancel={onCancel} />);
  return { onWrite, onCancel };
}

describe("DropConfirm", () => {
  it("shows the rule a drop would write and what the check says about overlaps", async () => {
    const t = setup(() => OVERLAP);
    renderConfirm();
    expect(screen.getByRole("dialog", { name: "Make Editor the owner?" })).toBeInTheDocument();
    expect(screen.getByTestId("drop-kind")).toHaveTextContent("data");
    expect(screen.getByTestId("drop-pattern")).toHaveTextContent("crm://contacts/*#status");
    expect(screen.getByTestId("drop-owner")).toHaveTextContent("Editor (was Publisher)");
    expect(screen.getByText("Change rule 3: nothing is written until you choose Write.")).toBeInTheDocument();
    expect(screen.getByText("No longer reads or follows").nextSibling).toHaveTextContent("Editor");
    expect(await screen.findByTestId("drop-overlap")).toHaveTextContent("Writer owns crm://contacts/**");
    expect(t.calls).toEqual([{ command: "check_rule", args: { rule: CHANGE.rule, editing: 3 } }]);
  });

  it("writes with Enter once checked, and the Write button has the focus", async () => {
    setup(() => ({ problem: null, overlaps: [] }));
    const user = userEvent.setup();
    const { onWrite, onCancel } = renderConfirm();
    await screen.findByText("No overlap with the other rules.");
    await waitFor(() => expect(screen.getByTestId("drop-write")).toHaveFocus());
    await user.keyboard("{Enter}");
    expect(onWrite).toHaveBeenCalledWith(CHANGE);
    expect(onCancel).not.toHaveBeenCalled();
  });

  it("writes nothing before the check has answered", async () => {
    setup(() => new Promise(() => {}));
    const user = userEvent.setup();
    const { onWrite } = renderConfirm();
    expect(screen.getByTestId("drop-check")).toHaveAttribute("data-state", "checking");
    expect(screen.getByTestId("drop-write")).toBeDisabled();
    // The safe choice has the focus meanwhile; Enter there still does not write.
    expect(screen.getByTestId("drop-cancel")).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(onWrite).not.toHaveBeenCalled();
  });

  it("cancels with Escape and with the button", async () => {
    setup(() => OVERLAP);
    const user = userEvent.setup();
    const { onWrite, onCancel } = renderConfirm();
    await screen.findByTestId("drop-overlap");
    await user.keyboard("{Escape}");
    expect(onCancel).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId("drop-cancel"));
    expect(onCancel).toHaveBeenCalledTimes(2);
    expect(onWrite).not.toHaveBeenCalled();
  });

  it("refuses to write a rule the check finds invalid, saying why", async () => {
    setup(() => ({ problem: { field: "owner", message: "owner must name an agent", column: null }, overlaps: [] }));
    const user = userEvent.setup();
    const { onWrite } = renderConfirm({ id: null, rule: { kind: "output", pattern: "slack://billing", owner: "" } });
    expect(await screen.findByTestId("drop-problem")).toHaveTextContent("Owner must name an agent");
    expect(screen.getByText("New rule: nothing is written until you choose Write.")).toBeInTheDocument();
    expect(screen.getByTestId("drop-write")).toBeDisabled();
    await user.keyboard("{Enter}");
    expect(onWrite).not.toHaveBeenCalled();
  });

  it("still lets the person write when the check itself fails (the write is checked again)", async () => {
    setup(() => {
      throw { code: "store_unavailable", message: "the store does not answer", field: null };
    });
    const user = userEvent.setup();
    const { onWrite } = renderConfirm();
    expect(await screen.findByText(/Could not check the overlaps \(the store does not answer\)/)).toBeInTheDocument();
    await user.click(screen.getByTestId("drop-write"));
    expect(onWrite).toHaveBeenCalledWith(CHANGE);
  });
});
