// Which protocol an agent speaks (its adapter): labels, and what Test connection detected.

import type { AdapterKind } from "../bindings/AdapterKind";
import type { AgentCard } from "../bindings/AgentCard";
import type { Binding } from "../bindings/Binding";
import type { ConnectionReport } from "../bindings/ConnectionReport";

export const ADAPTERS: readonly AdapterKind[] = ["baton", "a2a"];

export const ADAPTER_LABEL: Record<AdapterKind, string> = { baton: "baton/1", a2a: "A2A" };

export const BINDING_LABEL: Record<Binding, string> = { json_rpc: "JSON-RPC", http_json: "HTTP+JSON" };

export function isAdapter(value: string): value is AdapterKind {
  return (ADAPTERS as readonly string[]).includes(value);
}

/**
 * The name a test is sent with while the form's name is still empty: the backend wants one, and
 * the agent's own name (from its status or card) then fills the field.
 */
export const UNNAMED = "unnamed";

/** Skills listed by name before "+N more". */
const MAX_SKILLS = 3;

/** "A2A 1.0 · JSON-RPC — Echo Agent · skills: Echo, Ask": the card and the interface Baton uses. */
export function cardText(card: AgentCard): string {
  const iface = card.interfaces[0];
  const protocol = iface ? `A2A ${iface.version} · ${BINDING_LABEL[iface.binding]}` : "A2A";
  const names = card.skills.map((s) => s.name.trim() || s.id);
  const skills =
    names.length === 0
      ? ""
      : ` · skills: ${names.slice(0, MAX_SKILLS).join(", ")}${names.length > MAX_SKILLS ? ` +${names.length - MAX_SKILLS} more` : ""}`;
  return `${protocol} — ${card.name}${skills}`;
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
