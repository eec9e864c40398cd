// Board state: every known task card, grouped into the six columns, each column sorted by how
// long the card has been in its state (oldest first). Built from list_tasks, then kept current
// from "ingested" change events that carry the changed cards.

import type { BoardColumn } from "../bindings/BoardColumn";
import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { TaskCard } from "../bindings/TaskCard";
import { parseTime } from "./time";

export const COLUMNS: readonly BoardColumn[] = [
  "queued",
  "working",
  "needs_human",
  "blocked",
  "done",
  "failed",
];

export const COLUMN_LABEL: Record<BoardColumn, string> = {
  queued: "Queued",
  working: "Working",
  needs_human: "Needs human",
  blocked: "Blocked",
  done: "Done",
  failed: "Failed",
};

export type Columns = Readonly<Record<BoardColumn, readonly TaskCard[]>>;

/**
 * Most cards each finished column (Done, Failed) holds: the latest ones, as the backend sends
 * them (`FINISHED_CARDS_KEPT` in baton-core's views.rs). Unfinished tasks are always all kept.
 * A board left open for days does not grow without end.
 */
export const FINISHED_KEPT = 500;
const FINISHED: readonly BoardColumn[] = ["done", "failed"];

/**
 * Cards by cardKey, spread over fixed buckets so an update copies one small bucket instead of a
 * map of every card (states are never mutated; React may run a reducer twice).
 */
const BUCKETS = 64;

function bucketOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i += 1) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return (h >>> 0) % BUCKETS;
}

export interface BoardState {
  /** Cards by cardKey, bucketed (see findCard). */
  readonly buckets: readonly ReadonlyMap<string, TaskCard>[];
  /** Number of cards. */
  readonly size: number;
  /** Each column sorted by state_since, oldest first. A column's array is replaced only when it changes. */
  readonly columns: Columns;
  /** False until the first load. */
  readonly loaded: boolean;
}

export type BoardAction =
  | { type: "load"; cards: readonly TaskCard[] }
  | { type: "change"; event: ChangeEvent };

/** A card's identity: task ids are unique per agent. */
export function cardKey(card: { agent_id: number; task_id: string }): string {
  return `${card.agent_id}\u0000${card.task_id}`;
}

function emptyColumns(): Record<BoardColumn, TaskCard[]> {
  return { queued: [], working: [], needs_human: [], blocked: [], done: [], failed: [] };
}

function emptyBuckets(): Map<string, TaskCard>[] {
  return Array.from({ length: BUCKETS }, () => new Map<string, TaskCard>());
}

/** The card with this cardKey, if the board has it. */
export function findCard(state: BoardState, key: string): TaskCard | undefined {
  return state.buckets[bucketOf(key)]?.get(key);
}

export const emptyBoard: BoardState = {
  buckets: emptyBuckets(),
  size: 0,
  columns: emptyColumns(),
  loaded: false,
};

const sinceCache = new WeakMap<TaskCard, number>();

function sinceMs(card: TaskCard): number {
  let t = sinceCache.get(card);
  if (t === undefined) {
    t = parseTime(card.state_since);
    if (Number.isNaN(t)) t = Number.POSITIVE_INFINITY;
    sinceCache.set(card, t);
  }
  return t;
}

/** Column order: oldest state_since first; ties by agent, then task id, so the order is total. */
export function compareCards(a: TaskCard, b: TaskCard): number {
  const d = sinceMs(a) - sinceMs(b);
  if (d !== 0 && !Number.isNaN(d)) return d < 0 ? -1 : 1;
  if (a.agent_id !== b.agent_id) return a.agent_id - b.agent_id;
  return a.task_id < b.task_id ? -1 : a.task_id > b.task_id ? 1 : 0;
}

/** First index whose card sorts at or after `card`. */
function lowerBound(list: readonly TaskCard[], card: TaskCard): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCards(list[mid]!, card) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOfCard(list: readonly TaskCard[], card: TaskCard): number {
  const key = cardKey(card);
  const i = lowerBound(list, card);
  if (i < list.length && cardKey(list[i]!) === key) return i;
  // Fall back to a scan (only reached if the list was not sorted as expected).
  return list.findIndex((c) => cardKey(c) === key);
}

function newer(incoming: TaskCard, existing: TaskCard): boolean {
  const a = parseTime(incoming.updated_at);
  const b = parseTime(existing.updated_at);
  if (Number.isNaN(a) || Number.isNaN(b)) return true;
  return a >= b;
}

/**
 * Drops the oldest cards of the finished columns past FINISHED_KEPT (from `columns`, sorted
 * oldest first, and from their buckets). Returns how many were dropped.
 */
function trimFinished(
  columns: Partial<Record<BoardColumn, TaskCard[]>>,
  bucketFor: (b: number) => Map<string, TaskCard>,
): number {
  let dropped = 0;
  for (const column of FINISHED) {
    const list = columns[column];
    if (!list || list.length <= FINISHED_KEPT) continue;
    for (const card of list.splice(0, list.length - FINISHED_KEPT)) {
      const key = cardKey(card);
      bucketFor(bucketOf(key)).delete(key);
      dropped += 1;
    }
  }
  return dropped;
}

function load(cards: readonly TaskCard[]): BoardState {
  const buckets = emptyBuckets();
  let size = 0;
  for (const card of cards) {
    const key = cardKey(card);
    const bucket = buckets[bucketOf(key)]!;
    const existing = bucket.get(key);
    if (!existing) size += 1;
    if (!existing || newer(card, existing)) bucket.set(key, card);
  }
  const columns = emptyColumns();
  for (const bucket of buckets) for (const card of bucket.values()) columns[card.column].push(card);
  for (const column of COLUMNS) columns[column].sort(compareCards);
  size -= trimFinished(columns, (b) => buckets[b]!);
  return { buckets, size, columns, loaded: true };
}

/** Upserts changed cards. A card older (by updated_at) than the one held is ignored. */
export function upsertCards(state: BoardState, cards: readonly TaskCard[]): BoardState {
  if (cards.length === 0) return state;
  let buckets: ReadonlyMap<string, TaskCard>[] | null = null;
  const copied = new Set<number>();
  let size = state.size;
  const columns: Partial<Record<BoardColumn, TaskCard[]>> = {};
  const writable = (column: BoardColumn): TaskCard[] => {
    let list = columns[column];
    if (!list) {
      list = state.columns[column].slice();
      columns[column] = list;
    }
    return list;
  };

  for (const card of cards) {
    const key = cardKey(card);
    const b = bucketOf(key);
    const existing = (buckets ?? state.buckets)[b]!.get(key);
    if (existing && !newer(card, existing)) continue;
    if (!buckets) buckets = state.buckets.slice();
    if (!copied.has(b)) {
      buckets[b] = new Map(buckets[b]!);
      copied.add(b);
    }
    if (existing) {
      const from = writable(existing.column);
      const i = indexOfCard(from, existing);
      if (i >= 0) from.splice(i, 1);
    }
    const to = writable(card.column);
    to.splice(lowerBound(to, card), 0, card);
    (buckets[b] as Map<string, TaskCard>).set(key, card);
    if (!existing) size += 1;
  }
  if (!buckets) return state;
  const held = buckets;
  size -= trimFinished(columns, (b) => {
    if (!copied.has(b)) {
      held[b] = new Map(held[b]!);
      copied.add(b);
    }
    return held[b] as Map<string, TaskCard>;
  });
  return { buckets, size, columns: { ...state.columns, ...columns }, loaded: state.loaded };
}

export function boardReducer(state: BoardState, action: BoardAction): BoardState {
  switch (action.type) {
    case "load":
      return load(action.cards);
    case "change":
      return action.event.type === "ingested" ? upsertCards(state, action.event.tasks) : state;
  }
}

/** The columns showing only one agent's cards (or all, for null). Keeps column order. */
export function filterColumns(columns: Columns, agentId: number | null): Columns {
  if (agentId === null) return columns;
  const out = emptyColumns();
  for (const column of COLUMNS) {
    out[column] = columns[column].filter((c) => c.agent_id === agentId);
  }
  return out;
}

/**
 * The columns as the board shows them: waiting work oldest first (what has waited longest is on
 * top), finished work newest first (what just finished is on top).
 */
export function inDisplayOrder(columns: Columns): Columns {
  const out: Record<BoardColumn, readonly TaskCard[]> = { ...columns };
  for (const column of FINISHED) out[column] = [...columns[column]].reverse();
  return out;
}

export function totalCards(columns: Columns): number {
  let n = 0;
  for (const column of COLUMNS) n += columns[column].length;
  return n;
}
