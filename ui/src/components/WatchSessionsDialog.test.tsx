import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { setTransport, type InvokeArgs } from "../lib/backend";
import { createTestTransport, type Handler } from "../test/transport";
import { AgentsView } from "./AgentsView";

const installed = (args: InvokeArgs) => ({
  file: args.client === "codex" ? "/home/ana/shop/.codex/hooks.json" : "/home/ana/shop/.claude/settings.json",
  changed: true,
  notes: args.client === "codex" ? ["marked /home/ana/shop trusted in /home/ana/.codex/config.toml"] : [],
});

function setup(handlers: Record<string, Handler>) {
  const transport = createTestTransport({ coding_clients: () => ["codex"], install_hooks: installed, ...handlers });
  setTransport(transport);
  render(<AgentsView agents={[]} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
  return transport;
}

const box = (client: string) => screen.getAllByTestId("watch-client").find((el) => el.dataset.client === client)!;
const installs = (t: ReturnType<typeof setup>) => t.calls.filter((c) => c.command === "install_hooks");

describe("Watch coding sessions in a repository", () => {
  it("ticks the agents found on this machine and installs each ticked one's hooks", async () => {
    const user = userEvent.setup();
    const transport = setup({});
    await user.click(screen.getByTestId("watch-sessions"));
    expect(screen.getByTestId("watch-project")).toHaveFocus();
    await waitFor(() => expect(box("codex")).toBeChecked());
    expect(box("claude-code")).not.toBeChecked();
    expect(box("copilot")).not.toBeChecked();
    expect(box("gemini").parentElement).toHaveTextContent("Gemini CLI");
    expect(box("opencode").parentElement).toHaveTextContent("OpenCode");
    expect(box("gemini")).not.toBeChecked();
    expect(box("codex").parentElement).toHaveTextContent("found on this machine");
    expect(box("claude-code").parentElement).not.toHaveTextContent("found on this machine");

    // Nothing typed: said, nothing installed.
    await user.click(screen.getByTestId("watch-install"));
    expect(screen.getByTestId("watch-error").textContent).toContain("full path");
    expect(installs(transport)).toHaveLength(0);

    await user.click(box("claude-code"));
    await user.selectOptions(screen.getByTestId("watch-mode"), "enforce");
    expect(screen.getByTestId("watch-mode-hint")).toHaveTextContent("Refuse a write another session holds");
    await user.type(screen.getByTestId("watch-project"), "/home/ana/shop{Enter}");
    const done = await screen.findByTestId("watch-done");
    expect(installs(transport).map((c) => c.args)).toEqual([
      { client: "claude-code", project: "/home/ana/shop", mode: "enforce" },
      { client: "codex", project: "/home/ana/shop", mode: "enforce" },
    ]);
    expect(done).toHaveTextContent("Claude Code: Baton's hooks are in /home/ana/shop/.claude/settings.json");
    expect(done).toHaveTextContent("Codex: Baton's hooks are in /home/ana/shop/.codex/hooks.json");
    expect(done).toHaveTextContent("marked /home/ana/shop trusted");
    expect(screen.getByTestId("watch-close")).toHaveTextContent("Close");
  });

  it("explains the mode in one line, off included", async () => {
    const user = userEvent.setup();
    setup({});
    await user.click(screen.getByTestId("watch-sessions"));
    expect(screen.getByTestId("watch-mode")).toHaveValue("warn");
    expect(screen.getByTestId("watch-mode-hint")).toHaveTextContent("Let a conflicting write through");
    await user.selectOptions(screen.getByTestId("watch-mode"), "off (only record)");
    expect(screen.getByTestId("watch-mode-hint")).toHaveTextContent("never stop a write");
  });

  it("ticks Claude Code when no agent is found, and asks for one when all are unticked", async () => {
    const user = userEvent.setup();
    const transport = setup({ coding_clients: () => [] });
    await user.click(screen.getByTestId("watch-sessions"));
    await waitFor(() => expect(transport.calls.some((c) => c.command === "coding_clients")).toBe(true));
    expect(box("claude-code")).toBeChecked();
    await user.click(box("claude-code"));
    await user.type(screen.getByTestId("watch-project"), "/r{Enter}");
    expect(screen.getByTestId("watch-error")).toHaveTextContent("Tick at least one coding agent.");
    expect(installs(transport)).toHaveLength(0);
  });

  it("shows the backend's refusal, and what was installed before it", async () => {
    const user = userEvent.setup();
    setup({
      coding_clients: () => ["claude-code", "codex"],
      install_hooks: (args) => {
        if (args.client === "codex") {
          throw { code: "invalid", message: "Baton's hook command (baton-hook) is not next to the app", field: null };
        }
        return installed(args);
      },
    });
    await user.click(screen.getByTestId("watch-sessions"));
    await waitFor(() => expect(box("codex")).toBeChecked());
    await user.type(screen.getByTestId("watch-project"), "/r{Enter}");
    expect((await screen.findByTestId("watch-error")).textContent).toContain("baton-hook");
    expect(screen.getByTestId("watch-done")).toHaveTextContent("Claude Code: Baton's hooks are in");
  });

  it("still opens when the machine cannot be asked which agents it has", async () => {
    const user = userEvent.setup();
    setup({
      coding_clients: () => {
        throw { code: "unknown_command", message: "no such command", field: null };
      },
    });
    await user.click(screen.getByTestId("watch-sessions"));
    await waitFor(() => expect(box("claude-code")).toBeChecked());
  });
});
