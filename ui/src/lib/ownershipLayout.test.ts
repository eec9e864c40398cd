// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { OwnershipMap } from "../bindings/OwnershipMap";
import { findOnMap, FOLD_OVER, foldId, GROUP_LABEL, layoutOwnership, RESOURCE_X, ROW } from "./ownershipLayout";
import { buildOwnershipModel } from "./ownershipModel";

const rule = (id: number, pattern: string, owner: string) => ({
  id,
  kind: "data" as const,
  pattern,
  owner,
  created_at: "t",
  updated_at: "t",
});
const map = (rules: OwnershipMap["rules"]): OwnershipMap => ({ agents: [], rules, conflicts: [], leases: [], branch_edits: [] });

describe("ownership layout", () => {
  it("stacks resources under their group labels, agents beside them, both from the top", () => {
    const layout = layoutOwnership(
      buildOwnershipModel(map([rule(1, "crm://a/1", "A"), rule(2, "crm://a/2", "B"), rule(3, "x://y/1", "A")])),
    );
    expect(layout.actors.map((a) => [a.item.name, a.y])).toEqual([
      ["A", 0],
      ["B", ROW],
    ]);
    expect(layout.groups.map((g) => [g.item, g.y])).toEqual([
      ["crm://a", 0],
      ["x://y", GROUP_LABEL + 2 * ROW + 22],
    ]);
    expect(layout.resources.every((r) => r.x === RESOURCE_X)).toBe(true);
  });

  it("moves only what is below an added resource", () => {
    const before = layoutOwnership(buildOwnershipModel(map([rule(1, "crm://a/1", "A"), rule(3, "crm://a/3", "B")])));
    const after = layoutOwnership(
      buildOwnershipModel(map([rule(1, "crm://a/1", "A"), rule(2, "crm://a/2", "A"), rule(3, "crm://a/3", "B")])),
    );
    const y = (l: typeof before, pattern: string) => l.resources.find((r) => r.item.pattern === pattern)!.y;
    expect(y(after, "crm://a/1")).toBe(y(before, "crm://a/1"));
    expect(y(after, "crm://a/3")).toBe(y(before, "crm://a/3") + ROW);
    expect(after.actors.map((a) => a.y)).toEqual(before.actors.map((a) => a.y));
  });

  it("finds an agent or a resource by a part of its name, agents and exact names first", () => {
    const layout = layoutOwnership(
      buildOwnershipModel(map([rule(1, "crm://writer/1", "Writer"), rule(2, "crm://a/2", "Editor"), rule(3, "x://y/writer", "Writer 2")])),
    );
    const actorY = (name: string) => layout.actors.find((a) => a.item.name === name)!.y;
    expect(findOnMap(layout, "  WRITER ")).toMatchObject({ kind: "actor", y: actorY("Writer") });
    expect(findOnMap(layout, "writer 2")).toMatchObject({ kind: "actor", y: actorY("Writer 2") });
    expect(findOnMap(layout, "a/2")).toMatchObject({ kind: "resource", x: RESOURCE_X });
    expect(findOnMap(layout, "y/wri")?.id).toBe(layout.resources.find((r) => r.item.pattern === "x://y/writer")!.id);
    expect(findOnMap(layout, "nobody")).toBeNull();
    expect(findOnMap(layout, " ")).toBeNull();
  });

  it("folds a group of more than FOLD_OVER resources into one row until it is opened", () => {
    const many = Array.from({ length: FOLD_OVER + 1 }, (_, i) => rule(i + 1, `file:///site/${i}.md`, `A${i % 3}`));
    const model = buildOwnershipModel(map([...many, rule(900, "crm://a/1", "A0")]));
    const folded = layoutOwnership(model);
    expect(folded.folds.map((f) => [f.item.group, f.item.count])).toEqual([["file://", FOLD_OVER + 1]]);
    expect(folded.resources.map((r) => r.item.pattern)).toEqual(["crm://a/1"]);
    expect(folded.foldOf.get(model.resources.find((r) => r.pattern === "file:///site/7.md")!.id)).toBe(foldId("file://"));
    const opened = layoutOwnership(model, new Set(["file://"]));
    expect(opened.folds).toEqual([]);
    expect(opened.resources).toHaveLength(FOLD_OVER + 2);
    expect(opened.height).toBeGreaterThan(folded.height);
  });

  it("draws a scheme spread over many authorities as one group (slack://)", () => {
    const channels = Array.from({ length: 12 }, (_, i) => rule(i + 1, `slack://channel-${i}`, "A"));
    const model = buildOwnershipModel(map([...channels, rule(50, "crm://a/1", "A"), rule(51, "crm://b/1", "A")]));
    expect(model.groups.map((g) => [g.group, g.resources.length])).toEqual([
      ["crm://a", 1],
      ["crm://b", 1],
      ["slack://", 12],
    ]);
  });
});
