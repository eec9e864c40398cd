// @vitest-environment node
import { describe, expect, it } from "vitest";

import { delivery, escalation, MIN, HOUR, iso } from "../test/escalations";
import { T0 } from "../test/fixtures";
import {
  ARRIVAL_WINDOW_MS,
  arrivals,
  deliveryGap,
  FAST_ARRIVALS,
  fastArrivalText,
  findingsText,
  giveLabel,
  isGroup,
  ownershipScope,
  recurringText,
  resourceList,
  RESOURCES_FOLDED,
  settlesText,
  sinceDecisionText,
} from "./escalationGroups";

const drafts = (n: number) => Array.from({ length: n }, (_, i) => `file:///drafts/brief-${i + 1}.md`);

/** A group of `occurrences` findings on `count` drafts (the backend lists at most 50). */
function group(id: number, occurrences: number, count: number, extra: Parameters<typeof escalation>[3] = {}) {
  return escalation(id, T0, HOUR, {
    occurrences,
    scope: "file:///drafts/*",
    resources: drafts(Math.min(count, 50)),
    resource_count: count,
    ...extra,
  });
}

describe("a group of findings", () => {
  it("is a group with more than one finding; counts read for a person", () => {
    expect(isGroup(escalation(1, T0, HOUR))).toBe(false);
    expect(isGroup(group(1, 2, 1))).toBe(true);
    expect(findingsText(1)).toBe("1 finding");
    expect(findingsText(7)).toBe("7 findings");
    expect(sinceDecisionText(3)).toBe("fired 3× since the decision");
  });

  it("says what one decision settles: every finding, its resources and scope, each agent told once", () => {
    expect(settlesText(group(1, 7, 5), 2)).toBe(
      "This settles all 7 findings on 5 resources under file:///drafts/*; each agent is told once.",
    );
    expect(settlesText(group(1, 7, 5), 1)).toBe(
      "This settles all 7 findings on 5 resources under file:///drafts/*; the agent is told once.",
    );
    expect(settlesText(group(1, 3, 5, { scope: null }), 0)).toBe("This settles all 3 findings on 5 resources.");
    // One resource, several findings on it: named.
    expect(settlesText(group(1, 4, 1), 2)).toBe(
      "This settles all 4 findings on file:///drafts/brief-1.md; each agent is told once.",
    );
    // No resource at all (a stall of one agent): just the count.
    expect(settlesText(group(1, 2, 0, { resources: [], scope: null }), 1)).toBe(
      "This settles all 2 findings; the agent is told once.",
    );
    // A lone finding says nothing of the kind.
    expect(settlesText(escalation(1, T0, HOUR), 2)).toBeNull();
  });

  it("a closed group says what it stood for, and how much came after the decision", () => {
    const done = group(1, 9, 6, { state: "resolved", closed_at: iso(T0), since_decision: 2 });
    expect(settlesText(done, 2)).toBe("9 findings on 6 resources under file:///drafts/* in all, 2 of them after the decision.");
    expect(settlesText({ ...done, state: "expired", since_decision: 0 }, 2)).toBe(
      "9 findings on 6 resources under file:///drafts/* in all.",
    );
  });

  it("folds a long resource list, lists at most 50, and counts the rest", () => {
    const few = resourceList(group(1, 5, 5), false);
    expect(few).toEqual({ shown: drafts(5), folded: 0, more: 0 });

    // Two or three past the fold are shown rather than hidden behind a button.
    expect(resourceList(group(1, 10, RESOURCES_FOLDED + 2), false).folded).toBe(0);

    const many = group(1, 80, 73);
    const folded = resourceList(many, false);
    expect(folded.shown).toEqual(drafts(RESOURCES_FOLDED));
    expect(folded.folded).toBe(50 - RESOURCES_FOLDED);
    expect(folded.more).toBe(23);
    const all = resourceList(many, true);
    expect(all.shown).toHaveLength(50);
    expect(all.shown[49]).toBe("file:///drafts/brief-50.md");
    expect(all.folded).toBe(0);
    expect(all.more).toBe(23);

    // More listed than the backend promises: still 50.
    expect(resourceList({ resources: drafts(60), resource_count: 60 }, true).shown).toHaveLength(50);
  });

  it("gives the scope to an agent when the group covers several resources (as the backend does)", () => {
    expect(ownershipScope(group(1, 7, 5))).toBe("file:///drafts/*");
    expect(giveLabel(group(1, 7, 5), "editor")).toBe("Give file:///drafts/* to editor");
    // One resource (however many findings), or no scope: the resource's own rule.
    expect(ownershipScope(group(1, 4, 1))).toBeNull();
    expect(giveLabel(group(1, 4, 1), "editor")).toBe("Give ownership to editor");
    expect(giveLabel(escalation(1, T0, HOUR), "publisher")).toBe("Give ownership to publisher");
  });
});

describe("recurring after a decision", () => {
  const names = new Map([
    [1, "editor"],
    [2, "publisher"],
  ]);
  const decided = (extra: Parameters<typeof escalation>[3] = {}) =>
    group(1, 6, 4, {
      state: "resolved",
      closed_at: iso(T0 - 40 * MIN),
      since_decision: 3,
      last_seen_at: iso(T0 - 12_000),
      decision: { seq: 1, action: "give_ownership", who: "you", reason: null, at: iso(T0 - 40 * MIN) },
      deliveries: [delivery(1, "delivered"), delivery(2, "delivered")],
      ...extra,
    });

  it("says the cause still fires, when, and that every agent got the decision", () => {
    expect(recurringText(decided(), names, T0)).toBe(
      "Its cause fired 3× after the decision, last 12s ago: an agent may be ignoring it. " +
        "Every agent received the decision: see what they are doing (Board, key 1) or whether a rule covers this (Ownership, key 3).",
    );
  });

  it("or names the agents the decision has not reached, or that declined it", () => {
    const e = decided({ deliveries: [delivery(1, "retrying", { attempts: 3 }), delivery(2, "declined")] });
    expect(deliveryGap(e, names)).toBe("The decision has not reached editor yet; publisher declined it.");
    expect(recurringText(e, names, T0)).toMatch(/ignoring it\. The decision has not reached editor yet; publisher declined it\.$/);
    expect(deliveryGap(decided(), names)).toBeNull();
    expect(deliveryGap(decided({ deliveries: [] }), names)).toBeNull();
  });
});

describe("arrival rate", () => {
  const opened = (id: number, agoMs: number, kind: Parameters<typeof escalation>[3] = {}) =>
    escalation(id, T0, HOUR, { opened_at: iso(T0 - agoMs), ...kind });

  it("counts items opened within the last 10 minutes, whatever their state; a group's growth is not new", () => {
    const list = [
      opened(1, 30_000),
      opened(2, 9 * MIN + 59_000, { state: "resolved", closed_at: iso(T0) }),
      opened(3, ARRIVAL_WINDOW_MS), // exactly 10 min ago: out
      // An old group that took a finding a second ago is not a new item.
      opened(4, 3 * HOUR, { occurrences: 40, last_seen_at: iso(T0 - 1_000) }),
      opened(5, 20_000, { opened_at: "junk" }),
    ];
    expect(arrivals(list, T0)).toEqual({ count: 2, fast: false, text: "2 new in the last 10 min" });
    expect(arrivals([], T0).text).toBe("none new in the last 10 min");
    // As the clock moves, they age out.
    expect(arrivals(list, T0 + 2_000).count).toBe(1);
  });

  it(`is fast past ${FAST_ARRIVALS} in 10 minutes, and says what they share and where to look`, () => {
    const burst = (n: number, kindOf: (i: number) => Parameters<typeof escalation>[3]) =>
      Array.from({ length: n }, (_, i) => opened(i + 1, i * 30_000, kindOf(i)));
    const atLimit = burst(FAST_ARRIVALS, () => ({}));
    expect(arrivals(atLimit, T0).fast).toBe(false);
    expect(fastArrivalText(atLimit, T0)).toBeNull();

    const collisions = burst(14, (i) => ({ kind: i < 9 ? "write_collision" : "stall" }));
    expect(arrivals(collisions, T0)).toMatchObject({ count: 14, fast: true });
    expect(fastArrivalText(collisions, T0)).toBe(
      "Escalations are arriving fast: 14 in the last 10 min, 9 of one kind (Write collision). " +
        "They may share a cause: a missing ownership rule (Ownership view, key 3).",
    );

    const stalls = burst(12, (i) => ({ kind: i < 7 ? "stall" : "write_collision" }));
    expect(fastArrivalText(stalls, T0)).toMatch(/12 in the last 10 min, 7 of one kind \(Stall\)\. .*a stalled or unreachable agent \(Agents view, key 2\)\.$/);

    const kinds = ["stall", "write_collision", "sequencing"] as const;
    const mixed = burst(11, (i) => ({ kind: kinds[i % 3] }));
    expect(fastArrivalText(mixed, T0)).toBe(
      "Escalations are arriving fast: 11 in the last 10 min. They may share a cause: " +
        "a missing ownership rule (Ownership view, key 3) or a stalled or unreachable agent (Agents view, key 2).",
    );
  });
});
