import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import { setTransport } from "../lib/backend";
import { escalation, timeline, MIN } from "../test/escalations";
import { agentSeries, series } from "../test/rateLimits";
import { createTestTransport } from "../test/transport";
import { EscalationActions } from "./EscalationActions";
import { EscalationDetail } from "./EscalationDetail";

const NAMES = new Map([
  [1, "Writer"],
  [2, "Editor"],
  [3, "Publisher"],
]);

function pressure(now: number, extra: Partial<Escalation> = {}): Escalation {
  return escalation(7, now, 2 * 60 * MIN, {
    kind: "rate_limit_pressure",
    resource: "api:openai",
    agents: [1, 2],
    title: "openai: combined use at 94% of 500 requests / min",
    ...extra,
  });
}

/** EscalationActions with its note and reason held like the queue holds them. */
function Harness({
  e,
  onDecide,
  sessions,
  subagents,
  branches,
}: {
  e: Escalation;
  onDecide: (a: EscalationAction, note: string | null) => void;
  sessions?: ReadonlySet<number>;
  subagents?: ReadonlySet<number>;
  branches?: ReadonlyMap<number, string | null>;
}) {
  const [note, setNote] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [now] = useState(() => Date.now());
  return (
    <EscalationActions
      escalation={e}
      names={NAMES}
      sessions={sessions}
      subagents={subagents}
      branches={branches}
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

const splitButton = () => screen.getAllByTestId("escalation-action").find((b) => b.dataset.action === "split_budget");
const inputs = () => screen.getAllByTestId("split-percent") as HTMLInputElement[];

describe("The note", () => {
  it("is the Answer of an agent asking: Send answer when there is one, else Approve", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const asks = escalation(2, Date.now(), 30 * MIN, { kind: "needs_approval", agents: [1], resource: null });
    render(<Harness e={asks} onDecide={onDecide} />);
    const answer = screen.getByLabelText("Answer");
    expect(answer).toHaveAttribute("placeholder", "Your answer, sent to the agent");
    expect(screen.getByRole("button", { name: "Approve" })).toBeInTheDocument();
    await user.type(answer, "  ");
    expect(screen.getByRole("button", { name: "Approve" })).toBeInTheDocument();
    await user.type(answer, "Blue ");
    await user.click(screen.getByRole("button", { name: "Send answer" }));
    expect(onDecide).toHaveBeenCalledWith({ action: "approve" }, "Blue");
  });

  it("stays an optional note on other kinds", async () => {
    const user = userEvent.setup();
    render(<Harness e={escalation(3, Date.now(), 30 * MIN)} onDecide={vi.fn()} />);
    await user.type(screen.getByLabelText("Note (optional)"), "go");
    expect(screen.getByRole("button", { name: "Approve" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Send answer" })).not.toBeInTheDocument();
  });
});

describe("Stop one subagent", () => {
  it("is offered for each subagent of a file collision, not for a session", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const collision = escalation(4, Date.now(), 30 * MIN, {
      kind: "write_collision",
      resource: "repo://github.com/acme/shop/src/app.rs",
      agents: [1, 2, 3],
    });
    render(<Harness e={collision} onDecide={onDecide} sessions={new Set([1, 2, 3])} subagents={new Set([2, 3])} />);
    const stops = screen.getAllByTestId("escalation-action").filter((b) => b.dataset.action === "stop_touching");
    expect(stops.map((b) => b.textContent)).toEqual(["Stop Editor", "Stop Publisher"]);
    await user.click(stops[0]!);
    expect(onDecide).toHaveBeenCalledWith({ action: "stop_touching", agent_id: 2 }, null);
  });
});

describe("Grant to a coding session", () => {
  it("offers the sessions of a file collision the file, and the other agents its ownership", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const collision = escalation(4, Date.now(), 30 * MIN, {
      kind: "write_collision",
      resource: "file:///repo/src/app.rs",
      agents: [1, 2, 3],
    });
    render(<Harness e={collision} onDecide={onDecide} sessions={new Set([1, 2])} />);
    const grants = screen.getAllByTestId("escalation-action").filter((b) => b.dataset.action === "grant_lease");
    expect(grants.map((b) => b.textContent)).toEqual(["Grant to Writer", "Grant to Editor"]);
    const gives = screen.getAllByTestId("escalation-action").filter((b) => b.dataset.action === "give_ownership");
    expect(gives.map((b) => b.dataset.agent)).toEqual(["Publisher"]);
    await user.click(grants[1]!);
    expect(onDecide).toHaveBeenCalledWith({ action: "grant_lease", agent_id: 2 }, null);
    const by = (action: string) => screen.getAllByTestId("escalation-action").find((b) => b.dataset.action === action)!;
    // A non-session agent is in this item: approve and the others stay.
    expect(by("approve")).toBeDefined();
    expect(by("keep_lease")).toHaveTextContent("Keep the holder");
    await user.click(by("allow_both_once"));
    expect(onDecide).toHaveBeenLastCalledWith({ action: "allow_both_once" }, null);
  });

  it("leaves out approve, reject and retry when every agent of the item is a session", () => {
    const both = escalation(8, Date.now(), 30 * MIN, { kind: "write_collision", resource: "file:///repo/a.rs", agents: [1, 2] });
    render(<Harness e={both} onDecide={vi.fn()} sessions={new Set([1, 2])} />);
    const actions = screen.getAllByTestId("escalation-action").map((b) => b.dataset.action);
    expect(actions).not.toContain("approve");
    expect(actions).not.toContain("reject");
    expect(actions).not.toContain("retry");
    expect(actions).toContain("grant_lease");
    expect(actions).toContain("dismiss");
  });

  it("answers a session's own permission request with allow or refuse, and no retry", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const asks = escalation(9, Date.now(), 30 * MIN, { kind: "needs_approval", resource: null, agents: [1] });
    render(<Harness e={asks} onDecide={onDecide} sessions={new Set([1])} />);
    const by = (action: string) => screen.getAllByTestId("escalation-action").find((b) => b.dataset.action === action);
    expect(by("retry")).toBeUndefined();
    expect(by("approve")).toHaveTextContent("Allow");
    await user.type(screen.getByTestId("escalation-note"), "use the test database");
    expect(by("approve")).toHaveTextContent("Allow");
    await user.click(by("reject")!);
    expect(onDecide).toHaveBeenCalledWith({ action: "reject" }, "use the test database");
  });

  it("is not offered for resources other than files, nor without sessions", () => {
    const record = escalation(5, Date.now(), 30 * MIN, { kind: "write_collision", resource: "crm://contacts/7", agents: [1, 2] });
    const { unmount } = render(<Harness e={record} onDecide={vi.fn()} sessions={new Set([1, 2])} />);
    expect(document.querySelector("[data-action=grant_lease]")).toBeNull();
    unmount();
    const file = escalation(6, Date.now(), 30 * MIN, { kind: "write_collision", resource: "file:///a", agents: [1, 2] });
    render(<Harness e={file} onDecide={vi.fn()} />);
    expect(document.querySelector("[data-action=grant_lease]")).toBeNull();
    expect(document.querySelector("[data-action=allow_both_once]")).toBeNull();
  });
});

describe("A parallel edit", () => {
  it("stops one branch, hands the files to one, or lets both go on; never a lease", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const edit = escalation(10, Date.now(), 30 * MIN, { kind: "parallel_edit", resource: "repo://root:abc/", agents: [1, 2] });
    render(<Harness e={edit} onDecide={onDecide} sessions={new Set([1, 2])} />);
    const actions = screen.getAllByTestId("escalation-action");
    const of = (action: string) => actions.filter((b) => b.dataset.action === action);
    expect(of("grant_lease")).toEqual([]);
    expect(of("keep_lease")).toEqual([]);
    expect(of("approve")).toEqual([]);
    expect(of("hand_to_branch").map((b) => b.textContent)).toEqual(["Files to Writer", "Files to Editor"]);
    expect(of("hand_to_branch").every((b) => b.dataset.primary === "true")).toBe(true);
    expect(of("stop_touching").map((b) => b.textContent)).toEqual(["Stop Writer", "Stop Editor"]);
    expect(screen.getByTestId("escalation-note")).toHaveAttribute("placeholder", "Why, told to the branch you stop at its next try");
    await user.type(screen.getByTestId("escalation-note"), "feature-a rewrites it");
    await user.click(of("stop_touching")[1]!);
    expect(onDecide).toHaveBeenLastCalledWith({ action: "stop_touching", agent_id: 2 }, "feature-a rewrites it");
    await user.click(of("hand_to_branch")[0]!);
    expect(onDecide).toHaveBeenLastCalledWith({ action: "hand_to_branch", agent_id: 1 }, "feature-a rewrites it");
    await user.click(of("let_both_go_on")[0]!);
    expect(onDecide).toHaveBeenLastCalledWith({ action: "let_both_go_on" }, "feature-a rewrites it");
  });

  it("offers each branch once, however many of its sessions the item names", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const edit = escalation(11, Date.now(), 30 * MIN, { kind: "parallel_edit", resource: "repo://root:abc/", agents: [1, 2, 3] });
    const branches = new Map([
      [1, "feature-a"],
      [2, "feature-b"],
      [3, "feature-a"],
    ]);
    render(<Harness e={edit} onDecide={onDecide} sessions={new Set([1, 2, 3])} branches={branches} />);
    const actions = screen.getAllByTestId("escalation-action");
    const of = (action: string) => actions.filter((b) => b.dataset.action === action);
    expect(of("hand_to_branch").map((b) => b.textContent)).toEqual(["Files to feature-a", "Files to feature-b"]);
    expect(of("stop_touching").map((b) => b.textContent)).toEqual(["Stop feature-a", "Stop feature-b"]);
    expect(of("stop_touching")[0]!.title).toContain(`The branch feature-a (${NAMES.get(1)}, ${NAMES.get(3)})`);
    await user.click(of("stop_touching")[0]!);
    expect(onDecide).toHaveBeenLastCalledWith({ action: "stop_touching", agent_id: 1 }, null);
    await user.click(of("hand_to_branch")[1]!);
    expect(onDecide).toHaveBeenLastCalledWith({ action: "hand_to_branch", agent_id: 2 }, null);
  });

  it("offers each of three branches and lets them all go on; a session on no branch of the item is no choice", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const file = (path: string, branches: string[]) => ({ path, branches });
    const parallel = {
      repository: "root:abc",
      branches: ["feature-a", "feature-b", "feature-c"],
      files: [file("src/app.rs", ["feature-a", "feature-b", "feature-c"]), file("src/lib.rs", ["feature-a", "feature-b"])],
    };
    const edit = escalation(12, Date.now(), 30 * MIN, { kind: "parallel_edit", resource: "repo://root:abc/", agents: [1, 2, 3, 4], parallel });
    const branches = new Map([
      [1, "feature-a"],
      [2, "feature-b"],
      [3, "feature-c"],
      [4, "feature-z"],
    ]);
    render(<Harness e={edit} onDecide={onDecide} sessions={new Set([1, 2, 3, 4])} branches={branches} />);
    const actions = screen.getAllByTestId("escalation-action");
    const of = (action: string) => actions.filter((b) => b.dataset.action === action);
    expect(of("stop_touching").map((b) => b.textContent)).toEqual(["Stop feature-a", "Stop feature-b", "Stop feature-c"]);
    expect(of("hand_to_branch").map((b) => b.textContent)).toEqual(["Files to feature-a", "Files to feature-b", "Files to feature-c"]);
    const all = of("let_both_go_on");
    expect(all.map((b) => b.textContent)).toEqual(["Let them all go on"]);
    expect(all[0]!.title).toContain("All its branches go on");
    await user.click(all[0]!);
    expect(onDecide).toHaveBeenLastCalledWith({ action: "let_both_go_on" }, null);
  });
});

describe("Split budget", () => {
  it("is offered on rate-limit pressure escalations only, as the primary action, on key b", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    const { unmount } = render(<Harness e={escalation(1, Date.now(), 60 * MIN)} onDecide={onDecide} />);
    expect(splitButton()).toBeUndefined();
    await user.keyboard("b");
    expect(screen.queryByTestId("split-budget-form")).not.toBeInTheDocument();
    unmount();

    render(<Harness e={pressure(Date.now())} onDecide={onDecide} />);
    // An API is shared by budget, not owned.
    expect(document.querySelector("[data-action=give_ownership]")).toBeNull();
    expect(splitButton()).toHaveAttribute("data-primary", "true");
    expect(splitButton()).toHaveAttribute("aria-keyshortcuts", "b");
    await user.keyboard("b");
    expect(screen.getByTestId("split-budget-form")).toBeInTheDocument();
    expect(screen.getByTestId("split-budget-form")).toHaveTextContent("openai");
  });

  it("starts from an even split in whole percents, with the running total", async () => {
    const user = userEvent.setup();
    render(<Harness e={pressure(Date.now(), { agents: [1, 2, 3] })} onDecide={vi.fn()} />);
    await user.click(splitButton()!);
    expect(inputs().map((i) => [i.dataset.agent, i.value])).toEqual([
      ["Writer", "34"],
      ["Editor", "33"],
      ["Publisher", "33"],
    ]);
    expect(inputs()[0]).toHaveFocus();
    expect(screen.getByTestId("split-total")).toHaveTextContent("Total 100%");
    await user.clear(inputs()[2]!);
    await user.type(inputs()[2]!, "13");
    expect(screen.getByTestId("split-total")).toHaveTextContent("Total 80% (20% unassigned)");
  });

  it("refuses shares over 100% (or not whole percents) before sending", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    render(<Harness e={pressure(Date.now())} onDecide={onDecide} />);
    await user.click(splitButton()!);
    await user.clear(inputs()[0]!);
    await user.type(inputs()[0]!, "70");
    expect(screen.getByTestId("split-total")).toHaveTextContent("Total 120% — over 100%");
    expect(screen.getByTestId("split-total")).toHaveAttribute("data-total", "120");
    expect(screen.getByTestId("split-error")).toHaveTextContent("The shares add up to 120%: at most 100%");
    expect(inputs()[0]).toHaveAttribute("aria-invalid", "true");
    await user.click(screen.getByTestId("split-submit"));
    await user.keyboard("{Enter}");
    expect(onDecide).not.toHaveBeenCalled();

    await user.clear(inputs()[1]!);
    await user.type(inputs()[1]!, "x");
    await user.clear(inputs()[0]!);
    await user.type(inputs()[0]!, "50{Enter}");
    expect(onDecide).not.toHaveBeenCalled();
    expect(screen.getByText("A whole percentage from 0 to 100")).toBeInTheDocument();
  });

  it("submits the split with the note", async () => {
    const user = userEvent.setup();
    const onDecide = vi.fn();
    render(<Harness e={pressure(Date.now())} onDecide={onDecide} />);
    await user.type(screen.getByTestId("escalation-note"), "writer ships today");
    await user.click(splitButton()!);
    expect(inputs().map((i) => i.value)).toEqual(["50", "50"]);
    await user.clear(inputs()[0]!);
    await user.type(inputs()[0]!, "60");
    await user.clear(inputs()[1]!);
    await user.type(inputs()[1]!, "40{Enter}");
    expect(onDecide).toHaveBeenCalledTimes(1);
    expect(onDecide).toHaveBeenCalledWith(
      {
        action: "split_budget",
        shares: [
          { agent_id: 1, percent: 60 },
          { agent_id: 2, percent: 40 },
        ],
      },
      "writer ships today",
    );
  });

  it("closes on Escape and on Cancel", async () => {
    const user = userEvent.setup();
    render(<Harness e={pressure(Date.now())} onDecide={vi.fn()} />);
    await user.click(splitButton()!);
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("split-budget-form")).not.toBeInTheDocument();
    await waitFor(() => expect(splitButton()).toHaveFocus());
    await user.keyboard("b");
    await user.click(screen.getByTestId("split-cancel"));
    expect(screen.queryByTestId("split-budget-form")).not.toBeInTheDocument();
  });

  it("is not offered once the escalation is closed or expired, which says why", async () => {
    const user = userEvent.setup();
    const now = Date.now();
    const { unmount } = render(
      <Harness e={pressure(now, { state: "resolved", closed_at: new Date(now).toISOString() })} onDecide={vi.fn()} />,
    );
    expect(screen.queryAllByTestId("escalation-action")).toHaveLength(0);
    expect(screen.getByTestId("escalation-blocked")).toHaveTextContent(/^Already resolved/);
    await user.keyboard("b");
    expect(screen.queryByTestId("split-budget-form")).not.toBeInTheDocument();
    unmount();
    render(<Harness e={pressure(now, { state: "expired", closed_at: new Date(now).toISOString() })} onDecide={vi.fn()} />);
    expect(screen.queryAllByTestId("escalation-action")).toHaveLength(0);
    expect(screen.getByTestId("escalation-blocked")).toHaveTextContent(/^Expired/);
  });
});

describe("Rate-limit evidence", () => {
  it("shows the API's last hour of use per minute in the escalation's detail", async () => {
    const t = createTestTransport({
      escalation_timeline: (args) => timeline(args.id as number, [1, 2], []),
      usage_series: (args) =>
        series([agentSeries(1, [300, 310, 320], [0, 1, 0]), agentSeries(2, [180, 185, 190])], {
          api: args.api as string,
          metric: args.metric as "requests",
        }),
    });
    setTransport(t);
    const decision = {
      busy: false,
      error: null,
      note: "",
      onNote: () => {},
      reason: "",
      onReason: () => {},
      onDecide: () => {},
      onRefuse: () => {},
      onBack: () => {},
    };
    render(<EscalationDetail escalation={pressure(Date.now())} names={NAMES} now={Date.now()} subscribe={() => () => {}} decision={decision} />);
    const usage = await screen.findByTestId("escalation-usage");
    expect(usage).toHaveTextContent("Use of openai");
    const chart = within(usage).getByTestId("usage-chart");
    await waitFor(() => expect(chart).toHaveAttribute("data-points", "6"));
    expect(chart).toHaveAttribute("data-limit", "500");
    expect(chart).toHaveAttribute("data-rate-limited", "1");
    expect(t.calls.find((c) => c.command === "usage_series")?.args).toEqual({ api: "openai", key: null, metric: "requests", hours: 1 });
    expect(screen.getByText("Rate-limit pressure")).toBeInTheDocument();
  });
});
