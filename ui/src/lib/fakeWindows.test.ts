import { describe, expect, it } from "vitest";

import { createFakeWindows } from "./fakeWindows";

describe("fake detector windows", () => {
  it("answers like the shell: seeded, saved, cleared, checked, not_found", () => {
    const w = createFakeWindows(() => [
      { id: 1, name: "researcher" },
      { id: 2, name: "crm-sync" },
    ]);
    expect(w.detect_windows({ agentId: 1 })).toEqual({});
    expect(w.detect_windows({ agentId: 2 })).toEqual({ stall_seconds: 2_700, time_budget_seconds: 21_600 });
    expect(w.set_detect_windows({ agentId: 1, windows: { stall_seconds: 90, unreachable_polls: null } })).toEqual({
      stall_seconds: 90,
    });
    expect(w.detect_windows({ agentId: 1 })).toEqual({ stall_seconds: 90 });
    expect(w.set_detect_windows({ agentId: 1, windows: null })).toEqual({});
    expect(w.detect_windows({ agentId: 1 })).toEqual({});
    expect(() => w.set_detect_windows({ agentId: 1, windows: { stall_seconds: 0 } })).toThrow(
      expect.objectContaining({ code: "invalid_windows", field: "stall_seconds" }),
    );
    expect(() => w.set_detect_windows({ agentId: 1, windows: { stal_seconds: 5 } })).toThrow(
      expect.objectContaining({ code: "invalid_windows", field: null }),
    );
    expect(() => w.detect_windows({ agentId: 9 })).toThrow(expect.objectContaining({ code: "not_found" }));
  });
});
