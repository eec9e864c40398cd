// The ownership map as a graph model, shared by the graph and the matrix: actors (agents, the
// people named by exception rules, and owners Baton does not know), resources (every pattern a
// rule or a declaration names, grouped by scheme and authority), and the edges between them,
// each marked with the conflicts it takes part in. Pure: no React, no backend.

import type { Declares } from "../bindings/Declares";
import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Rule } from "../bindings/Rule";
import type { RuleKind } from "../bindings/RuleKind";
import { nameKey, sameName } from "./names";

/** What an edge means: the kind of rule (or declaration) it comes from. */
export type Role = "trigger" | "write" | "read" | "output" | "exception";

/**
 * Where an edge comes from: a rule's owner, a rule's reader or follower, a declaration, a
 * coding session's lease on a file it is writing, or a live session's edit of a repository's
 * file on its branch.
 */
export type Origin = "owner" | "reader" | "sequence" | "declared" | "lease" | "branch";

export type ActorKind = "agent" | "person" | "unknown";

export interface Actor {
  id: string;
  name: string;
  kind: ActorKind;
  /** Baton's id, for agents. */
  agentId: number | null;
  /** How many conflicts involve this actor. */
  conflicts: number;
}

export interface Resource {
  id: string;
  pattern: string;
  /** `scheme://authority`, the group it is drawn in. */
  group: string;
  /** Ids of the rules about it. */
  rules: number[];
  conflicts: string[];
}

export interface MapEdge {
  id: string;
  source: string;
  target: string;
  actor: string;
  pattern: string;
  role: Role;
  origin: Origin;
  /** The id of the rule the edge comes from (not for declarations). */
  ruleId: number | null;
  /** The reasons of every conflict the edge takes part in (empty: none). */
  conflicts: string[];
  /**
   * A lease's times (RFC 3339): since when it is held, and the holder's last write; the branch
   * it is kept for (a repository's file has a lease per branch; null: one for every branch).
   */
  lease?: { since: string; lastWrite: string; branch: string | null };
  /** A branch edge's branch, and the session's last write of the file (RFC 3339). */
  branch?: { name: string; lastWrite: string };
}

export interface OwnershipModel {
  actors: Actor[];
  resources: Resource[];
  edges: MapEdge[];
  /** Resource groups in drawing order, each with its resources' ids. */
  groups: { group: string; resources: string[] }[];
}

export const ROLE_OF_KIND: Record<RuleKind, Role> = {
  trigger: "trigger",
  data: "write",
  output: "output",
  exception: "exception",
};

const DECLARED_ROLES: [keyof Declares, Role][] = [
  ["triggers", "trigger"],
  ["reads", "read"],
  ["writes", "write"],
  ["outputs", "output"],
];

export const actorId = (name: string) => `a:${nameKey(name)}`;
export const resourceId = (pattern: string) => `r:${pattern}`;

/** `crm://contacts/*#status` → `crm://contacts`; `file:///drafts/a.md` → `file://`. */
export function groupOf(pattern: string): string {
  const sep = pattern.indexOf("://");
  if (sep < 0) return pattern;
  const rest = pattern.slice(sep + 3);
  const end = rest.search(/[/#]/);
  return `${pattern.slice(0, sep)}://${end < 0 ? rest : rest.slice(0, end)}`;
}

/** A scheme with more groups (authorities) than this is drawn as one group. */
export const MAX_AUTHORITY_GROUPS = 8;

/** `slack://general` → `slack://`; a group with no scheme → null. */
function schemeOf(group: string): string | null {
  const sep = group.indexOf("://");
  return sep < 0 ? null : group.slice(0, sep + 3);
}

const edgeKey = (actor: string, pattern: string, role: Role, origin: Origin) =>
  `${actorId(actor)}|${pattern}|${role}|${origin}`;

export function buildOwnershipModel(map: OwnershipMap): OwnershipModel {
  const actors = new Map<string, Actor>();
  const resources = new Map<string, Resource>();
  const edges = new Map<string, MapEdge>();

  for (const agent of map.agents) {
    actors.set(actorId(agent.name), {
      id: actorId(agent.name),
      name: agent.name,
      kind: "agent",
      agentId: agent.id,
      conflicts: 0,
    });
  }
  const actor = (name: string, kind: ActorKind): string => {
    const id = actorId(name);
    if (!actors.has(id)) actors.set(id, { id, name, kind, agentId: null, conflicts: 0 });
    return id;
  };
  const resource = (pattern: string): Resource => {
    const id = resourceId(pattern);
    let found = resources.get(id);
    if (!found) {
      found = { id, pattern, group: groupOf(pattern), rules: [], conflicts: [] };
      resources.set(id, found);
    }
    return found;
  };
  const edge = (name: string, pattern: string, role: Role, origin: Origin, ruleId: number | null) => {
    const key = edgeKey(name, pattern, role, origin);
    if (edges.has(key)) return;
    const kind: ActorKind = role === "exception" ? "person" : "unknown";
    edges.set(key, {
      id: `e:${key}`,
      source: actor(name, kind),
      target: resource(pattern).id,
      actor: name,
      pattern,
      role,
      origin,
      ruleId,
      conflicts: [],
    });
  };

  for (const rule of map.rules) {
    const role = ROLE_OF_KIND[rule.kind];
    resource(rule.pattern).rules.push(rule.id);
    edge(rule.owner, rule.pattern, role, "owner", rule.id);
    for (const reader of rule.readers ?? []) edge(reader, rule.pattern, "read", "reader", rule.id);
    for (const next of rule.sequence ?? []) edge(next, rule.pattern, role, "sequence", rule.id);
  }
  for (const lease of map.leases) {
    edge(lease.holder, lease.resource, "write", "lease", null);
    const held = edges.get(edgeKey(lease.holder, lease.resource, "write", "lease"));
    if (held) held.lease = { since: lease.since, lastWrite: lease.last_write_at, branch: lease.branch };
  }
  for (const edit of map.branch_edits) {
    edge(edit.agent, edit.resource, "write", "branch", null);
    const made = edges.get(edgeKey(edit.agent, edit.resource, "write", "branch"));
    if (made) made.branch = { name: edit.branch, lastWrite: edit.last_write_at };
  }
  for (const agent of map.agents) {
    if (!agent.source) continue;
    for (const [list, role] of DECLARED_ROLES) {
      for (const pattern of agent.declares[list]) edge(agent.name, pattern, role, "declared", null);
    }
  }

  for (const conflict of map.conflicts) {
    const involved = new Set<string>();
    for (const index of conflict.rules) {
      const rule = map.rules[index];
      if (!rule) continue;
      const owner = edges.get(edgeKey(rule.owner, rule.pattern, ROLE_OF_KIND[rule.kind], "owner"));
      owner?.conflicts.push(conflict.message);
      resource(rule.pattern).conflicts.push(conflict.message);
      involved.add(actorId(rule.owner));
    }
    for (const claim of conflict.claims) {
      const declared = edges.get(edgeKey(claim.agent, claim.pattern, ROLE_OF_KIND[claim.kind], "declared"));
      declared?.conflicts.push(conflict.message);
      resource(claim.pattern).conflicts.push(conflict.message);
      involved.add(actorId(claim.agent));
    }
    for (const id of involved) {
      const found = actors.get(id);
      if (found) found.conflicts += 1;
    }
  }

  const kindOrder: Record<ActorKind, number> = { agent: 0, unknown: 1, person: 2 };
  const sortedActors = [...actors.values()].sort(
    (a, b) => kindOrder[a.kind] - kindOrder[b.kind] || a.name.localeCompare(b.name),
  );
  // A scheme whose resources span many authorities (a channel each) is one group, so it can
  // fold as one: `slack://`.
  const authorities = new Map<string, Set<string>>();
  for (const r of resources.values()) {
    const scheme = schemeOf(r.group);
    if (scheme) authorities.set(scheme, (authorities.get(scheme) ?? new Set()).add(r.group));
  }
  for (const r of resources.values()) {
    const scheme = schemeOf(r.group);
    if (scheme && (authorities.get(scheme)?.size ?? 0) > MAX_AUTHORITY_GROUPS) r.group = scheme;
  }
  const sortedResources = [...resources.values()].sort(
    (a, b) => a.group.localeCompare(b.group) || a.pattern.localeCompare(b.pattern),
  );
  const groups: OwnershipModel["groups"] = [];
  for (const r of sortedResources) {
    const last = groups.at(-1);
    if (last && last.group === r.group) last.resources.push(r.id);
    else groups.push({ group: r.group, resources: [r.id] });
  }
  return { actors: sortedActors, resources: sortedResources, edges: [...edges.values()], groups };
}

/** The rule a drop of `pattern` onto `owner` would change or create (null: nothing to do). */
export function ruleForDrop(
  map: OwnershipMap,
  pattern: string,
  owner: string,
): { id: number | null; rule: Rule } | { ambiguous: number[] } | null {
  const rules = map.rules.filter((r) => r.pattern === pattern && r.kind !== "exception");
  if (rules.length > 1) return { ambiguous: rules.map((r) => r.id) };
  const [existing] = rules;
  if (existing) {
    if (sameName(existing.owner, owner)) return null;
    const { id, created_at: _c, updated_at: _u, ...rule } = existing;
    return {
      id,
      rule: {
        ...rule,
        owner,
        readers: (rule.readers ?? []).filter((r) => !sameName(r, owner)),
        sequence: (rule.sequence ?? []).filter((r) => !sameName(r, owner)),
      },
    };
  }
  // No rule yet: the kind comes from what the agents declare about the pattern.
  let kind: RuleKind = "data";
  for (const agent of map.agents) {
    if (agent.declares.triggers.includes(pattern)) kind = "trigger";
    else if (agent.declares.outputs.includes(pattern)) kind = "output";
    else continue;
    break;
  }
  return { id: null, rule: { kind, pattern, owner } };
}
