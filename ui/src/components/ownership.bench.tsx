// `npm run bench` (part of `make bench`): the ownership map of 50 agents and 500 rules (plus
// 12 declarations per agent and 300 conflicts): building the graph model and its layout after an
// edit, and rendering the (virtualised) matrix in jsdom, which is slower than WebKit: an upper
// bound. The graph's render in the real app is measured by tests/tests/integration/map_bench.rs. Figures go
// to docs/performance.md.
import { render } from "@testing-library/react";
import { bench, describe } from "vitest";

import type { MapConflict } from "../bindings/MapConflict";
import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { RuleKind } from "../bindings/RuleKind";
import { layoutOwnership } from "../lib/ownershipLayout";
import { buildOwnershipModel } from "../lib/ownershipModel";
import "../test/setup";
import { OwnershipMatrix } from "./OwnershipMatrix";

const AGENTS = 50;
const RULES = 500;
const KINDS: RuleKind[] = ["trigger", "data", "output", "exception"];
const AREAS = ["contacts", "deals", "accounts", "tickets", "invoices"];

const agent = (i: number) => `agent-${String(i).padStart(2, "0")}`;
const pattern = (kind: RuleKind, i: number) =>
  kind === "trigger"
    ? `mail://inbox/${AREAS[i % 5]}-${i % 40}`
    : kind === "output"
      ? `file:///reports/${AREAS[i % 5]}/${i % 60}.md`
      : `crm://${AREAS[i % 5]}/*#field-${i % 80}`;

function bigMap(edit: number): OwnershipMap {
  const none = { triggers: [], reads: [], writes: [], outputs: [] };
  const rules = Array.from({ length: RULES }, (_, i) => {
    const kind = KINDS[i % 4]!;
    return {
      id: i + 1,
      kind,
      pattern: pattern(kind, i),
      owner: kind === "exception" ? `person ${i % 5}` : agent((i * 7 + (i === edit % RULES ? 1 : 0)) % AGENTS),
      readers: kind === "data" ? [agent((i + 3) % AGENTS)] : [],
      created_at: "2026-11-21T00:00:00Z",
      updated_at: "2026-11-21T00:00:00Z",
    };
  });
  const agents = Array.from({ length: AGENTS }, (_, i) => ({
    id: i + 1,
    name: agent(i),
    declares: {
      ...none,
      triggers: [pattern("trigger", i), pattern("trigger", i + 1)],
      reads: [`crm://${AREAS[i % 5]}/**`],
      writes: Array.from({ length: 6 }, (_, j) => pattern("data", i * 3 + j)),
      outputs: [pattern("output", i), pattern("output", i + 2)],
    },
    source: "agent" as const,
    agent_declares: null,
  }));
  const conflicts: MapConflict[] = Array.from({ length: 300 }, (_, i) => ({
    kind: "data",
    rules: [i % RULES],
    claims: [{ agent: agent(i % AGENTS), kind: "data", pattern: pattern("data", i) }],
    example: `crm://${AREAS[i % 5]}/x#field-${i % 80}`,
    message: `${agent(i % AGENTS)} declares writes to ${pattern("data", i)}, but rule ${i % RULES} gives it to someone else`,
  }));
  return { agents, rules, conflicts, leases: [], branch_edits: [] };
}

const maps = Array.from({ length: 8 }, (_, i) => bigMap(i * 37));
let round = 0;
const next = () => maps[round++ % maps.length]!;

describe(`ownership map: ${AGENTS} agents, ${RULES} rules, ${AGENTS * 12} declarations`, () => {
  bench("model + layout after an edit", () => {
    layoutOwnership(buildOwnershipModel(next()));
  });

  bench(
    "render the matrix after an edit, jsdom",
    () => {
      const model = buildOwnershipModel(next());
      const view = render(<OwnershipMatrix model={model} selection={null} onSelect={() => {}} />);
      view.unmount();
    },
    { iterations: 20, warmupIterations: 2 },
  );
});
