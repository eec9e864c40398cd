// The escalation queue of the in-memory fake backend (browser preview only): the seeded
// escalations (fakeEscalationSeed.ts, groups among them), decisions with the real command's
// errors (one decision settles a whole group; ownership of a group is given for its scope), and
// deliveries that settle a moment later (to billing-bot, which is down, they keep retrying). A
// budget split on the rate-limit escalation goes to the fake ledger (`onBudget`).

import type { BudgetShare } from "../bindings/BudgetShare";
import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { Delivery } from "../bindings/Delivery";
import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import type { EscalationTimeline } from "../bindings/EscalationTimeline";
import type { TimelineEvent } from "../bindings/TimelineEvent";
import type { InvokeArgs } from "./backend";
import { ownershipScope } from "./escalationGroups";
import { seedEscalations } from "./fakeEscalationSeed";

const MIN = 60_000;
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
  options: { burst?: boolean } = {},
) {
  const stored = new Map<number, Stored>();
  let seeded = false;
  let seq = 5_000;
  let decisionSeq = 900;

  const idOf = (name: string) => agentList().find((a) => a.name === name)?.id ?? null;

  const ensure = () => {
    if (seeded) return;
    const items = seedEscalations({ idOf, now: Date.now(), seq: () => ++seq, decision: () => ++decisionSeq }, options.burst);
    if (items === null) return;
    seeded = true;
    for (const s of items) stored.set(s.escalation.id, s);
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
            ? `${agentList().find((a) => a.id === action.agent_id)?.name ?? `agent ${action.agent_id}`} owns ${ownershipScope(e) ?? e.resource ?? "it"}`
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
