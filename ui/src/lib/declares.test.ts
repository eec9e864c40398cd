// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { PredeployConflict } from "../bindings/PredeployConflict";
import { choiceLabel, choicesFor, toDispute, toResolution } from "./resolutions";
import {
  declarationChange,
  declaresText,
  describeDeclares,
  emptyDeclares,
  isBlankText,
  isDeclaresList,
  parseDeclares,
  parsePatterns,
} from "./declares";

const d = (over: Partial<ReturnType<typeof emptyDeclares>>) => ({ ...emptyDeclares(), ...over });

const ruleSide = { side: "rule" as const, index: 2, pattern: "crm://contacts/**", owner: "crm-sync" };
const agentSide = { side: "agent" as const, name: "writer", pattern: "crm://contacts/*#status" };

describe("parsing", () => {
  it("trims, drops blank lines and duplicates, keeps order", () => {
    expect(parsePatterns("  a://x \r\n\n b://y\n\na://x\n   \n")).toEqual(["a://x", "b://y"]);
    expect(parsePatterns("")).toEqual([]);
  });

  it("round-trips the four lists through text", () => {
    const declares = d({ triggers: ["mail://inbox/billing"], writes: ["crm://contacts/*#status", "file:///drafts/**"] });
    expect(parseDeclares(declaresText(declares))).toEqual(declares);
    expect(declaresText(null)).toEqual({ triggers: "", reads: "", writes: "", outputs: "" });
    expect(isBlankText({ triggers: " \n", reads: "", writes: "", outputs: "" })).toBe(true);
  });

  it("knows the four list names", () => {
    expect(isDeclaresList("writes")).toBe(true);
    expect(isDeclaresList("name")).toBe(false);
    expect(isDeclaresList(null)).toBe(false);
  });

  it("describes a declaration in one line", () => {
    expect(describeDeclares(d({ triggers: ["webhook://crm/updated"], writes: ["crm://a", "crm://b"] }))).toBe(
      "triggers webhook://crm/updated; writes crm://a, crm://b",
    );
  });
});

describe("declarationChange", () => {
  const stored = d({ reads: ["crm://contacts/**"], writes: ["crm://contacts/*#status", "crm://contacts/*#owner"] });

  it("new agent: nothing typed does nothing; claims are checked; reads alone are not", () => {
    expect(declarationChange(emptyDeclares(), null, false)).toEqual({ kind: "none" });
    const typed = d({ outputs: ["slack://channels/billing"] });
    expect(declarationChange(typed, null, false)).toEqual({ kind: "set", declares: typed, check: true });
    const reads = d({ reads: ["crm://contacts/**"] });
    expect(declarationChange(reads, null, false)).toEqual({ kind: "set", declares: reads, check: false });
  });

  it("stored: unchanged (in any order) does nothing; a reads-only change is not checked", () => {
    const reordered = d({ reads: ["crm://contacts/**"], writes: ["crm://contacts/*#owner", "crm://contacts/*#status"] });
    expect(declarationChange(reordered, stored, false)).toEqual({ kind: "none" });
    const moreReads = { ...stored, reads: ["crm://contacts/**", "mail://inbox/**"] };
    expect(declarationChange(moreReads, stored, false)).toEqual({ kind: "set", declares: moreReads, check: false });
    const moreWrites = { ...stored, writes: ["crm://contacts/*#status"] };
    expect(declarationChange(moreWrites, stored, false)).toEqual({ kind: "set", declares: moreWrites, check: true });
    expect(declarationChange(emptyDeclares(), stored, false)).toEqual({
      kind: "set",
      declares: emptyDeclares(),
      check: false,
    });
  });

  it("going back to the agent's own declaration clears it", () => {
    expect(declarationChange(stored, stored, true)).toEqual({ kind: "clear" });
  });
});

describe("choices", () => {
  it("offers readers only for data, and the other side as reader only for an agent", () => {
    expect(choicesFor({ kind: "data", other: agentSide })).toEqual([
      "give_new",
      "keep_other",
      "new_reads",
      "other_reads",
      "sequence",
      "later",
    ]);
    expect(choicesFor({ kind: "data", other: ruleSide })).toEqual([
      "give_new",
      "keep_other",
      "new_reads",
      "sequence",
      "later",
    ]);
    expect(choicesFor({ kind: "trigger", other: agentSide })).toEqual(["give_new", "keep_other", "sequence", "later"]);
    expect(choicesFor({ kind: "output", other: ruleSide })).toEqual(["give_new", "keep_other", "sequence", "later"]);
  });

  it("labels name both sides", () => {
    expect(choiceLabel("give_new", "editor", "writer")).toBe("Give it to editor");
    expect(choiceLabel("keep_other", "editor", "writer")).toBe("Keep it with writer");
    expect(choiceLabel("new_reads", "editor", "writer")).toBe("editor only reads it");
    expect(choiceLabel("other_reads", "editor", "writer")).toBe("writer only reads it");
    expect(choiceLabel("sequence", "editor", "writer")).toBe("Both: writer first, then editor");
    expect(choiceLabel("later", "editor", "writer")).toBe("Decide later on the Ownership map");
  });

  it("turns a choice into a resolution; the other side is the rule's owner or the other agent", () => {
    expect(toResolution("give_new", "editor", ruleSide)).toEqual({ action: "give_ownership", owner: "editor" });
    expect(toResolution("keep_other", "editor", ruleSide)).toEqual({ action: "give_ownership", owner: "crm-sync" });
    expect(toResolution("keep_other", "editor", agentSide)).toEqual({ action: "give_ownership", owner: "writer" });
    expect(toResolution("new_reads", "editor", ruleSide)).toEqual({ action: "make_reader", reader: "editor" });
    expect(toResolution("other_reads", "editor", agentSide)).toEqual({ action: "make_reader", reader: "writer" });
    expect(toResolution("sequence", "editor", ruleSide)).toEqual({
      action: "accept_sequence",
      order: ["crm-sync", "editor"],
    });
    expect(toResolution("later", "editor", ruleSide)).toBeNull();
  });

  it("builds the dispute from the conflict", () => {
    const conflict: PredeployConflict = {
      kind: "data",
      pattern: "crm://contacts/*#status",
      other: agentSide,
      example: "crm://contacts/42#status",
      message: "editor and writer both write crm://contacts/*#status",
      other_not_ready: null,
    };
    expect(toDispute("editor", conflict)).toEqual({
      agent: "editor",
      kind: "data",
      pattern: "crm://contacts/*#status",
      other: agentSide,
    });
  });
});
