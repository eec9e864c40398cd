import { describe, expect, it } from "vitest";

import type { DecisionEntry } from "../bindings/DecisionEntry";
import { decision } from "../test/fixtures";
import { actionFamily, describeDecision, listText, matchesFilter, shortHash, slaText } from "./decisions";

function entry(action: string, subject: string, detail: unknown, extra: Partial<DecisionEntry> = {}): DecisionEntry {
  return decision(1, action, subject, detail, { at: "2026-11-21T12:00:00Z", hash: "ab".repeat(32), ...extra });
}

const dataRule = { kind: "data", pattern: "crm://contacts/*#status", owner: "Writer" };
const declares = (d: Partial<Record<"triggers" | "reads" | "writes" | "outputs", string[]>>) => ({
  triggers: [],
  reads: [],
  writes: [],
  outputs: [],
  ...d,
});

describe("describeDecision: rules", () => {
  it("rule.add names kind, pattern and owner", () => {
    expect(describeDecision(entry("rule.add", "rule:1", { before: null, after: dataRule }))).toBe(
      "data rule crm://contacts/*#status → Writer",
    );
  });

  it("rule.add mentions readers, sequence, SLA and note", () => {
    expect(
      describeDecision(
        entry("rule.add", "rule:2", {
          before: null,
          after: { ...dataRule, readers: ["Editor", "Reviewer"], sequence: ["Editor"], note: "agreed with ops" },
        }),
      ),
    ).toBe("data rule crm://contacts/*#status → Writer; readers Editor, Reviewer; then Editor; note “agreed with ops”");
    expect(
      describeDecision(
        entry("rule.add", "rule:3", { before: null, after: { kind: "exception", pattern: "crm://**", owner: "Ana", sla_seconds: 14_400 } }),
      ),
    ).toBe("exception rule crm://** → Ana; SLA 4 h");
  });

  it("rule.remove says what was removed", () => {
    expect(
      describeDecision(
        entry("rule.remove", "rule:4", { before: { kind: "output", pattern: "file:///drafts/**", owner: "Writer" }, after: null }),
      ),
    ).toBe("removed output rule file:///drafts/** → Writer");
  });

  it("rule.update says what changed", () => {
    expect(
      describeDecision(
        entry("rule.update", "rule:1", {
          before: { ...dataRule, owner: "Researcher" },
          after: { ...dataRule, readers: ["Editor"] },
        }),
      ),
    ).toBe("data rule crm://contacts/*#status: owner Researcher → Writer; readers + Editor");
  });

  it("rule.update covers kind, pattern, readers removed, sequence, SLA and note", () => {
    const before = {
      kind: "data",
      pattern: "crm://a",
      owner: "W",
      readers: ["R1", "R2"],
      sequence: ["E"],
      sla_seconds: 3_600,
      note: "old",
    };
    const after = { kind: "output", pattern: "crm://b", owner: "W", readers: ["R2", "R3"], sequence: ["E", "F"], note: "new" };
    expect(describeDecision(entry("rule.update", "rule:9", { before, after }))).toBe(
      "data rule crm://a: kind data → output; pattern crm://a → crm://b; readers + R3 − R1; " +
        "sequence E → E, F; SLA 1 h → default; note “old” → “new”",
    );
    expect(describeDecision(entry("rule.update", "rule:9", { before: after, after: { ...after, note: null, sequence: [] } }))).toBe(
      "output rule crm://b: sequence E, F → none; note removed",
    );
    expect(describeDecision(entry("rule.update", "rule:9", { before: { ...after, note: null }, after }))).toBe(
      "output rule crm://b: note “new”",
    );
    expect(describeDecision(entry("rule.update", "rule:9", { before: { ...dataRule, readers: ["X"] }, after: dataRule }))).toBe(
      "data rule crm://contacts/*#status: readers − X",
    );
  });

  it("rule.update with only one side, or no change", () => {
    expect(describeDecision(entry("rule.update", "rule:1", { after: dataRule }))).toBe(
      "updated data rule crm://contacts/*#status → Writer",
    );
    expect(describeDecision(entry("rule.update", "rule:1", { before: dataRule, after: null }))).toBe(
      "updated data rule crm://contacts/*#status → Writer",
    );
    expect(describeDecision(entry("rule.update", "rule:1", { before: dataRule, after: dataRule }))).toBe(
      "data rule crm://contacts/*#status → Writer (unchanged)",
    );
  });
});

describe("describeDecision: declarations", () => {
  it("declares.set without a previous declaration lists it", () => {
    expect(
      describeDecision(
        entry("declares.set", "agent:2", { agent: "Writer", before: null, after: declares({ writes: ["crm://a"], reads: ["crm://b"] }) }),
      ),
    ).toBe("Writer declares writes crm://a, reads crm://b");
    expect(
      describeDecision(
        entry("declares.set", "agent:2", {
          agent: "Bot",
          before: null,
          after: declares({ triggers: ["mail://in"], outputs: ["slack://a", "slack://b", "slack://c"] }),
        }),
      ),
    ).toBe("Bot declares triggers on mail://in, outputs to slack://a, slack://b and slack://c");
    expect(describeDecision(entry("declares.set", "agent:2", { agent: "Idle", before: null, after: declares({}) }))).toBe(
      "Idle declares nothing",
    );
  });

  it("declares.set with a previous declaration says what changed", () => {
    expect(
      describeDecision(
        entry("declares.set", "agent:2", {
          agent: "Writer",
          before: declares({ writes: ["crm://x", "crm://y"] }),
          after: declares({ writes: ["crm://y"], reads: ["crm://x"] }),
        }),
      ),
    ).toBe("Writer no longer writes crm://x; now reads crm://x");
    expect(
      describeDecision(
        entry("declares.set", "agent:2", {
          agent: "Writer",
          before: declares({ triggers: ["a://1"] }),
          after: declares({ triggers: ["a://1"], outputs: ["file:///o"] }),
        }),
      ),
    ).toBe("Writer now outputs to file:///o");
    expect(
      describeDecision(
        entry("declares.set", "agent:2", { agent: "Writer", before: declares({ reads: ["a://1"] }), after: declares({}) }),
      ),
    ).toBe("Writer no longer reads a://1");
  });

  it("declares.set with the same lists (reordered) shows the declaration", () => {
    expect(
      describeDecision(
        entry("declares.set", "agent:2", {
          agent: "W",
          before: declares({ writes: ["a://1", "a://2"] }),
          after: declares({ writes: ["a://2", "a://1"] }),
        }),
      ),
    ).toBe("W declares writes a://2 and a://1");
  });

  it("declares.clear", () => {
    expect(describeDecision(entry("declares.clear", "agent:2", { agent: "Writer", before: declares({}), after: null }))).toBe(
      "Writer: back to the agent's own declaration",
    );
  });

  it("falls back to the subject when the agent's name is missing", () => {
    expect(describeDecision(entry("declares.clear", "agent:7", null))).toBe("agent:7: back to the agent's own declaration");
    expect(describeDecision(entry("declares.set", "agent:7", { after: declares({ writes: ["x://y"] }) }))).toBe(
      "agent:7 declares writes x://y",
    );
  });
});

describe("describeDecision: other actions", () => {
  it("unknown actions read action and subject, plus the reason", () => {
    expect(describeDecision(entry("approve", "task:7", null))).toBe("approve task:7");
    expect(describeDecision(entry("reject", "task:8", { anything: 1 }, { reason: "wrong customer" }))).toBe(
      "reject task:8 — wrong customer",
    );
    expect(describeDecision(entry("future.thing", "x:1", [1, 2, 3], { reason: "   " }))).toBe("future.thing x:1");
  });

  it("appends a reason to known actions too", () => {
    expect(describeDecision(entry("rule.add", "rule:1", { after: dataRule }, { reason: "ops asked" }))).toBe(
      "data rule crm://contacts/*#status → Writer — ops asked",
    );
  });
});

describe("describeDecision: junk details never throw", () => {
  const junk: unknown[] = [
    null,
    undefined,
    42,
    "text",
    true,
    [],
    [dataRule],
    {},
    { before: 1, after: "x" },
    { before: [], after: [] },
    { after: {} },
    { after: { kind: 3, pattern: null, owner: {} } },
    { before: { pattern: 5 }, after: { readers: "Editor" } },
    { agent: 12, before: "x", after: { writes: "crm://a", reads: [1, null, "crm://b"] } },
    { after: { triggers: null } },
  ];
  const actions = ["rule.add", "rule.update", "rule.remove", "declares.set", "declares.clear", "approve", "rule.bogus", "", "declares.x"];

  it.each(actions)("%s with every junk detail", (action) => {
    for (const detail of junk) {
      const text = describeDecision(entry(action, "subj:1", detail));
      expect(typeof text).toBe("string");
      expect(text).not.toMatch(/undefined|null|\[object/);
    }
  });

  it("falls back to action and subject when the detail is unusable", () => {
    expect(describeDecision(entry("rule.add", "rule:1", null))).toBe("rule.add rule:1");
    expect(describeDecision(entry("rule.add", "rule:1", { after: {} }))).toBe("rule.add rule:1");
    expect(describeDecision(entry("rule.remove", "rule:1", { before: "x" }))).toBe("rule.remove rule:1");
    expect(describeDecision(entry("rule.update", "rule:1", { before: 1, after: 2 }))).toBe("rule.update rule:1");
    expect(describeDecision(entry("declares.set", "agent:1", { agent: "W", after: "x" }))).toBe("declares.set agent:1");
    expect(describeDecision(entry("declares.set", "agent:1", { agent: "W", after: {} }))).toBe("declares.set agent:1");
  });

  it("keeps the usable parts of a half-broken detail", () => {
    expect(describeDecision(entry("rule.add", "rule:1", { after: { kind: 3, pattern: "crm://a", owner: "W", readers: [1, "R"], sla_seconds: "x" } }))).toBe(
      "rule crm://a → W; readers R",
    );
    expect(
      describeDecision(entry("declares.set", "agent:1", { agent: 12, before: "x", after: { writes: "crm://a", reads: [1, null, "crm://b"] } })),
    ).toBe("agent:1 declares reads crm://b");
  });

  it("survives a detail whose getters throw and entries with missing fields", () => {
    const hostile = {
      get after(): unknown {
        throw new Error("boom");
      },
    };
    expect(describeDecision(entry("rule.add", "rule:1", hostile))).toBe("rule.add rule:1");
    const partial = { action: undefined, subject: 5, detail: null } as unknown as DecisionEntry;
    expect(describeDecision(partial)).toBe("5");
    expect(matchesFilter(partial, "5")).toBe(true);
  });
});

describe("matchesFilter", () => {
  const e = entry("rule.add", "rule:1", { after: dataRule }, { who: "Ana" });

  it("matches everything on empty or blank text", () => {
    expect(matchesFilter(e, "")).toBe(true);
    expect(matchesFilter(e, "   ")).toBe(true);
  });

  it("is case-insensitive over who, action, subject and description", () => {
    expect(matchesFilter(e, "ana")).toBe(true);
    expect(matchesFilter(e, "RULE.ADD")).toBe(true);
    expect(matchesFilter(e, "rule:1")).toBe(true);
    expect(matchesFilter(e, "writer")).toBe(true);
    expect(matchesFilter(e, "contacts/*#STATUS")).toBe(true);
    expect(matchesFilter(e, "researcher")).toBe(false);
  });

  it("needs every word", () => {
    expect(matchesFilter(e, "ana writer")).toBe(true);
    expect(matchesFilter(e, "ana editor")).toBe(false);
  });

  it("uses a given description instead of computing one", () => {
    expect(matchesFilter(e, "precomputed", "a precomputed sentence")).toBe(true);
    expect(matchesFilter(e, "writer", "a precomputed sentence")).toBe(false);
  });
});

describe("helpers", () => {
  it("listText", () => {
    expect(listText([])).toBe("");
    expect(listText(["a"])).toBe("a");
    expect(listText(["a", "b"])).toBe("a and b");
    expect(listText(["a", "b", "c"])).toBe("a, b and c");
  });

  it("slaText", () => {
    expect(slaText(86_400)).toBe("24 h");
    expect(slaText(5_400)).toBe("90 min");
    expect(slaText(45)).toBe("45 s");
    expect(slaText(3_661)).toBe("1h01m");
  });

  it("actionFamily", () => {
    expect(actionFamily("rule.add")).toBe("rule");
    expect(actionFamily("declares.clear")).toBe("declares");
    expect(actionFamily("approve")).toBe("approve");
    expect(actionFamily("reject")).toBe("reject");
    expect(actionFamily("escalate")).toBe("other");
  });

  it("shortHash", () => {
    expect(shortHash("0123456789abcdef")).toBe("01234567");
    expect(shortHash("abc")).toBe("abc");
  });
});

describe("escalation and handoff schema entries", () => {
  const entry = (action: string, subject: string, detail: unknown = null, reason: string | null = null) =>
    describeDecision({ action, subject, detail, reason } as never);

  it("reads as what the person did", () => {
    expect(entry("approve", "escalation:7")).toBe("Approved escalation 7");
    expect(entry("dismiss", "escalation:3", null, "test data")).toBe("Dismissed escalation 3 — test data");
    expect(entry("snooze", "escalation:2", { snoozed_until: "2026-11-22T14:30:00.000000000Z" })).toBe(
      "Snoozed escalation 2 until 14:30 UTC",
    );
    expect(entry("expire", "escalation:9")).toBe("Expired (its SLA lapsed): escalation 9");
    expect(entry("handoff_schema.set", "handoff:brief")).toBe("Schema of brief handoffs set");
  });

  it("falls back to action and subject for anything else", () => {
    expect(entry("approve", "task:1/t-2")).toBe("approve task:1/t-2");
    expect(entry("teleport", "escalation:1")).toBe("teleport escalation:1");
  });
});

describe("budget splits", () => {
  const split = {
    action: {
      action: "split_budget",
      shares: [
        { agent_id: 1, percent: 60 },
        { agent_id: 2, percent: 40 },
      ],
    },
  };
  const names = new Map([
    [1, "Writer"],
    [2, "Editor"],
  ]);
  const resourceOf = (id: number) => (id === 7 ? "api:openai" : id === 8 ? "api:github/ci-bot" : null);

  it("names the API and each agent's share", () => {
    const e = entry("split_budget", "escalation:7", split, { escalation_id: 7 });
    expect(describeDecision(e, { names, resourceOf })).toBe("split the openai budget: Writer 60%, Editor 40%");
    expect(describeDecision({ ...e, subject: "escalation:8", escalation_id: 8 }, { names, resourceOf })).toBe(
      "split the github/ci-bot budget: Writer 60%, Editor 40%",
    );
  });

  it("takes the API the log entry names over the queue's", () => {
    const logged = { ...split, api: "anthropic", key: null };
    expect(describeDecision(entry("split_budget", "escalation:9", logged), { names })).toBe(
      "split the anthropic budget: Writer 60%, Editor 40%",
    );
    const keyed = { ...split, api: "github", key: "ci-bot" };
    expect(describeDecision(entry("split_budget", "escalation:7", keyed), { names, resourceOf })).toBe(
      "split the github/ci-bot budget: Writer 60%, Editor 40%",
    );
  });

  it("falls back to ids and the escalation without names or resource, and keeps the note", () => {
    expect(describeDecision(entry("split_budget", "escalation:9", split, { reason: "writer ships first" }))).toBe(
      "split the budget of escalation 9: agent #1 60%, agent #2 40% — writer ships first",
    );
    expect(describeDecision(entry("split_budget", "escalation:9", { action: { shares: [{ agent_id: "x" }] } }))).toBe(
      "split the budget of escalation 9",
    );
    expect(describeDecision(entry("split_budget", "", "junk"))).toBe("split the budget");
  });

  it("is found by the filter", () => {
    const e = entry("split_budget", "escalation:7", split, { escalation_id: 7 });
    expect(matchesFilter(e, "openai writer", describeDecision(e, { names, resourceOf }))).toBe(true);
  });
});

describe("describeDecision: detector windows", () => {
  it("names the agent and each window before and after", () => {
    const names = new Map([[5, "Editor"]]);
    const e = entry("windows.set", "agent:5", {
      before: { stall_seconds: 300 },
      after: { stall_seconds: 600, unreachable_polls: 5 },
    });
    expect(describeDecision(e, { names })).toBe(
      "Editor's detector windows: stall 300 s → 600 s, unreachable after default → 5 polls",
    );
    // Back to the defaults; an agent no longer known keeps its subject; junk never throws.
    expect(describeDecision(entry("windows.set", "agent:9", { before: { stall_seconds: 60 }, after: null }))).toBe(
      "agent:9's detector windows: stall 60 s → default",
    );
    expect(describeDecision(entry("windows.set", "agent:5", "junk"), { names })).toBe(
      "Editor's detector windows: unchanged",
    );
  });
});
