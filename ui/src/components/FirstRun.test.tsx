// The welcome screen: three doors (the demo fleet, an HTTP agent, coding sessions), reached by
// keyboard, the third through the same "Watch coding sessions…" dialog as the Agents view's.

import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { setTransport } from "../lib/backend";
import { createTestTransport } from "../test/transport";
import { FirstRun } from "./FirstRun";

function renderFirstRun() {
  const props = { onDemoStarted: vi.fn(async () => {}), onAddAgent: vi.fn(), onWatching: vi.fn() };
  render(<FirstRun {...props} />);
  return props;
}

describe("FirstRun", () => {
  it("offers three doors as buttons in tab order, the first focused", async () => {
    setTransport(createTestTransport({}));
    const user = userEvent.setup();
    renderFirstRun();
    const doors = screen.getAllByRole("button");
    expect(doors.map((d) => d.dataset.testid)).toEqual(["start-demo", "add-agent", "first-run-watch"]);
    expect(doors.map((d) => d.querySelector("strong")?.textContent)).toEqual([
      "Start the demo fleet",
      "Add an HTTP agent",
      "Watch coding sessions in a repository…",
    ]);
    expect(screen.getByTestId("start-demo")).toHaveFocus();
    await user.tab();
    expect(screen.getByTestId("add-agent")).toHaveFocus();
    await user.tab();
    expect(screen.getByTestId("first-run-watch")).toHaveFocus();
    expect(screen.getByRole("heading", { name: "Welcome to Baton" }).nextSibling).toHaveTextContent(
      "coding sessions (Claude Code, Codex, Copilot CLI, Gemini CLI, OpenCode)",
    );
  });

  it("opens the watch dialog from the third door and, once hooks are in, says so", async () => {
    const t = createTestTransport({
      coding_clients: () => ["claude-code"],
      install_hooks: () => ({ file: "/home/ana/shop/.claude/settings.json", changed: true, notes: [] }),
    });
    setTransport(t);
    const user = userEvent.setup();
    const { onWatching, onAddAgent } = renderFirstRun();
    await user.tab();
    await user.tab();
    await user.keyboard("{Enter}");
    expect(screen.getByRole("dialog", { name: "Watch coding sessions in a repository" })).toBeInTheDocument();
    expect(screen.getByTestId("watch-project")).toHaveFocus();
    await waitFor(() => expect(screen.getAllByTestId("watch-client").find((b) => b.dataset.client === "claude-code")).toBeChecked());
    await user.type(screen.getByTestId("watch-project"), "/home/ana/shop{Enter}");
    await screen.findByTestId("watch-done");
    await user.click(screen.getByTestId("watch-close"));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(onWatching).toHaveBeenCalledTimes(1);
    expect(onAddAgent).not.toHaveBeenCalled();
  });

  it("stays on the welcome screen when the dialog is cancelled", async () => {
    setTransport(createTestTransport({ coding_clients: () => [] }));
    const user = userEvent.setup();
    const { onWatching } = renderFirstRun();
    await user.click(screen.getByTestId("first-run-watch"));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(onWatching).not.toHaveBeenCalled();
    // The focus goes back to the door that opened the dialog.
    expect(screen.getByTestId("first-run-watch")).toHaveFocus();
  });
});
