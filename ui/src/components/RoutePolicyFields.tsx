// What a route sends, and how often (issue 60): per class of item, at once, in the digest or
// never; the digest's period; quiet hours (local time: only critical items go, unless the
// person says otherwise; what they hold goes as the digest after); and how many new items in
// 10 minutes make a storm (one message). The engine checks what is saved and says what is wrong.

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

/** What a route sends, in a few words: what is not sent at once, the digest, quiet hours, storms. */
export function policySummary(p: RoutePolicy): string {
  const later = CLASSES.filter(([c]) => p[c] !== "now").map(([c, label]) => `${label.toLowerCase()} ${WHEN[p[c]] ?? p[c]}`);
  const parts = [later.length ? later.join(", ") : "everything at once", `digest every ${p.digest_minutes} min`];
  if (p.quiet_hours) parts.push(`quiet ${p.quiet_hours}${p.critical_in_quiet ? " (critical still goes)" : ""}`);
  parts.push(p.storm_items > 0 ? `over ${p.storm_items} new in 10 min: one message` : "no storm messages");
  return parts.join(" · ");
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
  const [p, setP] = useState<RoutePolicy>(route.policy);
  const [digest, setDigest] = useState(String(route.policy.digest_minutes));
  const [storm, setStorm] = useState(String(route.policy.storm_items));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const id = (field: string) => `route-${route.id}-${field}`;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const whole = (text: string) => (/^\s*\d{1,6}\s*$/.test(text) ? Number(text) : null);
    const [digestMinutes, stormItems] = [whole(digest), whole(storm)];
    if (digestMinutes === null || stormItems === null) {
      setError("The digest's period and the storm's count are whole numbers");
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const quiet = (p.quiet_hours ?? "").trim();
      const policy = { ...p, digest_minutes: digestMinutes, storm_items: stormItems, quiet_hours: quiet === "" ? null : quiet };
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
      <div className="route-policy-grid">
        {CLASSES.map(([c, label]) => (
          <div className="field" key={c}>
            <label htmlFor={id(c)}>{label}</label>
            <select id={id(c)} data-testid={`policy-${c}`} value={p[c]} onChange={(e) => setP({ ...p, [c]: e.target.value })}>
              <option value="now">at once</option>
              <option value="digest">in the digest</option>
              <option value="never">never</option>
            </select>
          </div>
        ))}
        <div className="field">
          <label htmlFor={id("digest")}>Digest every (minutes)</label>
          <input id={id("digest")} data-testid="policy-digest-minutes" inputMode="numeric" value={digest}
            onChange={(e) => setDigest(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={id("quiet")}>Quiet hours (local)</label>
          <input id={id("quiet")} data-testid="policy-quiet-hours" placeholder="22:00-07:00" value={p.quiet_hours ?? ""}
            onChange={(e) => setP({ ...p, quiet_hours: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={id("storm")}>Storm: over N in 10 min</label>
          <input id={id("storm")} data-testid="policy-storm-items" inputMode="numeric" value={storm}
            onChange={(e) => setStorm(e.target.value)} />
        </div>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={p.critical_in_quiet} data-testid="policy-critical-in-quiet"
          onChange={(e) => setP({ ...p, critical_in_quiet: e.target.checked })} />
        Critical items still go in quiet hours
      </label>
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
