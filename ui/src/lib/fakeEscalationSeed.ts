// The fake escalation queue's seed (browser preview only): a few realistic escalations with
// their evidence, including a group of findings under one scope, a large group (more resources
// than Baton lists) and a decided one whose cause keeps firing. `burst` adds a dozen new ones,
// so the header's "arriving fast" notice can be seen (`?burst`).

import type { Escalation } from "../bindings/Escalation";
import type { TimelineEvent } from "../bindings/TimelineEvent";

const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

export interface SeedContext {
  idOf(name: string): number | null;
  now: number;
  /** The next evidence event's seq. */
  seq(): number;
  /** The next decision log entry's seq. */
  decision(): number;
}

export interface Seeded {
  escalation: Escalation;
  events: TimelineEvent[];
}

type Put = (escalation: Escalation, events?: TimelineEvent[]) => void;
type EventOf = ReturnType<typeof eventMaker>;

const eventMaker = (ctx: SeedContext) => (agentId: number, at: number, kind: string, text: string, extra: Partial<TimelineEvent> = {}): TimelineEvent => ({
  agent_id: agentId,
  seq: ctx.seq(),
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
  knot: null,
  ...fields,
  agents: [...fields.agents].sort((a, b) => a - b),
});

export function seedEscalations(ctx: SeedContext, burst = false): Seeded[] | null {
  const { idOf } = ctx;
  const editor = idOf("editor");
  const publisher = idOf("publisher");
  const writer = idOf("writer");
  const crm = idOf("crm-sync");
  const researcher = idOf("researcher");
  const billing = idOf("billing-bot");
  const triage = idOf("triage");
  if (editor === null || publisher === null || writer === null) return null;
  const now = ctx.now;
  const out: Seeded[] = [];
  const put = (escalation: Escalation, events: TimelineEvent[] = []) => out.push({ escalation, events });
  const event = eventMaker(ctx);

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
        decision: { seq: ctx.decision(), action: "snooze", who: "you", reason: null, at: iso(now - 10 * MIN) },
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
          seq: ctx.decision(),
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
        decision: { seq: ctx.decision(), action: "give_ownership", who: "you", reason: "researcher owns contact status", at: iso(t6 + 35 * MIN) },
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
  if (crm !== null && researcher !== null && triage !== null) {
    groups(ctx, put, event, { editor, publisher, crm, researcher, triage });
    if (burst) arrivals(put, now, [editor, publisher, writer, crm, researcher, triage]);
  }
  return out;
}

/** Groups: one under a folder, one with more resources than Baton lists, one decided that keeps firing. */
function groups(
  ctx: SeedContext,
  put: Put,
  event: EventOf,
  ids: { editor: number; publisher: number; crm: number; researcher: number; triage: number },
) {
  const { editor, publisher, crm, researcher, triage } = ids;
  const now = ctx.now;

  // 7. Publisher keeps writing drafts editor holds: 7 findings on 5 drafts, the last 40 s ago.
  const drafts = [3, 4, 7, 8, 9].map((n) => `file:///drafts/brief-${n}.md`);
  const t8 = now - 25 * MIN;
  put(
    base(8, {
      kind: "ownership_violation",
      severity: "warning",
      agents: [editor, publisher],
      resource: drafts[0]!,
      title: `publisher wrote ${drafts[4]} while editor held it (and 6 more like it under file:///drafts/*)`,
      opened_at: iso(t8),
      due_at: iso(t8 + 24 * HOUR),
      occurrences: 7,
      scope: "file:///drafts/*",
      resources: drafts,
      resource_count: drafts.length,
      last_seen_at: iso(now - 40_000),
    }),
    drafts.flatMap((r, i) => [
      event(editor, t8 - 60_000 + i * 4 * MIN, "claim", `holds ${r}`, { resource: r }),
      event(publisher, t8 + i * 4 * MIN, "write", `write ${r}`, { resource: r, evidence: true, task_id: `pub-10${10 + i}` }),
    ]),
  );

  // 8. Triage reads contacts researcher is still writing: 64 findings on 58 contacts (50 listed).
  const contacts = Array.from({ length: 50 }, (_, i) => `crm://contacts/${101 + i}#status`);
  const t9 = now - 50 * MIN;
  put(
    base(9, {
      kind: "read_during_write",
      severity: "info",
      agents: [researcher, triage],
      resource: contacts[0]!,
      title: `triage read crm://contacts/158#status while researcher was still writing it (and 63 more like it under crm://contacts/*#status)`,
      opened_at: iso(t9),
      due_at: iso(t9 + 4 * HOUR),
      occurrences: 64,
      scope: "crm://contacts/*#status",
      resources: contacts,
      resource_count: 58,
      last_seen_at: iso(now - 15_000),
    }),
    contacts.slice(0, 6).flatMap((r, i) => [
      event(researcher, t9 + i * 90_000, "write", `write ${r}`, { resource: r, task_id: "res-1007" }),
      event(triage, t9 + i * 90_000 + 20_000, "read", `read ${r}`, { resource: r, evidence: true, task_id: "tri-1009" }),
    ]),
  );

  // 9. Ownership of contact tiers was given to researcher 40 min ago; crm-sync still writes them.
  const tiers = [17, 23, 31, 44].map((n) => `crm://contacts/${n}#tier`);
  const t10 = now - 80 * MIN;
  const decided = now - 40 * MIN;
  put(
    base(10, {
      kind: "write_collision",
      severity: "warning",
      agents: [crm, researcher],
      resource: tiers[0]!,
      title: `crm-sync and researcher both wrote ${tiers[1]} within 60 s (and 2 more like it under crm://contacts/*#tier)`,
      opened_at: iso(t10),
      due_at: iso(t10 + 4 * HOUR),
      state: "resolved",
      closed_at: iso(decided),
      occurrences: 6,
      since_decision: 3,
      scope: "crm://contacts/*#tier",
      resources: tiers,
      resource_count: tiers.length,
      last_seen_at: iso(now - 2 * MIN),
      decision: { seq: ctx.decision(), action: "give_ownership", who: "you", reason: "researcher owns crm://contacts/*#tier", at: iso(decided) },
      deliveries: [crm, researcher].map((agentId) => ({
        agent_id: agentId,
        state: "delivered" as const,
        attempts: 1,
        last_error: null,
        next_attempt_at: iso(decided),
        delivered_at: iso(decided + 900),
      })),
    }),
    [
      event(researcher, t10 - 30_000, "write", `write ${tiers[0]}`, { resource: tiers[0]!, evidence: true }),
      event(crm, t10 - 5_000, "write", `write ${tiers[0]}`, { resource: tiers[0]!, evidence: true }),
      event(crm, now - 9 * MIN, "write", `write ${tiers[2]}`, { resource: tiers[2]!, evidence: true }),
      event(crm, now - 2 * MIN, "write", `write ${tiers[3]}`, { resource: tiers[3]!, evidence: true }),
    ],
  );
}

/** `?burst`: 14 new escalations in the last 9 minutes, 9 of them write collisions. */
function arrivals(put: Put, now: number, agents: number[]) {
  for (let i = 0; i < 14; i++) {
    const a = agents[i % agents.length]!;
    const b = agents[(i + 1) % agents.length]!;
    const resource = `file:///shared/team-${i + 1}/plan.md`;
    const opened = now - 20_000 - i * 37_000;
    const kind = i < 9 ? "write_collision" : i % 2 === 0 ? "stall" : "ownership_violation";
    put(
      base(20 + i, {
        kind,
        severity: "warning",
        agents: kind === "stall" ? [a] : [a, b],
        resource: kind === "stall" ? null : resource,
        title: kind === "stall" ? "a task has made no progress for 15 min" : `two agents wrote ${resource} within 60 s`,
        opened_at: iso(opened),
        due_at: iso(opened + 24 * HOUR),
      }),
    );
  }
}
