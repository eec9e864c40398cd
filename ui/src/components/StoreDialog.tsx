// The store panel: where Baton keeps what it sees (engine, place, who chose it, size and
// growth), where this app stands on it (PresenceFacts), and choosing another store for this
// data folder: a postgres:// URL with its password (kept in the OS keyring) or a SQLite file.
// The backend connects before saving.

import { useState, type FormEvent } from "react";

import type { Presence } from "../bindings/Presence";
import type { StoreOverview } from "../bindings/StoreOverview";
import { chooseStore, toBackendError } from "../lib/backend";
import { bytesText, machineLinkText, storeInputProblem } from "../lib/store";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";
import { PresenceFacts } from "./PresenceFacts";
import { TextField } from "./TextField";

export function StoreDialog({
  overview,
  presence = null,
  onPresence = () => {},
  onClose,
}: {
  overview: StoreOverview;
  /** Where this app stands (who, watching or viewing, the watchers); null: not shown. */
  presence?: Presence | null;
  onPresence?: (p: Presence) => void;
  onClose(): void;
}) {
  const [location, setLocation] = useState("");
  const [password, setPassword] = useState("");
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [chosen, setChosen] = useState<StoreOverview | "default" | null>(null);
  const postgres = /^postgres(?:ql)?:\/\//i.test(location.trim());

  const choose = async (url: string | null) => {
    setSaving(true);
    setFormError(null);
    try {
      const next = await chooseStore(url, url && postgres && password !== "" ? password : null);
      setChosen(url === null ? "default" : next);
    } catch (err) {
      const error = toBackendError(err);
      if (error.field === "store") setFieldError(error.message);
      else setFormError(error.message);
    } finally {
      setSaving(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = storeInputProblem(location);
    if (problem) {
      setFieldError(problem);
      return;
    }
    void choose(location.trim());
  };

  const engine = overview.engine === "postgres" ? "PostgreSQL" : "SQLite";
  const cap = overview.max_bytes === null ? "no cap" : `of ${bytesText(overview.max_bytes)}`;
  return (
    <Modal title="Store" onClose={onClose} testId="store-dialog">
      <dl className="store-facts" data-testid="store-facts">
        <dt>Engine</dt>
        <dd>
          {engine}, schema {overview.schema_version}
        </dd>
        <dt>Where</dt>
        <dd className="store-where">{overview.location}</dd>
        <dt>Chosen</dt>
        <dd>{overview.chosen_by}</dd>
        <dt>Size</dt>
        <dd>
          {bytesText(overview.bytes)} ({cap}), {overview.events.toLocaleString()} events; about{" "}
          {bytesText(overview.growth_per_day)} a day at the last day&apos;s pace
        </dd>
        {overview.machines.length > 0 ? (
          <>
            <dt>Hooks</dt>
            <dd>
              <ul className="store-machines" data-testid="store-machines">
                {overview.machines.map((link) => (
                  <li key={link.host}>{machineLinkText(link)}</li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
      {presence ? <PresenceFacts presence={presence} onPresence={onPresence} /> : null}
      {chosen ? (
        <p className="banner banner--ok" role="status" data-testid="store-chosen">
          {chosen === "default"
            ? "Back to this data folder's own baton.sqlite3"
            : `Connected: ${chosen.engine === "postgres" ? "PostgreSQL" : "SQLite"}, schema ${chosen.schema_version}`}
          . Baton, the baton command and the coding-agent hooks of this data folder use it from their next start:
          restart Baton to switch.
        </p>
      ) : (
        <form className="agent-form" onSubmit={submit} noValidate>
          <h3 className="store-subtitle">Use another store</h3>
          {!overview.choice_applies ? (
            <p className="field-hint">
              This run&apos;s store was {overview.chosen_by}: a store chosen here applies once that is unset.
            </p>
          ) : null}
          <TextField
            id="store-location"
            name="store"
            label="PostgreSQL URL or SQLite file"
            testId="store-location"
            value={location}
            error={fieldError}
            hint="postgres://user@host/database (TLS is checked away from this machine), or /path/to/baton.sqlite3"
            onChange={(v) => {
              setLocation(v);
              setFieldError(undefined);
            }}
            onBlur={() => {}}
            input={{ autoFocus: true, placeholder: "postgres://baton@db.example.org/baton" }}
          />
          {postgres ? (
            <TextField
              id="store-password"
              name="password"
              label="Password (kept in the OS keyring, never in a file)"
              testId="store-password"
              value={password}
              hint="Leave empty when PGPASSWORD or ~/.pgpass has it"
              onChange={setPassword}
              onBlur={() => {}}
              input={{ type: "password" }}
            />
          ) : null}
          <FormError error={formError} />
          <ModalActions
            onCancel={onClose}
            cancelLabel="Close"
            plainCancel
            start={
              overview.saved_choice ? (
                <button type="button" className="button" disabled={saving} onClick={() => void choose(null)} data-testid="store-default">
                  Back to this folder&apos;s file
                </button>
              ) : null
            }
          >
            <button type="submit" className="button button--primary" disabled={saving} data-testid="store-use">
              {saving ? "Connecting…" : "Connect and use"}
            </button>
          </ModalActions>
        </form>
      )}
    </Modal>
  );
}
