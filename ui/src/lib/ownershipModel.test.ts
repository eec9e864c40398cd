// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { OwnershipMap } from "../bindings/OwnershipMap";
import { cellLabel } from "../components/OwnershipMatrix";
import { buildOwnershipModel, groupOf, ruleForDrop } from "./ownershipModel";

const none = { triggers: [], reads: [], writes: [], outputs: [] };
const stored = (id: number, rule: Omit<OwnershipMap["rules"][number], "id" | "created_at" | "updated_at">) => ({
  id,
  created_at: "2026-11-21T00:00:00Z",
  updated_at: "2026-11-21T00:00:00Z",
  ...rule,
});

const MAP: OwnershipMap = {
  leases: [], branch_edits: [],
  agents: [
    { id: 1, name: "Writer", declares: { ...none, writes: ["crm://contacts/*#status"] }, source: "user", agent_declares: null },
    { id: 2, name: "Researcher", declares: { ...none, writes: ["crm://contacts/*#status"], reads: ["crm://contacts/**"] }, source: "agent", agent_declares: null },
    { id: 3, name: "Idle", declares: none, source: null, agent_declares: null },
  ],
  rules: [
    stored(10, { kind: "output", pattern: "file:///drafts/**", owner: "Writer", sequence: ["Editor"] }),
    stored(11, { kind: "data", pattern: "crm://deals/*#stage", owner: "Researcher", readers: ["Writer"] }),
    stored(12, { kind: "exception", pattern: "crm://contacts/**", owner: "Ana (ops)", sla_seconds: 3600 }),
  ],
  conflicts: [
    {
      kind: "data",
      rules: [],
      claims: [
        { agent: "Researcher", kind: "data", pattern: "crm://contacts/*#status" },
        { agent: "Writer", kind: "data", pattern: "crm://contacts/*#status" },
      ],
      example: "crm://contacts/x#status",
      message: "Researcher and Writer both declare writes to crm://contacts/x#status",
    },
  ],
};

describe("ownership model", () => {
  it("groups resources by scheme and authority", () => {
    expect(groupOf("crm://contacts/*#status")).toBe("crm://contacts");
    expect(groupOf("file:///drafts/a.md")).toBe("file://");
    expect(groupOf("slack://billing#x")).toBe("slack://billing");
    expect(groupOf("junk")).toBe("junk");
  });

  it("draws rules, readers, sequences and declarations, with conflicts on the right edges", () => {
    const model = buildOwnershipModel(MAP);
    expect(model.actors.map((a) => `${a.name}:${a.kind}`)).toEqual([
      "Idle:agent",
      "Researcher:agent",
      "Writer:agent",
      "Editor:unknown",
      "Ana (ops):person",
    ]);
    expect(model.groups.map((g) => g.group)).toEqual(["crm://contacts", "crm://deals", "file://"]);
    const roles = model.edges.map((e) => `${e.actor} ${e.origin} ${e.role} ${e.pattern}`).sort();
    expect(roles).toEqual([
      "Ana (ops) owner exception crm://contacts/**",
      "Editor sequence output file:///drafts/**",
      "Researcher declared read crm://contacts/**",
      "Researcher declared write crm://contacts/*#status",
      "Researcher owner write crm://deals/*#stage",
      "Writer declared write crm://contacts/*#status",
      "Writer owner output file:///drafts/**",
      "Writer reader read crm://deals/*#stage",
    ]);
    const red = model.edges.filter((e) => e.conflicts.length > 0).map((e) => e.actor).sort();
    expect(red).toEqual(["Researcher", "Writer"]);
    const field = model.resources.find((r) => r.pattern === "crm://contacts/*#status")!;
    expect(field.conflicts).toHaveLength(2);
    expect(model.actors.find((a) => a.name === "Writer")!.conflicts).toBe(1);
  });

  it("draws each live branch's edit of a repository's file as its own edge, named by its branch", () => {
    const file = "repo://github.com/ana/shop/src/app.rs";
    const edit = (agent: string, branch: string) => ({
      agent_id: branch === "feature-a" ? 7 : 8,
      agent,
      branch,
      resource: file,
      last_write_at: "2026-11-23T12:04:00Z",
    });
    const model = buildOwnershipModel({
      ...MAP,
      branch_edits: [edit("feature-a·4f1c2a9e", "feature-a"), edit("feature-b·9b0e11d2", "feature-b")],
    });
    const edges = model.edges.filter((e) => e.origin === "branch");
    expect(edges.map((e) => [e.actor, e.branch?.name])).toEqual([
      ["feature-a·4f1c2a9e", "feature-a"],
      ["feature-b·9b0e11d2", "feature-b"],
    ]);
    expect(new Set(edges.map((e) => e.target)).size).toBe(1);
    expect(model.resources.find((r) => r.pattern === file)?.group).toBe("repo://github.com");
    expect(cellLabel(edges.slice(0, 1))).toBe("⑂feature-a");
  });

  it("draws a coding session's lease as its edge to the file, with the lease's times", () => {
    const model = buildOwnershipModel({
      ...MAP,
      leases: [
        {
          holder_id: 7,
          holder: "shop·4f1c2a9e",
          resource: "file:///home/ana/shop/src/app.rs",
          branch: null,
          since: "2026-11-23T12:00:00Z",
          last_write_at: "2026-11-23T12:04:00Z",
        },
      ],
    });
    const held = model.edges.filter((e) => e.origin === "lease");
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({
      actor: "shop·4f1c2a9e",
      pattern: "file:///home/ana/shop/src/app.rs",
      role: "write",
      lease: { since: "2026-11-23T12:00:00Z", lastWrite: "2026-11-23T12:04:00Z", branch: null },
    });
    expect(model.resources.find((r) => r.pattern === "file:///home/ana/shop/src/app.rs")?.group).toBe("file://");
    expect(cellLabel(held)).toBe("L");
  });

  it("draws each branch's lease of one repository file as its own edge, naming the branch", () => {
    const file = "repo://github.com/acme/shop/src/app.rs";
    const lease = (holder_id: number, holder: string, branch: string) => ({
      holder_id,
      holder,
      resource: file,
      branch,
      since: "2026-11-23T12:00:00Z",
      last_write_at: "2026-11-23T12:04:00Z",
    });
    const model = buildOwnershipModel({
      ...MAP,
      leases: [lease(7, "shop·aaaa1111", "main"), lease(8, "shop-wt·bbbb2222", "feature")],
    });
    const held = model.edges.filter((e) => e.origin === "lease");
    expect(held.map((e) => [e.actor, e.lease?.branch])).toEqual([
      ["shop·aaaa1111", "main"],
      ["shop-wt·bbbb2222", "feature"],
    ]);
    expect(model.resources.filter((r) => r.pattern === file)).toHaveLength(1);
  });

  it("turns a drop into the rule to change or create", () => {
    expect(ruleForDrop(MAP, "crm://deals/*#stage", "Writer")).toEqual({
      id: 11,
      rule: { kind: "data", pattern: "crm://deals/*#stage", owner: "Writer", readers: [], sequence: [] },
    });
    expect(ruleForDrop(MAP, "crm://deals/*#stage", "researcher")).toBeNull();
    expect(ruleForDrop(MAP, "crm://contacts/*#status", "Writer")).toEqual({
      id: null,
      rule: { kind: "data", pattern: "crm://contacts/*#status", owner: "Writer" },
    });
    const twice: OwnershipMap = {
      ...MAP,
      rules: [...MAP.rules, stored(13, { kind: "trigger", pattern: "crm://deals/*#stage", owner: "Idle" })],
    };
    expect(ruleForDrop(twice, "crm://deals/*#stage", "Writer")).toEqual({ ambiguous: [11, 13] });
  });
});
