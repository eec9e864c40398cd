// The ownership map and decision log of the in-memory fake backend (browser preview only).
// Conflicts are found naively (same kind, identical pattern): the real check is baton-core's.

import type { DecisionEntry } from "../bindings/DecisionEntry";
import type { Declares } from "../bindings/Declares";
import type { Dispute } from "../bindings/Dispute";
import type { DraftCheck } from "../bindings/DraftCheck";
import type { MapAgent } from "../bindings/MapAgent";
import type { MapConflict } from "../bindings/MapConflict";
import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import type { Resolution } from "../bindings/Resolution";
import type { Rule } from "../bindings/Rule";
import type { RuleKind } from "../bindings/RuleKind";
import type { StoredRule } from "../bindings/StoredRule";
import type { InvokeArgs } from "./backend";

const CLAIM_LISTS: [keyof Declares, RuleKind][] = [
  ["triggers", "trigger"],
  ["writes", "data"],
  ["outputs", "output"],
];

const none = (): Declares => ({ triggers: [], reads: [], writes: [], outputs: [] });

const SEED_DECLARES: Record<string, Partial<Declares>> = {
  researcher: { reads: ["crm://contacts/**"], writes: ["crm://contacts/*#status"] },
  writer: { reads: ["crm://contacts/*#status"], writes: ["crm://contacts/*#status"], outputs: ["file:///drafts/**"] },
  "crm-sync": { triggers: ["webhook://crm/updated"], writes: ["crm://contacts/*#owner"] },
  "billing-bot": { triggers: ["mail://inbox/billing"], outputs: ["slack://channels/billing"] },
  triage: { triggers: ["mail://inbox/billing"], outputs: ["slack://channels/support"] },
};

const SEED_RULES: Rule[] = [
  { kind: "trigger", pattern: "mail://inbox/billing", owner: "billing-bot" },
  { kind: "data", pattern: "crm://contacts/*#owner", owner: "crm-sync", readers: ["writer"] },
  { kind: "output", pattern: "file:///drafts/**", owner: "writer" },
  { kind: "exception", pattern: "crm://contacts/**", owner: "Ana (ops)", sla_seconds: 14_400 },
];

export function createFakeOwnership(agentNames: () => { id: number; name: string }[]) {
  const declared = new Map<string, Declares>(
    Object.entries(SEED_DECLARES).map(([name, d]) => [name, { ...none(), ...d }]),
  );
  let rules: StoredRule[] = [];
  let nextRule = 1;
  const log: DecisionEntry[] = [];
  const now = () => new Date().toISOString();

  const audit = (action: string, subject: string, detail: unknown) => {
    const seq = log.length + 1;
    const hash = `fake${seq.toString(16).padStart(60, "0")}`;
    log.push({ seq, at: now(), who: "you", action, subject, reason: null, escalation_id: null, detail, prev_hash: log.at(-1)?.hash ?? "0".repeat(64), hash });
  };
  const store = (rule: Rule): StoredRule => ({ id: nextRule++, ...rule, created_at: now(), updated_at: now() });
  SEED_RULES.forEach((r) => rules.push(store(r)));

  const claims = (declares: Declares) =>
    CLAIM_LISTS.flatMap(([list, kind]) => declares[list].map((pattern) => ({ kind, pattern })));

  const check = (agent: string, declares: Declares, others: MapAgent[]): PredeployConflict[] => {
    const out: PredeployConflict[] = [];
    for (const { kind, pattern } of claims(declares)) {
      rules.forEach((r, index) => {
        const allowed = r.owner === agent || (r.sequence ?? []).includes(agent);
        if (r.kind === kind && r.pattern === pattern && !allowed) {
          out.push({ kind, pattern, other: { side: "rule", index, pattern: r.pattern, owner: r.owner }, example: pattern, message: `${agent} declares ${pattern}, but a ${kind} rule gives it to ${r.owner}`, other_not_ready: null });
        }
      });
      const decided = rules.some((r) => r.kind === kind && r.pattern === pattern);
      for (const other of others) {
        if (other.name === agent || decided) continue;
        if (claims(other.declares).some((c) => c.kind === kind && c.pattern === pattern)) {
          out.push({ kind, pattern, other: { side: "agent", name: other.name, pattern }, example: pattern, message: `${agent} and ${other.name} both declare ${kind} ${pattern}`, other_not_ready: null });
        }
      }
    }
    return out;
  };

  const map = (): OwnershipMap => {
    rules.sort((a, b) => a.kind.localeCompare(b.kind) || a.pattern.localeCompare(b.pattern) || a.id - b.id);
    const agents: MapAgent[] = agentNames()
      .map(({ id, name }) => {
        const d = declared.get(name);
        return { id, name, declares: d ?? none(), source: d ? ("agent" as const) : null, agent_declares: null };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    const conflicts: MapConflict[] = [];
    rules.forEach((a, i) =>
      rules.forEach((b, j) => {
        if (j > i && a.kind === b.kind && a.pattern === b.pattern && a.owner !== b.owner) {
          conflicts.push({ kind: a.kind, rules: [i, j], claims: [], example: a.pattern, message: `${a.kind} rules ${i} and ${j} both match ${a.pattern}` });
        }
      }),
    );
    for (const agent of agents) {
      for (const c of check(agent.name, agent.declares, agents)) {
        if (c.other.side === "agent" && c.other.name < agent.name) continue;
        conflicts.push({
          kind: c.kind,
          rules: c.other.side === "rule" ? [c.other.index] : [],
          claims: [{ agent: agent.name, kind: c.kind, pattern: c.pattern }, ...(c.other.side === "agent" ? [{ agent: c.other.name, kind: c.kind, pattern: c.other.pattern }] : [])],
          example: c.example,
          message: c.message,
        });
      }
    }
    return { agents, rules, conflicts, leases: [] };
  };

  const drop = (agent: string, kind: RuleKind, pattern: string, toReads: boolean) => {
    const d = declared.get(agent);
    const list = CLAIM_LISTS.find(([, k]) => k === kind)?.[0];
    if (!d || !list) return;
    const before = structuredClone(d);
    d[list] = d[list].filter((p) => p !== pattern);
    if (toReads && !d.reads.includes(pattern)) d.reads.push(pattern);
    audit("declares.set", `agent:${agent}`, { agent, before, after: d });
  };

  const handlers: Record<string, (args: InvokeArgs) => unknown> = {
    ownership_map: () => map(),
    add_rule: (args) => {
      const stored = store(args.rule as Rule);
      rules.push(stored);
      audit("rule.add", `rule:${stored.id}`, { before: null, after: args.rule });
      return map();
    },
    update_rule: (args) => {
      const i = rules.findIndex((r) => r.id === args.id);
      if (i < 0) throw { code: "not_found", message: `no rule with id ${String(args.id)}`, field: null };
      audit("rule.update", `rule:${rules[i]!.id}`, { before: rules[i], after: args.rule });
      rules[i] = { ...rules[i]!, ...(args.rule as Rule), updated_at: now() };
      return map();
    },
    remove_rule: (args) => {
      const gone = rules.find((r) => r.id === args.id);
      if (!gone) throw { code: "not_found", message: `no rule with id ${String(args.id)}`, field: null };
      rules = rules.filter((r) => r !== gone);
      audit("rule.remove", `rule:${gone.id}`, { before: gone, after: null });
      return map();
    },
    check_rule: (args): DraftCheck => {
      const rule = args.rule as Rule;
      if (!rule.pattern.includes("://")) {
        return { problem: { field: "pattern", message: "column 1: expected `scheme://` (no `://` found)", column: 1 }, overlaps: [] };
      }
      if (!rule.owner.trim()) return { problem: { field: "owner", message: "the owner is empty", column: null }, overlaps: [] };
      const overlaps = rules
        .map((r, index) => ({ r, index }))
        .filter(({ r }) => r.id !== args.editing && r.kind === rule.kind && r.pattern === rule.pattern && r.owner !== rule.owner)
        .map(({ r, index }) => ({ index, example: r.pattern, message: `${rule.pattern} → ${rule.owner} would share ${r.pattern} with ${r.pattern} → ${r.owner}` }));
      return { problem: null, overlaps };
    },
    set_declaration: (args) => {
      const agent = agentNames().find((a) => a.id === args.agentId);
      if (!agent) throw { code: "not_found", message: "no such agent", field: null };
      const declares = args.declares as Declares | null;
      if (declares) declared.set(agent.name, structuredClone(declares));
      else declared.delete(agent.name);
      audit(declares ? "declares.set" : "declares.clear", `agent:${agent.id}`, { agent: agent.name, after: declares });
      return map();
    },
    predeploy_check: (args) => check(args.agent as string, args.declares as Declares, map().agents),
    resolve_conflict: (args) => {
      const dispute = args.dispute as Dispute;
      const resolution = args.resolution as Resolution;
      const other = dispute.other.side === "rule" ? dispute.other.owner : dispute.other.name;
      const summary: string[] = [];
      const rule = (owner: string, extra: Partial<Rule>) => {
        const existing = rules.find((r) => r.kind === dispute.kind && r.pattern === dispute.pattern);
        if (existing) Object.assign(existing, { owner, ...extra });
        else rules.push(store({ kind: dispute.kind, pattern: dispute.pattern, owner, ...extra }));
        audit(existing ? "rule.update" : "rule.add", "rule:?", { after: { owner, ...extra } });
        summary.push(`${dispute.kind} rule ${dispute.pattern} → ${owner}`);
      };
      if (resolution.action === "give_ownership") {
        const loser = resolution.owner === dispute.agent ? other : dispute.agent;
        rule(resolution.owner, {});
        drop(loser, dispute.kind, dispute.pattern, false);
      } else if (resolution.action === "make_reader") {
        const owner = resolution.reader === dispute.agent ? other : dispute.agent;
        rule(owner, { readers: [resolution.reader] });
        drop(resolution.reader, dispute.kind, dispute.pattern, true);
      } else {
        rule(resolution.order[0]!, { sequence: resolution.order.slice(1) });
      }
      return { summary, map: map() };
    },
    decision_log: (args) => log.filter((e) => !args.subjectPrefix || e.subject.startsWith(args.subjectPrefix as string)),
    verify_decisions: () => ({ status: "ok", entries: log.length }),
  };
  return handlers;
}
