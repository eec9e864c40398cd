import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { setTransport, tauriTransport } from "../lib/backend";
import { createTestTransport } from "../test/transport";
import { AgentsView } from "./AgentsView";

afterEach(() => {
  setTransport(tauriTransport);
});

describe("Watch coding sessions in a repository", () => {
  it("installs the chosen agent's hooks in the repository and says what it did", async () => {
    const user = userEvent.setup();
    const transport = createTestTransport({
      install_hooks: () => ({
        file: "/home/ana/shop/.codex/hooks.json",
        changed: true,
        notes: ["marked /home/ana/shop trusted in /home/ana/.codex/config.toml"],
      }),
    });
    setTransport(transport);
    render(<AgentsView agents={[]} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    await user.click(screen.getByTestId("watch-sessions"));
    // Nothing typed: said, nothing called.
    await user.click(screen.getByTestId("watch-install"));
    expect(screen.getByTestId("watch-error").textContent).toContain("full path");
    expect(transport.calls).toHaveLength(0);
    await user.selectOptions(screen.getByTestId("watch-client"), "codex");
    await user.selectOptions(screen.getByTestId("watch-mode"), "enforce");
    expect(screen.getByText(/Refuse a write another session holds/)).toBeTruthy();
    await user.type(screen.getByTestId("watch-project"), "/home/ana/shop{Enter}");
    expect(transport.calls).toEqual([
      { command: "install_hooks", args: { client: "codex", project: "/home/ana/shop", mode: "enforce" } },
    ]);
    const done = await screen.findByTestId("watch-done");
    expect(done.textContent).toContain("/home/ana/shop/.codex/hooks.json");
    expect(done.textContent).toContain("marked /home/ana/shop trusted");
  });

  it("shows the backend's refusal", async () => {
    const user = userEvent.setup();
    setTransport(
      createTestTransport({
        install_hooks: () => {
          throw { code: "invalid", message: "Baton's hook command (baton-hook) is not next to the app", field: null };
        },
      }),
    );
    render(<AgentsView agents={[]} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    await user.click(screen.getByTestId("watch-sessions"));
    await user.type(screen.getByTestId("watch-project"), "/r{Enter}");
    expect((await screen.findByTestId("watch-error")).textContent).toContain("baton-hook");
  });
});
