import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { agentCost, readiness } from "../test/pipelines";
import { createTestTransport, type TestTransport } from "../test/transport";
import { setTransport } from "./backend";
import { AGENTS_THROTTLE_MS, PIPELINE_POLL_MS, throttleWait, usePipelineData } from "./usePipelineData";

let t: TestTransport;

beforeEach(() => {
  vi.useFakeTimers();
  t = createTestTransport({
    readiness: () => [readiness(1)],
    agent_costs: () => [agentCost(1, 1)],
    prices: () => [],
  });
  setTransport(t);
});

afterEach(() => {
  vi.useRealTimers();
});

const loads = () => t.calls.filter((c) => c.command === "readiness").length;
const flush = () => act(async () => {});

describe("usePipelineData", () => {
  it("waits out the rest of the gap since the last load", () => {
    expect(throttleWait(1_000, 2_000, 5_000)).toBe(4_000);
    expect(throttleWait(1_000, 9_000, 5_000)).toBe(0);
  });

  it("loads when enabled, then at most once per 5 s however often the rows change, and every 30 s", async () => {
    const { result, rerender } = renderHook(({ rows, on }) => usePipelineData(rows, on), {
      initialProps: { rows: [1] as unknown, on: false },
    });
    await flush();
    expect(loads()).toBe(0);

    rerender({ rows: [1], on: true });
    await flush();
    expect(loads()).toBe(1);
    expect(t.calls.filter((c) => c.command === "prices")).toHaveLength(1);
    expect(result.current.readiness.value).toHaveLength(1);
    expect(result.current.costs.value?.[0]?.today.usd).toBe(1);

    // Every poll changes the rows: one reload for the lot, once the gap has passed.
    for (let i = 0; i < 10; i += 1) {
      rerender({ rows: [i], on: true });
      await act(async () => {
        vi.advanceTimersByTime(300);
      });
    }
    expect(loads()).toBe(1);
    await act(async () => {
      vi.advanceTimersByTime(AGENTS_THROTTLE_MS);
    });
    expect(loads()).toBe(2);

    await act(async () => {
      vi.advanceTimersByTime(PIPELINE_POLL_MS);
    });
    expect(loads()).toBeGreaterThanOrEqual(3);
    // Prices change only by hand: not reloaded.
    expect(t.calls.filter((c) => c.command === "prices")).toHaveLength(1);
  });

  it("keeps an edit's answer over a reload that was under way", async () => {
    let release: () => void = () => {};
    t.handlers.readiness = () => new Promise((resolve) => (release = () => resolve([readiness(1)])));
    const { result } = renderHook(() => usePipelineData([], true));
    await flush();
    act(() => result.current.setReadiness([readiness(1, { ready: true }), readiness(2, { ready: true })]));
    await act(async () => release());
    expect(result.current.readiness.value?.map((r) => r.ready)).toEqual([true, true]);
  });
});
