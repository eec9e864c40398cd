import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { AgentConfig } from "../bindings/AgentConfig";
import { setTransport, tauriTransport } from "../lib/backend";
import { createTestTransport } from "../test/transport";
import { AgentForm } from "./AgentForm";

afterEach(() => {
  setTransport(tauriTransport);
});

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
    expect(t.calls).toEqual([
      {
        command: "add_agent",
        args: {
          draft: {
            name: "researcher",
            base_url: "http://127.0.0.1:7801",
            poll_interval_ms: 3000,
            timeout_ms: 1500,
            adapter: "baton",
          },
          token: "s3cret",
        },
      },
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

  it("Escape closes", async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    render(<AgentForm mode="add" onClose={onClose} onSaved={() => {}} />);
    await user.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalled();
  });
});
