// The store dialog's part about this app: who it acts as, whether it watches the agents or only
// views the store (switched from the next start), and which watcher polls which agents.

import { useState } from "react";

import type { Presence } from "../bindings/Presence";
import { setWatching, toBackendError } from "../lib/backend";
import { modeSentence, watcherText, whoText } from "../lib/presence";
import { FormError } from "./FormError";

export function PresenceFacts({ presence, onPresence }: { presence: Presence; onPresence(p: Presence): void }) {
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<boolean | null>(null);
  // What the next start will do: the saved choice (the default is on).
  const next = presence.watching_saved ?? true;

  const choose = async (watching: boolean) => {
    setSaving(true);
    setError(null);
    try {
      onPresence(await setWatching(watching ? null : false));
      setChosen(watching);
    } catch (err) {
      setError(toBackendError(err).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="presence-facts" aria-label="This app" data-testid="presence-facts">
      <h3 className="store-subtitle">This app</h3>
      <dl className="store-facts">
        <dt>You</dt>
        <dd title="Decisions and changes made here are recorded as this person, from this machine (BATON_USER, BATON_HOST)">
          {whoText(presence)}
        </dd>
        {presence.role ? (
          <>
            <dt>Role</dt>
            <dd data-testid="presence-role-facts">
              {presence.role}
              {presence.cannot_change ? <span className="field-hint"> {presence.cannot_change}</span> : null}
            </dd>
          </>
        ) : null}
        <dt>Does</dt>
        <dd data-testid="presence-does">
          {presence.watching ? "Watches" : "Views only"}: it {modeSentence(presence.watching)} ({presence.watching_chosen_by})
        </dd>
        <dt>OpenTelemetry</dt>
        <dd data-testid="presence-otlp" title="Agents and clients that export OTLP/HTTP send it here (baton otlp; [otlp] in baton.toml)">
          {presence.otlp_listen ? (
            <>
              takes OTLP/HTTP on <code>http://{presence.otlp_listen}</code>
            </>
          ) : (
            "no receiver in this app (see baton otlp)"
          )}
        </dd>
      </dl>
      <div className="presence-choice">
        <button type="button" className="button" disabled={saving} onClick={() => void choose(!next)} data-testid="watching-toggle">
          {next ? "Only view from the next start" : "Watch the agents from the next start"}
        </button>
        {chosen !== null ? (
          <p className="field-hint" role="status" data-testid="watching-chosen">
            From its next start this app {chosen ? "watches the agents" : "only views the store"}: restart Baton to switch.
          </p>
        ) : null}
        {!presence.watching_choice_applies ? (
          <p className="field-hint">This run&apos;s choice came {presence.watching_chosen_by}: the one made here applies once that is unset.</p>
        ) : null}
        <FormError error={error} />
      </div>
      <h3 className="store-subtitle">Watchers</h3>
      {presence.watchers.length === 0 ? (
        <p className="field-hint no-watchers" data-testid="no-watchers">
          No <code>baton watch</code> shares this store{presence.watching ? ": this app polls every agent itself" : ": nobody polls the agents now"}.
        </p>
      ) : (
        <ul className="watcher-list" data-testid="watchers">
          {presence.watchers.map((w) => (
            <li key={w.id} className={w.live ? "" : "muted"}>
              {watcherText(w)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
