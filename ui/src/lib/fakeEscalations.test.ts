import { afterEach, describe, expect, it, vi } from "vitest";

import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { Escalation } from "../bindings/Escalation";
import { arrivals, FAST_ARRIVALS, isGroup } from "./escalationGroups";
import { groupEscalations, isRecurring } from "./escalations";
import { createFakeEscalations } from "./fakeEscalations";
import { FLEET } from "./fakeFleet";

const AGENTS = FLEET.map((a, i) => ({ id: i + 1, name: a.name }));

afterEach(() => {
  vi.useRealTimers();
});

describe("the fake escalation queue", () => {
  it("seeds groups (one with more resources than listed) and a decided one still firing", () => {
    const fake = createFakeEscalations(() => AGENTS, () => {});
    const list = fake.escalations!({}) as Escalation[];
    const groups = list.filter(isGroup);
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const g of groups) {
      expect(g.scope).not.toBeNull();
      expect(g.resources.length).toBeLessThanOrEqual(50);
      expect(g.resource_count).toBeGreaterThanOrEqual(g.resources.length);
    }
    expect(groups.some((g) => g.resource_count > g.resources.length)).toBe(true);
    expect(groupEscalations(list, Date.now()).recurring.map((e) => e.since_decision)).toEqual([3]);
    expect(arrivals(list, Date.now()).fast).toBe(false);
  });

  it("one decision settles a group: resolved, each agent told once, ownership given for its scope", () => {
    vi.useFakeTimers();
    const events: ChangeEvent[] = [];
    const fake = createFakeEscalations(() => AGENTS, (e) => events.push(e));
    const group = (fake.escalations!({}) as Escalation[]).find((e) => isGroup(e) && e.state === "open" && e.resource_count > 1)!;
    const action = { action: "give_ownership", agent_id: group.agents[0]! };
    const decided = fake.decide_escalation!({ id: group.id, action, note: null }) as Escalation;
    expect(decided.state).toBe("resolved");
    expect(decided.decision?.reason).toMatch(new RegExp(`owns ${group.scope!.replace(/[*#/.]/g, "\\$&")}$`));
    expect(decided.deliveries.map((d) => d.agent_id)).toEqual(group.agents);
    expect(isRecurring(decided)).toBe(false);
    vi.advanceTimersByTime(2_000);
    expect(events).toContainEqual({ type: "escalations", opened: [], changed: [group.id], lapsing: [] });
  });

  it("with burst, more than the threshold opened in the last 10 minutes", () => {
    const fake = createFakeEscalations(() => AGENTS, () => {}, undefined, { burst: true });
    expect(arrivals(fake.escalations!({}) as Escalation[], Date.now()).count).toBeGreaterThan(FAST_ARRIVALS);
  });
});
