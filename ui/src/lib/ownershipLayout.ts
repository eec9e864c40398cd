// Where the ownership graph draws things: actors in a column on the left, resources on the
// right under a label per group (scheme and authority), both from the top. Pure, so it is tested and benchmarked
// without a browser.

import type { Actor, MapEdge, OwnershipModel, Resource } from "./ownershipModel";

export const ACTOR_X = 0;
export const RESOURCE_X = 400;
export const ROW = 46;
export const GROUP_GAP = 22;
export const GROUP_LABEL = 26;

export interface Placed<T> {
  id: string;
  x: number;
  y: number;
  item: T;
}

/** A group of more than this many resources is drawn folded (one row) until opened. */
export const FOLD_OVER = 40;

/** A folded group's row: how many resources it holds, and how many of them are in conflict. */
export interface Fold {
  group: string;
  count: number;
  conflicts: number;
}

export interface Layout {
  actors: Placed<Actor>[];
  resources: Placed<Resource>[];
  groups: Placed<string>[];
  /** Folded groups' rows (their resources are not placed). */
  folds: Placed<Fold>[];
  /** A folded resource's id → its fold's id: where its edges end. */
  foldOf: Map<string, string>;
  edges: MapEdge[];
  height: number;
}

/** The id of a folded group's row. */
export const foldId = (group: string) => `f:${group}`;

/**
 * Places the map: actors on the left, resources on the right under their group's label; a group
 * of more than FOLD_OVER resources is one row ("file:// — 240 resources") unless `open` names it.
 */
export function layoutOwnership(model: OwnershipModel, open: ReadonlySet<string> = new Set()): Layout {
  const actors = model.actors.map((actor, i) => ({ id: actor.id, x: ACTOR_X, y: i * ROW, item: actor }));
  const byId = new Map(model.resources.map((r) => [r.id, r]));
  const resources: Placed<Resource>[] = [];
  const groups: Placed<string>[] = [];
  const folds: Placed<Fold>[] = [];
  const foldOf = new Map<string, string>();
  let y = 0;
  for (const group of model.groups) {
    groups.push({ id: `g:${group.group}`, x: RESOURCE_X, y, item: group.group });
    y += GROUP_LABEL;
    if (group.resources.length > FOLD_OVER && !open.has(group.group)) {
      const id = foldId(group.group);
      const conflicts = group.resources.filter((r) => (byId.get(r)?.conflicts.length ?? 0) > 0).length;
      folds.push({ id, x: RESOURCE_X, y, item: { group: group.group, count: group.resources.length, conflicts } });
      for (const r of group.resources) foldOf.set(r, id);
      y += ROW + GROUP_GAP;
      continue;
    }
    for (const id of group.resources) {
      const resource = byId.get(id);
      if (!resource) continue;
      resources.push({ id, x: RESOURCE_X, y, item: resource });
      y += ROW;
    }
    y += GROUP_GAP;
  }
  // Both columns start at the top, so adding or removing a resource moves only the resources
  // below it (never the agents): an edit redraws few nodes and edges.
  const height = Math.max(y, actors.length * ROW);
  return { actors, resources, groups, folds, foldOf, edges: model.edges, height };
}

/**
 * The zoom the map never goes below: its smallest labels (11 px) stay readable. A map taller
 * than its panel is panned (the wheel scrolls it), not shrunk.
 */
export const READABLE_ZOOM = 1;

/**
 * The first agent or resource whose name or pattern holds `query` (case-insensitive; agents
 * first, an exact name before a partial one), with where it is drawn; null when none does.
 * Looks in the resources `layout` places: lay the map out with every group open to find
 * folded ones.
 */
export function findOnMap(layout: Layout, query: string): { id: string; x: number; y: number; kind: "actor" | "resource" } | null {
  const q = query.trim().toLowerCase();
  if (q === "") return null;
  const candidates = [
    ...layout.actors.map((a) => ({ id: a.id, x: a.x, y: a.y, kind: "actor" as const, text: a.item.name.toLowerCase() })),
    ...layout.resources.map((r) => ({ id: r.id, x: r.x, y: r.y, kind: "resource" as const, text: r.item.pattern.toLowerCase() })),
  ];
  const found = candidates.find((c) => c.text === q) ?? candidates.find((c) => c.text.includes(q));
  return found ? { id: found.id, x: found.x, y: found.y, kind: found.kind } : null;
}
