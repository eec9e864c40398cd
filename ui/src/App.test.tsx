import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { App } from "./App";
import type { AgentRow } from "./bindings/AgentRow";
import type { TaskCard } from "./bindings/TaskCard";
import { setTransport } from "./lib/backend";
import { agentRow, card, health } from "./test/fixtures";
import { createTestTransport, type TestTransport } from "./test/transport";

function fleet(agents: AgentRow[], tasks: TaskCard[], extra: Record<string, (a: Record<string, unknown>) => unknown> = {}): TestTransport {
  const t = createTestTransport({
    list_agents: () => agents,
    list_tasks: () => tasks,
    secrets_status: () => ({ backend: "os_keyring", warning: null }),
    task_events: (args) =>
      args.taskId === "a1"
        ? [
            { agent_id: 1, seq: 1, at: "2026-11-21T12:00:00Z", kind: "state", task_id: "a1", resource: null, summary: "state → working", raw: {} },
            { agent_id: 1, seq: 2, at: "2026-11-21T12:00:05Z", kind: "write", task_id: "a1", resource: "crm://contacts/42#status", summary: "wrote crm://contacts/42#status", raw: {} },
          ]
        : [],
    ...extra,
  });
  setTransport(t);
  return t;
}

const columnOf = (column: string) =>
  screen.getAllByTestId("board-column").find((el) => el.dataset.column === column)!;

const cardIds = (column: string) =>
  within(columnOf(column))
    .queryAllByTestId("task-card")
    .map((el) => el.dataset.taskId);

describe("App", () => {
  it("renders cards into their columns and moves one when an ingested change arrives", async () => {
    const user = userEvent.setup();
    const t = fleet(
      [agentRow(1, "researcher"), agentRow(2, "writer")],
      [
        card(1, "a1", "working", -60_000, { agent_name: "researcher", title: "Summarise churn interviews" }),
        card(1, "a2", "queued", -10_000, { agent_name: "researcher" }),
        card(2, "b1", "working", -120_000, { agent_name: "writer" }),
        card(2, "b2", "done", -5_000, { agent_name: "writer" }),
      ],
    );
    render(<App />);
    await waitFor(() => expect(screen.getAllByTestId("task-card")).toHaveLength(4));
    expect(screen.getAllByTestId("board-column").map((c) => c.dataset.column)).toEqual([
      "queued",
      "working",
      "needs_human",
      "blocked",
      "done",
      "failed",
    ]);
    expect(cardIds("working")).toEqual(["b1", "a1"]);
    expect(cardIds("queued")).toEqual(["a2"]);
    expect(within(columnOf("working")).getByTestId("column-count")).toHaveTextContent("2");
    const a1 = screen.getAllByTestId("task-card").find((el) => el.dataset.taskId === "a1")!;
    expect(a1).toHaveAttribute("data-agent-id", "1");
    expect(a1).toHaveAttribute("data-column", "working");
    expect(a1).toHaveTextContent("Summarise churn interviews");
    expect(a1).toHaveTextContent("researcher");
    expect(a1).toHaveTextContent(/working \d/);

    const now = new Date().toISOString();
    act(() => {
      t.emit({
        type: "ingested",
        agent_id: 1,
        tasks: [card(1, "a1", "blocked", 0, { agent_name: "researcher", state_since: now, updated_at: now })],
        new_events: 1,
        new_usage: 0,
        elsewhere: false,
      });
    });
    expect(cardIds("working")).toEqual(["b1"]);
    expect(cardIds("blocked")).toEqual(["a1"]);
    expect(within(columnOf("blocked")).getByTestId("task-card")).toHaveTextContent(/blocked \ds/);

    // Filter by agent.
    await user.selectOptions(screen.getByTestId("agent-filter"), "writer");
    expect(screen.getAllByTestId("task-card").map((el) => el.dataset.taskId).sort()).toEqual(["b1", "b2"]);
    await user.selectOptions(screen.getByTestId("agent-filter"), "All agents");
    expect(screen.getAllByTestId("task-card")).toHaveLength(4);
  });

  it("opens the task drawer with events, refreshes it, and closes on Escape", async () => {
    const user = userEvent.setup();
    const t = fleet([agentRow(1, "researcher")], [card(1, "a1", "working", -60_000, { agent_name: "researcher", title: "Find pricing pages" })]);
    render(<App />);
    const a1 = await screen.findByTestId("task-card");
    a1.focus();
    await user.keyboard("{Enter}");
    const drawer = await screen.findByTestId("task-drawer");
    expect(drawer).toHaveTextContent("Find pricing pages");
    expect(await within(drawer).findByText("wrote crm://contacts/42#status")).toBeInTheDocument();
    expect(within(drawer).getAllByTestId("task-event")).toHaveLength(2);
    const before = t.calls.filter((c) => c.command === "task_events").length;

    act(() => {
      t.emit({ type: "ingested", agent_id: 1, tasks: [card(1, "a1", "working", -60_000, { updated_at: new Date().toISOString() })], new_events: 1, new_usage: 0, elsewhere: false });
    });
    await waitFor(() => expect(t.calls.filter((c) => c.command === "task_events").length).toBe(before + 1));
    expect(t.calls.at(-1)).toEqual({ command: "task_events", args: { agentId: 1, taskId: "a1" } });

    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("task-drawer")).not.toBeInTheDocument();
    expect(screen.getByTestId("task-card")).toHaveFocus();

    await user.click(screen.getByTestId("task-card"));
    expect(await screen.findByTestId("task-drawer")).toBeInTheDocument();
  });

  it("switches views with 1 and 2 and patches health from change events", async () => {
    const user = userEvent.setup();
    const t = fleet([agentRow(1, "researcher"), agentRow(2, "writer")], []);
    render(<App />);
    await screen.findAllByTestId("board-column");
    await user.keyboard("2");
    const rows = await screen.findAllByTestId("agent-row");
    expect(rows.map((r) => r.dataset.agentName)).toEqual(["researcher", "writer"]);
    expect(within(rows[0]!).getByTestId("agent-health")).toHaveTextContent(/^up · 12 ms · last poll/);

    act(() => {
      t.emit({
        type: "health",
        agent_id: 2,
        health: health({ reachability: "down", consecutive_failures: 3, last_error: "timed out after 1.5 s" }),
      });
    });
    const writer = screen.getAllByTestId("agent-row").find((r) => r.dataset.agentName === "writer")!;
    expect(within(writer).getByTestId("agent-health")).toHaveTextContent("down · 3 failures · timed out after 1.5 s");
    expect(screen.getByTestId("nav-agents")).toHaveAttribute("aria-current", "page");

    await user.keyboard("1");
    expect(screen.getByTestId("nav-board")).toHaveAttribute("aria-current", "page");
    expect(screen.getAllByTestId("board-column")).toHaveLength(6);
  });

  it("re-lists agents on agents_changed and shows the secrets warning", async () => {
    const user = userEvent.setup();
    let agents = [agentRow(1, "researcher")];
    const t = fleet([], [], {
      list_agents: () => agents,
      secrets_status: () => ({ backend: "memory", warning: "No OS keyring: tokens are kept in memory only." }),
    });
    render(<App />);
    await user.click(await screen.findByTestId("nav-agents"));
    expect(await screen.findByTestId("secrets-warning")).toHaveTextContent("No OS keyring");
    expect(screen.getAllByTestId("agent-row")).toHaveLength(1);
    agents = [...agents, agentRow(2, "writer")];
    act(() => t.emit({ type: "agents_changed" }));
    await waitFor(() => expect(screen.getAllByTestId("agent-row")).toHaveLength(2));
  });

  it("first run: starts the demo fleet and lands on the board", async () => {
    const user = userEvent.setup();
    let agents: AgentRow[] = [];
    let tasks: TaskCard[] = [];
    let release: () => void = () => {};
    fleet([], [], {
      list_agents: () => agents,
      list_tasks: () => tasks,
      start_demo_fleet: () =>
        new Promise((resolve) => {
          release = () => {
            agents = [agentRow(1, "researcher")];
            tasks = [card(1, "a1", "working", -1_000, { agent_name: "researcher" })];
            resolve(agents.map((a) => a.config));
          };
        }),
    });
    render(<App />);
    await user.click(await screen.findByTestId("start-demo"));
    expect(screen.getByRole("status")).toHaveTextContent("Starting 5 simulated agents…");
    act(() => release());
    expect(await screen.findByTestId("task-card")).toHaveAttribute("data-task-id", "a1");
    expect(screen.queryByTestId("start-demo")).not.toBeInTheDocument();
  });

  it("first run: Add an agent opens the form on the Agents view", async () => {
    const user = userEvent.setup();
    fleet([], []);
    render(<App />);
    await user.click(await screen.findByTestId("add-agent"));
    expect(screen.getByTestId("agent-name")).toHaveFocus();
    expect(screen.getByTestId("nav-agents")).toHaveAttribute("aria-current", "page");
  });

  it("first run: after watching coding sessions, the Agents view says what comes next", async () => {
    const user = userEvent.setup();
    fleet([], [], {
      coding_clients: () => ["claude-code"],
      install_hooks: () => ({ file: "/home/ana/shop/.claude/settings.json", changed: true, notes: [] }),
      readiness: () => [],
      agent_costs: () => [],
      prices: () => [],
    });
    render(<App />);
    await user.click(await screen.findByTestId("first-run-watch"));
    await user.type(screen.getByTestId("watch-project"), "/home/ana/shop{Enter}");
    await screen.findByTestId("watch-done");
    await user.click(screen.getByTestId("watch-close"));
    expect(screen.getByTestId("nav-agents")).toHaveAttribute("aria-current", "page");
    const empty = screen.getByTestId("agents-empty");
    expect(empty).toHaveTextContent("each session shows here when it starts");
    expect(within(empty).getByRole("button", { name: "Add an agent" })).toBeInTheDocument();
    await user.click(within(empty).getByRole("button", { name: "Watch coding sessions…" }));
    expect(screen.getByRole("dialog", { name: "Watch coding sessions in a repository" })).toBeInTheDocument();
  });

  it("empty states: the timeline leads to the welcome screen, a board with no task to the agents", async () => {
    const user = userEvent.setup();
    const t = fleet([], []);
    render(<App />);
    await screen.findByTestId("start-demo");
    await user.keyboard("7");
    expect(await screen.findByTestId("timeline-empty")).toHaveTextContent("watch coding sessions");
    await user.click(screen.getByTestId("timeline-get-started"));
    expect(await screen.findByTestId("start-demo")).toBeInTheDocument();

    t.handlers.list_agents = () => [agentRow(1, "researcher")];
    act(() => t.emit({ type: "agents_changed" }));
    const empty = await screen.findByTestId("board-empty");
    expect(empty).toHaveTextContent("No tasks yet");
    await user.click(within(empty).getByRole("button", { name: "Check the agents" }));
    expect(screen.getByTestId("nav-agents")).toHaveAttribute("aria-current", "page");
  });

  it("shows why loading failed and retries", async () => {
    const user = userEvent.setup();
    let locked = true;
    setTransport(
      createTestTransport({
        list_agents: () => {
          if (locked) throw { code: "store", message: "database is locked", field: null };
          return [agentRow(1, "researcher")];
        },
        list_tasks: () => [],
        secrets_status: () => ({ backend: "os_keyring", warning: null }),
      }),
    );
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("database is locked");
    expect(screen.queryByTestId("start-demo")).not.toBeInTheDocument();
    locked = false;
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("board-column")).toHaveLength(6);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows only the store-too-new dialog when a newer Baton wrote the store", async () => {
    const refused = { code: "schema_too_new", message: "the database was written by a newer Baton", field: null };
    setTransport(
      createTestTransport({
        store_too_new: () => ({
          store_engine: "postgres",
          store_location: "postgres://ana@db.example.org/baton",
          found: 31,
          supported: 30,
          app_version: "0.1.0",
        }),
        list_agents: () => {
          throw refused;
        },
      }),
    );
    render(<App />);
    const dialog = await screen.findByRole("alertdialog", { name: "This store is newer than this Baton" });
    expect(within(dialog).getByTestId("too-new-found")).toHaveTextContent("PostgreSQL, schema 31");
    expect(within(dialog).getByTestId("too-new-supported")).toHaveTextContent("0.1.0, knows schema up to 30");
    const steps = within(dialog).getByTestId("store-too-new-steps");
    expect(steps).toHaveTextContent("Update Baton");
    expect(steps).toHaveTextContent("ask the store's owner");
    expect(screen.queryByRole("navigation")).not.toBeInTheDocument();
  });
});
