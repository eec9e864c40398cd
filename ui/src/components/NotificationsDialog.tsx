// Settings → Notifications: the routes, where Baton reaches a person outside the app (issue 60):
// an ntfy topic whose buttons answer (Approve / Reject, signed, single-use), a webhook, the
// desktop. Each route says where it sends, who answers on it, where its token is kept (never
// the token) and how its sends went; Test sends one message, Remove removes it. The form adds
// one: empty topics are made up, long and random; a token goes to the OS keyring.

import { useCallback, useEffect, useState, type FormEvent } from "react";

import type { RouteView } from "../bindings/RouteView";
import type { RoutePolicy } from "../bindings/RoutePolicy";
import { addRoute, defaultRoutePolicy, notifyRoutes, removeRoute, testRoute, toBackendError } from "../lib/backend";
import { mayChange, useRights } from "../lib/rights";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";
import { draftOf, PolicyFields, policyOf, policySummary, RoutePolicyForm, type PolicyDraft } from "./RoutePolicyFields";
import { TextField } from "./TextField";

/** Where a route sends, in a few words. */
export function routeWhere(r: RouteView): string {
  if (r.kind === "ntfy") {
    const answers = r.reply_topic ? `; answers on ${r.reply_topic}` : "; no buttons";
    return `ntfy ${r.server ?? ""}/${r.topic ?? ""}${answers}`;
  }
  if (r.kind === "webhook") return `webhook ${r.url ?? ""} (${r.shape ?? "generic"})`;
  return "desktop notifications";
}

/** The Add form's policy in a few words (or what is wrong with it). */
function sendsSummary(d: PolicyDraft, desktop: boolean): string {
  const p = policyOf(d);
  return typeof p === "string" ? p : policySummary(p, desktop);
}

const EMPTY = { name: "", kind: "ntfy", person: "", server: "https://ntfy.sh", url: "", shape: "generic", click: "", token: "" };

export function NotificationsDialog({ onClose }: { onClose(): void }) {
  const may = mayChange(useRights());
  const [routes, setRoutes] = useState<RouteView[] | null>(null);
  const [form, setForm] = useState(EMPTY);
  const [nameError, setNameError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [tested, setTested] = useState<{ name: string; text: string; ok: boolean } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  // What a new route sends: the engine's defaults until the person changes them.
  const [defaults, setDefaults] = useState<RoutePolicy | null>(null);
  const [policy, setPolicy] = useState<PolicyDraft | null>(null);

  const load = useCallback(async () => {
    try {
      setRoutes(await notifyRoutes());
    } catch (err) {
      setFormError(toBackendError(err).message);
    }
  }, []);
  useEffect(() => {
    let on = true;
    // Without the defaults the form adds a route with them, its fields not shown.
    defaultRoutePolicy().then(
      (p) => {
        if (!on) return;
        setDefaults(p);
        setPolicy(draftOf(p));
      },
      () => {},
    );
    notifyRoutes().then(
      (r) => on && setRoutes(r),
      (err: unknown) => on && setFormError(toBackendError(err).message),
    );
    return () => {
      on = false;
    };
  }, []);

  const set = (key: keyof typeof EMPTY) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form.name.trim()) {
      setNameError("A route needs a name");
      return;
    }
    const chosen = policy === null ? null : policyOf(policy);
    if (typeof chosen === "string") {
      setFormError(chosen);
      return;
    }
    setSaving(true);
    setFormError(null);
    try {
      const ntfy = form.kind === "ntfy";
      const webhook = form.kind === "webhook";
      await addRoute(
        {
          name: form.name.trim(),
          kind: form.kind,
          person: form.person.trim() || undefined,
          server: ntfy ? form.server.trim() : undefined,
          url: webhook ? form.url.trim() : undefined,
          shape: webhook ? form.shape : undefined,
          click: form.kind !== "desktop" && form.click.trim() !== "" ? form.click.trim() : undefined,
          // Left out while it is the defaults: the engine sets its own.
          ...(chosen !== null && JSON.stringify(chosen) !== JSON.stringify(defaults) ? { policy: chosen } : {}),
        },
        form.token.trim() === "" || form.kind === "desktop" ? null : form.token.trim(),
      );
      setForm(EMPTY);
      if (defaults) setPolicy(draftOf(defaults));
      await load();
    } catch (err) {
      const error = toBackendError(err);
      if (error.field === "name") setNameError(error.message);
      else setFormError(error.message);
    } finally {
      setSaving(false);
    }
  };

  const remove = async (name: string) => {
    try {
      await removeRoute(name);
      await load();
    } catch (err) {
      setFormError(toBackendError(err).message);
    }
  };

  const test = async (name: string) => {
    setTested({ name, text: "Sending a test message…", ok: true });
    try {
      setTested({ name, text: await testRoute(name, null), ok: true });
    } catch (err) {
      setTested({ name, text: toBackendError(err).message, ok: false });
    }
  };

  return (
    <Modal title="Notifications" onClose={onClose} testId="notifications-dialog">
      <p className="field-hint route-intro">
        Routes bring approval requests, critical items, limits running out and silent agents to you at once, and warnings
        as a digest, while the app or <code>baton watch</code> runs (change it per route: What it sends). An
        ntfy route&apos;s buttons post a signed, single-use answer to its reply topic; Baton reads it over its own
        connection (no port opened). See docs/notifications.md.
      </p>
      {routes === null ? (
        <p className="route-intro" data-testid="routes-loading">Loading routes…</p>
      ) : routes.length === 0 ? (
        <p className="route-intro" data-testid="routes-empty">No routes yet.</p>
      ) : (
        <ul className="route-list" data-testid="routes">
          {routes.map((r) => (
            <li key={r.id} data-testid={`route-${r.name}`}>
              <strong>{r.name}</strong> · {r.person} · {routeWhere(r)}
              {r.token ? <span className="route-token"> · token from {r.token}</span> : null}
              {r.click ? <span className="route-click"> · a tap opens {r.click}</span> : null}
              <span className="route-sent">
                {" "}
                · {r.items_sent} item{r.items_sent === 1 ? "" : "s"} sent
              </span>
              <span className="route-policy-summary" data-testid={`route-sends-${r.name}`}>
                {" "}
                · {policySummary(r.policy, r.kind === "desktop")}
              </span>
              {r.failing_words ? (
                <span className="route-failing" data-testid={`route-failing-${r.name}`}>
                  {" "}
                  · failing: {r.failing_words}
                </span>
              ) : null}
              <span className="route-actions">
                <button type="button" className="button" onClick={() => void test(r.name)} data-testid={`route-test-${r.name}`}>
                  Test
                </button>
                <button type="button" className="button" {...may} aria-expanded={editing === r.name}
                  onClick={() => setEditing(editing === r.name ? null : r.name)} data-testid={`route-edit-${r.name}`}>
                  What it sends
                </button>
                <button type="button" className="button" {...may} onClick={() => void remove(r.name)} data-testid={`route-remove-${r.name}`}>
                  Remove
                </button>
              </span>
              {editing === r.name ? (
                <RoutePolicyForm route={r} disabled={may.disabled ?? false} onCancel={() => setEditing(null)}
                  onSaved={async () => { setEditing(null); await load(); }} />
              ) : null}
              {tested?.name === r.name ? (
                <p className={`banner ${tested.ok ? "banner--ok" : "banner--error"}`} role="status" data-testid="route-tested">
                  {tested.text}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <form className="agent-form" onSubmit={(e) => void submit(e)} noValidate>
        <h3 className="store-subtitle">Add a route</h3>
        <TextField id="route-name" name="name" label="Name" testId="route-name" value={form.name} error={nameError}
          onChange={(v) => { set("name")(v); setNameError(undefined); }} onBlur={() => {}} input={{ placeholder: "phone" }} />
        <div className="field">
          <label htmlFor="route-kind">Kind</label>
          <select id="route-kind" data-testid="route-kind" value={form.kind} onChange={(e) => set("kind")(e.target.value)}>
            <option value="ntfy">ntfy (buttons that answer)</option>
            <option value="webhook">webhook (one-way)</option>
            <option value="desktop">desktop</option>
          </select>
        </div>
        {form.kind === "ntfy" ? (
          <TextField id="route-server" name="server" label="ntfy server" testId="route-server" value={form.server}
            hint="Topics are made up, long and random: subscribe to the first one in the ntfy app"
            onChange={set("server")} onBlur={() => {}} input={{}} />
        ) : null}
        {form.kind === "webhook" ? (
          <>
            <TextField id="route-url" name="url" label="Webhook URL" testId="route-url" value={form.url}
              onChange={set("url")} onBlur={() => {}} input={{ placeholder: "https://hooks.slack.com/services/…" }} />
            <div className="field">
              <label htmlFor="route-shape">Body</label>
              <select id="route-shape" data-testid="route-shape" value={form.shape} onChange={(e) => set("shape")(e.target.value)}>
                <option value="generic">generic JSON</option>
                <option value="slack">Slack</option>
                <option value="discord">Discord</option>
                <option value="teams">Teams</option>
              </select>
            </div>
          </>
        ) : null}
        {form.kind !== "desktop" ? (
          <TextField id="route-click" name="click" label="Click URL (optional)" testId="route-click" value={form.click}
            hint="What tapping a notification opens; {item} becomes the queue item's id"
            onChange={set("click")} onBlur={() => {}} input={{ placeholder: "https://baton.example/items/{item}" }} />
        ) : null}
        <TextField id="route-person" name="person" label="Who answers on it (the decision log's name)" testId="route-person"
          value={form.person} hint="Empty: you" onChange={set("person")} onBlur={() => {}} input={{}} />
        {form.kind !== "desktop" ? (
          <TextField id="route-token" name="token" label="Access token (kept in the OS keyring, never in a file)" testId="route-token"
            value={form.token} hint="Empty: none (the topic name is then the password)" onChange={set("token")} onBlur={() => {}}
            input={{ type: "password" }} />
        ) : null}
        {policy !== null ? (
          <details className="route-add-policy" data-testid="route-add-policy">
            <summary>What it sends: {sendsSummary(policy, form.kind === "desktop")}</summary>
            <PolicyFields draft={policy} idPrefix="route-new" desktop={form.kind === "desktop"} onChange={setPolicy} />
          </details>
        ) : null}
        <FormError error={formError} />
        <ModalActions onCancel={onClose} cancelLabel="Close" plainCancel>
          <button type="submit" className="button button--primary" disabled={saving || may.disabled} title={may.title} data-testid="route-add">
            {saving ? "Adding…" : "Add route"}
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
