import { describe, expect, it } from "vitest";

import { createTestTransport } from "../test/transport";
import {
  addAgent,
  BackendError,
  CHANGE_EVENT,
  detectWindows,
  listTasks,
  onChange,
  rateLimits,
  removeQuota,
  setDetectWindows,
  setPressureLimits,
  setQuota,
  setTransport,
  taskEvents,
  testConnection,
  toBackendError,
  updateAgent,
  usageHeatmap,
  usageSeries,
} from "./backend";

const draft = {
  name: "researcher",
  base_url: "http://127.0.0.1:7801",
  poll_interval_ms: 2000,
  timeout_ms: 1500,
  adapter: "baton" as const,
};

describe("toBackendError", () => {
  it("keeps an ErrorPayload's code, message and field", () => {
    const e = toBackendError({ code: "invalid_config", message: "name must not be empty", field: "name" });
    expect(e).toBeInstanceOf(BackendError);
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.message, e.field]).toEqual(["invalid_config", "name must not be empty", "name"]);
  });

  it("handles strings, Errors, null fields and junk", () => {
    expect(toBackendError("command list_agents not found")).toMatchObject({
      code: "unknown",
      message: "command list_agents not found",
      field: null,
    });
    expect(toBackendError(new TypeError("boom"))).toMatchObject({ code: "unknown", message: "boom" });
    expect(toBackendError({ code: "store", message: "disk full", field: null }).field).toBeNull();
    expect(toBackendError({ weird: true }).message).toBe("Unknown error");
    expect(toBackendError(undefined).message).toBe("Unknown error");
    expect(toBackendError(42).message).toBe("42");
    const same = new BackendError("x", "y", "z");
    expect(toBackendError(same)).toBe(same);
  });
});

describe("commands", () => {
  it("send camelCase argument names", async () => {
    const t = createTestTransport({
      add_agent: () => ({ id: 1 }),
      update_agent: () => ({ id: 1 }),
      test_connection: () => ({ ok: true }),
      list_tasks: () => [],
      task_events: () => [],
      detect_windows: () => ({}),
      set_detect_windows: () => ({}),
    });
    setTransport(t);
    await addAgent(draft, "tok");
    await updateAgent(3, draft, null, true);
    await testConnection(draft, null, 3);
    await listTasks(null);
    await taskEvents(2, "t-1");
    await detectWindows(4);
    await setDetectWindows(4, { stall_seconds: 90 });
    await setDetectWindows(4, null);
    expect(t.calls).toEqual([
      { command: "add_agent", args: { draft, token: "tok" } },
      { command: "update_agent", args: { id: 3, draft, token: null, clearToken: true } },
      { command: "test_connection", args: { draft, token: null, agentId: 3 } },
      { command: "list_tasks", args: { agentId: null } },
      { command: "task_events", args: { agentId: 2, taskId: "t-1" } },
      { command: "detect_windows", args: { agentId: 4 } },
      { command: "set_detect_windows", args: { agentId: 4, windows: { stall_seconds: 90 } } },
      { command: "set_detect_windows", args: { agentId: 4, windows: null } },
    ]);
  });

  it("rate-limit commands send camelCase argument names", async () => {
    const t = createTestTransport({
      rate_limits: () => [],
      usage_series: () => ({}),
      usage_heatmap: () => ({}),
      set_quota: () => null,
      remove_quota: () => true,
      set_pressure_limits: () => null,
    });
    setTransport(t);
    await rateLimits();
    await usageSeries("openai", null, "requests", 6);
    await usageHeatmap("github", "ci-bot", "tokens");
    await setQuota("openai", null, "requests", 500, 60);
    expect(await removeQuota("openai", "k", "tokens")).toBe(true);
    await setPressureLimits("openai", { share_percent: 70, horizon_minutes: 15 });
    expect(t.calls).toEqual([
      { command: "rate_limits", args: undefined },
      { command: "usage_series", args: { api: "openai", key: null, metric: "requests", hours: 6 } },
      { command: "usage_heatmap", args: { api: "github", key: "ci-bot", metric: "tokens" } },
      { command: "set_quota", args: { api: "openai", key: null, metric: "requests", limit: 500, windowSeconds: 60 } },
      { command: "remove_quota", args: { api: "openai", key: "k", metric: "tokens" } },
      { command: "set_pressure_limits", args: { api: "openai", limits: { share_percent: 70, horizon_minutes: 15 } } },
    ]);
  });

  it("reject with a BackendError", async () => {
    setTransport(
      createTestTransport({
        add_agent: () => {
          throw { code: "invalid_config", message: "poll interval must be between 250 ms and 3600000 ms", field: "poll_interval_ms" };
        },
      }),
    );
    const err = await addAgent(draft, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).field).toBe("poll_interval_ms");
  });

  it("onChange listens to baton://change and unsubscribes", async () => {
    const t = createTestTransport();
    const listen = t.listen.bind(t);
    const events: string[] = [];
    t.listen = (name, handler) => {
      events.push(name);
      return listen(name, handler);
    };
    setTransport(t);
    const seen: string[] = [];
    const off = await onChange((e) => seen.push(e.type));
    t.emit({ type: "agents_changed" });
    off();
    t.emit({ type: "agents_changed" });
    expect(events).toEqual([CHANGE_EVENT]);
    expect(seen).toEqual(["agents_changed"]);
  });
});
