// `npm run bench` (part of `make bench`): the board's state work for a 10,000-task fleet.
// Figures go to docs/performance.md; nothing here asserts a time.
import { bench, describe } from "vitest";

import type { BoardColumn } from "../bindings/BoardColumn";
import type { TaskCard } from "../bindings/TaskCard";
import { card } from "../test/fixtures";
import { boardReducer, COLUMNS, emptyBoard, filterColumns } from "./board";

const AGENTS = 50;
const TASKS = 10_000;

function fleet(): TaskCard[] {
  const cards: TaskCard[] = [];
  for (let i = 0; i < TASKS; i += 1) {
    const column = COLUMNS[i % COLUMNS.length] as BoardColumn;
    cards.push(card(i % AGENTS, `t-${i}`, column, i * 1000));
  }
  return cards;
}

const cards = fleet();
const loaded = boardReducer(emptyBoard, { type: "load", cards });

/** One poll of one agent: 20 of its cards moved one column to the right. */
function ingest(agentId: number, round: number): TaskCard[] {
  return cards
    .filter((c) => c.agent_id === agentId)
    .slice(0, 20)
    .map((c) => {
      const next = COLUMNS[(COLUMNS.indexOf(c.column) + 1 + round) % COLUMNS.length] as BoardColumn;
      return { ...c, column: next, updated_at: new Date(Date.parse(c.updated_at) + 1e6 * (round + 1)).toISOString() };
    });
}

describe("board state, 10,000 tasks over 50 agents", () => {
  bench("load 10,000 cards into six sorted columns", () => {
    boardReducer(emptyBoard, { type: "load", cards });
  });

  let round = 0;
  bench("apply one agent's poll (20 cards change column)", () => {
    const tasks = ingest(round % AGENTS, round);
    round += 1;
    boardReducer(loaded, {
      type: "change",
      event: { type: "ingested", agent_id: 0, tasks, new_events: 20, new_usage: 0, elsewhere: false },
    });
  });

  bench("filter the board to one agent", () => {
    filterColumns(loaded.columns, 7);
  });
});
