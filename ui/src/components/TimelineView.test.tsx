import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { FleetTimeline } from "../bindings/FleetTimeline";
import type { InvokeArgs } from "../lib/backend";
import type { ReplayFrame } from "../bindings/ReplayFrame";
import type { TimelineLane } from "../bindings/TimelineLane";
import { setTransport } from "../lib/backend";
import { MINUTE, snapSecond, timeToX } from "../lib/fleetTimeline";
import { forgetSpan } from "../lib/timelineOpening";
import { agentRow, card } from "../test/fixtures";
import { breakdown, taskCost } from "../test/pipelines";
import { createTestTransport, transportSubscribe as subscribe, type Handler, type TestTransport } from "../test/transport";
import { App } from "../App";
import { TimelineView } from "./TimelineView";

afterEach(() => {
  vi.useRealTimers();
  forgetSpan();
});

const AGENTS = [agentRow(1, "Writer"), agentRow(2, "Editor"), agentRow(3, "Reviewer")];

/** The writer's two events (10 and 5 minutes before the range's end) on task t-1. */
function writerEvents(to: number) {
  return [
    { seq: 11, at: new Date(to - 10 * MINUTE).toISOString(), kind: "write" as const, task_id: "t-1", resource: "crm://a" },
    { seq: 12, at: new Date(to - 5 * MINUTE).toISOString(), kind: "read" as const, task_id: "t-1", resource: null },
  ];
}

function timelineAnswer(args: InvokeArgs): FleetTimeline {
  const from = Date.parse(args.from as string);
  const to = Date.parse(args.to as string);
  const buckets = args.buckets as number;
  const bucketMs = (to - from) / buckets;
  const lanes: TimelineLane[] = (args.agentIds as number[]).map((id) => {
    const name = AGENTS.find((a) => a.config.id === id)!.config.name;
    if (id === 1) {
      return {
        agent_id: 1,
        name,
        total: 2,
        buckets: [],
        events: writerEvents(to),
        states: [{ at: new Date(to - 20 * MINUTE).toISOString(), task_id: "t-1", state: "working" }],
      };
    }
    if (id === 2) {
      return {
        agent_id: 2,
        name,
        total: 900,
        buckets: [
          { index: 3, total: 500, counts: { write: 300, api_call: 200 } },
          { index: buckets - 2, total: 400, counts: { read: 400 } },
        ],
        events: null,
        states: [],
      };
    }
    return { agent_id: id, name, total: 0, buckets: [], events: [], states: [] };
  });
  return {
    from: args.from as string,
    to: args.to as string,
    bucket_ms: bucketMs,
    buckets,
    lanes,
    escalations: [
      {
        id: 42,
        kind: "write_collision",
        severity: "critical",
        agents: [1, 2],
        title: "Two writers on crm://a",
        state: "open",
        opened_at: new Date(to - 15 * MINUTE).toISOString(),
        closed_at: null,
      },
    ],
    decisions: [],
    compacted_before: null,
  };
}

function frameAt(args: InvokeArgs): ReplayFrame {
  return {
    at: args.at as string,
    board: [
      card(1, "t-1", "working", 0, { title: "Draft the reply" }),
      card(2, "t-2", "blocked", 0, { title: "Check the facts" }),
      card(2, "t-3", "done", 0, { title: "Old report" }),
    ],
    agents: [
      {
        agent_id: 1,
        name: "Writer",
        reachability: "up",
        remote_state: "working",
        last_error: null,
        task_counts: { queued: 0, working: 1, needs_human: 0, blocked: 0, done: 0, failed: 0 },
      },
      {
        agent_id: 2,
        name: "Editor",
        reachability: "down",
        remote_state: null,
        last_error: "timed out after 1.5 s",
        task_counts: { queued: 0, working: 0, needs_human: 0, blocked: 1, done: 1, failed: 0 },
      },
    ],
    open_escalations: [
      {
        id: 42,
        kind: "write_collision",
        severity: "critical",
        agents: [1, 2],
        title: "Two writers on crm://a",
        state: "open",
        opened_at: args.at as string,
        closed_at: null,
      },
    ],
    compacted: false,
  };
}

function setup(extra: Record<string, Handler> = {}): TestTransport {
  const t = createTestTransport({
    fleet_timeline: timelineAnswer,
    replay_at: frameAt,
    retention_days: () => 30,
    task_events: () => [],
    task_cost: () => taskCost(1, "t-1", 0, breakdown(0)),
    ...extra,
  });
  setTransport(t);
  return t;
}

const calls = (t: TestTransport, command: string) => t.calls.filter((c) => c.command === command);
const lane = (name: string) => screen.getAllByTestId("timeline-lane").find((l) => within(l).queryByText(name))!;
const spanOf = (args: InvokeArgs | undefined) => Date.parse(args!.to as string) - Date.parse(args!.from as string);

function renderView(onOpenEscalation = vi.fn()) {
  render(<TimelineView agents={AGENTS} subscribe={subscribe} onOpenEscalation={onOpenEscalation} />);
  return onOpenEscalation;
}

describe("TimelineView", () => {
  it("draws a lane per agent from the backend's answer, with escalations that open in the queue", async () => {
    const t = setup();
    const onOpen = renderView();
    await waitFor(() => expect(lane("Writer")).toHaveAttribute("data-mode", "events"));
    expect(calls(t, "fleet_timeline")[0]!.args).toMatchObject({ agentIds: [2, 3, 1] });
    expect(screen.getAllByTestId("timeline-lane").map((l) => l.dataset.agentId)).toEqual(["2", "3", "1"]);
    expect(lane("Editor")).toHaveAttribute("data-mode", "buckets");
    const writer = lane("Writer");
    expect(writer.querySelectorAll("path[data-kind]")).toHaveLength(2);
    expect(writer.querySelector("path.ft-state--working")).not.toBeNull();
    expect(within(lane("Editor")).getByText("900")).toBeInTheDocument();
    expect(lane("Editor").querySelector('path[data-kind="api_call"]')).not.toBeNull();
    expect(screen.getByTestId("retention")).toHaveTextContent("events kept 30 days");
    expect(screen.getAllByTestId("timeline-tick").length).toBeGreaterThan(2);

    // Hovering a bucket tells its counts per kind.
    const lanes = screen.getByTestId("timeline-lanes");
    const view = { from: Number(lanes.dataset.from), to: Number(lanes.dataset.to) };
    const answered = calls(t, "fleet_timeline").at(-1)!.args!;
    const bucketMs = spanOf(answered) / (answered.buckets as number);
    const x = timeToX(Date.parse(answered.from as string) + 3.5 * bucketMs, view, Number(lanes.dataset.width));
    fireEvent.pointerMove(lane("Editor").querySelector("svg")!, { clientX: x, clientY: 10 });
    const tip = await screen.findByTestId("timeline-tip");
    expect(tip).toHaveTextContent("500 events");
    expect(tip).toHaveTextContent("300 write · 200 API call");

    // The escalation: a bar on both agents' lanes and in the band; a click opens it.
    expect(within(lane("Editor")).getAllByTestId("lane-escalation")).toHaveLength(1);
    fireEvent.click(screen.getByTestId("band-escalation"));
    expect(onOpen).toHaveBeenCalledWith(42);
    fireEvent.click(within(writer).getByTestId("lane-escalation"));
    expect(onOpen).toHaveBeenCalledTimes(2);
  });

  it("opens the task of the event clicked, as the board showed it then", async () => {
    const t = setup();
    renderView();
    await waitFor(() => expect(lane("Writer")).toHaveAttribute("data-mode", "events"));
    const lanes = screen.getByTestId("timeline-lanes");
    const view = { from: Number(lanes.dataset.from), to: Number(lanes.dataset.to) };
    const width = Number(lanes.dataset.width);
    const answered = calls(t, "fleet_timeline").at(-1)!.args!;
    const eventAt = Date.parse(answered.to as string) - 10 * MINUTE;
    const svg = lane("Writer").querySelector("svg")!;
    fireEvent.click(svg, { clientX: timeToX(eventAt, view, width), clientY: 10 });

    const drawer = await screen.findByTestId("task-drawer");
    expect(within(drawer).getByText("Draft the reply")).toBeInTheDocument();
    expect(calls(t, "replay_at").map((c) => c.args)).toEqual([{ at: new Date(eventAt).toISOString() }]);
    // No replay started by it.
    expect(screen.queryByTestId("replay-banner")).toBeNull();
  });

  it("replays the moment the scrubber is moved to, one request at a time", async () => {
    const waits: (() => void)[] = [];
    const t = setup({
      replay_at: (args) => new Promise((resolve) => waits.push(() => resolve(frameAt(args)))),
    });
    const onOpen = renderView();
    await waitFor(() => expect(screen.getByTestId("timeline-state")).toHaveTextContent("live"));
    const scrubber = screen.getByTestId("timeline-scrubber") as HTMLInputElement;
    const min = Number(scrubber.min);
    const max = Number(scrubber.max);
    for (let i = 1; i <= 10; i += 1) fireEvent.change(scrubber, { target: { value: String(min + ((max - min) * i) / 20) } });
    expect(calls(t, "replay_at")).toHaveLength(1);
    expect(screen.getByTestId("replay-banner")).toHaveTextContent(
      // The day is named when the moment is not today (the hour before now can be yesterday).
      /Replaying (\S+ \d+ \S+ )?\d\d:\d\d:\d\d — the fleet as it was/,
    );

    await act(async () => waits.shift()!());
    // Only the latest position is asked next, not every step on the way.
    const last = snapSecond(min + ((max - min) * 10) / 20);
    expect(calls(t, "replay_at").map((c) => c.args)).toHaveLength(2);
    expect(calls(t, "replay_at")[1]!.args).toEqual({ at: new Date(last).toISOString() });
    await act(async () => waits.shift()!());

    const board = screen.getByTestId("replay-board");
    const count = (column: string) =>
      within(board.querySelector(`[data-column="${column}"]`)!).getByTestId("replay-column-count").textContent;
    expect(count("working")).toBe("1");
    expect(count("blocked")).toBe("1");
    expect(count("done")).toBe("1");
    expect(within(board).getAllByTestId("replay-card").map((c) => c.dataset.taskId)).toEqual(["t-1", "t-2", "t-3"]);
    expect(within(board).getByText("Draft the reply")).toBeInTheDocument();
    expect(screen.getAllByTestId("replay-agent")).toHaveLength(2);
    expect(screen.getByTestId("replay-agent-error")).toHaveTextContent("timed out after 1.5 s");
    expect(screen.getByTestId("replay-escalation")).toHaveTextContent("Two writers on crm://a");
    expect(screen.getByTestId("replay-escalation")).toHaveTextContent("Writer, Editor");
    fireEvent.click(screen.getByTestId("replay-escalation"));
    expect(onOpen).toHaveBeenCalledWith(42);

    fireEvent.click(screen.getByTestId("back-to-now"));
    expect(screen.queryByTestId("replay-panel")).toBeNull();
    expect(screen.queryByTestId("replay-banner")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("timeline-state")).toHaveTextContent("live"));
  });

  it("steps the replay cursor with , and . and puts it at the ends with Home and End", async () => {
    const t = setup();
    renderView();
    await waitFor(() => expect(calls(t, "fleet_timeline").length).toBeGreaterThan(0));
    const lanes = screen.getByTestId("timeline-lanes");
    const to = Number(lanes.dataset.to);
    const from = Number(lanes.dataset.from);
    fireEvent.keyDown(window, { key: "Home" });
    await waitFor(() => expect(calls(t, "replay_at")).toHaveLength(1));
    expect(calls(t, "replay_at")[0]!.args).toEqual({ at: new Date(snapSecond(from)).toISOString() });
    await screen.findByTestId("replay-panel");
    fireEvent.keyDown(window, { key: "." });
    await waitFor(() => expect(calls(t, "replay_at")).toHaveLength(2));
    expect(Date.parse(calls(t, "replay_at")[1]!.args!.at as string)).toBeGreaterThan(from);
    fireEvent.keyDown(window, { key: "End" });
    await waitFor(() => expect(calls(t, "replay_at")).toHaveLength(3));
    expect(calls(t, "replay_at")[2]!.args).toEqual({ at: new Date(snapSecond(to)).toISOString() });
  });

  it("zooms and pans the requested range with the keyboard", async () => {
    const t = setup();
    const user = userEvent.setup();
    renderView();
    await waitFor(() => expect(calls(t, "fleet_timeline").length).toBeGreaterThan(0));
    const first = calls(t, "fleet_timeline").at(-1)!.args;
    expect(spanOf(first)).toBeGreaterThanOrEqual(60 * MINUTE);
    expect(spanOf(first)).toBeLessThan(62 * MINUTE);

    await user.keyboard("+");
    await waitFor(() => expect(spanOf(calls(t, "fleet_timeline").at(-1)!.args)).toBeLessThan(45 * MINUTE));
    await user.keyboard("--");
    await waitFor(() => expect(spanOf(calls(t, "fleet_timeline").at(-1)!.args)).toBeGreaterThan(85 * MINUTE));
    expect(screen.getByTestId("timeline-now")).toHaveAttribute("aria-pressed", "true");

    const before = Date.parse(calls(t, "fleet_timeline").at(-1)!.args!.to as string);
    await user.keyboard("{ArrowLeft}");
    await waitFor(() =>
      expect(Date.parse(calls(t, "fleet_timeline").at(-1)!.args!.to as string)).toBeLessThan(before - 5 * MINUTE),
    );
    expect(screen.getByTestId("timeline-now")).toHaveAttribute("aria-pressed", "false");

    await user.click(screen.getByTestId("preset-7d"));
    await waitFor(() => expect(spanOf(calls(t, "fleet_timeline").at(-1)!.args)).toBeGreaterThan(6 * 24 * 60 * MINUTE));
    expect(spanOf(calls(t, "fleet_timeline").at(-1)!.args)).toBeLessThanOrEqual(7 * 24 * 60 * MINUTE);
  });

  it("follows the clock: change events reload the lanes at most once every 2 s", async () => {
    const t = setup();
    renderView();
    await waitFor(() => expect(calls(t, "fleet_timeline").length).toBeGreaterThan(0));
    await waitFor(() => expect(t.listenerCount()).toBeGreaterThan(0));
    vi.useFakeTimers();
    const count = () => calls(t, "fleet_timeline").length;
    const before = count();
    const burst = () => {
      for (let i = 0; i < 20; i += 1) t.emit({ type: "ingested", agent_id: 1, tasks: [], new_events: 3, new_usage: 0, elsewhere: false });
    };
    act(burst);
    await act(() => vi.advanceTimersByTimeAsync(50));
    expect(count()).toBe(before + 1);
    act(burst);
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    expect(count()).toBe(before + 1);
    await act(() => vi.advanceTimersByTimeAsync(1_100));
    expect(count()).toBe(before + 2);
    // Not following live: nothing reloads.
    fireEvent.keyDown(window, { key: "ArrowLeft" });
    await act(() => vi.advanceTimersByTimeAsync(50));
    const panned = count();
    act(burst);
    await act(() => vi.advanceTimersByTimeAsync(3_000));
    expect(count()).toBe(panned);
  });

  it("changes how long events are kept, with the backend's error at the field", async () => {
    const t = setup({
      set_retention_days: (args) => {
        if ((args.days as number) > 400) throw { code: "invalid_setting", message: "Too long for this disk", field: "retention_days" };
        return args.days;
      },
    });
    const user = userEvent.setup();
    renderView();
    await screen.findByText("events kept 30 days");
    await user.click(screen.getByTestId("retention-edit"));
    const input = screen.getByTestId("retention-days");
    await user.clear(input);
    await user.type(input, "900");
    await user.click(screen.getByTestId("retention-save"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too long for this disk");
    await user.clear(input);
    await user.type(input, "7");
    await user.click(screen.getByTestId("retention-save"));
    await screen.findByText("events kept 7 days");
    expect(screen.queryByTestId("retention-dialog")).toBeNull();
    expect(calls(t, "set_retention_days").map((c) => c.args)).toEqual([{ days: 900 }, { days: 7 }]);
  });

  it("says when there are no agents, and when the timeline cannot load", async () => {
    setup({
      fleet_timeline: () => {
        throw { code: "store", message: "database is locked", field: null };
      },
    });
    const { unmount } = render(<TimelineView agents={[]} subscribe={subscribe} onOpenEscalation={vi.fn()} />);
    expect(screen.getByRole("status")).toHaveTextContent("No agents yet");
    unmount();
    renderView();
    expect(await screen.findByTestId("timeline-error")).toHaveTextContent("Could not load the timeline: database is locked");
    expect(screen.getByTestId("timeline-error")).toHaveAttribute("role", "alert");
  });

  it("is the app's view 7, and opens an escalation in the queue", async () => {
    setup({
      list_agents: () => AGENTS,
      list_tasks: () => [],
      secrets_status: () => ({ backend: "os_keyring", warning: null }),
    });
    const user = userEvent.setup();
    render(<App />);
    await screen.findByTestId("nav-timeline");
    await user.keyboard("7");
    expect(await screen.findByTestId("timeline-view")).toBeInTheDocument();
    expect(screen.getByTestId("nav-timeline")).toHaveAttribute("aria-current", "page");
    fireEvent.click(await screen.findByTestId("band-escalation"));
    expect(screen.getByTestId("nav-escalations")).toHaveAttribute("aria-current", "page");
    expect(screen.queryByTestId("timeline-view")).toBeNull();
  });
});
