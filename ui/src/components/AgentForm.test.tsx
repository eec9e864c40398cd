import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { MapAgent } from "../bindings/MapAgent";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import { setTransport } from "../lib/backend";
import { createTestTransport } from "../test/transport";
import { AgentForm } from "./AgentForm";

const saved: AgentConfig = {
  id: 7,
  name: "researcher",
  base_url: "http://127.0.0.1:7801",
  poll_interval_ms: 3000,
  timeout_ms: 1500,
  adapter: "baton",
  has_token: true,
};

describe("AgentForm", () => {
  it("shows field errors on blur and on submit, then sends the right draft", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ add_agent: () => saved });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);

    // Name is focused first; leaving it empty and moving on flags it.
    expect(screen.getByTestId("agent-name")).toHaveFocus();
    await user.tab();
    expect(screen.getByText("Name must not be empty")).toBeInTheDocument();

    await user.type(screen.getByTestId("agent-url"), "ftp://example.com");
    await user.clear(screen.getByTestId("agent-timeout"));
    await user.type(screen.getByTestId("agent-timeout"), "5000");
    await user.click(screen.getByTestId("agent-save"));
    expect(screen.getByText("Base URL must use http or https, not ftp")).toBeInTheDocument();
    expect(screen.getByText("Timeout (5000 ms) must be below the poll interval (2000 ms)")).toBeInTheDocument();
    expect(screen.getByTestId("agent-url")).toHaveAttribute("aria-invalid", "true");
    expect(t.calls).toEqual([]);
    // The first invalid field gets focus.
    expect(screen.getByTestId("agent-name")).toHaveFocus();

    await user.type(screen.getByTestId("agent-name"), "  researcher ");
    await user.clear(screen.getByTestId("agent-url"));
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7801");
    await user.clear(screen.getByTestId("agent-interval"));
    await user.type(screen.getByTestId("agent-interval"), "3000");
    await user.clear(screen.getByTestId("agent-timeout"));
    await user.type(screen.getByTestId("agent-timeout"), "1500");
    await user.type(screen.getByTestId("agent-token"), "s3cret{Enter}");

    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(saved));
    const draft = {
      name: "researcher",
      base_url: "http://127.0.0.1:7801",
      poll_interval_ms: 3000,
      timeout_ms: 1500,
      adapter: "baton",
    };
    // Never tested: the protocol is detected first (this transport cannot, so it stays baton/1).
    expect(t.calls).toEqual([
      { command: "test_connection", args: { draft, token: "s3cret", agentId: null } },
      { command: "add_agent", args: { draft, token: "s3cret" } },
    ]);
  });

  it("puts a server error next to its field", async () => {
    const user = userEvent.setup();
    setTransport(
      createTestTransport({
        add_agent: () => {
          throw { code: "duplicate", message: "writer already polls this URL", field: "base_url" };
        },
      }),
    );
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    await user.type(screen.getByTestId("agent-name"), "copy");
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7802{Enter}");
    expect(await screen.findByText("Writer already polls this URL")).toBeInTheDocument();
    expect(screen.getByTestId("agent-url")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("agent-url")).toHaveFocus();
  });

  it("shows a non-field server error for the form", async () => {
    const user = userEvent.setup();
    setTransport(
      createTestTransport({
        add_agent: () => {
          throw "keyring unavailable";
        },
      }),
    );
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    await user.type(screen.getByTestId("agent-name"), "a");
    await user.type(screen.getByTestId("agent-url"), "http://h{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("keyring unavailable");
  });

  it("edit: blank token keeps the stored one; test connection uses it; clear token sends clearToken", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      test_connection: () => ({
        ok: true,
        message: 'baton/1 agent "researcher" answered in 12 ms with 3 tasks',
        latency_ms: 12,
        remote_id: "r",
        remote_name: "researcher",
        task_count: 3,
        declares: null,
        adapter: "baton",
        card: null,
      }),
      update_agent: () => saved,
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="edit" agent={saved} onClose={() => {}} onSaved={onSaved} />);
    expect(screen.getByTestId("agent-interval")).toHaveValue("3000");
    expect(screen.getByText("Leave blank to keep the stored token.")).toBeInTheDocument();

    await user.click(screen.getByTestId("agent-test"));
    expect(await screen.findByTestId("agent-test-result")).toHaveTextContent(
      'Connected baton/1 agent "researcher" answered in 12 ms with 3 tasks',
    );
    expect(t.calls[0]).toMatchObject({ command: "test_connection", args: { token: null, agentId: 7 } });

    await user.click(screen.getByLabelText("Remove stored token"));
    expect(screen.getByTestId("agent-token")).toBeDisabled();
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(t.calls[1]).toMatchObject({
      command: "update_agent",
      args: { id: 7, token: null, clearToken: true, draft: { name: "researcher", poll_interval_ms: 3000 } },
    });
  });

  it("says where a token goes: the OS keyring, or memory when no keyring answers", () => {
    const { unmount } = render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    expect(screen.getByText(/Kept in the OS keyring/)).toBeInTheDocument();
    unmount();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} tokensInMemory />);
    expect(screen.getByText(/kept in memory until Baton quits/)).toBeInTheDocument();
    expect(screen.queryByText(/Kept in the OS keyring/)).toBeNull();
  });

  it("Escape closes", async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    render(<AgentForm mode="add" onClose={onClose} onSaved={() => {}} />);
    await user.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalled();
  });
});

const editor: AgentConfig = { ...saved, id: 9, name: "editor", base_url: "http://127.0.0.1:7809", has_token: false };

const statusConflict: PredeployConflict = {
  kind: "data",
  pattern: "crm://contacts/*#status",
  other: { side: "agent", name: "writer", pattern: "crm://contacts/*#status" },
  example: "crm://contacts/42#status",
  message: "editor and writer both write crm://contacts/*#status",
  other_not_ready: null,
};

const triggerConflict: PredeployConflict = {
  kind: "trigger",
  pattern: "mail://inbox/billing",
  other: { side: "rule", index: 0, pattern: "mail://inbox/billing", owner: "billing-bot" },
  example: "mail://inbox/billing",
  message: "editor declares mail://inbox/billing, but a trigger rule gives it to billing-bot",
  other_not_ready: null,
};

const emptyMap = { agents: [], rules: [], conflicts: [] };
/** The editor as the ownership map has it: a declaration of its own (it writes contacts' status). */
const declared: MapAgent = {
  id: 9,
  name: "editor",
  declares: { triggers: [], reads: [], writes: ["crm://contacts/*#status"], outputs: [] },
  source: "agent",
  agent_declares: null,
};

const commands = (t: { calls: { command: string }[] }) => t.calls.map((c) => c.command);

async function fillNewAgent(user: ReturnType<typeof userEvent.setup>, declares: { triggers?: string; writes?: string }) {
  await user.type(screen.getByTestId("agent-name"), "editor");
  await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7809");
  // A new agent has no declaration yet: the section starts closed.
  expect(screen.queryByTestId("agent-declares-writes")).not.toBeInTheDocument();
  await user.click(screen.getByTestId("agent-declares-toggle"));
  if (declares.triggers) await user.type(screen.getByTestId("agent-declares-triggers"), declares.triggers);
  if (declares.writes) await user.type(screen.getByTestId("agent-declares-writes"), declares.writes);
}

describe("AgentForm declarations", () => {
  it("parses the four lists and sends them to predeploy_check, then set_declaration", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      predeploy_check: () => [],
      add_agent: () => editor,
      set_declaration: () => emptyMap,
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await fillNewAgent(user, { writes: "  crm://contacts/*#status {Enter}{Enter}crm://contacts/*#status{Enter}file:///drafts/**" });
    await user.type(screen.getByTestId("agent-declares-reads"), "crm://contacts/**");
    await user.click(screen.getByTestId("agent-save"));

    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(editor));
    const declares = {
      triggers: [],
      reads: ["crm://contacts/**"],
      writes: ["crm://contacts/*#status", "file:///drafts/**"],
      outputs: [],
    };
    expect(commands(t)).toEqual(["test_connection", "predeploy_check", "add_agent", "set_declaration"]);
    expect(t.calls[1]!.args).toEqual({ agent: "editor", declares });
    expect(t.calls[3]!.args).toEqual({ agentId: 9, declares });
  });

  it("reads alone are stored without a pre-deploy check", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ add_agent: () => editor, set_declaration: () => emptyMap });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await fillNewAgent(user, {});
    await user.type(screen.getByTestId("agent-declares-reads"), "crm://contacts/**");
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["test_connection", "add_agent", "set_declaration"]);
  });

  it("conflicts open the dialog before anything is saved; give_new adds, declares, then resolves", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      predeploy_check: () => [statusConflict, triggerConflict],
      add_agent: () => editor,
      set_declaration: () => emptyMap,
      resolve_conflict: () => ({ summary: ["New data rule crm://contacts/*#status → editor"], map: emptyMap }),
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await fillNewAgent(user, { triggers: "mail://inbox/billing", writes: "crm://contacts/*#status" });
    await user.click(screen.getByTestId("agent-save"));

    const dialog = await screen.findByTestId("predeploy-dialog");
    expect(commands(t)).toEqual(["test_connection", "predeploy_check"]);
    expect(within(dialog).getByText("Before editor goes live: 2 overlaps")).toBeInTheDocument();
    const rows = within(dialog).getAllByTestId("predeploy-conflict");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("editor and writer both write crm://contacts/*#status");
    expect(rows[0]).toHaveTextContent("e.g. crm://contacts/42#status");
    const choices = (row: HTMLElement) =>
      within(row)
        .getAllByTestId("predeploy-choice")
        .map((el) => el.getAttribute("data-choice"));
    expect(choices(rows[0]!)).toEqual(["give_new", "keep_other", "new_reads", "other_reads", "sequence", "later"]);
    expect(choices(rows[1]!)).toEqual(["give_new", "keep_other", "sequence", "later"]);
    expect(within(rows[1]!).getByLabelText("Keep it with billing-bot")).toBeInTheDocument();
    // "Decide later" is the default, and has focus so arrow keys move through the choices.
    expect(within(rows[0]!).getByLabelText("Decide later on the Ownership map")).toBeChecked();
    expect(within(rows[0]!).getByLabelText("Decide later on the Ownership map")).toHaveFocus();

    await user.click(within(rows[0]!).getByLabelText("Give it to editor"));
    await user.click(within(dialog).getByTestId("predeploy-apply"));

    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(editor));
    expect(commands(t)).toEqual(["test_connection", "predeploy_check", "add_agent", "set_declaration", "resolve_conflict"]);
    expect(t.calls[3]!.args).toEqual({
      agentId: 9,
      declares: { triggers: ["mail://inbox/billing"], reads: [], writes: ["crm://contacts/*#status"], outputs: [] },
    });
    expect(t.calls[4]!.args).toEqual({
      dispute: {
        agent: "editor",
        kind: "data",
        pattern: "crm://contacts/*#status",
        other: { side: "agent", name: "writer", pattern: "crm://contacts/*#status" },
      },
      resolution: { action: "give_ownership", owner: "editor" },
    });
  });

  it("'decide later' everywhere saves without resolving; progress shows while applying", async () => {
    const user = userEvent.setup();
    let finishAdd: (a: AgentConfig) => void = () => {};
    const t = createTestTransport({
      predeploy_check: () => [statusConflict],
      add_agent: () => new Promise<AgentConfig>((resolve) => (finishAdd = resolve)),
      set_declaration: () => emptyMap,
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await fillNewAgent(user, { writes: "crm://contacts/*#status" });
    await user.click(screen.getByTestId("agent-save"));
    expect(await screen.findByText("Before editor goes live: 1 overlap")).toBeInTheDocument();
    await user.click(screen.getByTestId("predeploy-apply"));
    expect(await screen.findByTestId("predeploy-progress")).toHaveTextContent("Saving editor…");
    expect(screen.getByTestId("predeploy-apply")).toHaveAttribute("aria-disabled", "true");
    finishAdd(editor);
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(editor));
    expect(commands(t)).toEqual(["test_connection", "predeploy_check", "add_agent", "set_declaration"]);
  });

  it("Back to the form (or Escape) keeps everything and saves nothing", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ predeploy_check: () => [statusConflict] });
    setTransport(t);
    const onClose = vi.fn();
    render(<AgentForm mode="add" onClose={onClose} onSaved={() => {}} />);
    await fillNewAgent(user, { writes: "crm://contacts/*#status" });
    await user.click(screen.getByTestId("agent-save"));
    await screen.findByTestId("predeploy-dialog");
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("predeploy-dialog")).not.toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.getByTestId("agent-declares-writes")).toHaveValue("crm://contacts/*#status");

    await user.click(screen.getByTestId("agent-save"));
    await user.click(await screen.findByTestId("predeploy-back"));
    expect(screen.queryByTestId("predeploy-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("agent-name")).toHaveValue("editor");
    expect(commands(t)).toEqual(["test_connection", "predeploy_check", "test_connection", "predeploy_check"]);
  });

  it("a bad pattern shows under its textarea and nothing is saved", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      predeploy_check: () => {
        throw {
          code: "invalid_declaration",
          message: "writes: crm//contacts: column 4: expected `scheme://`",
          field: "writes",
        };
      },
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await fillNewAgent(user, { triggers: "mail://inbox/billing", writes: "crm//contacts" });
    await user.click(screen.getByTestId("agent-save"));

    const writes = screen.getByTestId("agent-declares-writes");
    await waitFor(() => expect(writes).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByText("Writes: crm//contacts: column 4: expected `scheme://`")).toBeInTheDocument();
    expect(screen.getByTestId("agent-declares-triggers")).not.toHaveAttribute("aria-invalid");
    expect(writes).toHaveFocus();
    expect(commands(t)).toEqual(["test_connection", "predeploy_check"]);
    expect(onSaved).not.toHaveBeenCalled();
    expect(screen.getByTestId("agent-save")).toBeEnabled();

    // Editing the list clears its error.
    await user.type(writes, "x");
    expect(writes).not.toHaveAttribute("aria-invalid");
  });

  it("a failed save from the dialog goes back to the form with the error", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      predeploy_check: () => [statusConflict],
      add_agent: () => {
        throw { code: "duplicate", message: "writer already polls this URL", field: "base_url" };
      },
    });
    setTransport(t);
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    await fillNewAgent(user, { writes: "crm://contacts/*#status" });
    await user.click(screen.getByTestId("agent-save"));
    await user.click(await screen.findByTestId("predeploy-apply"));
    expect(await screen.findByText("Writer already polls this URL")).toBeInTheDocument();
    expect(screen.queryByTestId("predeploy-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("agent-declares-writes")).toHaveValue("crm://contacts/*#status");
    expect(commands(t)).toEqual(["test_connection", "predeploy_check", "add_agent"]);
  });

  it("reports a resolution that fails after the agent was added; Close finishes", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      predeploy_check: () => [statusConflict, triggerConflict],
      add_agent: () => editor,
      set_declaration: () => emptyMap,
      resolve_conflict: (args) => {
        if ((args.dispute as { kind: string }).kind === "trigger") {
          throw { code: "conflict", message: "the rule changed meanwhile", field: null };
        }
        return { summary: [], map: emptyMap };
      },
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await fillNewAgent(user, { triggers: "mail://inbox/billing", writes: "crm://contacts/*#status" });
    await user.click(screen.getByTestId("agent-save"));
    const rows = await screen.findAllByTestId("predeploy-conflict");
    await user.click(within(rows[0]!).getByLabelText("editor only reads it"));
    await user.click(within(rows[1]!).getByLabelText("Both: billing-bot first, then editor"));
    await user.click(screen.getByTestId("predeploy-apply"));

    const report = await screen.findByTestId("predeploy-failed");
    expect(report).toHaveTextContent("editor was added, but 1 of 2 choices could not be applied");
    expect(within(report).getByTestId("predeploy-failure")).toHaveTextContent(
      "Both: billing-bot first, then editor for mail://inbox/billing: the rule changed meanwhile",
    );
    expect(report).toHaveTextContent("The rest can be settled on the Ownership map.");
    expect(onSaved).not.toHaveBeenCalled();
    expect(t.calls.filter((c) => c.command === "resolve_conflict").map((c) => c.args!.resolution)).toEqual([
      { action: "make_reader", reader: "editor" },
      { action: "accept_sequence", order: ["billing-bot", "editor"] },
    ]);

    await user.click(screen.getByTestId("predeploy-close"));
    expect(onSaved).toHaveBeenCalledWith(editor);
  });

  it("offers what the agent declares after Test connection, and fills the fields", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      test_connection: () => ({
        ok: true,
        message: 'baton/1 agent "editor" answered in 8 ms with 0 tasks',
        latency_ms: 8,
        remote_id: "e",
        remote_name: "editor",
        task_count: 0,
        declares: { triggers: [], reads: ["crm://contacts/**"], writes: ["crm://contacts/*#status"], outputs: [] },
        adapter: "baton",
        card: null,
      }),
    });
    setTransport(t);
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    await user.type(screen.getByTestId("agent-name"), "editor");
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7809");
    await user.click(screen.getByTestId("agent-test"));
    expect(await screen.findByTestId("agent-declares-offer")).toHaveTextContent(
      "The agent declares: reads crm://contacts/**; writes crm://contacts/*#status",
    );
    await user.click(screen.getByTestId("use-agent-declares"));
    expect(screen.getByTestId("agent-declares-reads")).toHaveValue("crm://contacts/**");
    expect(screen.getByTestId("agent-declares-writes")).toHaveValue("crm://contacts/*#status");
    expect(screen.getByTestId("agent-declares-triggers")).toHaveValue("");
    // Once the fields hold something, the offer goes away.
    expect(screen.queryByTestId("agent-declares-offer")).not.toBeInTheDocument();
  });

  it("edit: shows the agent's own declaration and saves nothing about it when unchanged", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ update_agent: () => editor });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="edit" agent={editor} declared={declared} onClose={() => {}} onSaved={onSaved} />);
    // Open by default when there is a declaration.
    expect(screen.getByTestId("agent-declares-writes")).toHaveValue("crm://contacts/*#status");
    expect(screen.getByTestId("agent-declares-source")).toHaveTextContent("Declared by the agent.");
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["update_agent"]);
  });

  it("edit: a changed declaration is checked, then stored after update_agent", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      predeploy_check: () => [],
      update_agent: () => editor,
      set_declaration: () => emptyMap,
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="edit" agent={editor} declared={declared} onClose={() => {}} onSaved={onSaved} />);
    await user.type(screen.getByTestId("agent-declares-outputs"), "slack://channels/billing");
    expect(screen.getByTestId("agent-declares-source")).toHaveTextContent(
      "Saving replaces it with what is typed here.",
    );
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["predeploy_check", "update_agent", "set_declaration"]);
    expect(t.calls[2]!.args).toEqual({
      agentId: 9,
      declares: { triggers: [], reads: [], writes: ["crm://contacts/*#status"], outputs: ["slack://channels/billing"] },
    });
  });

  it("edit: 'Use the agent's own declaration' clears what was typed in Baton", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ update_agent: () => editor, set_declaration: () => emptyMap });
    setTransport(t);
    const declared: MapAgent = {
      id: 9,
      name: "editor",
      declares: { triggers: [], reads: [], writes: ["file:///drafts/**"], outputs: [] },
      source: "user",
      agent_declares: { triggers: [], reads: [], writes: ["crm://contacts/*#status"], outputs: [] },
    };
    const onSaved = vi.fn();
    render(<AgentForm mode="edit" agent={editor} declared={declared} onClose={() => {}} onSaved={onSaved} />);
    expect(screen.getByTestId("agent-declares-source")).toHaveTextContent("Typed in Baton");
    await user.click(screen.getByTestId("agent-declares-use-own"));
    expect(screen.getByTestId("agent-declares-writes")).toHaveValue("crm://contacts/*#status");
    expect(screen.getByTestId("agent-declares-source")).toHaveTextContent(
      "Saving goes back to what the agent itself declares.",
    );
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["update_agent", "set_declaration"]);
    expect(t.calls[1]!.args).toEqual({ agentId: 9, declares: null });
  });
});
