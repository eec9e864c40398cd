// @vitest-environment node
import { describe, expect, it } from "vitest";

import { T0 } from "../test/fixtures";
import { createTestTransport } from "../test/transport";
import {
  BackendError,
  decideEscalation,
  escalationTimeline,
  listEscalations,
  OPEN_ESCALATION_EVENT,
  onOpenEscalation,
  setTransport,
} from "./backend";
import { delivery, escalation, timeline, MIN, HOUR, iso } from "../test/escalations";
import {
  blockedReason,
  decisionLabel,
  deliveryText,
  displayOrder,
  groupEscalations,
  isActionable,
  isRecurring,
  kindLabel,
  markExpired,
  msUntilNextDue,
  nextAfterDecision,
  primaryAction,
  queueBadge,
  remainingText,
  replaceEscalation,
  slaCountdown,
  stepSelection,
  urgencyOf,
  whenText,
} from "./escalations";
import { nameOf } from "./agents";

describe("labels", () => {
  it("names every kind for a person, and unknown kinds readably", () => {
    expect(kindLabel("write_collision")).toBe("Write collision");
    expect(kindLabel("needs_approval")).toBe("Needs approval");
    expect(kindLabel("stall")).toBe("Stall");
    expect(kindLabel("rate_limit_pressure")).toBe("Rate-limit pressure");
    expect(kindLabel("brand_new_kind")).toBe("Brand new kind");
    expect(kindLabel("")).toBe("Escalation");
  });

  it("says what was decided, and that approving an agent's own question answered it", () => {
    expect(decisionLabel("approve")).toBe("Approved");
    expect(decisionLabel("approve", "write_collision")).toBe("Approved");
    expect(decisionLabel("approve", "needs_approval")).toBe("Answered");
    expect(decisionLabel("reject", "needs_approval")).toBe("Rejected");
    expect(decisionLabel("settled", "needs_approval")).toBe("Settled");
    expect(decisionLabel("reopen", "needs_approval")).toBe("Reopened");
  });

  it("picks the primary action by kind", () => {
    expect(primaryAction({ kind: "needs_approval", resource: null })).toBe("approve");
    expect(primaryAction({ kind: "write_collision", resource: "file:///a" })).toBe("give_ownership");
    expect(primaryAction({ kind: "write_collision", resource: null })).toBe("retry");
    expect(primaryAction({ kind: "stall", resource: null })).toBe("retry");
    expect(primaryAction({ kind: "rate_limit_pressure", resource: "api:openai" })).toBe("split_budget");
  });

  it("names agents, and those Baton no longer knows", () => {
    const names = new Map([[1, "editor"]]);
    expect(nameOf(names, 1)).toBe("editor");
    expect(nameOf(names, 9)).toBe("agent #9");
  });
});

describe("SLA countdown", () => {
  it.each([
    [23 * HOUR + 12 * MIN + 59_000, "23 h 12 min"],
    [24 * HOUR, "24 h"],
    [47 * HOUR + 59 * MIN, "47 h 59 min"],
    [2 * 24 * HOUR + 3 * HOUR + 5 * MIN, "2 d 3 h"],
    [3 * 24 * HOUR, "3 d"],
    [59 * MIN + 59_000, "59 min"],
    [MIN, "1 min"],
    [59_999, "59 s"],
    [0, "0 s"],
    [-5_000, "0 s"],
  ])("%d ms left reads %s", (ms, text) => {
    expect(remainingText(ms)).toBe(text);
  });

  it.each([
    [2 * HOUR, "ok"],
    [HOUR, "ok"],
    [HOUR - 1, "soon"],
    [15 * MIN, "soon"],
    [15 * MIN - 1, "urgent"],
    [1, "urgent"],
    [0, "expired"],
    [-1, "expired"],
    [Number.NaN, "expired"],
  ])("%d ms left is %s", (ms, level) => {
    expect(urgencyOf(ms)).toBe(level);
  });

  it("reads due in …, expired when past, and the closed states", () => {
    expect(slaCountdown(escalation(1, T0, 23 * HOUR + 12 * MIN + 30_000), T0)).toEqual({ text: "due in 23 h 12 min", urgency: "ok" });
    expect(slaCountdown(escalation(1, T0, 40 * MIN), T0)).toEqual({ text: "due in 40 min", urgency: "soon" });
    expect(slaCountdown(escalation(1, T0, 9 * MIN), T0)).toEqual({ text: "due in 9 min", urgency: "urgent" });
    expect(slaCountdown(escalation(1, T0, -MIN), T0)).toEqual({ text: "expired", urgency: "expired" });
    expect(slaCountdown(escalation(1, T0, HOUR, { state: "expired" }), T0)).toEqual({ text: "expired", urgency: "expired" });
    expect(slaCountdown(escalation(1, T0, HOUR, { state: "resolved" }), T0)).toEqual({ text: "resolved", urgency: "closed" });
  });

  it("says when in local time: today, tomorrow, yesterday, else the date", () => {
    const now = new Date(2026, 10, 21, 9, 0).getTime();
    expect(whenText(iso(new Date(2026, 10, 21, 14, 30).getTime()), now)).toBe("14:30");
    expect(whenText(iso(new Date(2026, 10, 22, 8, 5).getTime()), now)).toBe("tomorrow 08:05");
    expect(whenText(iso(new Date(2026, 10, 20, 23, 59).getTime()), now)).toBe("yesterday 23:59");
    expect(whenText(iso(new Date(2026, 10, 25, 7, 0).getTime()), now)).toBe("2026-11-25 07:00");
    expect(whenText("junk", now)).toBe("junk");
  });
});

describe("grouping and order", () => {
  const now = T0;
  const list = [
    escalation(1, now, 3 * HOUR),
    escalation(2, now, 20 * MIN, { severity: "info" }),
    escalation(3, now, 20 * MIN, { severity: "critical" }),
    escalation(4, now, 2 * HOUR, { snoozed_until: iso(now + 30 * MIN) }),
    escalation(5, now, 5 * HOUR, { snoozed_until: iso(now + 10 * MIN) }),
    escalation(6, now, 4 * HOUR, { snoozed_until: iso(now - MIN) }),
    escalation(7, now, -HOUR, { state: "expired", closed_at: iso(now - HOUR) }),
    escalation(8, now, HOUR, { state: "resolved", closed_at: iso(now - 5 * MIN) }),
    escalation(9, now, HOUR, { state: "resolved", closed_at: iso(now - 2 * HOUR) }),
  ];

  it("open by due time (most severe first on a tie), snoozed by wake time, closed latest first", () => {
    const groups = groupEscalations(list, now);
    expect(groups.open.map((e) => e.id)).toEqual([3, 2, 1, 6]);
    expect(groups.snoozed.map((e) => e.id)).toEqual([5, 4]);
    expect(groups.closed.map((e) => e.id)).toEqual([8, 7, 9]);
    expect(displayOrder(groups).map((e) => e.id)).toEqual([3, 2, 1, 6, 5, 4, 8, 7, 9]);
  });

  it("resolved ones whose cause fired again after the decision go first among the closed, latest seen first", () => {
    const decided = (id: number, since: number, seenAgo: number, action = "give_ownership") =>
      escalation(id, now, HOUR, {
        state: "resolved",
        closed_at: iso(now - 30 * MIN - id),
        since_decision: since,
        last_seen_at: iso(now - seenAgo),
        decision: { seq: id, action, who: "you", reason: "because", at: iso(now - 30 * MIN) },
      });
    const recurring = [
      decided(10, 2, 5 * MIN),
      decided(11, 7, MIN),
      decided(12, 1, MIN),
      // Dismissed ("not a real problem"): its cause firing again is expected.
      decided(13, 4, 30_000, "dismiss"),
      // Expired items are not decided: the backend never counts on them, and neither do we.
      escalation(14, now, -HOUR, { state: "expired", closed_at: iso(now - HOUR), since_decision: 2 }),
      decided(15, 0, 10_000),
    ];
    expect(recurring.map(isRecurring)).toEqual([true, true, true, false, false, false]);
    const groups = groupEscalations([...list, ...recurring], now);
    expect(groups.recurring.map((e) => e.id)).toEqual([11, 12, 10]);
    expect(groups.closed.map((e) => e.id)).toEqual([8, 13, 15, 14, 7, 9]);
    expect(displayOrder(groups).map((e) => e.id)).toEqual([3, 2, 1, 6, 11, 12, 10, 5, 4, 8, 13, 15, 14, 7, 9]);
  });

  it("a snooze that ran out puts the escalation back in the open group", () => {
    const groups = groupEscalations(list, now + 11 * MIN);
    expect(groups.open.map((e) => e.id)).toEqual([3, 2, 1, 6, 5]);
    expect(groups.snoozed.map((e) => e.id)).toEqual([4]);
  });

  it("steps the selection with clamping; from nothing to the first (down) or last (up)", () => {
    const ids = [3, 2, 1];
    expect(stepSelection(ids, 3, 1)).toBe(2);
    expect(stepSelection(ids, 1, 1)).toBe(1);
    expect(stepSelection(ids, 3, -1)).toBe(3);
    expect(stepSelection(ids, null, 1)).toBe(3);
    expect(stepSelection(ids, null, -1)).toBe(1);
    expect(stepSelection(ids, 42, 1)).toBe(3);
    expect(stepSelection(ids, 3, 10)).toBe(1);
    expect(stepSelection([], 3, 1)).toBeNull();
  });

  it("after a decision goes to the next open escalation, else the one before", () => {
    expect(nextAfterDecision([3, 2, 1], 3)).toBe(2);
    expect(nextAfterDecision([3, 2, 1], 1)).toBe(2);
    expect(nextAfterDecision([3], 3)).toBeNull();
    expect(nextAfterDecision([3, 2], 9)).toBe(3);
  });

  it("replaces an escalation in place, or adds it", () => {
    const updated = { ...list[0]!, state: "resolved" as const };
    expect(replaceEscalation(list.slice(0, 2), updated).map((e) => [e.id, e.state])).toEqual([
      [1, "resolved"],
      [2, "open"],
    ]);
    expect(replaceEscalation([], updated)).toEqual([updated]);
  });

  it("marks an escalation expired (its snooze dropped)", () => {
    const e = markExpired(escalation(1, T0, -MIN, { snoozed_until: iso(T0 + MIN) }), T0);
    expect(e.state).toBe("expired");
    expect(e.closed_at).toBe(iso(T0));
    expect(e.snoozed_until).toBeNull();
  });
});

describe("actionable and blocked", () => {
  it("only open escalations within their SLA take a decision; the others say why", () => {
    const open = escalation(1, T0, HOUR);
    expect(isActionable(open, T0)).toBe(true);
    expect(blockedReason(open, T0)).toBeNull();

    const overdue = escalation(2, T0, -MIN);
    expect(isActionable(overdue, T0)).toBe(false);
    expect(blockedReason(overdue, T0)).toMatch(/^Past its SLA \(due \d\d:\d\d\)/);

    const expired = escalation(3, T0, -HOUR, { state: "expired", closed_at: iso(T0 - HOUR) });
    expect(isActionable(expired, T0)).toBe(false);
    expect(blockedReason(expired, T0)).toMatch(/^Expired at .*: no decision came before its SLA lapsed/);

    const resolved = escalation(4, T0, HOUR, {
      state: "resolved",
      decision: { seq: 7, action: "approve", who: "ana", reason: null, at: iso(T0) },
    });
    expect(blockedReason(resolved, T0)).toBe("Already resolved (approved by ana)");
  });
});

describe("badge", () => {
  it("counts open escalations (snoozed too) and is red with a critical or past-due one", () => {
    const calm = [
      escalation(1, T0, HOUR),
      escalation(2, T0, 2 * HOUR, { snoozed_until: iso(T0 + MIN) }),
      escalation(3, T0, HOUR, { state: "resolved", severity: "critical" }),
    ];
    expect(queueBadge(calm, T0)).toEqual({ text: "2", alert: false, title: "2 open escalations, 1 snoozed" });
    expect(queueBadge([...calm, escalation(4, T0, HOUR, { severity: "critical" })], T0)).toMatchObject({
      text: "3",
      alert: true,
      title: "3 open escalations, 1 critical, 1 snoozed",
    });
    expect(queueBadge(calm, T0 + HOUR)).toMatchObject({ alert: true, title: "2 open escalations, 1 past due" });
    expect(queueBadge([], T0)).toEqual({ text: "0", alert: false, title: "0 open escalations" });
  });

  it("knows when the next open escalation falls due", () => {
    const list = [escalation(1, T0, HOUR), escalation(2, T0, 5 * MIN), escalation(3, T0, -MIN), escalation(4, T0, MIN, { state: "resolved" })];
    expect(msUntilNextDue(list, T0)).toBe(5 * MIN);
    expect(msUntilNextDue([escalation(3, T0, -MIN)], T0)).toBeNull();
  });
});

describe("deliveries", () => {
  it("reads each state", () => {
    expect(deliveryText(delivery(1, "pending"), T0)).toBe("pending");
    expect(deliveryText(delivery(1, "retrying", { attempts: 3, last_error: "HTTP 503" }), T0)).toBe(
      "retrying (3 attempts, last error: HTTP 503)",
    );
    expect(deliveryText(delivery(1, "retrying", { attempts: 1 }), T0)).toBe("retrying (1 attempt)");
    expect(deliveryText(delivery(1, "delivered"), T0)).toMatch(/^delivered (\S+ )?\d\d:\d\d$/);
    expect(deliveryText(delivery(1, "declined", { delivered_at: null }), T0)).toBe("declined");
    expect(deliveryText(delivery(1, "declined", { delivered_at: null, last_error: "the agent started a new task (t-2)" }), T0)).toBe(
      "declined: the agent started a new task (t-2)",
    );
  });
});

describe("backend commands", () => {

  it("call the commands with their arguments and turn errors into BackendErrors", async () => {
    const t = createTestTransport({
      escalations: () => [escalation(1, T0, HOUR)],
      escalation_timeline: (args) => timeline(args.id as number, [1], []),
      decide_escalation: () => {
        throw { code: "expired", message: "escalation 1 is past its SLA", field: null };
      },
    });
    setTransport(t);
    expect((await listEscalations()).map((e) => e.id)).toEqual([1]);
    expect((await escalationTimeline(7)).escalation_id).toBe(7);
    const err = await decideEscalation(1, { action: "snooze", minutes: 15 }, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: "expired", message: "escalation 1 is past its SLA" });
    expect(t.calls.map((c) => [c.command, c.args])).toEqual([
      ["escalations", undefined],
      ["escalation_timeline", { id: 7 }],
      ["decide_escalation", { id: 1, action: { action: "snooze", minutes: 15 }, note: null }],
    ]);
  });

  it("onOpenEscalation passes { id } (or null for the queue) and ignores junk", async () => {
    const t = createTestTransport();
    setTransport(t);
    const seen: (number | null)[] = [];
    const off = await onOpenEscalation((e) => seen.push(e.id));
    for (const payload of [{ id: 4 }, { id: null }, {}, { id: "4" }, null, 4]) t.emitEvent(OPEN_ESCALATION_EVENT, payload);
    expect(seen).toEqual([4, null, null]);
    off();
    expect(t.listenerCount(OPEN_ESCALATION_EVENT)).toBe(0);
  });
});
