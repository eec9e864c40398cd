// What a route sends, and how often (issue 60): per class of item, at once, in the digest or
// never; the digest's period; quiet hours (local time: only critical items go, unless the
// person says otherwise; what they hold goes as the digest after); and how many new items in
// 10 minutes make a storm (one message). The same fields when a route is added and when it is
// changed; the engine checks what is saved and says what is wrong.

import { useState, type FormEvent } from "react";

import type { RoutePolicy } from "../bindings/RoutePolicy";
import type { RouteView } from "../bindings/RouteView";
import { setRoutePolicy, toBackendError } from "../lib/backend";
import { FormError } from "./FormError";

type Classes = "approvals" | "critical" | "limits" | "silent" | "warnings" | "notes";

const CLASSES: [Classes, string][] = [
  ["approvals", "Approval requests"],
  ["critical", "Critical items"],
  ["limits", "Limits running out"],
  ["silent", "Agents gone silent"],
  ["warnings", "Warnings"],
  ["notes", "Notes"],
];

const WHEN: Record<string, string> = { now: "at once", digest: "in the digest", never: "never" };

/** What a route sends, in a few words: what is not sent at once, the digest, quiet hours, storms.
 * On the desktop (`desktop`) nothing goes as a digest or a storm: what waits stays in the app. */
export function policySummary(p: RoutePolicy, desktop = false): string {
  const later = CLASSES.filter(([c]) => p[c] !== "now").map(([c, label]) =>
    desktop ? `${label.toLowerCase()} ${p[c] === "never" ? "never" : "in the app only"}` : `${label.toLowerCase()} ${WHEN[p[c]] ?? p[c]}`,
  );
  const parts = [later.length ? later.join(", ") : "everything at once"];
  if (!desktop) parts.push(`digest every ${p.digest_minutes} min`);
  if (p.quiet_hours) parts.push(`quiet ${p.quiet_hours}${p.critical_in_quiet ? " (critical still goes)" : ""}`);
  if (!desktop) parts.push(p.storm_items > 0 ? `over ${p.storm_items} new in 10 min: one message` : "no storm messages");
  return parts.join(" · ");
}

/** The fields as typed: the digest's period and the storm's count are text until saved. */
export type PolicyDraft = Omit<RoutePolicy, "digest_minutes" | "storm_items"> & { digest_minutes: string; storm_items: string };

export function draftOf(p: RoutePolicy): PolicyDraft {
  return { ...p, digest_minutes: String(p.digest_minutes), storm_items: String(p.storm_items) };
}

/** The policy the fields name, or what is wrong with them (the engine checks the rest). */
export function policyOf(d: PolicyDraft): RoutePolicy | string {
  const whole = (text: string) => (/^\s*\d{1,6}\s*$/.test(text) ? Number(text) : null);
  const [digestMinutes, stormItems] = [whole(d.digest_minutes), whole(d.storm_items)];
  if (digestMinutes === null || stormItems === null) return "The digest's period and the storm's count are whole numbers";
  const quiet = (d.quiet_hours ?? "").trim();
  return { ...d, digest_minutes: digestMinutes, storm_items: stormItems, quiet_hours: quiet === "" ? null : quiet };
}

/** The policy's fields; `idPrefix` keeps two sets on one page apart. A desktop route's have
 * no digest period and no storm count (neither goes to the desktop). */
export function PolicyFields({
  draft,
  idPrefix,
  desktop = false,
  onChange,
}: {
  draft: PolicyDraft;
  idPrefix: string;
  desktop?: boolean;
  onChange(d: PolicyDraft): void;
}) {
  const id = (field: string) => `${idPrefix}-${field}`;
  return (
    <>
      <div className="route-policy-grid">
        {CLASSES.map(([c, label]) => (
          <div className="field" key={c}>
            <label htmlFor={id(c)}>{label}</label>
            <select id={id(c)} data-testid={`policy-${c}`} value={draft[c]} onChange={(e) => onChange({ ...draft, [c]: e.target.value })}>
              <option value="now">at once</option>
              <option value="digest">{desktop ? "in the app only" : "in the digest"}</option>
              <option value="never">never</option>
            </select>
          </div>
        ))}
        {desktop ? null : (
          <div className="field">
            <label htmlFor={id("digest")}>Digest every (minutes)</label>
            <input id={id("digest")} data-testid="policy-digest-minutes" inputMode="numeric" value={draft.digest_minutes}
              onChange={(e) => onChange({ ...draft, digest_minutes: e.target.value })} />
          </div>
        )}
        <div className="field">
          <label htmlFor={id("quiet")}>Quiet hours (local)</label>
          <input id={id("quiet")} data-testid="policy-quiet-hours" placeholder="22:00-07:00" value={draft.quiet_hours ?? ""}
            onChange={(e) => onChange({ ...draft, quiet_hours: e.target.value })} />
        </div>
        {desktop ? null : (
          <div className="field">
            <label htmlFor={id("storm")}>Storm: over N in 10 min</label>
            <input id={id("storm")} data-testid="policy-storm-items" inputMode="numeric" value={draft.storm_items}
              onChange={(e) => onChange({ ...draft, storm_items: e.target.value })} />
          </div>
        )}
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={draft.critical_in_quiet} data-testid="policy-critical-in-quiet"
          onChange={(e) => onChange({ ...draft, critical_in_quiet: e.target.checked })} />
        Critical items still go in quiet hours
      </label>
    </>
  );
}

/** The route's sending settings, edited and saved; `onSaved` reloads the list. */
export function RoutePolicyForm({
  route,
  disabled,
  onSaved,
  onCancel,
}: {
  route: RouteView;
  disabled: boolean;
  onSaved(): Promise<void> | void;
  onCancel(): void;
}) {
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(route.policy));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const policy = policyOf(draft);
    if (typeof policy === "string") {
      setError(policy);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await setRoutePolicy(route.name, policy);
      await onSaved();
    } catch (err) {
      setError(toBackendError(err).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="route-policy" onSubmit={(e) => void save(e)} noValidate data-testid={`route-policy-${route.name}`}>
      <PolicyFields draft={draft} idPrefix={`route-${route.id}`} desktop={route.kind === "desktop"} onChange={setDraft} />
      <FormError error={error} />
      <div className="route-actions route-policy-actions">
        <button type="submit" className="button button--primary" disabled={saving || disabled} data-testid="policy-save">
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
