// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { OwnershipMap } from "../bindings/OwnershipMap";
import { actorAtPoint, dropPreview, SIDE_SLACK } from "./ownershipDrop";
import { ROW } from "./ownershipLayout";

// Agents as the layout places them: one a row, 32 px high, 14 px apart.
const boxes = ["Writer", "Editor", "Publisher"].map((name, i) => ({ id: `a:${name}`, x: 0, y: i * ROW, width: 150, height: 32 }));
const at = (x: number, y: number) => actorAtPoint(boxes, { x, y })?.id ?? null;

describe("actorAtPoint", () => {
  it("is the agent under the pointer", () => {
    expect(at(10, 16)).toBe("a:Writer");
    expect(at(140, ROW + 2)).toBe("a:Editor");
    expect(at(75, 2 * ROW + 31)).toBe("a:Publisher");
  });

  it("gives each agent its whole row: a drop in the gap lands on the nearer agent", () => {
    // Editor spans 46..78; the gap to Publisher is 78..92, split at 85.
    expect(at(75, ROW + 32 + 3)).toBe("a:Editor");
    expect(at(75, 2 * ROW - 3)).toBe("a:Publisher");
    // The gap above Editor: nearer Writer at first, then Editor.
    expect(at(75, 33)).toBe("a:Writer");
    expect(at(75, ROW - 2)).toBe("a:Editor");
  });

  it("is nobody far from every agent", () => {
    expect(at(75, -30)).toBeNull();
    expect(at(75, 3 * ROW + 20)).toBeNull();
    expect(at(-SIDE_SLACK - 1, 16)).toBeNull();
    expect(at(150 + SIDE_SLACK + 1, 16)).toBeNull();
    expect(at(150 + SIDE_SLACK - 1, 16)).toBe("a:Writer");
    expect(actorAtPoint([], { x: 0, y: 0 })).toBeNull();
  });

  it("keeps a tall box's own height as its target", () => {
    const tall = [{ id: "tall", x: 0, y: 0, width: 100, height: 80 }];
    expect(actorAtPoint(tall, { x: 50, y: 79 })?.id).toBe("tall");
    expect(actorAtPoint(tall, { x: 50, y: 81 })).toBeNull();
  });
});

const map = (): OwnershipMap => ({
  agents: [],
  leases: [], branch_edits: [],
  conflicts: [],
  rules: [
    {
      id: 7,
      kind: "data",
      pattern: "crm://contacts/*",
      owner: "Writer",
      readers: ["Editor", "Reviewer"],
      sequence: ["Editor"],
      created_at: "t",
      updated_at: "t",
    },
  ],
});

describe("dropPreview", () => {
  it("calls a drop with no rule yet a new rule", () => {
    expect(dropPreview(map(), { id: null, rule: { kind: "output", pattern: "slack://billing", owner: "Editor" } })).toEqual({
      title: "New rule",
      previousOwner: null,
      dropped: [],
    });
  });

  it("names the rule it changes, its owner today, and who no longer reads or follows", () => {
    const change = { id: 7, rule: { kind: "data" as const, pattern: "crm://contacts/*", owner: "Editor", readers: ["Reviewer"], sequence: [] } };
    expect(dropPreview(map(), change)).toEqual({ title: "Change rule 7", previousOwner: "Writer", dropped: ["Editor"] });
  });

  it("calls a rule that is gone meanwhile a new one", () => {
    expect(dropPreview(map(), { id: 99, rule: { kind: "data", pattern: "x://y", owner: "Editor" } }).title).toBe("New rule");
  });
});
