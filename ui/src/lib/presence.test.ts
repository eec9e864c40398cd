// @vitest-environment node
import { describe, expect, it } from "vitest";

import { presence, watcher } from "../test/fixtures";
import { modeText, pollersText, watcherText, whoText } from "./presence";

describe("where the app stands, in words", () => {
  it("names the person, the mode and who polls", () => {
    const viewer = presence();
    expect(whoText(viewer)).toBe("ana on laptop-a");
    expect(modeText(viewer)).toBe("Viewing only");
    expect(pollersText(viewer)).toBe("Polled by build-box (2)");
    expect(watcherText(watcher())).toBe(
      "build-box · live · heartbeat 800 ms ago · polls Researcher, Writer + the detectors",
    );
  });

  it("says when nobody polls, and when this app polls alone", () => {
    const silent = watcher({ live: false, heartbeat_age_ms: 42_500 });
    expect(pollersText(presence({ watchers: [silent] }))).toBe("No watcher polls the agents");
    expect(pollersText(presence({ watching: true, watchers: [] }))).toBe("This app polls every agent");
    expect(watcherText(silent)).toBe("build-box · silent · heartbeat 42.5 s ago · polls Researcher, Writer + the detectors");
    const idle = watcher({ live: false, heartbeat_age_ms: 42_500, agents: [], detectors: false, left_at: "2026-05-01T12:11:00Z" });
    expect(watcherText(idle)).toBe("build-box · left · heartbeat 42.5 s ago · polls nothing");
  });
});
