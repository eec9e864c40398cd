// Which protocol an agent speaks (its adapter): labels, and what Test connection detected.

import type { AdapterKind } from "../bindings/AdapterKind";
import type { AgentCard } from "../bindings/AgentCard";
import type { Binding } from "../bindings/Binding";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { Interface } from "../bindings/Interface";
import type { Skill } from "../bindings/Skill";

/** The protocols a person can pick for an agent (sessions join through their hooks). */
export const ADAPTERS: readonly AdapterKind[] = ["baton", "a2a"];

export const ADAPTER_LABEL: Record<AdapterKind, string> = {
  baton: "baton/1",
  a2a: "A2A",
  session: "session",
  otlp: "OpenTelemetry",
};

export const BINDING_LABEL: Record<Binding, string> = { json_rpc: "JSON-RPC", http_json: "HTTP+JSON" };

export function isAdapter(value: string): value is AdapterKind {
  return (ADAPTERS as readonly string[]).includes(value);
}

/**
 * The name a test is sent with while the form's name is still empty: the backend wants one, and
 * the agent's own name (from its status or card) then fills the field.
 */
export const UNNAMED = "unnamed";

/** Skills listed by name before "+N" (the Test connection result says "+N more"). */
const MAX_SKILLS = 3;

/** "A2A 1.0 · JSON-RPC": an interface in words ("A2A" when the card has none). */
export function interfaceText(iface: Interface | undefined): string {
  return iface ? `A2A ${iface.version} · ${BINDING_LABEL[iface.binding]}` : "A2A";
}

/** The interface Baton uses: the card's first. */
export function usedInterface(card: AgentCard): Interface | undefined {
  return card.interfaces[0];
}

const skillName = (s: Skill) => s.name.trim() || s.id;

/** "A2A 1.0 · JSON-RPC — Echo Agent · skills: Echo, Ask": the card and the interface Baton uses. */
export function cardText(card: AgentCard): string {
  const protocol = interfaceText(usedInterface(card));
  const names = card.skills.map(skillName);
  const skills =
    names.length === 0
      ? ""
      : ` · skills: ${names.slice(0, MAX_SKILLS).join(", ")}${names.length > MAX_SKILLS ? ` +${names.length - MAX_SKILLS} more` : ""}`;
  return `${protocol} — ${card.name}${skills}`;
}

/** "Skills: Echo, Ask, Slow +2" on an A2A agent's row; null when the card lists none. */
export function skillsText(skills: readonly Skill[]): string | null {
  if (skills.length === 0) return null;
  const names = skills.map(skillName);
  const more = names.length > MAX_SKILLS ? ` +${names.length - MAX_SKILLS}` : "";
  return `Skills: ${names.slice(0, MAX_SKILLS).join(", ")}${more}`;
}

/** Every skill, one a line, with its description when it has one: "Echo — Replies with …". */
export function skillsTitle(skills: readonly Skill[]): string {
  if (skills.length === 0) return "The agent's card lists no skills.";
  return skills
    .map((s) => {
      const description = s.description?.trim();
      return description ? `${skillName(s)} — ${description}` : skillName(s);
    })
    .join("\n");
}

/** "Detected: A2A 1.0 · JSON-RPC — Echo Agent · skills: Echo", "Detected: baton/1", or null. */
export function detectedText(report: ConnectionReport): string | null {
  if (!report.ok || !report.adapter) return null;
  if (report.adapter === "a2a" && report.card) return `Detected: ${cardText(report.card)}`;
  return `Detected: ${ADAPTER_LABEL[report.adapter]}`;
}

/** The agent's own name from a successful test: its card's, else its status document's. */
export function reportName(report: ConnectionReport): string | null {
  if (!report.ok) return null;
  const name = (report.card?.name ?? report.remote_name ?? report.remote_id ?? "").trim();
  return name === "" ? null : name;
}

/** A base URL as compared to decide whether it was tested: trimmed, without trailing slashes. */
export function urlKey(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/** What the protocol field holds, and where it came from. */
export type AdapterChoice =
  | { adapter: AdapterKind; source: "default" | "saved" | "manual" }
  /** Taken from a test of `url` (a urlKey). */
  | { adapter: AdapterKind; source: "detected"; url: string };

/** The hint under the protocol field. */
export function choiceHint(choice: AdapterChoice, currentUrl: string, adding: boolean): string {
  switch (choice.source) {
    case "detected":
      return choice.url === urlKey(currentUrl)
        ? "Auto-detected by Test connection."
        : adding
          ? "Detected for another URL: adding the agent detects it again."
          : "Detected for another URL: test again to be sure.";
    case "manual":
      return "Chosen by hand.";
    case "saved":
      return "Test connection detects it again.";
    case "default":
      return "Detected when you test the connection or add the agent.";
  }
}
