import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentDraft } from "../bindings/AgentDraft";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import { UNNAMED } from "../lib/adapters";
import { setTransport, type InvokeArgs } from "../lib/backend";
import { agentRow } from "../test/fixtures";
import { recordedCalls } from "../test/recorded";
import { createTestTransport, type TestTransport } from "../test/transport";
import { AgentForm } from "./AgentForm";
import { AgentsView } from "./AgentsView";

const A2A_URL = "http://127.0.0.1:7810/a2a";

/** add_agent answers with the draft it was sent, as id 12. */
function added(args: InvokeArgs): AgentConfig {
  const draft = args.draft as AgentDraft;
  return { ...draft, id: 12, has_token: false };
}

/** The engine's Test connection of a demo agent (baton/1), and of a port nobody listens on. */
const [BATON_REPORT, REFUSED_REPORT] = recordedCalls("test_connection").map((c) => c.answer as ConnectionReport);

/**
 * What Test connection answers for an A2A agent that serves its card (no A2A agent runs where
 * the answers are recorded, so this one is written here, in the engine's shape).
 */
function a2aReport(url: string): ConnectionReport {
  const name = "Echo Agent";
  return {
    ok: true,
    message: `A2A 1.0 (JSON-RPC) agent "${name}" answered in 9 ms with 2 tasks`,
    latency_ms: 9,
    remote_id: name,
    remote_name: name,
    task_count: 2,
    declares: null,
    adapter: "a2a",
    card: {
      name,
      description: "Echoes what it is sent.",
      version: "1.0.0",
      skills: [{ id: "echo", name: "Echo", description: "Replies with the message it was sent." }],
      interfaces: [{ url, binding: "json_rpc", version: "1.0" }],
    },
  };
}

/** Answers test_connection: A2A for a URL containing "a2a", refused on port 7804, baton/1 elsewhere. */
function detected(draft: AgentDraft): ConnectionReport {
  if (draft.base_url.includes("a2a")) return a2aReport(draft.base_url);
  return draft.base_url.includes("7804") ? REFUSED_REPORT! : BATON_REPORT!;
}
const detecting = () => (args: InvokeArgs) => detected(args.draft as AgentDraft);

const commands = (t: TestTransport) => t.calls.map((c) => c.command);
const sent = (t: TestTransport, command: string) => t.calls.find((c) => c.command === command)?.args;
const protocol = () => screen.getByLabelText("Protocol") as HTMLSelectElement;

describe("Agent form: protocol detection", () => {
  it("Test connection shows the A2A card that answered, takes its protocol and fills an empty name", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ test_connection: detecting(), add_agent: added });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    expect(protocol()).toHaveValue("baton");
    await user.type(screen.getByTestId("agent-url"), A2A_URL);
    await user.click(screen.getByTestId("agent-test"));

    const result = await screen.findByTestId("agent-detected");
    expect(result).toHaveTextContent("Detected: A2A 1.0 · JSON-RPC — Echo Agent · skills: Echo");
    expect(screen.getByTestId("agent-test-result")).toHaveTextContent('Connected A2A 1.0 (JSON-RPC) agent "Echo Agent"');
    // The backend wants a name: a stand-in went with the test, the agent's own fills the field.
    expect((sent(t, "test_connection")!.draft as AgentDraft).name).toBe(UNNAMED);
    expect(screen.getByTestId("agent-name")).toHaveValue("Echo Agent");
    expect(screen.queryByText("Name must not be empty")).not.toBeInTheDocument();
    expect(protocol()).toHaveValue("a2a");
    expect(screen.getByTestId("agent-protocol-hint")).toHaveTextContent("Auto-detected by Test connection.");
    expect(screen.getByText("Baton reads {base URL}/.well-known/agent-card.json.")).toBeInTheDocument();

    // Tested: saving does not test again, and saves the detected protocol.
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["test_connection", "add_agent"]);
    expect(sent(t, "add_agent")!.draft).toMatchObject({ name: "Echo Agent", base_url: A2A_URL, adapter: "a2a" });
  });

  it("Test connection says baton/1 when Baton's own protocol answers, and keeps a typed name", async () => {
    const user = userEvent.setup();
    setTransport(createTestTransport({ test_connection: detecting() }));
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    await user.type(screen.getByTestId("agent-name"), "researcher");
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7801");
    await user.click(screen.getByTestId("agent-test"));
    expect(await screen.findByTestId("agent-detected")).toHaveTextContent(/^Detected: baton\/1$/);
    expect(screen.getByTestId("agent-name")).toHaveValue("researcher");
    expect(protocol()).toHaveValue("baton");
  });

  it("saving a new agent that was never tested detects its protocol first, then checks and saves it", async () => {
    const user = userEvent.setup();
    let answer: () => void = () => {};
    const t = createTestTransport({
      test_connection: (args) =>
        new Promise<ConnectionReport>((resolve) => (answer = () => resolve(detected(args.draft as AgentDraft)))),
      predeploy_check: () => [],
      add_agent: added,
      set_declaration: () => ({ agents: [], rules: [], conflicts: [] }),
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await user.type(screen.getByTestId("agent-name"), "echo");
    await user.type(screen.getByTestId("agent-url"), A2A_URL);
    await user.click(screen.getByTestId("agent-declares-toggle"));
    await user.type(screen.getByTestId("agent-declares-writes"), "crm://contacts/*#status");
    await user.click(screen.getByTestId("agent-save"));

    expect(await screen.findByText("Detecting protocol…", { selector: "[data-testid=agent-test-result]" })).toBeInTheDocument();
    expect(screen.getByTestId("agent-save")).toHaveTextContent("Detecting protocol…");
    expect(screen.getByTestId("agent-save")).toHaveAttribute("aria-disabled", "true");
    expect(commands(t)).toEqual(["test_connection"]);
    expect((sent(t, "test_connection")!.draft as AgentDraft).adapter).toBe("baton");

    answer();
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["test_connection", "predeploy_check", "add_agent", "set_declaration"]);
    expect(sent(t, "add_agent")!.draft).toMatchObject({ name: "echo", adapter: "a2a" });
    expect(onSaved.mock.calls[0]![0]).toMatchObject({ id: 12, adapter: "a2a" });
    expect(screen.getByTestId("agent-detected")).toHaveTextContent("Detected: A2A 1.0 · JSON-RPC — Echo Agent");
  });

  it("a detection that fails still saves, with the protocol chosen, and says why", async () => {
    const user = userEvent.setup();
    let finishAdd: () => void = () => {};
    const t = createTestTransport({
      test_connection: detecting(),
      add_agent: (args) => new Promise<AgentConfig>((resolve) => (finishAdd = () => resolve(added(args)))),
    });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await user.type(screen.getByTestId("agent-name"), "billing-bot");
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7804{Enter}");
    await waitFor(() => expect(commands(t)).toEqual(["test_connection", "add_agent"]));
    expect(screen.getByTestId("agent-test-result")).toHaveTextContent(`Failed ${REFUSED_REPORT!.message}`);
    expect(REFUSED_REPORT!.ok).toBe(false);
    expect(screen.getByTestId("agent-save")).toHaveTextContent("Saving…");
    expect(sent(t, "add_agent")!.draft).toMatchObject({ adapter: "baton" });
    finishAdd();
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
  });

  it("a protocol chosen by hand overrides detection and is saved without a test", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ test_connection: detecting(), add_agent: added });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="add" onClose={() => {}} onSaved={onSaved} />);
    await user.type(screen.getByTestId("agent-name"), "researcher");
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7801");
    await user.click(screen.getByTestId("agent-test"));
    await screen.findByTestId("agent-detected");
    expect(protocol()).toHaveValue("baton");

    await user.selectOptions(protocol(), "A2A");
    expect(protocol()).toHaveValue("a2a");
    expect(screen.getByTestId("agent-protocol-hint")).toHaveTextContent("Chosen by hand.");
    expect(protocol()).toHaveAccessibleDescription("Chosen by hand.");
    await user.clear(screen.getByTestId("agent-url"));
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7802{Enter}");
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["test_connection", "add_agent"]);
    expect(sent(t, "add_agent")!.draft).toMatchObject({ base_url: "http://127.0.0.1:7802", adapter: "a2a" });
  });

  it("a new URL after a test is detected again on save", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ test_connection: detecting(), add_agent: added });
    setTransport(t);
    render(<AgentForm mode="add" onClose={() => {}} onSaved={() => {}} />);
    await user.type(screen.getByTestId("agent-name"), "echo");
    await user.type(screen.getByTestId("agent-url"), "http://127.0.0.1:7801");
    await user.click(screen.getByTestId("agent-test"));
    await screen.findByTestId("agent-detected");
    await user.type(screen.getByTestId("agent-url"), "/a2a");
    expect(screen.getByTestId("agent-protocol-hint")).toHaveTextContent("adding the agent detects it again");
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(commands(t)).toEqual(["test_connection", "test_connection", "add_agent"]));
    expect(sent(t, "add_agent")!.draft).toMatchObject({ adapter: "a2a" });
  });

  it("edit: shows the stored protocol and saves it without detecting", async () => {
    const user = userEvent.setup();
    const agent: AgentConfig = {
      id: 4,
      name: "echo",
      base_url: A2A_URL,
      poll_interval_ms: 2000,
      timeout_ms: 1500,
      adapter: "a2a",
      has_token: false,
    };
    const t = createTestTransport({ update_agent: () => agent });
    setTransport(t);
    const onSaved = vi.fn();
    render(<AgentForm mode="edit" agent={agent} onClose={() => {}} onSaved={onSaved} />);
    expect(protocol()).toHaveValue("a2a");
    await user.click(screen.getByTestId("agent-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(commands(t)).toEqual(["update_agent"]);
    expect(sent(t, "update_agent")!.draft).toMatchObject({ adapter: "a2a" });
  });
});

describe("Agents view: protocol badge", () => {
  it("marks A2A agents, and leaves baton/1 agents plain", () => {
    const rows = [
      agentRow(1, "researcher"),
      agentRow(2, "echo", {
        config: { ...agentRow(2, "echo").config, adapter: "a2a" },
      }),
    ];
    render(<AgentsView agents={rows} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
    const row = (name: string) =>
      screen.getAllByTestId("agent-row").find((r) => r.getAttribute("data-agent-name") === name)!;
    const badge = within(row("echo")).getByTestId("agent-protocol-badge");
    expect(badge).toHaveTextContent(/^A2A$/);
    expect(badge).toHaveAttribute("title", "Speaks A2A");
    expect(within(row("researcher")).queryByTestId("agent-protocol-badge")).not.toBeInTheDocument();
  });
});
