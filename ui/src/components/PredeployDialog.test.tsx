import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import { setTransport } from "../lib/backend";
import { createTestTransport } from "../test/transport";
import { PredeployDialog } from "./PredeployDialog";

const editor: AgentConfig = {
  id: 9,
  name: "editor",
  base_url: "http://127.0.0.1:7809",
  poll_interval_ms: 2000,
  timeout_ms: 1500,
  adapter: "baton",
  has_token: false,
};

const conflicts: PredeployConflict[] = [
  {
    kind: "output",
    pattern: "slack://channels/billing",
    other: { side: "agent", name: "billing-bot", pattern: "slack://channels/*" },
    example: "slack://channels/billing",
    message: "editor and billing-bot both output to slack://channels/billing",
    other_not_ready: null,
  },
  {
    kind: "data",
    pattern: "crm://contacts/*#owner",
    other: { side: "rule", index: 1, pattern: "crm://contacts/*#owner", owner: "crm-sync" },
    example: "crm://contacts/7#owner",
    message: "editor declares crm://contacts/*#owner, but a data rule gives it to crm-sync",
    other_not_ready: null,
  },
];

const noop = () => {};

describe("PredeployDialog", () => {
  it("arrow keys move within a group; progress counts the choices being applied", async () => {
    const user = userEvent.setup();
    const pending: (() => void)[] = [];
    const t = createTestTransport({
      resolve_conflict: () =>
        new Promise((resolve) => pending.push(() => resolve({ summary: [], map: { agents: [], rules: [], conflicts: [] } }))),
    });
    setTransport(t);
    const onDone = vi.fn();
    render(
      <PredeployDialog
        agent="editor"
        conflicts={conflicts}
        editing={false}
        save={async () => ({ saved: editor, declarationError: null })}
        onBack={noop}
        onSaveFailed={noop}
        onDone={onDone}
      />,
    );
    const rows = screen.getAllByTestId("predeploy-conflict");
    // The rule side cannot become a reader; the new agent can.
    expect(within(rows[1]!).queryByLabelText("crm-sync only reads it")).not.toBeInTheDocument();
    expect(within(rows[1]!).getByLabelText("editor only reads it")).toBeInTheDocument();

    // Focus starts on the first group's checked choice ("later"); ArrowUp moves to "sequence".
    expect(within(rows[0]!).getByLabelText("Decide later on the Ownership map")).toHaveFocus();
    await user.keyboard("{ArrowUp}");
    expect(within(rows[0]!).getByLabelText("Both: billing-bot first, then editor")).toBeChecked();
    await user.click(within(rows[1]!).getByLabelText("Keep it with crm-sync"));

    await user.click(screen.getByTestId("predeploy-apply"));
    expect(await screen.findByText("Applying 1 of 2…")).toBeInTheDocument();
    expect(screen.getByTestId("predeploy-back")).toBeDisabled();
    pending.shift()!();
    expect(await screen.findByText("Applying 2 of 2…")).toBeInTheDocument();
    pending.shift()!();
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(editor));
    expect(t.calls.map((c) => c.args)).toEqual([
      {
        dispute: { agent: "editor", kind: "output", pattern: "slack://channels/billing", other: conflicts[0]!.other },
        resolution: { action: "accept_sequence", order: ["billing-bot", "editor"] },
      },
      {
        dispute: { agent: "editor", kind: "data", pattern: "crm://contacts/*#owner", other: conflicts[1]!.other },
        resolution: { action: "give_ownership", owner: "crm-sync" },
      },
    ]);
  });

  it("when the declaration was not stored, resolves nothing and says so", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({});
    setTransport(t);
    const onDone = vi.fn();
    render(
      <PredeployDialog
        agent="editor"
        conflicts={conflicts}
        editing
        save={async () => ({ saved: editor, declarationError: "the store is locked" })}
        onBack={noop}
        onSaveFailed={noop}
        onDone={onDone}
      />,
    );
    expect(screen.getByTestId("predeploy-apply")).toHaveTextContent("Save");
    await user.click(within(screen.getAllByTestId("predeploy-conflict")[0]!).getByLabelText("Give it to editor"));
    await user.click(screen.getByTestId("predeploy-apply"));
    const report = await screen.findByTestId("predeploy-failed");
    expect(report).toHaveTextContent("editor was saved, but its declaration was not: the store is locked");
    expect(within(report).getAllByTestId("predeploy-failure")).toHaveLength(1);
    expect(t.calls).toEqual([]);
    // Escape, like Close, finishes: the agent is saved.
    await user.keyboard("{Escape}");
    expect(onDone).toHaveBeenCalledWith(editor);
  });

  it("Escape goes back while choosing", async () => {
    const user = userEvent.setup();
    const onBack = vi.fn();
    render(
      <PredeployDialog
        agent="editor"
        conflicts={conflicts.slice(0, 1)}
        editing={false}
        save={() => Promise.reject(new Error("not expected"))}
        onBack={onBack}
        onSaveFailed={noop}
        onDone={noop}
      />,
    );
    expect(screen.getByText("Before editor goes live: 1 overlap")).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(onBack).toHaveBeenCalled();
  });

  it("warns when an agent it overlaps is not ready for a second agent beside it", () => {
    const notReady = "billing-bot is not ready: 19 of 28 days; approval 81 %";
    render(
      <PredeployDialog
        agent="editor"
        conflicts={[{ ...conflicts[0]!, other_not_ready: notReady }, conflicts[1]!]}
        editing={false}
        save={() => Promise.reject(new Error("not expected"))}
        onBack={noop}
        onSaveFailed={noop}
        onDone={noop}
      />,
    );
    expect(screen.getByTestId("predeploy-not-ready-summary")).toHaveTextContent(
      "⚠ billing-bot is not ready for a second agent beside it yet (rollout readiness): see below.",
    );
    const rows = screen.getAllByTestId("predeploy-conflict");
    expect(within(rows[0]!).getByTestId("predeploy-not-ready")).toHaveTextContent(`⚠ ${notReady}`);
    expect(within(rows[1]!).queryByTestId("predeploy-not-ready")).not.toBeInTheDocument();
  });

  it("says nothing of readiness when every agent it overlaps is ready", () => {
    render(
      <PredeployDialog
        agent="editor"
        conflicts={conflicts}
        editing={false}
        save={() => Promise.reject(new Error("not expected"))}
        onBack={noop}
        onSaveFailed={noop}
        onDone={noop}
      />,
    );
    expect(screen.queryByTestId("predeploy-not-ready-summary")).not.toBeInTheDocument();
    expect(screen.queryAllByTestId("predeploy-not-ready")).toHaveLength(0);
  });
});
