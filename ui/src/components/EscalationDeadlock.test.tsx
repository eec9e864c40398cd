import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import { setTransport } from "../lib/backend";
import { ClockProvider } from "../lib/clock";
import { decisionLabel, kindLabel } from "../lib/escalations";
import { useEscalations } from "../lib/useEscalations";
import { escalation, timeline, MIN } from "../test/escalations";
import { agentRow } from "../test/fixtures";
import { createTestTransport } from "../test/transport";
import { EscalationActions } from "./EscalationActions";
import { EscalationQueue } from "./EscalationQueue";

const NAMES = new Map([
  [1, "Writer"],
  [2, "Editor"],
  [3, "shop·4f1c"],
]);

function deadlock(now: number, extra: Partial<Escalation> = {}): Escalation {
  return escalation(11, now, 30 * MIN, {
    kind: "deadlock",
    severity: "critical",
    agents: [1, 2, 3],
    resource: null,
    resources: [],
    resource_count: 0,
    title: "Writer, Editor and shop·4f1c wait on each other",
    knot: {
      tasks: [
        { agent_id: 1, task_id: "t-42" },
        { agent_id: 2, task_id: "e-7" },
        // A session between turns waits as itself: nothing to cancel.
        { agent_id: 3, task_id: "" },
      ],
      leases: [{ resource: "file:///home/ana/shop/src/app.rs", waiter: 3 }],
    },
    ...extra,
  });
}

function Harness({ e, onDecide }: { e: Escalation; onDecide: (a: EscalationAction, note: string | null) => void }) {
  const [note, setNote] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [now] = useState(() => Date.now());
  return (
    <EscalationActions
      escalation={e}
      names={NAMES}
      sessions={new Set([3])}
      now={now}
      busy={false}
      error={error}
      note={note}
      onNote={setNote}
      reason={reason}
      onReason={setReason}
      onDecide={onDecide}
      onRefuse={setError}
      onBack={() => {}}
    />
  );
}

const actions = () => screen.getAllByTestId("escalation-action");

describe("A deadlock in the queue", () => {
  it("offers to cancel each task of the knot or give each file, then dismiss or snooze", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    render(<Harness e={deadlock(Date.now())} onDecide={onDecide} />);
    const knot = actions().filter((b) => b.dataset.action === "cancel_task" || b.dataset.action === "give_lease");
    expect(knot.map((b) => b.textContent)).toEqual(["Cancel Writer's t-42", "Cancel Editor's e-7", "Give app.rs to shop·4f1c"]);
    // Giving a file loses no work: it is the primary action.
    expect(knot[2]).toHaveAttribute("data-primary", "true");
    const kinds = actions().map((b) => b.dataset.action);
    expect(kinds).not.toContain("approve");
    expect(kinds).not.toContain("give_ownership");
    expect(kinds).toContain("dismiss");
    expect(kinds).toContain("snooze");

    await user.click(knot[0]!);
    expect(onDecide).toHaveBeenLastCalledWith({ action: "cancel_task", agent_id: 1, task_id: "t-42" }, null);
    await user.type(screen.getByTestId("escalation-note"), "the schema wins");
    await user.click(knot[2]!);
    expect(onDecide).toHaveBeenLastCalledWith(
      { action: "give_lease", agent_id: 3, resource: "file:///home/ana/shop/src/app.rs" },
      "the schema wins",
    );
  });

  it("without a knot keeps the usual actions", () => {
    render(<Harness e={deadlock(Date.now(), { knot: null })} onDecide={vi.fn()} />);
    const kinds = actions().map((b) => b.dataset.action);
    expect(kinds).toContain("retry");
    expect(kinds).not.toContain("cancel_task");
  });

  it("shows the backend's refusal (a coding session cannot be told to stop)", async () => {
    const user = userEvent.setup();
    const now = Date.now();
    const item = deadlock(now, { knot: { tasks: [{ agent_id: 3, task_id: "turn-9" }], leases: [] } });
    const t = createTestTransport({
      escalations: () => [item],
      escalation_timeline: (args) => timeline(args.id as number, [1, 2, 3], []),
      decide_escalation: () => {
        throw {
          code: "invalid_decision",
          message: "shop·4f1c is a coding session, which Baton cannot tell to stop: give a file it waits for instead",
          field: null,
        };
      },
    });
    setTransport(t);
    const agents = [agentRow(1, "Writer"), agentRow(2, "Editor"), agentRow(3, "shop·4f1c")];
    function Queue() {
      const escalations = useEscalations(() => () => {});
      const [selected, setSelected] = useState<number | null>(11);
      return (
        <ClockProvider>
          <EscalationQueue escalations={escalations} agents={agents} selected={selected} onSelect={setSelected} subscribe={() => () => {}} />
        </ClockProvider>
      );
    }
    render(<Queue />);
    const cancel = await screen.findByRole("button", { name: "Cancel shop·4f1c's turn-9" });
    await user.click(cancel);
    expect(await screen.findByTestId("escalation-error")).toHaveTextContent("cannot tell to stop: give a file it waits for instead");
    await waitFor(() =>
      expect(t.calls.find((c) => c.command === "decide_escalation")?.args).toEqual({
        id: 11,
        action: { action: "cancel_task", agent_id: 3, task_id: "turn-9" },
        note: null,
      }),
    );
  });

  it("names the new kinds and their decisions", () => {
    expect(kindLabel("deadlock")).toBe("Deadlock");
    expect(kindLabel("over_budget")).toBe("Over budget");
    expect(decisionLabel("cancel_task")).toBe("Task cancelled");
    expect(decisionLabel("give_lease")).toBe("File given");
  });
});
