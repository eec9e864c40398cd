// The queue with grouped escalations: the count badge and scope in the list, the section of
// decided ones whose cause fired again, what one decision on a group settles, and the header's
// arrival rate and its notice.

import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import type { Escalation } from "../bindings/Escalation";
import { setTransport, type InvokeArgs } from "../lib/backend";
import { ClockProvider } from "../lib/clock";
import { FAST_ARRIVALS } from "../lib/escalationGroups";
import { useEscalations } from "../lib/useEscalations";
import { delivery, escalation, timeline, MIN, HOUR, iso } from "../test/escalations";
import { agentRow } from "../test/fixtures";
import { createTestTransport, transportSubscribe, type Handler, type TestTransport } from "../test/transport";
import { EscalationQueue } from "./EscalationQueue";

const AGENTS = [agentRow(1, "editor"), agentRow(2, "publisher"), agentRow(3, "writer")];
const drafts = (n: number) => Array.from({ length: n }, (_, i) => `file:///drafts/brief-${i + 1}.md`);

function queue(now = Date.now()): Escalation[] {
  return [
    escalation(1, now, 40 * MIN, { title: "editor and publisher both wrote the launch draft" }),
    escalation(2, now, 3 * HOUR, {
      kind: "ownership_violation",
      title: "publisher wrote file:///drafts/brief-7.md while editor held it (and 6 more like it under file:///drafts/*)",
      opened_at: iso(now - 30 * MIN),
      occurrences: 7,
      scope: "file:///drafts/*",
      resource: "file:///drafts/brief-1.md",
      resources: drafts(5),
      resource_count: 5,
      last_seen_at: iso(now - 12_000),
    }),
    escalation(3, now, 2 * HOUR, { snoozed_until: iso(now + 50 * MIN), title: "snoozed one" }),
    escalation(4, now, HOUR, {
      state: "resolved",
      closed_at: iso(now - 5 * MIN),
      title: "settled and quiet",
      decision: { seq: 40, action: "approve", who: "ana", reason: null, at: iso(now - 5 * MIN) },
    }),
    escalation(5, now, HOUR, {
      state: "resolved",
      title: "tiers given to publisher",
      opened_at: iso(now - 2 * HOUR),
      closed_at: iso(now - 40 * MIN),
      occurrences: 6,
      since_decision: 3,
      scope: "crm://contacts/*#tier",
      resources: ["crm://contacts/17#tier", "crm://contacts/23#tier"],
      resource_count: 2,
      last_seen_at: iso(now - 2 * MIN),
      decision: { seq: 41, action: "give_ownership", who: "ana", reason: null, at: iso(now - 40 * MIN) },
      deliveries: [delivery(1, "delivered"), delivery(2, "retrying", { attempts: 4 })],
    }),
  ];
}

function Harness({ initial = null }: { initial?: number | null }) {
  const escalations = useEscalations(transportSubscribe);
  const [selected, setSelected] = useState<number | null>(initial);
  return (
    <ClockProvider>
      <EscalationQueue escalations={escalations} agents={AGENTS} selected={selected} onSelect={setSelected} subscribe={transportSubscribe} />
    </ClockProvider>
  );
}

function setup(list: () => Escalation[] = () => queue(), extra: Record<string, Handler> = {}): TestTransport {
  const t = createTestTransport({
    escalations: list,
    escalation_timeline: (args: InvokeArgs) => timeline(args.id as number, [1, 2], []),
    ...extra,
  });
  setTransport(t);
  return t;
}

const rows = () => screen.queryAllByTestId("escalation-row");
const row = (id: number) => rows().find((r) => r.dataset.id === String(id))!;
const selectedId = () => rows().find((r) => r.getAttribute("aria-selected") === "true")?.dataset.id;
const section = (key: string) => screen.getAllByTestId("escalation-group").find((g) => g.dataset.group === key)!;
/** The detail's evidence has loaded (so nothing subscribes after the test). */
const settled = () => waitFor(() => expect(screen.getByTestId("evidence-timeline")).toHaveAttribute("data-state", "empty"));
const idsIn = (key: string) => within(section(key)).queryAllByTestId("escalation-row").map((r) => Number(r.dataset.id));

describe("grouped escalations in the queue", () => {
  it("a group's row shows its count (×7, named 7 findings) and its scope; a lone one neither", async () => {
    setup();
    render(<Harness />);
    await waitFor(() => expect(rows()).toHaveLength(5));

    const badge = within(row(2)).getByTestId("occurrences");
    expect(badge).toHaveTextContent("×7");
    expect(badge).toHaveAttribute("title", "7 findings");
    expect(row(2)).toHaveAccessibleName(/7 findings/);
    expect(within(row(2)).getByTestId("row-scope")).toHaveTextContent("file:///drafts/* · 5 resources");
    expect(within(row(2)).queryByText("file:///drafts/brief-1.md")).not.toBeInTheDocument();

    expect(within(row(1)).queryByTestId("occurrences")).not.toBeInTheDocument();
    expect(within(row(1)).queryByTestId("row-scope")).not.toBeInTheDocument();
    expect(within(row(1)).getByText("file:///drafts/launch.md")).toBeInTheDocument();
    await settled();
  });

  it("a decided one whose cause fired again has its own section above Snoozed and Closed, and ↑/↓ cross it", async () => {
    const user = userEvent.setup();
    const now = Date.now();
    setup(() => queue(now));
    render(<Harness initial={2} />);
    await waitFor(() => expect(rows()).toHaveLength(5));

    expect(screen.getAllByTestId("escalation-group").map((g) => g.dataset.group)).toEqual(["open", "recurring", "snoozed", "closed"]);
    expect(within(section("recurring")).getByRole("heading")).toHaveTextContent("Recurring after a decision 1");
    expect(idsIn("recurring")).toEqual([5]);
    expect(idsIn("closed")).toEqual([4]);
    expect(within(row(5)).getByTestId("since-decision")).toHaveTextContent(/^fired 3× since the decision · last 2m0\ds ago$/);
    expect(row(5)).toHaveClass("esc-row--recurring");
    expect(within(row(4)).queryByTestId("since-decision")).not.toBeInTheDocument();
    expect(screen.getByTestId("escalation-count")).toHaveTextContent("3 open (1 snoozed) · 2 closed (1 recurring)");

    // The keyboard goes through every section in order.
    await user.click(row(2));
    await user.keyboard("{ArrowDown}");
    expect(selectedId()).toBe("5");
    expect(within(section("recurring")).getByRole("listbox")).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(selectedId()).toBe("3");
    await user.keyboard("{ArrowUp}{ArrowUp}");
    expect(selectedId()).toBe("2");
    // j/k stay in the open list.
    await user.keyboard("j");
    expect(selectedId()).toBe("2");
    await settled();
  });

  it("the detail of an open group says what one decision settles, lists its resources and gives the scope", async () => {
    const now = Date.now();
    setup(() => queue(now));
    render(<Harness initial={2} />);
    const detail = await screen.findByTestId("escalation-detail");
    expect(within(detail).getByTestId("group-settles")).toHaveTextContent(
      "This settles all 7 findings on 5 resources under file:///drafts/*; each agent is told once.",
    );
    expect(within(detail).getByTestId("escalation-scope")).toHaveTextContent("file:///drafts/*");
    expect(within(detail).getByTestId("escalation-occurrences")).toHaveTextContent("7");
    expect(within(detail).getByTestId("escalation-last-seen")).toHaveTextContent(/^1[23]s ago$/);
    const list = within(detail).getByRole("list", { name: "Resources (5)" });
    expect(within(list).getAllByRole("listitem").map((li) => li.textContent)).toEqual(drafts(5));
    expect(within(detail).queryByTestId("group-resources-toggle")).not.toBeInTheDocument();
    expect(
      within(detail)
        .getAllByTestId("escalation-action")
        .filter((b) => b.dataset.action === "give_ownership")
        .map((b) => b.textContent),
    ).toEqual(["Give file:///drafts/* to editor", "Give file:///drafts/* to publisher"]);
    expect(within(detail).queryByTestId("recurring-notice")).not.toBeInTheDocument();
    await settled();
  });

  it("a long resource list folds behind a keyboard button, then scrolls; the unlisted ones are counted", async () => {
    const user = userEvent.setup();
    const now = Date.now();
    const big = escalation(9, now, HOUR, {
      occurrences: 80,
      scope: "file:///drafts/*",
      resources: drafts(50),
      resource_count: 73,
    });
    setup(() => [big]);
    render(<Harness />);
    const detail = await screen.findByTestId("escalation-detail");
    const items = () => within(detail).getAllByTestId("group-resource");
    expect(items()).toHaveLength(8);
    expect(within(detail).getByTestId("group-resources-more")).toHaveTextContent("and 65 more");
    const toggle = within(detail).getByRole("button", { name: "Show all 50 listed" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(toggle).toHaveAttribute("aria-controls", within(detail).getByTestId("group-resources").id);

    toggle.focus();
    await user.keyboard("{Enter}");
    expect(items()).toHaveLength(50);
    expect(within(detail).getByTestId("group-resources-more")).toHaveTextContent("and 23 more (Baton lists the first 50)");
    expect(within(detail).getByTestId("group-resources")).toHaveAttribute("tabindex", "0");
    const fewer = within(detail).getByRole("button", { name: "Show fewer" });
    expect(fewer).toHaveAttribute("aria-expanded", "true");
    await user.keyboard(" ");
    expect(items()).toHaveLength(8);
    await settled();
  });

  it("a decided group whose cause fired again says so, and why it may be", async () => {
    const now = Date.now();
    setup(() => queue(now));
    render(<Harness initial={5} />);
    const notice = await screen.findByTestId("recurring-notice");
    expect(notice).toHaveTextContent("Still firing after the decision");
    expect(notice).toHaveTextContent(
      /Its cause fired 3× after the decision, last 2m0\ds ago: an agent may be ignoring it\. The decision has not reached publisher yet\./,
    );
    const detail = screen.getByTestId("escalation-detail");
    expect(within(detail).getByTestId("group-settles")).toHaveTextContent(
      "6 findings on 2 resources under crm://contacts/*#tier in all, 3 of them after the decision.",
    );
    expect(detail).toHaveTextContent(/Findings6 \(3 after the decision\) · last seen 2m0\ds ago/);
    await settled();
  });
});

describe("the queue header's arrival rate", () => {
  const burst = (n: number, now: number) =>
    Array.from({ length: n }, (_, i) =>
      escalation(i + 1, now, 4 * HOUR, { kind: i < 8 ? "write_collision" : "stall", opened_at: iso(now - (i + 1) * 30_000) }),
    );

  it("counts the new ones of the last 10 minutes, quietly under the threshold", async () => {
    const now = Date.now();
    // One group opened long ago that keeps growing does not count.
    setup(() => [...burst(4, now), ...queue(now).slice(1, 2)]);
    render(<Harness />);
    await waitFor(() => expect(screen.getByTestId("escalation-rate")).toHaveTextContent("4 new in the last 10 min"));
    expect(screen.getByTestId("escalation-rate")).not.toHaveClass("esc-rate--fast");
    expect(screen.queryByTestId("escalation-fast")).not.toBeInTheDocument();
    await settled();
  });

  it(`says what is happening and what to do past ${FAST_ARRIVALS} in 10 minutes`, async () => {
    const now = Date.now();
    setup(() => burst(FAST_ARRIVALS + 4, now));
    render(<Harness />);
    const notice = await screen.findByTestId("escalation-fast");
    expect(notice).toHaveTextContent(
      "Escalations are arriving fast: 14 in the last 10 min, 8 of one kind (Write collision). They may share a cause: a missing ownership rule (Ownership view, key 3).",
    );
    expect(notice.closest('[role="status"]')).not.toBeNull();
    expect(screen.getByTestId("escalation-rate")).toHaveTextContent("14 new in the last 10 min");
    expect(screen.getByTestId("escalation-rate")).toHaveClass("esc-rate--fast");
    await settled();
  });
});
