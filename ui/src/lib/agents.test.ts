// @vitest-environment node
import { describe, expect, it } from "vitest";

import { agentRow, at, health } from "../test/fixtures";
import { countsText, mergeAgentRows, patchHealth, patchHealths, sortAgents, totalTasks } from "./agents";

describe("agents helpers", () => {
  it("patchHealth replaces one row's health", () => {
    const rows = [agentRow(1, "a"), agentRow(2, "b")];
    const h = health({ reachability: "down", consecutive_failures: 2, last_error: "HTTP 503" });
    const next = patchHealth(rows, 2, h)!;
    expect(next[1]!.health).toBe(h);
    expect(next[0]).toBe(rows[0]);
    expect(patchHealth(rows, 9, h)).toBeNull();
  });

  it("patchHealths applies a flush of quiet polls' healths, or asks for a reload", () => {
    const rows = [agentRow(1, "a"), agentRow(2, "b"), agentRow(3, "c")];
    const h1 = health({ latency_ms: 11 });
    const h3 = health({ latency_ms: 33 });
    const next = patchHealths(rows, [
      { agent_id: 3, health: h3 },
      { agent_id: 1, health: h1 },
    ])!;
    expect(next[0]!.health).toBe(h1);
    expect(next[1]).toBe(rows[1]);
    expect(next[2]!.health).toBe(h3);
    expect(patchHealths(rows, [{ agent_id: 9, health: h1 }])).toBeNull();
    expect(patchHealths(rows, [])).toEqual(rows);
  });

  it("mergeAgentRows keeps a newer health than the listed one", () => {
    const newer = health({ last_attempt_at: at(10_000), latency_ms: 99 });
    const current = [agentRow(1, "a", { health: newer })];
    const fresh = [agentRow(1, "a", { health: health({ last_attempt_at: at(0) }) }), agentRow(2, "b")];
    const merged = mergeAgentRows(fresh, current);
    expect(merged[0]!.health.latency_ms).toBe(99);
    expect(merged[1]).toBe(fresh[1]);
  });

  it("counts and sorting", () => {
    const counts = { queued: 1, working: 3, needs_human: 0, blocked: 1, done: 12, failed: 0 };
    expect(totalTasks(counts)).toBe(17);
    expect(countsText(counts)).toBe("1 queued · 3 working · 1 blocked · 12 done");
    expect(sortAgents([agentRow(2, "writer"), agentRow(1, "Researcher")]).map((r) => r.config.name)).toEqual([
      "Researcher",
      "writer",
    ]);
  });
});
