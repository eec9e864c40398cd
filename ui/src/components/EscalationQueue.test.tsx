import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import type { Escalation } from "../bindings/Escalation";
import { OPEN_ESCALATION_EVENT, setTransport, type InvokeArgs } from "../lib/backend";
import { ClockProvider } from "../lib/clock";
import { ANYTHING, RightsProvider, type Rights } from "../lib/rights";
import { useEscalations } from "../lib/useEscalations";
import { delivery, escalation, timeline, timelineEvent, MIN, HOUR, iso } from "../test/escalations";
import { agentRow } from "../test/fixtures";
import { createTestTransport, transportSubscribe, type Handler, type TestTransport } from "../test/transport";
import { EXPIRED_MESSAGE, EscalationQueue } from "./EscalationQueue";

const AGENTS = [agentRow(1, "editor"), agentRow(2, "publisher"), agentRow(3, "writer")];

/** The queue as the backend would answer it, relative to now. */
function queue(now = Date.now()): Escalation[] {
  return [
    escalation(1, now, 9 * MIN, { kind: "needs_approval", severity: "critical", agents: [3], resource: null, title: "writer asks to post" }),
    escalation(2, now, 40 * MIN, { title: "editor and publisher both wrote the draft", assignee: "Ana (ops)" }),
    escalation(3, now, 23 * HOUR + 12 * MIN + 30_000, { kind: "stall", agents: [2], resource: null, title: "publisher stalls" }),
    escalation(4, now, 3 * HOUR, { kind: "divergent_claims", snoozed_until: iso(now + 50 * MIN), title: "claims differ" }),
    escalation(5, now, -HOUR, { kind: "timeout", state: "expired", closed_at: iso(now - HOUR), title: "an old timeout" }),
    escalation(6, now, HOUR, {
      state: "resolved",
      closed_at: iso(now - 5 * MIN),
      title: "settled collision",
      decision: {
        seq: 41,
        action: "give_ownership",
        who: "ana",
        host: "laptop-a",
        reason: "editor owns drafts",
        at: iso(now - 5 * MIN),
      },
      deliveries: [
        delivery(1, "delivered"),
        delivery(2, "retrying", { attempts: 3, last_error: "HTTP 503 from publisher" }),
        delivery(3, "declined"),
      ],
    }),
  ];
}

function timelineFor(args: InvokeArgs) {
  const t = Date.parse("2026-11-21T12:00:00Z");
  return timeline(args.id as number, [1, 2], [
    timelineEvent(1, 1, t, "state → working"),
    timelineEvent(2, 2, t + 10_000, "read file:///drafts/launch.md"),
    timelineEvent(1, 3, t + 20_000, "write file:///drafts/launch.md", true),
    timelineEvent(2, 4, t + 50_000, "write file:///drafts/launch.md", true),
    timelineEvent(1, 5, t + 90_000, "state → completed"),
  ]);
}

function Harness({ initial = null, rights = ANYTHING }: { initial?: number | null; rights?: Rights }) {
  const escalations = useEscalations(transportSubscribe);
  const [selected, setSelected] = useState<number | null>(initial);
  return (
    <ClockProvider>
      <RightsProvider value={rights}>
        <EscalationQueue
          escalations={escalations}
          agents={AGENTS}
          selected={selected}
          onSelect={setSelected}
          subscribe={transportSubscribe}
        />
      </RightsProvider>
    </ClockProvider>
  );
}

const VIEWER =
  "You are a viewer on this store (PostgreSQL role cy): you see everything and decide nothing. ana can decide; to decide yourself, ask the store's owner (baton) to run `baton store grant cy decider`.";

function setup(extra: Record<string, Handler> = {}, list: () => Escalation[] = () => queue()): TestTransport {
  const t = createTestTransport({ escalations: list, escalation_timeline: timelineFor, ...extra });
  setTransport(t);
  return t;
}

const rows = () => screen.queryAllByTestId("escalation-row");
const row = (id: number) => rows().find((r) => r.dataset.id === String(id))!;
const selectedId = () => rows().find((r) => r.getAttribute("aria-selected") === "true")?.dataset.id;
const group = (key: string) => screen.getAllByTestId("escalation-group").find((g) => g.dataset.group === key)!;
const idsIn = (key: string) => within(group(key)).queryAllByTestId("escalation-row").map((r) => Number(r.dataset.id));
const action = (name: string) => screen.getAllByTestId("escalation-action").filter((b) => b.dataset.action === name);
const decisions = (t: TestTransport) => t.calls.filter((c) => c.command === "decide_escalation").map((c) => c.args);
const count = (t: TestTransport, command: string) => t.calls.filter((c) => c.command === command).length;

async function loaded() {
  await waitFor(() => expect(rows()).toHaveLength(6));
  await screen.findAllByTestId("timeline-lane");
}

describe("EscalationQueue", () => {
  it("offers a scenario to try while this app watches, and none to a viewer of a shared store", async () => {
    const scenarios = [{ name: "write-collision", description: "two writers" }];
    setup({ scenarios: () => scenarios });
    const { unmount } = render(<Harness />);
    await loaded();
    expect(await screen.findByTestId("scenario-picker")).toBeInTheDocument();
    unmount();

    const t = setup({ scenarios: () => scenarios });
    render(<Harness rights={{ cannotChange: null, cannotRunFleets: "This app only views the store" }} />);
    await loaded();
    expect(screen.queryByTestId("scenario-picker")).not.toBeInTheDocument();
    expect(count(t, "scenarios")).toBe(0);
  });

  it("shows a viewer role every decision disabled with the reason, and sends none", async () => {
    const user = userEvent.setup();
    const t = setup({ scenarios: () => [{ name: "write-collision", description: "two writers" }] });
    render(<Harness initial={2} rights={{ cannotChange: VIEWER, cannotRunFleets: VIEWER }} />);
    await loaded();
    expect(screen.queryByTestId("scenario-picker")).not.toBeInTheDocument();
    expect(screen.getByTestId("escalation-blocked")).toHaveTextContent("You are a viewer on this store");
    const buttons = screen.getAllByTestId("escalation-action");
    expect(buttons.length).toBeGreaterThan(3);
    for (const b of buttons) {
      expect(b).toBeDisabled();
      expect(b).toHaveAttribute("title", VIEWER);
    }
    expect(screen.getByTestId("escalation-note")).toBeDisabled();
    await user.keyboard("a");
    await user.keyboard("r");
    expect(decisions(t)).toEqual([]);
    expect(screen.queryByTestId("escalation-error")).not.toBeInTheDocument();
  });

  it("groups open (by due time), snoozed and closed, with kinds, agents, resources and SLA countdowns", async () => {
    setup();
    render(<Harness />);
    await loaded();

    expect(idsIn("open")).toEqual([1, 2, 3]);
    expect(idsIn("snoozed")).toEqual([4]);
    expect(idsIn("closed")).toEqual([6, 5]);
    expect(screen.getByTestId("escalation-count")).toHaveTextContent("4 open (1 snoozed) · 2 closed");

    const first = row(1);
    expect(first).toHaveAttribute("data-kind", "needs_approval");
    expect(first).toHaveAttribute("data-state", "open");
    expect(first).toHaveTextContent("Needs approval");
    expect(first).toHaveTextContent("critical");
    expect(first).toHaveTextContent("writer");
    expect(within(row(2)).getByText("file:///drafts/launch.md")).toBeInTheDocument();
    expect(row(2)).toHaveTextContent("editor · publisher");
    expect(row(2)).toHaveTextContent("Write collision");

    const sla = (id: number) => within(row(id)).getByTestId("sla");
    expect(sla(1)).toHaveTextContent(/^due in [89] min$/);
    expect(sla(1)).toHaveAttribute("data-urgency", "urgent");
    expect(sla(2)).toHaveTextContent(/^due in (39|40) min$/);
    expect(sla(2)).toHaveAttribute("data-urgency", "soon");
    expect(sla(3)).toHaveTextContent(/^due in 23 h 1[12] min$/);
    expect(sla(3)).toHaveAttribute("data-urgency", "ok");
    expect(sla(5)).toHaveTextContent("expired");
    expect(row(4)).toHaveClass("esc-row--snoozed");
    // Fifty minutes on may be tomorrow (a run late in the evening).
    expect(row(4)).toHaveTextContent(/snoozed until (tomorrow )?\d\d:\d\d/);
    expect(row(5)).toHaveAttribute("data-state", "expired");
    expect(row(6)).toHaveAttribute("data-state", "resolved");

    // The first open one is selected and shown.
    expect(selectedId()).toBe("1");
    const detail = screen.getByTestId("escalation-detail");
    expect(detail).toHaveAttribute("data-id", "1");
    expect(within(detail).getByRole("heading", { name: "writer asks to post" })).toBeInTheDocument();
  });

  it("shows the detail of a clicked escalation: assignee, times, actions per agent", async () => {
    const user = userEvent.setup();
    setup();
    render(<Harness />);
    await loaded();
    await user.click(row(2));
    expect(selectedId()).toBe("2");
    const detail = screen.getByTestId("escalation-detail");
    expect(detail).toHaveAttribute("data-id", "2");
    expect(within(detail).getByTestId("escalation-assignee")).toHaveTextContent("Ana (ops)");
    expect(detail).toHaveTextContent(/Opened\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · (9m5\d|10m0\d)s ago/);
    expect(detail).toHaveTextContent(/Due\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · due in (39|40) min/);
    expect(action("give_ownership").map((b) => b.textContent)).toEqual(["Give ownership to editor", "Give ownership to publisher"]);
    expect(action("give_ownership")[0]).toHaveAttribute("data-primary", "true");
    expect(action("snooze").map((b) => b.getAttribute("aria-label"))).toEqual([
      "Snooze for 15 minutes",
      "Snooze for 1 hour",
      "Snooze for 4 hours",
      "Snooze for 1 day",
    ]);
    expect(screen.getByRole("button", { name: "Approve" })).toBeEnabled();

    // Without a resource there is no ownership to give.
    await user.click(row(3));
    expect(action("give_ownership")).toHaveLength(0);
  });

  it("moves with j/k through the open list, approves with a and rejects with r, then selects the next", async () => {
    const user = userEvent.setup();
    let list = queue();
    const t = setup(
      {
        decide_escalation: (args) => {
          const id = args.id as number;
          const done = { ...list.find((e) => e.id === id)!, state: "resolved" as const, closed_at: new Date().toISOString() };
          list = list.map((e) => (e.id === id ? done : e));
          return done;
        },
      },
      () => list,
    );
    render(<Harness />);
    await loaded();
    expect(selectedId()).toBe("1");
    await user.keyboard("j");
    expect(selectedId()).toBe("2");
    await user.keyboard("j");
    expect(selectedId()).toBe("3");
    await user.keyboard("j");
    expect(selectedId()).toBe("3"); // j stays in the open list
    await user.keyboard("kk");
    expect(selectedId()).toBe("1");
    await user.keyboard("k");
    expect(selectedId()).toBe("1");

    await user.keyboard("j");
    await user.keyboard("a");
    await waitFor(() => expect(decisions(t)).toEqual([{ id: 2, action: { action: "approve" }, note: null }]));
    await waitFor(() => expect(selectedId()).toBe("3"));
    expect(row(2)).toHaveAttribute("data-state", "resolved");
    expect(screen.getByTestId("escalation-status")).toHaveTextContent("Approved: editor and publisher both wrote the draft");
    expect(idsIn("open")).toEqual([1, 3]);

    await user.keyboard("r");
    await waitFor(() => expect(decisions(t)).toHaveLength(2));
    expect(decisions(t)[1]).toEqual({ id: 3, action: { action: "reject" }, note: null });
    // The last open one decided: the selection goes back to the one before.
    await waitFor(() => expect(selectedId()).toBe("1"));
  });

  it("does not take j/k/a/r while typing; the note goes with approve", async () => {
    const user = userEvent.setup();
    const t = setup({ decide_escalation: (args) => ({ ...queue()[0]!, state: "resolved", id: args.id as number }) });
    render(<Harness />);
    await loaded();
    const note = screen.getByTestId("escalation-note");
    await user.click(note);
    await user.keyboard("ja kr");
    expect(note).toHaveValue("ja kr");
    expect(selectedId()).toBe("1");
    expect(decisions(t)).toHaveLength(0);

    // Escalation 1 is an agent asking (needs_approval): the note is its answer.
    await user.click(screen.getByRole("button", { name: "Send answer" }));
    await waitFor(() => expect(decisions(t)).toEqual([{ id: 1, action: { action: "approve" }, note: "ja kr" }]));
  });

  it("needs_approval: the note is the Answer, and a sends it", async () => {
    const user = userEvent.setup();
    const t = setup({ decide_escalation: (args) => ({ ...queue()[0]!, state: "resolved", id: args.id as number }) });
    render(<Harness />);
    await loaded();
    expect(selectedId()).toBe("1");
    const answer = screen.getByRole("textbox", { name: "Answer" });
    expect(answer).toHaveAttribute("placeholder", "Your answer, sent to the agent");
    expect(screen.getByRole("button", { name: "Approve" })).toHaveAttribute("aria-keyshortcuts", "a");
    await user.type(answer, "blue");
    const send = screen.getByRole("button", { name: "Send answer" });
    expect(send).toHaveAttribute("aria-keyshortcuts", "a");
    expect(screen.queryByRole("button", { name: "Approve" })).not.toBeInTheDocument();
    await user.tab(); // out of the field, so the key is a shortcut again
    await user.keyboard("a");
    await waitFor(() => expect(decisions(t)).toEqual([{ id: 1, action: { action: "approve" }, note: "blue" }]));
  });

  it("dismiss requires a reason: refused when empty, sent with it", async () => {
    const user = userEvent.setup();
    const t = setup({ decide_escalation: (args) => ({ ...queue()[1]!, state: "resolved", id: args.id as number }) });
    render(<Harness initial={2} />);
    await loaded();
    const dismiss = action("dismiss")[0]!;
    await user.click(dismiss);
    const error = screen.getByTestId("escalation-error");
    expect(error).toHaveTextContent("Dismissing needs a reason: say why this is not a real problem.");
    expect(error).toHaveAttribute("role", "alert");
    const reason = screen.getByTestId("escalation-dismiss-reason");
    expect(reason).toHaveFocus();
    expect(reason).toHaveAttribute("aria-invalid", "true");
    expect(decisions(t)).toHaveLength(0);

    await user.type(reason, "   ");
    await user.click(dismiss);
    expect(decisions(t)).toHaveLength(0);

    await user.clear(reason);
    await user.type(reason, "a test agent, not real{Enter}");
    await waitFor(() => expect(decisions(t)).toEqual([{ id: 2, action: { action: "dismiss" }, note: "a test agent, not real" }]));
    await waitFor(() => expect(screen.queryByTestId("escalation-error")).not.toBeInTheDocument());
  });

  it("expired escalations take no action: no buttons, the reason instead, and keys do nothing", async () => {
    const user = userEvent.setup();
    const t = setup({ decide_escalation: () => queue()[4]! });
    render(<Harness />);
    await loaded();
    await user.click(row(5));
    const detail = screen.getByTestId("escalation-detail");
    expect(detail).toHaveAttribute("data-state", "expired");
    expect(within(detail).getByTestId("escalation-blocked")).toHaveTextContent(/^Expired at .*no decision came before its SLA lapsed/);
    expect(within(detail).queryAllByTestId("escalation-action")).toHaveLength(0);
    expect(screen.queryByTestId("escalation-note")).not.toBeInTheDocument();
    expect(screen.queryByTestId("escalation-dismiss-reason")).not.toBeInTheDocument();
    await user.keyboard("a");
    await user.keyboard("r");
    expect(decisions(t)).toHaveLength(0);
  });

  it("a decision answered `expired` turns the row expired and says so", async () => {
    const user = userEvent.setup();
    let list = queue();
    const t = setup(
      {
        decide_escalation: (args) => {
          list = list.map((e) => (e.id === args.id ? { ...e, state: "expired" as const, closed_at: new Date().toISOString() } : e));
          throw { code: "expired", message: "escalation 2 is past its SLA: it has expired", field: null };
        },
      },
      () => list,
    );
    render(<Harness initial={2} />);
    await loaded();
    const before = count(t, "escalations");
    await user.click(screen.getByRole("button", { name: "Reject" }));

    await waitFor(() => expect(row(2)).toHaveAttribute("data-state", "expired"));
    expect(screen.getByTestId("escalation-error")).toHaveTextContent(EXPIRED_MESSAGE);
    expect(within(row(2)).getByTestId("sla")).toHaveTextContent("expired");
    expect(idsIn("closed")).toContain(2);
    // It stays selected, offering no action any more.
    expect(selectedId()).toBe("2");
    expect(screen.queryAllByTestId("escalation-action")).toHaveLength(0);
    await waitFor(() => expect(count(t, "escalations")).toBeGreaterThan(before));
  });

  it("shows other errors inline and keeps the escalation open", async () => {
    const user = userEvent.setup();
    setup({
      decide_escalation: () => {
        throw { code: "store", message: "database is locked", field: null };
      },
    });
    render(<Harness initial={3} />);
    await loaded();
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("escalation-error")).toHaveTextContent("database is locked");
    expect(row(3)).toHaveAttribute("data-state", "open");
    expect(selectedId()).toBe("3");
  });

  it("a viewer's decision refused by the store shows its words, and the item stays open", async () => {
    const user = userEvent.setup();
    const words =
      "you are a viewer on this store (PostgreSQL role ana): you see everything and decide nothing, so the " +
      "database refused this change (permission denied for table escalations). bo can decide; to decide " +
      "yourself, ask the store's owner (baton) to run `baton store grant ana decider`";
    setup({
      decide_escalation: () => {
        throw { code: "not_allowed", message: words, field: null };
      },
    });
    render(<Harness initial={3} />);
    await loaded();
    await user.click(screen.getByRole("button", { name: "Retry" }));
    const error = await screen.findByTestId("escalation-error");
    expect(error).toHaveTextContent("you are a viewer on this store (PostgreSQL role ana)");
    expect(error).toHaveTextContent("bo can decide");
    expect(error).toHaveTextContent("`baton store grant ana decider`");
    expect(error).not.toHaveTextContent("The queue has been reloaded");
    expect(row(3)).toHaveAttribute("data-state", "open");
  });

  it("sends give ownership and snooze with their arguments; a snoozed one moves to Snoozed", async () => {
    const user = userEvent.setup();
    let list = queue();
    const t = setup(
      {
        decide_escalation: (args) => {
          const a = args.action as { action: string; minutes?: number };
          list = list.map((e) =>
            e.id !== args.id
              ? e
              : a.action === "snooze"
                ? { ...e, snoozed_until: new Date(Date.now() + (a.minutes ?? 0) * MIN).toISOString() }
                : { ...e, state: "resolved" as const },
          );
          return list.find((e) => e.id === args.id)!;
        },
      },
      () => list,
    );
    render(<Harness initial={2} />);
    await loaded();
    await user.click(screen.getByRole("button", { name: "Snooze for 1 hour" }));
    await waitFor(() => expect(decisions(t)).toEqual([{ id: 2, action: { action: "snooze", minutes: 60 }, note: null }]));
    await waitFor(() => expect(idsIn("snoozed")).toEqual([4, 2]));
    expect(selectedId()).toBe("3");

    await user.click(row(2));
    await user.type(screen.getByTestId("escalation-note"), "drafts are editor's");
    await user.click(screen.getByRole("button", { name: "Give ownership to editor" }));
    await waitFor(() => expect(decisions(t)).toHaveLength(2));
    expect(decisions(t)[1]).toEqual({ id: 2, action: { action: "give_ownership", agent_id: 1 }, note: "drafts are editor's" });
  });

  it("renders the decision and its delivery state per agent", async () => {
    const user = userEvent.setup();
    setup();
    render(<Harness />);
    await loaded();
    await user.click(row(6));
    const decision = screen.getByTestId("escalation-decision");
    expect(decision).toHaveTextContent(/Ownership given by ana on laptop-a · .*— editor owns drafts/);
    const states = screen.getAllByTestId("delivery-state");
    expect(states.map((s) => [s.dataset.agent, s.dataset.state])).toEqual([
      ["editor", "delivered"],
      ["publisher", "retrying"],
      ["writer", "declined"],
    ]);
    expect(states[0]).toHaveTextContent(/editordelivered/);
    expect(states[1]).toHaveTextContent("retrying (3 attempts, last error: HTTP 503 from publisher)");
    expect(states[2]).toHaveTextContent("declined");
    expect(screen.queryAllByTestId("escalation-action")).toHaveLength(0);
    expect(screen.getByTestId("escalation-blocked")).toHaveTextContent("Already resolved (ownership given by ana)");
  });

  it("draws the evidence: one lane per agent on one time axis, evidence marked", async () => {
    const t = setup();
    render(<Harness initial={2} />);
    await loaded();
    expect(t.calls.find((c) => c.command === "escalation_timeline")?.args).toEqual({ id: 2 });
    const lanes = screen.getAllByTestId("timeline-lane");
    expect(lanes.map((l) => l.dataset.agent)).toEqual(["editor", "publisher"]);
    const events = (lane: HTMLElement) => within(lane).getAllByTestId("timeline-event");
    expect(events(lanes[0]!).map((e) => e.dataset.evidence)).toEqual(["false", "true", "false"]);
    expect(events(lanes[1]!).map((e) => e.dataset.evidence)).toEqual(["false", "true"]);
    const [editorWrite] = events(lanes[0]!).filter((e) => e.dataset.evidence === "true");
    expect(editorWrite!.getAttribute("title")).toMatch(/^\d\d:\d\d:\d\d · editor · write file:\/\/\/drafts\/launch\.md · evidence$/);
    // Same time axis: positions follow the times across lanes.
    const left = (el: HTMLElement) => parseFloat(el.style.left);
    expect(left(events(lanes[0]!)[0]!)).toBeCloseTo(3);
    expect(left(events(lanes[1]!)[1]!)).toBeGreaterThan(left(editorWrite!));
    expect(left(events(lanes[0]!)[2]!)).toBeCloseTo(97);
    // Evidence is reachable with Tab, context is not; hover reads an event.
    expect(editorWrite).toHaveAttribute("tabindex", "0");
    expect(events(lanes[0]!)[0]).toHaveAttribute("tabindex", "-1");
    fireEvent.mouseEnter(events(lanes[1]!)[0]!);
    expect(screen.getByTestId("timeline-caption")).toHaveTextContent(/publisher · read file:\/\/\/drafts\/launch\.md$/);

    // Another escalation: its own timeline.
    const user = userEvent.setup();
    await user.click(row(3));
    await waitFor(() => expect(t.calls.filter((c) => c.command === "escalation_timeline").at(-1)?.args).toEqual({ id: 3 }));
  });

  it("says when the evidence cannot be loaded, with Retry", async () => {
    const user = userEvent.setup();
    let fail = true;
    setup({
      escalation_timeline: (args) => {
        if (fail) throw { code: "not_found", message: "no finding for escalation 1", field: null };
        return timelineFor(args);
      },
    });
    render(<Harness />);
    await waitFor(() => expect(rows()).toHaveLength(6));
    const error = await screen.findByTestId("timeline-error");
    expect(error).toHaveTextContent("Could not load the evidence: no finding for escalation 1");
    fail = false;
    await user.click(within(error).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("timeline-lane")).toHaveLength(2);
  });

  it("reloads on escalations and findings change events, not on others", async () => {
    let list = queue().slice(0, 2);
    const t = setup({}, () => list);
    render(<Harness />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    await waitFor(() => expect(t.listenerCount()).toBeGreaterThanOrEqual(2));
    const loads = count(t, "escalations");

    act(() => t.emit({ type: "ingested", agent_id: 1, tasks: [], new_events: 1, new_usage: 0, elsewhere: false }));
    expect(count(t, "escalations")).toBe(loads);

    list = queue().slice(0, 3);
    act(() => t.emit({ type: "escalations", opened: [3], changed: [], lapsing: [] }));
    await waitFor(() => expect(rows()).toHaveLength(3));

    list = queue();
    act(() => t.emit({ type: "findings", opened: [], updated: [101] }));
    await waitFor(() => expect(rows()).toHaveLength(6));
  });

  it("pages long lists 50 at a time, and shows a selection beyond the page", async () => {
    const user = userEvent.setup();
    const now = Date.now();
    const many = Array.from({ length: 60 }, (_, i) => escalation(i + 1, now, (i + 1) * HOUR, { title: `number ${i + 1}` }));
    setup({}, () => many);
    const { unmount } = render(<Harness />);
    await waitFor(() => expect(idsIn("open")).toHaveLength(50));
    const more = screen.getByTestId("escalations-more");
    expect(more).toHaveTextContent("Show 10 more of 10");
    await user.click(more);
    expect(idsIn("open")).toHaveLength(60);
    expect(screen.queryByTestId("escalations-more")).not.toBeInTheDocument();
    unmount();

    render(<Harness initial={55} />);
    await waitFor(() => expect(idsIn("open")).toHaveLength(55));
    expect(selectedId()).toBe("55");
    await user.keyboard("j");
    expect(idsIn("open")).toHaveLength(56);
    expect(selectedId()).toBe("56");
  });

  it("is keyboard reachable: ↑/↓ through every row, Enter to the actions, Escape back", async () => {
    const user = userEvent.setup();
    setup();
    render(<Harness initial={2} />);
    await loaded();
    const openList = within(group("open")).getByRole("listbox");
    expect(openList).toHaveAttribute("tabindex", "0");
    expect(openList).toHaveAttribute("aria-activedescendant", "escalation-2");
    await user.click(row(3));
    expect(openList).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(selectedId()).toBe("4");
    const snoozedList = within(group("snoozed")).getByRole("listbox");
    expect(snoozedList).toHaveFocus();
    expect(snoozedList).toHaveAttribute("aria-activedescendant", "escalation-4");
    await user.keyboard("{End}");
    expect(selectedId()).toBe("5");
    await user.keyboard("{Home}");
    expect(selectedId()).toBe("1");
    expect(openList).toHaveFocus();

    await user.keyboard("{Enter}");
    expect(screen.getByRole("button", { name: "Approve" })).toHaveFocus();
    await user.keyboard("{Escape}");
    await waitFor(() => expect(openList).toHaveFocus());
  });
});

describe("App and the queue", () => {
  function app(extra: Record<string, Handler> = {}) {
    const t = createTestTransport({
      list_agents: () => AGENTS,
      list_tasks: () => [],
      secrets_status: () => ({ backend: "os_keyring", warning: null }),
      ownership_map: () => ({ agents: [], rules: [], conflicts: [] }),
      escalations: () => queue(),
      escalation_timeline: timelineFor,
      ...extra,
    });
    setTransport(t);
    return t;
  }

  it("5 opens the queue; the badge counts open escalations, red with a critical one", async () => {
    const user = userEvent.setup();
    app();
    render(<App />);
    const badge = screen.getByTestId("nav-escalations-badge");
    await waitFor(() => expect(badge).toHaveTextContent("4"));
    expect(badge).toHaveClass("nav-badge--alert");
    expect(badge).toHaveAttribute("title", "4 open escalations, 1 critical, 1 snoozed");
    expect(screen.getByTestId("nav-escalations")).toHaveAttribute("aria-keyshortcuts", "5");

    await screen.findAllByTestId("board-column");
    await user.keyboard("5");
    expect(screen.getByTestId("nav-escalations")).toHaveAttribute("aria-current", "page");
    await waitFor(() => expect(rows()).toHaveLength(6));
    await user.keyboard("4");
    expect(screen.getByTestId("nav-decisions")).toHaveAttribute("aria-current", "page");
  });

  it("the badge is quiet without a critical or past-due one", async () => {
    app({ escalations: () => queue().filter((e) => e.severity !== "critical") });
    render(<App />);
    const badge = screen.getByTestId("nav-escalations-badge");
    await waitFor(() => expect(badge).toHaveTextContent("3"));
    expect(badge).not.toHaveClass("nav-badge--alert");
  });

  it("the shell's open-escalation event switches to the queue and selects it", async () => {
    const t = app();
    render(<App />);
    await screen.findAllByTestId("board-column");
    await waitFor(() => expect(t.listenerCount(OPEN_ESCALATION_EVENT)).toBe(1));
    await act(async () => t.emitEvent(OPEN_ESCALATION_EVENT, { id: 3 }));
    expect(screen.getByTestId("nav-escalations")).toHaveAttribute("aria-current", "page");
    await waitFor(() => expect(selectedId()).toBe("3"));
    expect(screen.getByTestId("escalation-detail")).toHaveAttribute("data-id", "3");

    // Junk is ignored; `{ id: null }` opens the queue as it is.
    await act(async () => t.emitEvent(OPEN_ESCALATION_EVENT, { id: "x" }));
    await act(async () => t.emitEvent(OPEN_ESCALATION_EVENT, { id: null }));
    expect(selectedId()).toBe("3");
  });
});

describe("agents' words in the queue", () => {
  it("are shown as text: markup and escape sequences are not obeyed", async () => {
    const hostile = "<img src=x onerror=\"window.pwned=1\">\u001b[2J\u001b]0;title\u0007";
    const now = Date.now();
    setup({}, () => [escalation(1, now, 9 * MIN, { kind: "needs_approval", agents: [1], resource: null, title: hostile })]);
    const { container } = render(<Harness initial={1} />);
    await waitFor(() => expect(rows()).toHaveLength(1));
    const detail = await screen.findByTestId("escalation-detail");
    await waitFor(() => expect(detail.textContent).toContain("<img src=x onerror="));
    expect(detail.textContent).toContain("\u001b[2J\u001b]0;title\u0007");
    expect(container.querySelector("img")).toBeNull();
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
  });
});
