// The readiness rule's four thresholds, checked here before sending; the backend's refusals show
// at the field they name. Enter saves, Escape closes without saving.

import { useId, useRef, useState, type FormEvent } from "react";

import type { Readiness } from "../bindings/Readiness";
import type { ReadinessThresholds } from "../bindings/ReadinessThresholds";
import { setReadinessThresholds, toBackendError } from "../lib/backend";
import {
  DEFAULT_THRESHOLDS,
  isThresholdField,
  MAX_READINESS_DAYS,
  thresholdMessage,
  thresholdsOf,
  thresholdValues,
  THRESHOLD_FIELDS,
  validateThresholds,
  type ThresholdErrors,
  type ThresholdField,
  type ThresholdValues,
} from "../lib/readiness";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";
import { TextField } from "./TextField";

const LABEL: Record<ThresholdField, string> = {
  days: "Days of stable running",
  approval_percent: "Requests approved as asked, at least (%)",
  max_failure_percent: "Failed tasks, at most (%)",
  poll_health_percent: "Polls answered on a stable day, at least (%)",
};

const HINT: Record<ThresholdField, string> = {
  days: `Consecutive UTC days, 1 to ${MAX_READINESS_DAYS} (default ${DEFAULT_THRESHOLDS.days}: four weeks)`,
  approval_percent: `Of its requests a person decided, the share approved without edits (default ${DEFAULT_THRESHOLDS.approval_percent})`,
  max_failure_percent: `Of its tasks that ended, the share that failed (default ${DEFAULT_THRESHOLDS.max_failure_percent})`,
  poll_health_percent: `A day counts as stable when this share of its polls was answered (default ${DEFAULT_THRESHOLDS.poll_health_percent})`,
};

export function ThresholdsModal({
  thresholds,
  onClose,
  onSaved,
}: {
  thresholds: ReadinessThresholds;
  onClose(): void;
  onSaved(list: Readiness[]): void;
}) {
  const ids = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<ThresholdValues>(() => thresholdValues(thresholds));
  const [errors, setErrors] = useState<ThresholdErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const focusField = (field: ThresholdField) =>
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLInputElement>(`[name="${field}"]`)?.focus());

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (busy) return;
    const found = validateThresholds(values);
    setErrors(found);
    setFormError(null);
    const first = THRESHOLD_FIELDS.find((f) => found[f]);
    if (first) {
      focusField(first);
      return;
    }
    setBusy(true);
    try {
      onSaved(await setReadinessThresholds(thresholdsOf(values)));
    } catch (thrown) {
      const err = toBackendError(thrown);
      if (isThresholdField(err.field)) {
        setErrors({ [err.field]: thresholdMessage(err.field, err.message) });
        focusField(err.field);
      } else {
        setFormError(err.message);
      }
      setBusy(false);
    }
  };

  const change = (field: ThresholdField, value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    if (errors[field]) setErrors((e) => ({ ...e, [field]: undefined }));
  };
  // A field's own problem shows once it is left (the backend's stays until it is edited).
  const blur = (field: ThresholdField) => {
    const problem = validateThresholds(values)[field];
    if (problem) setErrors((e) => ({ ...e, [field]: problem }));
  };

  return (
    <Modal title="Readiness thresholds" onClose={onClose} testId="thresholds-modal">
      <form ref={formRef} onSubmit={(ev) => void submit(ev)} noValidate aria-label="Readiness thresholds">
        <div className="modal-body thresholds-body">
          <p>
            An agent is ready for a second agent beside it after this many consecutive days of stable polling, with no
            unresolved trigger or data conflict, its requests approved as asked often enough and few tasks failed.
          </p>
          {THRESHOLD_FIELDS.map((field) => (
            <TextField
              key={field}
              id={`${ids}-${field}`}
              name={field}
              label={LABEL[field]}
              testId={`threshold-${field}`}
              value={values[field]}
              error={errors[field]}
              hint={HINT[field]}
              onChange={(v) => change(field, v)}
              onBlur={() => blur(field)}
              input={{ inputMode: "numeric", readOnly: busy }}
            />
          ))}
          <FormError error={formError} testId="thresholds-error" sentence />
        </div>
        <ModalActions
          onCancel={onClose}
          start={
            <button
              type="button"
              className="button button--ghost"
              onClick={() => {
                setValues(thresholdValues(DEFAULT_THRESHOLDS));
                setErrors({});
              }}
              disabled={busy}
              data-testid="thresholds-defaults"
            >
              Baton&apos;s defaults
            </button>
          }
        >
          <button
            type="submit"
            className="button button--primary"
            // aria-disabled, not disabled: focus stays in the dialog (and Escape keeps working) meanwhile.
            aria-disabled={busy || undefined}
            data-testid="thresholds-save"
          >
            {busy ? "Saving…" : "Save thresholds"}
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
