// Escalation fixtures for the queue's tests.

import type { Delivery } from "../bindings/Delivery";
import type { Escalation } from "../bindings/Escalation";
import type { EscalationTimeline } from "../bindings/EscalationTimeline";
import type { TimelineEvent } from "../bindings/TimelineEvent";

/** Time spans and instants as the escalation tests write them. */
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const iso = (ms: number) => new Date(ms).toISOString();

/** An open escalation opened at `now - 10 min`, due `dueInMs` after `now`. */
export function escalation(id: number, now: number, dueInMs: number, extra: Partial<Escalation> = {}): Escalation {
  return {
    id,
    finding_id: 100 + id,
    kind: "write_collision",
    severity: "warning",
    agents: [1, 2],
    resource: "file:///drafts/launch.md",
    title: `Escalation ${id}`,
    agent_id: null,
    task_id: null,
    state: "open",
    opened_at: new Date(now - 10 * MIN).toISOString(),
    due_at: new Date(now + dueInMs).toISOString(),
    assignee: null,
    snoozed_until: null,
    closed_at: null,
    occurrences: 1,
    since_decision: 0,
    scope: null,
    resources: ["file:///drafts/launch.md"],
    resource_count: 1,
    last_seen_at: new Date(now - 10 * MIN).toISOString(),
    decision: null,
    deliveries: [],
    knot: null,
    parallel: null,
    ...extra,
  };
}

export function delivery(agentId: number, state: Delivery["state"], extra: Partial<Delivery> = {}): Delivery {
  return {
    agent_id: agentId,
    state,
    attempts: state === "pending" ? 0 : 1,
    last_error: null,
    next_attempt_at: "2026-11-21T12:00:00Z",
    delivered_at: state === "delivered" || state === "declined" ? "2026-11-21T12:00:01Z" : null,
    ...extra,
  };
}

export function timelineEvent(agentId: number, seq: number, at: number, text: string, evidence = false): TimelineEvent {
  return {
    agent_id: agentId,
    seq,
    at: new Date(at).toISOString(),
    kind: text.split(" ")[0] ?? "state",
    task_id: null,
    resource: null,
    text,
    evidence,
  };
}

export function timeline(id: number, agents: number[], events: TimelineEvent[]): EscalationTimeline {
  return { escalation_id: id, agents, events };
}
