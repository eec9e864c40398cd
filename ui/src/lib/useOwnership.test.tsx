import { renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ChangeEvent } from "../bindings/ChangeEvent";
import { createTestTransport } from "../test/transport";
import { setTransport } from "./backend";
import { useOwnership } from "./useOwnership";

describe("the ownership map", () => {
  it("is read again when coding sessions' leases changed, not on every call they make", async () => {
    const transport = createTestTransport({
      ownership_map: () => ({ agents: [], rules: [], conflicts: [], leases: [] }),
    });
    setTransport(transport);
    let listener: ((e: ChangeEvent) => void) | null = null;
    const subscribe = (l: (e: ChangeEvent) => void) => {
      listener = l;
      return () => {};
    };
    const { result } = renderHook(() => useOwnership(subscribe));
    await waitFor(() => expect(result.current.map).not.toBeNull());
    const reads = () => transport.calls.filter((c) => c.command === "ownership_map").length;
    expect(reads()).toBe(1);
    listener!({ type: "sessions_heard", agents: [3], waiting: 0, leases_changed: false });
    expect(reads()).toBe(1);
    listener!({ type: "sessions_heard", agents: [3], waiting: 0, leases_changed: true });
    await waitFor(() => expect(reads()).toBe(2));
  });
});
