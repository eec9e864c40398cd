import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { WindowOverrides } from "../bindings/WindowOverrides";
import { setTransport } from "../lib/backend";
import { createTestTransport, type Handler } from "../test/transport";
import { AgentForm } from "./AgentForm";

const agent: AgentConfig = {
  id: 7,
  name: "researcher",
  base_url: "http://127.0.0.1:7801",
  poll_interval_ms: 3000,
  timeout_ms: 1500,
  adapter: "baton",
  has_token: false,
};

const commands = (t: { calls: { command: string }[] }) => t.calls.map((c) => c.command);
const input = (field: string) => screen.getByTestId(`agent-window-${field}`);

function setup(stored: WindowOverrides, handlers: Record<string, Handler> = {}) {
  const t = createTestTransport({
    detect_windows: () => stored,
    update_agent: () => agent,
    set_detect_windows: (args) => args.windows ?? {},
    ...handlers,
  });
  setTransport(t);
  const onSaved = vi.fn();
  render(<AgentForm mode="edit" agent={agent} onClose={() => {}} onSaved={onSaved} />);
  return { t, onSaved, user: userEvent.setup() };
}

async function open(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByTestId("agent-windows-toggle"));
  return screen.findByTestId("agent-window-stall_seconds");
}

describe("Detector windows", () => {
  it("is not offered for a new agent", () => {
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    expect(screen.queryByTestId("agent-windows-toggle")).not.toBeInTheDocument();
  });

  it("loads when opened, shows overrides and defaults, and saves changes after the agent", async () => {
    const { t, onSaved, user } = setup({ stall_seconds: 3_600, unreachable_polls: 2 });
    const toggle = screen.getByTestId("agent-windows-toggle");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(t.calls).toEqual([]);

    await open(user);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(t.calls).toEqual([{ command: "detect_windows", args: { agentId: 7 } }]);
    expect(toggle).toHaveTextContent("2 of 6 changed");
    expect(input("stall_seconds")).toHaveValue("1h");
    expect(input("unreachable_polls")).toHaveValue("2");
    expect(input("silent_completion_seconds")).toHaveValue("");
    expect(input("silent_completion_seconds")).toHaveAttribute("placeholder", "10m");
    expect(screen.getByLabelText(/Silent completion/)).toBe(input("silent_completion_seconds"));
    expect(screen.getByText("default 2h")).toBeInTheDocument();
    expect(screen.getByText("default 5 failed polls")).toBeInTheDocument();

    // Typed the human way; shown back the way it is stored.
    await user.type(input("write_collision_seconds"), "90");
    await user.tab();
    expect(input("write_collision_seconds")).toHaveValue("1m 30s");
    await user.clear(input("stall_seconds"));
    await user.type(input("stall_seconds"), " 1h30m {Enter}");

    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(agent));
    expect(commands(t)).toEqual(["detect_windows", "update_agent", "set_detect_windows"]);
    expect(t.calls[2]!.args).toEqual({
      agentId: 7,
      windows: { write_collision_seconds: 90, stall_seconds: 5_400, unreachable_polls: 2 },
    });
  });

  it("saves nothing about windows never opened", async () => {
    const { t, onSaved, user } = setup({ stall_seconds: 3_600 });
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["update_agent"]);
  });

  it("saves nothing about windows that say what is stored", async () => {
    const { t, onSaved, user } = setup({ stall_seconds: 3_600 });
    await open(user);
    await user.clear(input("stall_seconds"));
    await user.type(input("stall_seconds"), "60m");
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["detect_windows", "update_agent"]);
  });

  it("flags junk on blur and keeps the form from saving until it is fixed", async () => {
    const { t, onSaved, user } = setup({});
    await open(user);
    expect(screen.getByTestId("agent-windows-toggle")).toHaveTextContent("all defaults");
    await user.type(input("time_budget_seconds"), "soon");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    await user.tab();
    expect(screen.getByTestId("agent-window-time_budget_seconds-error")).toHaveTextContent(
      "Type a duration like 90s, 10m, 1h30m or 2d (a plain number is seconds)",
    );
    expect(input("time_budget_seconds")).toHaveAttribute("aria-invalid", "true");
    await user.type(input("unreachable_polls"), "0");
    await user.click(screen.getByTestId("agent-save"));
    expect(screen.getByTestId("agent-window-unreachable_polls-error")).toHaveTextContent("From 1 to 1000 failed polls");
    expect(input("time_budget_seconds")).toHaveFocus();
    expect(commands(t)).toEqual(["detect_windows"]);

    await user.clear(input("time_budget_seconds"));
    await user.type(input("time_budget_seconds"), "0");
    await user.tab();
    expect(screen.getByTestId("agent-window-time_budget_seconds-error")).toHaveTextContent(
      "A window lasts from 1 second to 30 days",
    );
    await user.clear(input("time_budget_seconds"));
    await user.clear(input("unreachable_polls"));
    await user.type(input("unreachable_polls"), "12");
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(t.calls.at(-1)).toEqual({ command: "set_detect_windows", args: { agentId: 7, windows: { unreachable_polls: 12 } } });
  });

  it("shows an invalid_windows error next to the field it names, and saves on retry", async () => {
    let fail = true;
    const { t, onSaved, user } = setup(
      {},
      {
        set_detect_windows: (args) => {
          if (fail) {
            fail = false;
            throw { code: "invalid_windows", message: "a window lasts from 1 second to 30 days", field: "stall_seconds" };
          }
          return args.windows;
        },
      },
    );
    await open(user);
    await user.type(input("stall_seconds"), "20m");
    await user.click(screen.getByTestId("agent-save"));

    const error = await screen.findByTestId("agent-window-stall_seconds-error");
    expect(error).toHaveTextContent("A window lasts from 1 second to 30 days");
    expect(input("stall_seconds")).toHaveAttribute("aria-invalid", "true");
    expect(input("stall_seconds")).toHaveAccessibleDescription(/A window lasts from 1 second to 30 days/);
    expect(input("stall_seconds")).toHaveFocus();
    expect(onSaved).not.toHaveBeenCalled();
    expect(screen.getByTestId("agent-save")).toBeEnabled();

    // Typing clears the backend's message; saving again sends everything again.
    await user.type(input("stall_seconds"), " ");
    expect(screen.queryByTestId("agent-window-stall_seconds-error")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["detect_windows", "update_agent", "set_detect_windows", "update_agent", "set_detect_windows"]);
  });

  it("saves between the agent and its declaration; a failure there leaves the declaration to the retry", async () => {
    let fail = true;
    const { t, onSaved, user } = setup(
      {},
      {
        predeploy_check: () => [],
        set_declaration: () => ({ agents: [], rules: [], conflicts: [] }),
        set_detect_windows: (args) => {
          if (fail) {
            fail = false;
            throw { code: "invalid_windows", message: "from 1 to 1000 failed polls", field: "unreachable_polls" };
          }
          return args.windows;
        },
      },
    );
    await user.click(screen.getByTestId("agent-declares-toggle"));
    await user.type(screen.getByTestId("agent-declares-writes"), "crm://contacts/*#status");
    await open(user);
    await user.type(input("unreachable_polls"), "9");
    await user.click(screen.getByTestId("agent-save"));
    expect(await screen.findByTestId("agent-window-unreachable_polls-error")).toHaveTextContent("From 1 to 1000 failed polls");
    expect(commands(t)).toEqual(["detect_windows", "predeploy_check", "update_agent", "set_detect_windows"]);

    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t).slice(4)).toEqual(["predeploy_check", "update_agent", "set_detect_windows", "set_declaration"]);
  });

  it("shows errors about no one field atop the section", async () => {
    const { user } = setup(
      {},
      {
        set_detect_windows: () => {
          throw { code: "not_found", message: "no such agent", field: null };
        },
      },
    );
    await open(user);
    await user.type(input("stall_seconds"), "20m{Enter}");
    expect(await screen.findByTestId("agent-windows-error")).toHaveTextContent("The windows were not saved: no such agent");
  });

  it("says when loading fails and tries again", async () => {
    let fail = true;
    const { user } = setup(
      {},
      {
        detect_windows: () => {
          if (fail) {
            fail = false;
            throw { code: "store", message: "database is locked", field: null };
          }
          return { stall_seconds: 120 };
        },
      },
    );
    await user.click(screen.getByTestId("agent-windows-toggle"));
    expect(await screen.findByTestId("agent-windows-error")).toHaveTextContent("Could not load the windows: database is locked");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("agent-window-stall_seconds")).toHaveValue("2m");
    expect(screen.queryByTestId("agent-windows-error")).not.toBeInTheDocument();
  });

  it("Reset to defaults clears every field; saving sends null", async () => {
    const { t, onSaved, user } = setup({ stall_seconds: 3_600, unreachable_polls: 2, write_collision_seconds: 30 });
    await open(user);
    await user.click(screen.getByTestId("agent-windows-reset"));
    for (const f of ["stall_seconds", "unreachable_polls", "write_collision_seconds"]) expect(input(f)).toHaveValue("");
    expect(screen.getByText("Saving puts every window back to its default.")).toBeInTheDocument();
    expect(screen.getByTestId("agent-windows-toggle")).toHaveTextContent("all defaults");
    expect(screen.getByTestId("agent-windows-reset")).toHaveFocus();
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(t.calls.at(-1)).toEqual({ command: "set_detect_windows", args: { agentId: 7, windows: null } });
  });
});
