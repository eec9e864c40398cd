// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { MapConflict } from "../bindings/MapConflict";
import type { StoredRule } from "../bindings/StoredRule";
import { disputeOf, mapChoicesFor as choicesFor } from "./resolutions";

const rule: StoredRule = {
  id: 5,
  kind: "data",
  pattern: "crm://contacts/*#status",
  owner: "Researcher",
  created_at: "",
  updated_at: "",
};

describe("resolutions", () => {
  it("offers readers only for data, and the other side's reading only against an agent", () => {
    const between: MapConflict = {
      kind: "data",
      rules: [],
      claims: [
        { agent: "Researcher", kind: "data", pattern: "crm://contacts/*#status" },
        { agent: "Writer", kind: "data", pattern: "crm://contacts/42#*" },
      ],
      example: "crm://contacts/42#status",
      message: "",
    };
    const dispute = disputeOf(between, [])!;
    expect(dispute).toEqual({
      agent: "Researcher",
      kind: "data",
      pattern: "crm://contacts/*#status",
      other: { side: "agent", name: "Writer", pattern: "crm://contacts/42#*" },
    });
    expect(choicesFor(dispute).map((c) => c.label)).toEqual([
      "Give it to Researcher",
      "Give it to Writer",
      "Researcher only reads it",
      "Writer only reads it",
      "Both: Writer first, then Researcher",
    ]);
    expect(choicesFor({ ...dispute, kind: "output" }).map((c) => c.id)).toEqual(["give_new", "keep_other", "sequence"]);
  });

  it("builds the dispute against a rule, and none for two rules", () => {
    const against: MapConflict = {
      kind: "data",
      rules: [0],
      claims: [{ agent: "Writer", kind: "data", pattern: "crm://contacts/1#status" }],
      example: "crm://contacts/1#status",
      message: "",
    };
    const dispute = disputeOf(against, [rule])!;
    expect(dispute.other).toEqual({ side: "rule", index: 0, pattern: rule.pattern, owner: "Researcher" });
    expect(choicesFor(dispute).find((c) => c.id === "sequence")!.resolution).toEqual({
      action: "accept_sequence",
      order: ["Researcher", "Writer"],
    });
    expect(disputeOf({ ...against, claims: [], rules: [0, 1] }, [rule, rule])).toBeNull();
    expect(disputeOf(against, [])).toBeNull();
  });
});
