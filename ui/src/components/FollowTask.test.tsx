import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { A2aSummary } from "../bindings/A2aSummary";
import type { AgentRow } from "../bindings/AgentRow";
import { setTransport, type InvokeArgs } from "../lib/backend";
import { agentRow } from "../test/fixtures";
import { createTestTransport } from "../test/transport";
import { AgentsView } from "./AgentsView";
import { FollowTask } from "./FollowTask";

const HINT = "This agent cannot list its tasks; Baton reads the ones you give it by id.";

function summary(version: "1.0" | "0.3", listsTasks: boolean | null): A2aSummary {
  return {
    card: {
      name: "Echo Agent",
      description: null,
      version: "1.0.0",
      skills: ["Echo", "Translate", "Summarise", "Classify", "Route"].map((name) => ({
        id: name.toLowerCase(),
        name,
        description: name === "Echo" ? "Replies with the message it was sent." : null,
      })),
      interfaces: [
        { url: "http://127.0.0.1:7810/a2a", binding: "json_rpc", version },
        { url: "http://127.0.0.1:7810/a2a/v1", binding: "http_json", version: "1.0" },
      ],
    },
    card_read_at: "2026-11-21T12:00:00Z",
    lists_tasks: listsTasks,
  };
}

function a2aRow(id: number, name: string, a2a: A2aSummary | null): AgentRow {
  const row = agentRow(id, name);
  return { ...row, config: { ...row.config, adapter: "a2a" }, a2a };
}

function renderView(rows: AgentRow[]) {
  render(<AgentsView agents={rows} secrets={null} onAdd={() => {}} onEdit={() => {}} onRemoved={() => {}} />);
  return (name: string) => screen.getAllByTestId("agent-row").find((r) => r.getAttribute("data-agent-name") === name)!;
}

describe("Agents view: A2A agents", () => {
  it("shows the interface Baton uses and the card's skills; only an agent that cannot list its tasks can follow one", () => {
    const row = renderView([
      agentRow(1, "researcher"),
      a2aRow(2, "echo", summary("1.0", true)),
      a2aRow(3, "legacy", summary("0.3", false)),
      a2aRow(4, "unread", null),
    ]);

    const echo = within(row("echo"));
    expect(echo.getByTestId("agent-protocol-badge")).toHaveTextContent(/^A2A$/);
    expect(echo.getByTestId("agent-a2a")).toHaveTextContent("A2A 1.0 · JSON-RPC · Skills: Echo, Translate, Summarise +2");
    expect(echo.getByTestId("agent-a2a-interface")).toHaveAttribute("title", "Baton uses http://127.0.0.1:7810/a2a");
    expect(echo.getByTestId("agent-a2a-skills")).toHaveAttribute(
      "title",
      "Echo — Replies with the message it was sent.\nTranslate\nSummarise\nClassify\nRoute",
    );
    expect(echo.queryByTestId("follow-task-open")).not.toBeInTheDocument();

    const legacy = within(row("legacy"));
    expect(legacy.getByTestId("agent-a2a-interface")).toHaveTextContent(/^A2A 0\.3 · JSON-RPC$/);
    const open = legacy.getByTestId("follow-task-open");
    expect(open).toHaveTextContent("Follow a task…");
    expect(open).toHaveAttribute("title", HINT);
    expect(open).toHaveAttribute("aria-expanded", "false");

    // Not read yet, or baton/1: the row says nothing more.
    expect(within(row("unread")).queryByTestId("agent-a2a")).not.toBeInTheDocument();
    expect(within(row("unread")).queryByTestId("follow-task-open")).not.toBeInTheDocument();
    expect(within(row("researcher")).queryByTestId("agent-a2a")).not.toBeInTheDocument();
  });

  it("says nothing of skills when the card lists none", () => {
    const a2a = summary("1.0", null);
    const row = renderView([a2aRow(2, "echo", { ...a2a, card: { ...a2a.card, skills: [] } })]);
    expect(within(row("echo")).getByTestId("agent-a2a")).toHaveTextContent(/^A2A 1\.0 · JSON-RPC$/);
    expect(within(row("echo")).queryByTestId("agent-a2a-skills")).not.toBeInTheDocument();
    expect(within(row("echo")).queryByTestId("follow-task-open")).not.toBeInTheDocument();
  });
});

describe("FollowTask", () => {
  it("opens a form on the task id, sends it trimmed, says Following… meanwhile, then the result, and clears the field", async () => {
    const user = userEvent.setup();
    let answer: (added: boolean) => void = () => {};
    const t = createTestTransport({
      follow_task: () => new Promise<boolean>((resolve) => (answer = resolve)),
    });
    setTransport(t);
    render(<FollowTask agentId={3} agentName="legacy" />);

    await user.click(screen.getByTestId("follow-task-open"));
    expect(screen.getByTestId("follow-task-open")).toHaveAttribute("aria-expanded", "true");
    const form = screen.getByTestId("follow-task-form");
    expect(form).toHaveAccessibleName("Follow a task of legacy");
    const input = screen.getByLabelText("Task id");
    expect(input).toBe(screen.getByTestId("follow-task-id"));
    expect(input).toHaveFocus();
    expect(input).toHaveAccessibleDescription(HINT);

    await user.type(input, "  task-42 {Enter}");
    const submit = screen.getByTestId("follow-task-submit");
    expect(submit).toHaveTextContent("Following…");
    expect(submit).toBeDisabled();
    expect(t.calls).toEqual([{ command: "follow_task", args: { agentId: 3, taskId: "task-42" } }]);

    answer(true);
    const result = await screen.findByTestId("follow-task-result");
    expect(result).toHaveAttribute("role", "status");
    expect(result).toHaveTextContent("Following task-42: it appears on the board at the next poll");
    expect(input).toHaveValue("");
    expect(input).toHaveFocus();
    expect(submit).toHaveTextContent(/^Follow$/);
    expect(submit).toBeEnabled();

    // The same id again: already followed.
    await user.type(input, "task-42");
    await user.click(submit);
    answer(false);
    await waitFor(() => expect(screen.getByTestId("follow-task-result")).toHaveTextContent("Already followed: task-42"));
    expect(input).toHaveValue("");
  });

  it("shows the backend's error next to the field, keeps what was typed, and clears it on the next edit", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({
      follow_task: (args: InvokeArgs) => {
        throw { code: "invalid_task_id", message: `invalid task id "${String(args.taskId).slice(0, 60)}"`, field: null };
      },
    });
    setTransport(t);
    render(<FollowTask agentId={3} agentName="legacy" />);
    await user.click(screen.getByTestId("follow-task-open"));
    const input = screen.getByTestId("follow-task-id");
    await user.type(input, "x".repeat(70));
    await user.click(screen.getByTestId("follow-task-submit"));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(`Invalid task id "${"x".repeat(60)}"`);
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAccessibleDescription(`Invalid task id "${"x".repeat(60)}" ${HINT}`);
    expect(input).toHaveValue("x".repeat(70));
    expect(screen.queryByTestId("follow-task-result")).not.toBeInTheDocument();

    await user.type(input, "{Backspace}");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(input).not.toHaveAttribute("aria-invalid");
  });

  it("refuses an empty id without asking the backend", async () => {
    const user = userEvent.setup();
    const t = createTestTransport({ follow_task: () => true });
    setTransport(t);
    render(<FollowTask agentId={3} agentName="legacy" />);
    await user.click(screen.getByTestId("follow-task-open"));
    await user.type(screen.getByTestId("follow-task-id"), "   {Enter}");
    expect(screen.getByRole("alert")).toHaveTextContent("Task id must not be empty");
    expect(screen.getByTestId("follow-task-id")).toHaveAttribute("aria-invalid", "true");
    expect(t.calls).toEqual([]);
  });

  it("Escape and Cancel close the form and give focus back to the button", async () => {
    const user = userEvent.setup();
    setTransport(createTestTransport({ follow_task: () => true }));
    render(<FollowTask agentId={3} agentName="legacy" />);
    const open = screen.getByTestId("follow-task-open");

    await user.click(open);
    await user.type(screen.getByTestId("follow-task-id"), "t-1{Escape}");
    expect(screen.queryByTestId("follow-task-form")).not.toBeInTheDocument();
    expect(open).toHaveFocus();
    expect(open).toHaveAttribute("aria-expanded", "false");

    // Opened again: empty.
    await user.click(open);
    expect(screen.getByTestId("follow-task-id")).toHaveValue("");
    expect(screen.getByTestId("follow-task-id")).toHaveFocus();
    await user.click(screen.getByTestId("follow-task-cancel"));
    expect(screen.queryByTestId("follow-task-form")).not.toBeInTheDocument();
    expect(open).toHaveFocus();
  });
});
