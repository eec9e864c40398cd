// @vitest-environment node
import { describe, expect, it } from "vitest";

import { MODE_HINT, MODES, tickedClients, watchProblem } from "./watchSessions";

describe("tickedClients", () => {
  it("ticks the clients found on this machine, in Baton's order", () => {
    expect(tickedClients(["copilot", "claude-code"])).toEqual(["claude-code", "copilot"]);
    expect(tickedClients(["codex"])).toEqual(["codex"]);
    expect(tickedClients(["opencode", "gemini", "codex"])).toEqual(["codex", "gemini", "opencode"]);
  });

  it("ticks Claude Code when none is found, the machine could not be asked, or it names junk", () => {
    expect(tickedClients([])).toEqual(["claude-code"]);
    expect(tickedClients(null)).toEqual(["claude-code"]);
    expect(tickedClients(["emacs"])).toEqual(["claude-code"]);
  });
});

describe("watchProblem", () => {
  it("accepts a full path and at least one client", () => {
    expect(watchProblem("/home/ana/shop", ["codex"])).toBeNull();
    expect(watchProblem("  /home/ana/shop ", ["codex", "copilot"])).toBeNull();
    expect(watchProblem("C:\\code\\shop", ["codex"])).toBeNull();
  });

  it("asks for a folder, a full one, and a client", () => {
    expect(watchProblem(" ", ["codex"])).toMatchObject({ field: "project", message: expect.stringContaining("full path") });
    expect(watchProblem("shop", ["codex"])).toMatchObject({ field: "project", message: expect.stringContaining("shop is not a full path") });
    expect(watchProblem("~/shop", ["codex"])?.field).toBe("project");
    expect(watchProblem("/home/ana/shop", [])).toEqual({ field: "clients", message: "Tick at least one coding agent." });
  });
});

describe("the modes", () => {
  it("offer off, warn and enforce, each explained in one line", () => {
    expect(MODES.map((m) => m.mode).sort()).toEqual(["enforce", "observe", "warn"]);
    expect(MODES.find((m) => m.mode === "observe")!.label).toMatch(/^off/);
    for (const { mode } of MODES) expect(MODE_HINT[mode]).not.toContain("\n");
  });
});
