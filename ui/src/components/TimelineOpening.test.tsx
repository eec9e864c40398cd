// The span the fleet timeline opens on (fitted to the fleet's first event) and the person's
// choice kept across view switches.

import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { FleetTimeline } from "../bindings/FleetTimeline";
import type { InvokeArgs } from "../lib/backend";
import { setTransport } from "../lib/backend";
import { HOUR, MINUTE } from "../lib/fleetTimeline";
import { forgetSpan, MIN_OPENING_SPAN } from "../lib/timelineOpening";
import { agentRow } from "../test/fixtures";
import { createTestTransport, transportSubscribe as subscribe, type TestTransport } from "../test/transport";
import { TimelineView } from "./TimelineView";

afterEach(() => {
  forgetSpan();
});

const AGENTS = [agentRow(1, "Writer")];

/** A fleet whose first event came `age` ms before the clock. */
function fleetOfAge(age: number) {
  const started = Date.now() - age;
  return (args: InvokeArgs): FleetTimeline => ({
    from: args.from as string,
    to: args.to as string,
    bucket_ms: (Date.parse(args.to as string) - Date.parse(args.from as string)) / (args.buckets as number),
    buckets: args.buckets as number,
    lanes: [
      {
        agent_id: 1,
        name: "Writer",
        total: 1,
        buckets: [],
        events: [{ seq: 1, at: new Date(started).toISOString(), kind: "write", task_id: "t-1", resource: "crm://a" }],
        states: [],
      },
    ],
    escalations: [],
    decisions: [],
    compacted_before: null,
  });
}

function setup(age: number): TestTransport {
  const t = createTestTransport({ fleet_timeline: fleetOfAge(age), retention_days: () => 30 });
  setTransport(t);
  return t;
}

const asks = (t: TestTransport) => t.calls.filter((c) => c.command === "fleet_timeline").map((c) => c.args!);
const spanOf = (args: InvokeArgs) => Date.parse(args.to as string) - Date.parse(args.from as string);
const shown = () => {
  const lanes = screen.getByTestId("timeline-lanes");
  return Number(lanes.dataset.to) - Number(lanes.dataset.from);
};
const renderView = () => render(<TimelineView agents={AGENTS} subscribe={subscribe} onOpenEscalation={() => {}} />);

describe("the span the timeline opens on", () => {
  it("fits a fleet started two minutes ago into five minutes, not an hour", async () => {
    const t = setup(2 * MINUTE);
    renderView();
    await waitFor(() => expect(shown()).toBe(MIN_OPENING_SPAN));
    // The first ask covers the last hour (to find the first event); the next one the fitted span.
    expect(spanOf(asks(t)[0]!)).toBeGreaterThanOrEqual(HOUR);
    await waitFor(() => expect(spanOf(asks(t).at(-1)!)).toBeLessThan(6 * MINUTE));
  });

  it("fits a fleet of twenty minutes with a little room before its first event", async () => {
    setup(20 * MINUTE);
    renderView();
    // 20 minutes and a tenth (22), rounded up to a minute (the clock moved meanwhile: maybe 23).
    await waitFor(() => expect(shown()).toBeLessThan(30 * MINUTE));
    expect(shown()).toBeGreaterThanOrEqual(22 * MINUTE);
    expect(shown()).toBeLessThanOrEqual(23 * MINUTE);
  });

  it("keeps an hour for a fleet older than that", async () => {
    setup(3 * HOUR);
    renderView();
    await waitFor(() => expect(screen.getByTestId("timeline-lanes")).toBeInTheDocument());
    expect(shown()).toBe(HOUR);
  });

  it("keeps the span the person picked when the view opens again", async () => {
    setup(2 * MINUTE);
    const user = userEvent.setup();
    const first = renderView();
    await waitFor(() => expect(shown()).toBe(MIN_OPENING_SPAN));
    await user.click(screen.getByTestId("preset-6h"));
    await waitFor(() => expect(shown()).toBe(6 * HOUR));
    first.unmount();

    // Another view, then the timeline again: the choice holds, nothing is fitted over it.
    const t = setup(2 * MINUTE);
    renderView();
    await waitFor(() => expect(asks(t).length).toBeGreaterThan(0));
    expect(shown()).toBe(6 * HOUR);
    expect(asks(t).every((a) => spanOf(a) >= 6 * HOUR)).toBe(true);
  });
});
