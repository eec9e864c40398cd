import { describe, expect, it } from "vitest";

import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { TaskCard } from "../bindings/TaskCard";
import { at, card } from "../test/fixtures";
import {
  boardReducer,
  cardKey,
  COLUMNS,
  emptyBoard,
  filterColumns,
  findCard,
  FINISHED_KEPT,
  inDisplayOrder,
  totalCards,
  type BoardState,
} from "./board";

const ids = (list: readonly TaskCard[]) => list.map((c) => `${c.agent_id}:${c.task_id}`);

const ingested = (agentId: number, tasks: TaskCard[]): ChangeEvent => ({
  type: "ingested",
  agent_id: agentId,
  tasks,
  new_events: tasks.length,
  new_usage: 0,
  elsewhere: false,
});

function loaded(cards: TaskCard[]): BoardState {
  return boardReducer(emptyBoard, { type: "load", cards });
}

describe("boardReducer", () => {
  it("load groups cards by column, oldest state_since first", () => {
    const s = loaded([
      card(1, "a", "working", -1_000),
      card(1, "b", "working", -9_000),
      card(2, "c", "blocked", -5_000),
      card(2, "d", "working", -5_000),
      card(1, "e", "done", 0),
    ]);
    expect(s.loaded).toBe(true);
    expect(ids(s.columns.working)).toEqual(["1:b", "2:d", "1:a"]);
    expect(ids(s.columns.blocked)).toEqual(["2:c"]);
    expect(ids(s.columns.done)).toEqual(["1:e"]);
    expect(s.columns.queued).toEqual([]);
    expect(totalCards(s.columns)).toBe(5);
  });

  it("the same task id under two agents is two cards", () => {
    const s = loaded([card(1, "t1", "queued", 0), card(2, "t1", "queued", 0)]);
    expect(ids(s.columns.queued)).toEqual(["1:t1", "2:t1"]);
  });

  it("ingested moves a card between columns and keeps order", () => {
    const s0 = loaded([
      card(1, "a", "working", -30_000),
      card(1, "b", "working", -20_000),
      card(1, "c", "blocked", -50_000),
      card(1, "d", "blocked", -10_000),
    ]);
    const moved = card(1, "a", "blocked", -15_000, { updated_at: at(0) });
    const s1 = boardReducer(s0, { type: "change", event: ingested(1, [moved]) });
    expect(ids(s1.columns.working)).toEqual(["1:b"]);
    expect(ids(s1.columns.blocked)).toEqual(["1:c", "1:a", "1:d"]);
    expect(findCard(s1, cardKey(moved))).toBe(moved);
    expect(s1.size).toBe(4);
    // Untouched columns keep their arrays (cheap re-render); the old state is not mutated.
    expect(s1.columns.done).toBe(s0.columns.done);
    expect(ids(s0.columns.working)).toEqual(["1:a", "1:b"]);
  });

  it("ingested inserts new cards and updates in place", () => {
    const s0 = loaded([card(1, "a", "working", -30_000)]);
    const s1 = boardReducer(s0, {
      type: "change",
      event: ingested(1, [card(1, "new", "queued", -1_000), card(1, "a", "working", -30_000, { title: "Renamed", updated_at: at(5) })]),
    });
    expect(ids(s1.columns.queued)).toEqual(["1:new"]);
    expect(s1.size).toBe(2);
    expect(s1.columns.working.map((c) => c.title)).toEqual(["Renamed"]);
  });

  it("ignores a card older than the one held (a late, replayed event)", () => {
    const s0 = loaded([card(1, "a", "done", -1_000, { updated_at: at(10_000) })]);
    const stale = card(1, "a", "working", -60_000, { updated_at: at(0) });
    const s1 = boardReducer(s0, { type: "change", event: ingested(1, [stale]) });
    expect(s1).toBe(s0);
  });

  it("health and agents_changed leave the board alone", () => {
    const s0 = loaded([card(1, "a", "done", 0)]);
    expect(boardReducer(s0, { type: "change", event: { type: "agents_changed" } })).toBe(s0);
  });

  it("keeps thousands of cards sorted through many moves", () => {
    // Unfinished columns only: those keep every card (the finished ones keep the latest).
    const open = COLUMNS.slice(0, 4);
    const cards: TaskCard[] = [];
    for (let i = 0; i < 10_000; i += 1) cards.push(card(1 + (i % 5), `t${i}`, open[i % 4]!, -((i * 7919) % 100_000)));
    let s = loaded(cards);
    for (let i = 0; i < 500; i += 1) {
      const t = cards[(i * 31) % cards.length]!;
      s = boardReducer(s, {
        type: "change",
        event: ingested(t.agent_id, [{ ...t, column: open[(i + 2) % 4]!, state_since: at(i), updated_at: at(100_000 + i) }]),
      });
    }
    expect(totalCards(s.columns)).toBe(10_000);
    expect(s.size).toBe(10_000);
    const problems: string[] = [];
    for (const column of COLUMNS) {
      const list = s.columns[column];
      list.forEach((c, i) => {
        if (c.column !== column) problems.push(`${c.task_id} in ${column}`);
        if (i > 0 && Date.parse(list[i - 1]!.state_since) > Date.parse(c.state_since)) problems.push(`${c.task_id} out of order`);
      });
    }
    expect(problems).toEqual([]);
  });
});

describe("finished columns", () => {
  it("hold the latest FINISHED_KEPT cards, on load and as tasks finish, and drop the rest", () => {
    const done = Array.from({ length: FINISHED_KEPT + 20 }, (_, i) => card(1, `d${i}`, "done", i * 1_000));
    let s = loaded([...done, card(1, "w", "working", -99_000)]);
    expect(s.columns.done.length).toBe(FINISHED_KEPT);
    expect(s.columns.done[0]!.task_id).toBe("d20");
    expect(findCard(s, cardKey(done[0]!))).toBeUndefined();
    expect(s.size).toBe(FINISHED_KEPT + 1);
    // The working task finishes (the newest done): the oldest done card goes.
    const finished = { ...card(1, "w", "done", 10_000_000), updated_at: at(20_000_000) };
    s = boardReducer(s, { type: "change", event: ingested(1, [finished]) });
    expect(s.columns.done.length).toBe(FINISHED_KEPT);
    expect(s.columns.done[0]!.task_id).toBe("d21");
    expect(s.columns.done[FINISHED_KEPT - 1]!.task_id).toBe("w");
    expect(s.columns.working).toEqual([]);
    expect(s.size).toBe(FINISHED_KEPT);
    expect(findCard(s, cardKey(done[20]!))).toBeUndefined();
  });
});

describe("inDisplayOrder", () => {
  it("shows waiting work longest-waiting first and finished work latest first", () => {
    const s = loaded([
      card(1, "w-old", "working", 0),
      card(1, "w-new", "working", 5_000),
      card(1, "d-old", "done", 0),
      card(1, "d-new", "done", 5_000),
      card(1, "f-old", "failed", 0),
      card(1, "f-new", "failed", 5_000),
    ]);
    const shown = inDisplayOrder(s.columns);
    expect(ids(shown.working)).toEqual(["1:w-old", "1:w-new"]);
    expect(ids(shown.done)).toEqual(["1:d-new", "1:d-old"]);
    expect(ids(shown.failed)).toEqual(["1:f-new", "1:f-old"]);
    // The board's state is left as it was (the reducer's order is what it searches).
    expect(ids(s.columns.done)).toEqual(["1:d-old", "1:d-new"]);
  });
});

describe("filterColumns", () => {
  it("keeps one agent's cards, or all for null", () => {
    const s = loaded([card(1, "a", "working", 0), card(2, "b", "working", 1), card(2, "c", "done", 0)]);
    expect(filterColumns(s.columns, null)).toBe(s.columns);
    const only2 = filterColumns(s.columns, 2);
    expect(ids(only2.working)).toEqual(["2:b"]);
    expect(ids(only2.done)).toEqual(["2:c"]);
    expect(totalCards(filterColumns(s.columns, 3))).toBe(0);
  });
});
