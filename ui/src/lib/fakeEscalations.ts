// The escalation queue of the in-memory fake backend (browser preview only): a few realistic
// escalations, decisions with the real command's errors, and deliveries that settle a moment
// later (to billing-bot, which is down, they keep retrying). A budget split on the rate-limit
// escalation goes to the fake ledger (`onBudget`).

import type { BudgetShare } from "../bindings/BudgetShare";
import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { Delivery } from "../bindings/Delivery";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import type { EscalationTimeline } from "../bindings/EscalationTimeline";
import type { TimelineEvent } from "../bindings/TimelineEvent";
import type { InvokeArgs } from "./backend";

const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

type Named = { id: number; name: string };

interface Stored {
  escalation: Escalation;
  events: TimelineEvent[];
}

function fail(code: string, message: string): ErrorPayload {
  return { code, message, field: null };
}

/** Why the backend refuses a budget split (EscalationAction::check), or null. */
function splitProblem(e: Escalation, shares: readonly BudgetShare[]): string | null {
  if (e.kind !== "rate_limit_pressure") return "a budget split answers a rate-limit pressure escalation";
  if (shares.length === 0 || new Set(shares.map((s) => s.agent_id)).size !== shares.length) {
    return "a budget split names each agent once, and at least one";
  }
  if (shares.some((s) => s.percent > 100) || shares.reduce((t, s) => t + s.percent, 0) > 100) {
    return "a budget split's shares add up to at most 100%";
  }
  return null;
}

export function createFakeEscalations(
  agentList: () => Named[],
  emit: (e: ChangeEvent) => void,
  onBudget: (resource: string, shares: readonly BudgetShare[]) => void = () => {},
) {
  const stored = new Map<number, Stored>();
  let seeded = false;
  let seq = 5_000;
  let decisionSeq = 900;

  const idOf = (name: string) => agentList().find((a) => a.name === name)?.id ?? null;

  const event = (agentId: number, at: number, kind: string, text: string, extra: Partial<TimelineEvent> = {}): TimelineEvent => ({
    agent_id: agentId,
    seq: ++seq,
    at: iso(at),
    kind,
    task_id: null,
    resource: null,
    text,
    evidence: false,
    ...extra,
  });

  const base = (id: number, fields: Partial<Escalation> & Pick<Escalation, "kind" | "severity" | "agents" | "title" | "opened_at" | "due_at">): Escalation => ({
    id,
    finding_id: 100 + id,
    resource: null,
    agent_id: null,
    task_id: null,
    state: "open",
    assignee: null,
    snoozed_until: null,
    closed_at: null,
    occurrences: 1,
    since_decision: 0,
    scope: null,
    resources: fields.resource ? [fields.resource] : [],
    resource_count: fields.resource ? 1 : 0,
    last_seen_at: fields.opened_at,
    decision: null,
    deliveries: [],
    ...fields,
    agents: [...fields.agents].sort((a, b) => a - b),
  });

  const seed = () => {
    const editor = idOf("editor");
    const publisher = idOf("publisher");
    const writer = idOf("writer");
    const crm = idOf("crm-sync");
    const researcher = idOf("researcher");
    const billing = idOf("billing-bot");
    const triage = idOf("triage");
    if (editor === null || publisher === null || writer === null) return;
    seeded = true;
    const now = Date.now();
    const put = (escalation: Escalation, events: TimelineEvent[] = []) => stored.set(escalation.id, { escalation, events });

    // 1. Editor and Publisher both wrote the launch draft within a minute.
    const launch = "file:///drafts/launch.md";
    const t1 = now - 12 * MIN;
    put(
      base(1, {
        kind: "write_collision",
        severity: "critical",
        agents: [editor, publisher],
        resource: launch,
        title: `editor and publisher both wrote ${launch} within 60 s`,
        opened_at: iso(t1 + 40_000),
        due_at: iso(t1 + 40_000 + 24 * HOUR),
      }),
      [
        event(editor, t1 - 95_000, "state", "state → working", { task_id: "edi-1001" }),
        event(publisher, t1 - 80_000, "state", "state → working", { task_id: "pub-1004" }),
        event(editor, t1 - 70_000, "read", `read ${launch}`, { task_id: "edi-1001", resource: launch }),
        event(publisher, t1 - 42_000, "read", `read ${launch}`, { task_id: "pub-1004", resource: launch }),
        event(editor, t1 - 20_000, "write", `write ${launch}`, { task_id: "edi-1001", resource: launch, evidence: true }),
        event(publisher, t1 + 9_000, "write", `write ${launch}`, { task_id: "pub-1004", resource: launch, evidence: true }),
        event(publisher, t1 + 15_000, "api_call", "called cms://posts → 201", { task_id: "pub-1004" }),
        event(editor, t1 + 30_000, "state", "state → completed", { task_id: "edi-1001" }),
        event(publisher, t1 + 60_000, "state", "state → completed", { task_id: "pub-1004" }),
      ],
    );

    // 2. Writer asks before posting the announcement; 40 minutes left.
    const t2 = now - 3 * HOUR - 20 * MIN;
    const slack = "slack://channels/announcements";
    put(
      base(2, {
        kind: "needs_approval",
        severity: "critical",
        agents: [writer],
        resource: slack,
        agent_id: writer,
        task_id: "wri-1005",
        title: `writer asks for approval: post the launch announcement to ${slack}`,
        opened_at: iso(t2),
        due_at: iso(t2 + 4 * HOUR),
        assignee: "Ana (ops)",
      }),
      [
        event(writer, t2 - 100_000, "state", "state → working", { task_id: "wri-1005" }),
        event(writer, t2 - 60_000, "read", `read ${launch}`, { task_id: "wri-1005", resource: launch }),
        event(writer, t2 - 5_000, "needs_approval", "asks for approval: post the launch announcement?", {
          task_id: "wri-1005",
          resource: slack,
          evidence: true,
        }),
        event(writer, t2, "state", "state → input_required", { task_id: "wri-1005" }),
      ],
    );

    // 2b. Writer and editor are about to exhaust openai's requests per minute.
    const t7 = now - 6 * MIN;
    put(
      base(7, {
        kind: "rate_limit_pressure",
        severity: "warning",
        agents: [editor, writer],
        resource: "api:openai",
        title: "openai: 1 × 429 in the last hour; combined use at 94% of 500 requests / min",
        opened_at: iso(t7),
        due_at: iso(t7 + 2 * HOUR),
      }),
      [
        event(writer, t7 - 17 * MIN, "api_call", "called openai → 429 (retry after 2 s)", { resource: "api://openai", evidence: true }),
        event(editor, t7 - 4 * MIN, "api_call", "called openai → 200 (remaining 31)", { resource: "api://openai", evidence: true }),
        event(writer, t7 - MIN, "api_call", "called openai → 200 (remaining 12)", { resource: "api://openai" }),
      ],
    );

    // 3. Two agents fired on the same billing mail; 9 minutes left.
    if (billing !== null && triage !== null) {
      const t3 = now - 4 * HOUR + 9 * MIN;
      const inbox = "mail://inbox/billing";
      put(
        base(6, {
          kind: "trigger_collision",
          severity: "critical",
          agents: [billing, triage],
          resource: inbox,
          title: `billing-bot and triage both acted on ${inbox} (message 8812) within 60 s`,
          opened_at: iso(t3),
          due_at: iso(t3 + 4 * HOUR),
        }),
        [
          event(billing, t3 - 50_000, "trigger", `trigger ${inbox}`, { resource: inbox, evidence: true, task_id: "bil-1002" }),
          event(triage, t3 - 31_000, "trigger", `trigger ${inbox}`, { resource: inbox, evidence: true, task_id: "tri-1003" }),
          event(triage, t3 - 20_000, "write", "write slack://channels/support", { task_id: "tri-1003" }),
        ],
      );
    }

    // 4. Two agents claim different owners for contact 42: snoozed for 50 minutes.
    if (crm !== null && researcher !== null) {
      const t4 = now - 2 * HOUR;
      const field = "crm://contacts/42#owner";
      put(
        base(5, {
          kind: "divergent_claims",
          severity: "warning",
          agents: [crm, researcher],
          resource: field,
          title: `crm-sync and researcher claim different values for ${field}`,
          opened_at: iso(t4),
          due_at: iso(t4 + 4 * HOUR),
          assignee: "Ana (ops)",
          snoozed_until: iso(now + 50 * MIN),
          decision: { seq: ++decisionSeq, action: "snooze", who: "you", reason: null, at: iso(now - 10 * MIN) },
        }),
        [
          event(crm, t4 - 40_000, "claim", `claims ${field} = "Dana"`, { resource: field, evidence: true }),
          event(researcher, t4 - 12_000, "claim", `claims ${field} = "Lee"`, { resource: field, evidence: true }),
        ],
      );

      // 5. A stall nobody answered in time: expired.
      const t5 = now - 25 * HOUR;
      put(
        base(3, {
          kind: "stall",
          severity: "warning",
          agents: [crm],
          agent_id: crm,
          task_id: "crm-1003",
          title: "crm-sync's task crm-1003 has made no progress for 15 min",
          opened_at: iso(t5),
          due_at: iso(t5 + 24 * HOUR),
          state: "expired",
          closed_at: iso(t5 + 24 * HOUR),
          decision: {
            seq: ++decisionSeq,
            action: "expire",
            who: "baton",
            reason: `no decision before its SLA lapsed`,
            at: iso(t5 + 24 * HOUR),
          },
        }),
      );

      // 6. Resolved: ownership given to researcher; delivered, retrying, declined.
      const t6 = now - 5 * HOUR;
      const status = "crm://contacts/42#status";
      put(
        base(4, {
          kind: "read_during_write",
          severity: "warning",
          agents: [crm, researcher, writer],
          resource: status,
          title: `writer read ${status} while researcher was still writing it`,
          opened_at: iso(t6),
          due_at: iso(t6 + 4 * HOUR),
          assignee: "Ana (ops)",
          state: "resolved",
          closed_at: iso(t6 + 35 * MIN),
          decision: { seq: ++decisionSeq, action: "give_ownership", who: "you", reason: "researcher owns contact status", at: iso(t6 + 35 * MIN) },
          deliveries: [
            { agent_id: researcher, state: "delivered", attempts: 1, last_error: null, next_attempt_at: iso(t6 + 35 * MIN), delivered_at: iso(t6 + 35 * MIN + 800) },
            { agent_id: writer, state: "retrying", attempts: 3, last_error: "HTTP 503 from http://127.0.0.1:7802/baton/decisions", next_attempt_at: iso(now + 2 * MIN), delivered_at: null },
            { agent_id: crm, state: "declined", attempts: 1, last_error: null, next_attempt_at: iso(t6 + 35 * MIN), delivered_at: iso(t6 + 35 * MIN + 1_200) },
          ],
        }),
        [
          event(researcher, t6 - 30_000, "write", `write ${status}`, { resource: status, evidence: true, task_id: "res-1002" }),
          event(writer, t6 - 12_000, "read", `read ${status}`, { resource: status, evidence: true, task_id: "wri-1003" }),
          event(crm, t6 - 5_000, "read", `read ${status}`, { resource: status, task_id: "crm-1001" }),
        ],
      );
    }
  };

  const ensure = () => {
    if (!seeded) seed();
  };

  /** What the engine's sweep does: open ones past their SLA expire. */
  const sweep = () => {
    const now = Date.now();
    for (const s of stored.values()) {
      const e = s.escalation;
      if (e.state === "open" && Date.parse(e.due_at) <= now) {
        s.escalation = { ...e, state: "expired", closed_at: iso(now), snoozed_until: null };
      }
    }
  };

  const queue = (): Escalation[] => {
    ensure();
    sweep();
    const all = [...stored.values()].map((s) => s.escalation);
    const open = all.filter((e) => e.state === "open").sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at) || a.id - b.id);
    const closed = all
      .filter((e) => e.state !== "open")
      .sort((a, b) => Date.parse(b.closed_at ?? "") - Date.parse(a.closed_at ?? "") || b.id - a.id)
      .slice(0, 100);
    return [...open, ...closed];
  };

  const settle = (id: number) => {
    const s = stored.get(id);
    if (!s) return;
    const down = idOf("billing-bot");
    s.escalation = {
      ...s.escalation,
      deliveries: s.escalation.deliveries.map((d): Delivery =>
        d.agent_id === down
          ? { ...d, state: "retrying", attempts: d.attempts + 1, last_error: "timed out after 1.5 s", next_attempt_at: iso(Date.now() + 30_000) }
          : { ...d, state: "delivered", attempts: d.attempts + 1, delivered_at: iso(Date.now()) },
      ),
    };
    emit({ type: "escalations", opened: [], changed: [id], lapsing: [] });
  };

  const handlers: Record<string, (args: InvokeArgs) => unknown> = {
    escalations: () => queue(),
    escalation_timeline: (args): EscalationTimeline => {
      ensure();
      const s = stored.get(args.id as number);
      if (!s) throw fail("not_found", `no escalation ${String(args.id)}`);
      return { escalation_id: s.escalation.id, agents: s.escalation.agents, events: s.events };
    },
    decide_escalation: (args) => {
      ensure();
      sweep();
      const id = args.id as number;
      const action = args.action as EscalationAction;
      const note = typeof args.note === "string" && args.note.trim() !== "" ? args.note.trim() : null;
      const s = stored.get(id);
      if (!s) throw fail("not_found", `no escalation ${id}`);
      const e = s.escalation;
      if (e.state === "expired") throw fail("expired", `escalation ${id} is past its SLA: it has expired`);
      if (e.state !== "open") throw fail("escalation_closed", `escalation ${id} is already ${e.state}`);
      if (action.action === "dismiss" && note === null) {
        throw fail("invalid_decision", "dismissing needs a reason: say why this is not a real problem");
      }
      if (action.action === "split_budget") {
        const problem = splitProblem(e, action.shares);
        if (problem) throw fail("invalid_decision", problem);
        onBudget(e.resource ?? "", action.shares);
      }
      const now = Date.now();
      const decision = { seq: ++decisionSeq, action: action.action, who: "you", reason: note, at: iso(now) };
      if (action.action === "snooze") {
        s.escalation = { ...e, snoozed_until: iso(now + action.minutes * MIN), decision };
      } else {
        const sentence =
          action.action === "give_ownership"
            ? `${agentList().find((a) => a.id === action.agent_id)?.name ?? `agent ${action.agent_id}`} owns ${e.resource ?? "it"}`
            : null;
        s.escalation = {
          ...e,
          state: "resolved",
          closed_at: iso(now),
          snoozed_until: null,
          decision: { ...decision, reason: [sentence, note].filter(Boolean).join(". ") || null },
          deliveries: e.agents.map((agentId) => ({
            agent_id: agentId,
            state: "pending",
            attempts: 0,
            last_error: null,
            next_attempt_at: iso(now),
            delivered_at: null,
          })),
        };
        setTimeout(() => settle(id), 1_500);
      }
      setTimeout(() => emit({ type: "escalations", opened: [], changed: [id], lapsing: [] }), 0);
      return s.escalation;
    },
  };
  return handlers;
}
