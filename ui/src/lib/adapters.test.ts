import { describe, expect, it } from "vitest";

import type { AgentCard } from "../bindings/AgentCard";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import { choiceHint, detectedText, interfaceText, reportName, skillsText, skillsTitle, urlKey, usedInterface } from "./adapters";

const card: AgentCard = {
  name: "Baton Echo Agent",
  description: null,
  version: "1.0.0",
  skills: [{ id: "echo", name: "Echo", description: null }],
  interfaces: [
    { url: "http://h/rest", binding: "http_json", version: "0.3" },
    { url: "http://h/", binding: "json_rpc", version: "1.0" },
  ],
};

function report(extra: Partial<ConnectionReport>): ConnectionReport {
  return {
    ok: true,
    message: "answered",
    latency_ms: 9,
    remote_id: null,
    remote_name: null,
    task_count: 0,
    declares: null,
    adapter: null,
    card: null,
    ...extra,
  };
}

describe("detectedText", () => {
  it("names the protocol that answered, and for A2A the interface used (the first), the card's name and skills", () => {
    expect(detectedText(report({ adapter: "a2a", card }))).toBe(
      "Detected: A2A 0.3 · HTTP+JSON — Baton Echo Agent · skills: Echo",
    );
    const first = { ...card, interfaces: card.interfaces.slice().reverse() };
    expect(detectedText(report({ adapter: "a2a", card: first }))).toBe(
      "Detected: A2A 1.0 · JSON-RPC — Baton Echo Agent · skills: Echo",
    );
    const many = ["Echo", "Ask", "Slow", "Fail", "Wait"].map((name) => ({ id: name.toLowerCase(), name, description: null }));
    expect(detectedText(report({ adapter: "a2a", card: { ...card, skills: many, interfaces: [] } }))).toBe(
      "Detected: A2A — Baton Echo Agent · skills: Echo, Ask, Slow +2 more",
    );
    expect(detectedText(report({ adapter: "a2a", card: { ...card, skills: [] } }))).toBe(
      "Detected: A2A 0.3 · HTTP+JSON — Baton Echo Agent",
    );
    expect(detectedText(report({ adapter: "baton" }))).toBe("Detected: baton/1");
  });

  it("says nothing when nothing answered", () => {
    expect(detectedText(report({ ok: false, adapter: "baton" }))).toBeNull();
    expect(detectedText(report({ adapter: null }))).toBeNull();
  });
});

describe("an A2A agent's row", () => {
  const skills = ["Echo", "Translate", "Slow", "Fail", "Wait"].map((name) => ({
    id: name.toLowerCase(),
    name,
    description: name === "Echo" ? " Replies with the message it was sent. " : null,
  }));

  it("names the interface Baton uses: the card's first", () => {
    expect(interfaceText(usedInterface(card))).toBe("A2A 0.3 · HTTP+JSON");
    expect(interfaceText(card.interfaces[1])).toBe("A2A 1.0 · JSON-RPC");
    expect(interfaceText(usedInterface({ ...card, interfaces: [] }))).toBe("A2A");
  });

  it("lists up to three skills by name (the id when a name is blank), then +N", () => {
    expect(skillsText(skills.slice(0, 2))).toBe("Skills: Echo, Translate");
    expect(skillsText(skills.slice(0, 3))).toBe("Skills: Echo, Translate, Slow");
    expect(skillsText(skills)).toBe("Skills: Echo, Translate, Slow +2");
    expect(skillsText([{ id: "ask", name: " ", description: null }])).toBe("Skills: ask");
    expect(skillsText([])).toBeNull();
  });

  it("titles every skill, one a line, with its description when it has one", () => {
    expect(skillsTitle(skills)).toBe("Echo — Replies with the message it was sent.\nTranslate\nSlow\nFail\nWait");
    expect(skillsTitle([])).toBe("The agent's card lists no skills.");
  });
});

describe("reportName", () => {
  it("takes the card's name, else the status document's", () => {
    expect(reportName(report({ adapter: "a2a", card, remote_name: "other" }))).toBe("Baton Echo Agent");
    expect(reportName(report({ remote_name: " researcher ", remote_id: "r-1" }))).toBe("researcher");
    expect(reportName(report({ remote_id: "r-1" }))).toBe("r-1");
    expect(reportName(report({ ok: false, remote_name: "x" }))).toBeNull();
    expect(reportName(report({ remote_name: " " }))).toBeNull();
  });
});

describe("choiceHint", () => {
  it("says where the protocol came from", () => {
    const detected = { adapter: "a2a", source: "detected", url: urlKey(" http://h:1/ ") } as const;
    expect(choiceHint(detected, "http://h:1", true)).toBe("Auto-detected by Test connection.");
    expect(choiceHint(detected, "http://h:2", true)).toMatch(/adding the agent detects it again/);
    expect(choiceHint(detected, "http://h:2", false)).toMatch(/test again/);
    expect(choiceHint({ adapter: "baton", source: "manual" }, "", true)).toBe("Chosen by hand.");
  });
});
