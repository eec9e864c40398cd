// "Events kept N days" in the timeline's header, with a small dialog to change it. Older events
// are compacted into their tasks' state changes; the backend checks the value (1 to 3660 days).

import { useEffect, useState, type FormEvent } from "react";

import { retentionDays, setRetentionDays, toBackendError } from "../lib/backend";
import { mayChange, useRights } from "../lib/rights";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";
import { TextField } from "./TextField";

export const MIN_RETENTION = 1;
export const MAX_RETENTION = 3660;

/** The days typed, or an error for the field. */
export function parseRetention(text: string): { days: number } | { error: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { error: "Enter a whole number of days" };
  const days = Number(t);
  if (days < MIN_RETENTION || days > MAX_RETENTION) return { error: `Keep events ${MIN_RETENTION} to ${MAX_RETENTION} days` };
  return { days };
}

export function RetentionSetting({ onChanged }: { onChanged(days: number): void }) {
  const [days, setDays] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const may = mayChange(useRights());

  useEffect(() => {
    let on = true;
    retentionDays().then(
      (d) => on && setDays(d),
      (err: unknown) => on && setLoadError(toBackendError(err).message),
    );
    return () => {
      on = false;
    };
  }, []);

  return (
    <span className="ft-retention" data-testid="retention">
      {days !== null ? (
        <span title="Older events are compacted into their tasks' state changes">
          events kept {days.toLocaleString()} {days === 1 ? "day" : "days"}
        </span>
      ) : loadError ? (
        <span className="text-bad" title={loadError}>
          retention unknown
        </span>
      ) : (
        <span className="muted">events kept …</span>
      )}
      <button
        type="button"
        className="button button--small button--ghost"
        onClick={() => setEditing(true)}
        disabled={days === null}
        data-testid="retention-edit" {...may}
      >
        Edit
      </button>
      {editing && days !== null ? (
        <RetentionDialog
          days={days}
          onClose={() => setEditing(false)}
          onSaved={(saved) => {
            setDays(saved);
            setEditing(false);
            onChanged(saved);
          }}
        />
      ) : null}
    </span>
  );
}

function RetentionDialog({ days, onClose, onSaved }: { days: number; onClose(): void; onSaved(days: number): void }) {
  const [text, setText] = useState(String(days));
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseRetention(text);
    if ("error" in parsed) {
      setFieldError(parsed.error);
      return;
    }
    setSaving(true);
    setFormError(null);
    try {
      onSaved(await setRetentionDays(parsed.days));
    } catch (err) {
      const error = toBackendError(err);
      if (error.field === "retention_days") setFieldError(error.message);
      else setFormError(error.message);
      setSaving(false);
    }
  };

  return (
    <Modal title="Keep events" onClose={onClose} testId="retention-dialog">
      <form className="agent-form" onSubmit={(e) => void submit(e)} noValidate>
        <p className="muted">
          Events older than this are compacted: their tasks&apos; state changes stay (the timeline and the replay still
          show them), the rest goes.
        </p>
        <TextField
          id="retention-days"
          name="retention_days"
          label="Days"
          testId="retention-days"
          value={text}
          error={fieldError}
          hint={`${MIN_RETENTION} to ${MAX_RETENTION} days`}
          onChange={(v) => {
            setText(v);
            setFieldError(undefined);
          }}
          onBlur={() => {}}
          input={{ inputMode: "numeric", autoFocus: true }}
        />
        <FormError error={formError} />
        <ModalActions onCancel={onClose} plainCancel>
          <button type="submit" className="button button--primary" disabled={saving} data-testid="retention-save">
            {saving ? "Saving…" : "Save"}
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
