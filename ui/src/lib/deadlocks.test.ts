// @vitest-environment node
import { describe, expect, it } from "vitest";

import { fileName, knotChoices } from "./deadlocks";
import { primaryAction } from "./escalations";

describe("deadlocks", () => {
  const knot = {
    tasks: [
      { agent_id: 1, task_id: "t-42" },
      { agent_id: 1, task_id: "t-42" },
      { agent_id: 2, task_id: "" },
    ],
    leases: [{ resource: "file:///repo/src/app.rs", waiter: 2 }],
  };

  it("offers a cancel per task with an id and a give per file, once each", () => {
    const choices = knotChoices(knot, new Map([[1, "Writer"]]));
    expect(choices.map((c) => c.label)).toEqual(["Cancel Writer's t-42", "Give app.rs to agent #2"]);
    expect(choices.map((c) => c.action)).toEqual([
      { action: "cancel_task", agent_id: 1, task_id: "t-42" },
      { action: "give_lease", agent_id: 2, resource: "file:///repo/src/app.rs" },
    ]);
  });

  it("prefers giving a file to cancelling a task", () => {
    expect(primaryAction({ kind: "deadlock", resource: null, knot })).toBe("give_lease");
    expect(primaryAction({ kind: "deadlock", resource: null, knot: { tasks: knot.tasks, leases: [] } })).toBe("cancel_task");
    expect(primaryAction({ kind: "deadlock", resource: null, knot: null })).toBe("retry");
  });

  it("names a file by its last segment", () => {
    expect(fileName("file:///repo/src/app.rs")).toBe("app.rs");
    expect(fileName("file:///repo/docs/")).toBe("docs");
    expect(fileName("crm://contacts/42#status")).toBe("42");
  });
});
