// @vitest-environment node
import { describe, expect, it } from "vitest";

import { T0, at, health } from "../test/fixtures";
import { healthText, lastErrorText, lastSuccessText } from "./health";

describe("healthText", () => {
  it("up: latency and last poll", () => {
    expect(healthText(health({ latency_ms: 12, last_attempt_at: at(-3_000) }), T0)).toBe(
      "up · 12 ms · last poll 3s ago",
    );
  });

  it("up with failures since the last success shows them", () => {
    expect(healthText(health({ consecutive_failures: 1 }), T0)).toBe(
      "up · 12 ms · last poll 3s ago · 1 failure",
    );
  });

  it("down: failures and the last error in words", () => {
    const h = health({
      reachability: "down",
      consecutive_failures: 3,
      last_error: "timed out after 1.5 s",
      last_error_at: at(-1_000),
    });
    expect(healthText(h, T0)).toBe("down · 3 failures · timed out after 1.5 s");
    expect(healthText({ ...h, consecutive_failures: 1 }, T0)).toBe("down · 1 failure · timed out after 1.5 s");
  });

  it("unknown before the first poll", () => {
    const h = health({ reachability: "unknown", last_attempt_at: null, last_success_at: null, latency_ms: null });
    expect(healthText(h, T0)).toBe("unknown · not polled yet");
    expect(lastSuccessText(h, T0)).toBe("never");
  });
});

describe("lastErrorText", () => {
  it("shows the error and when, or a dash", () => {
    expect(lastErrorText(health(), T0)).toBe("—");
    expect(lastErrorText(health({ last_error: "HTTP 503", last_error_at: at(-125_000) }), T0)).toBe(
      "HTTP 503 (2m05s ago)",
    );
  });
});
