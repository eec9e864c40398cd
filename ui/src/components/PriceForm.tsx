// Adding or editing one of the user's prices: API, model (optional; may end in * for a prefix of
// names), dollars per 1,000 input and output tokens. Checked before sending; the backend's
// refusal shows at the field it is about. Enter saves, Escape cancels.

import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import type { Price } from "../bindings/Price";
import { setPrice, toBackendError } from "../lib/backend";
import {
  modelText,
  priceErrorField,
  priceValue,
  samePrice,
  validatePriceForm,
  type PriceErrors,
  type PriceField,
  type PriceFormValues,
} from "../lib/costs";
import { sentence } from "../lib/validation";
import { FormError } from "./FormError";

const FIELDS: readonly PriceField[] = ["api", "model", "input", "output"];

const LABEL: Record<PriceField, string> = {
  api: "API",
  model: "Model (optional)",
  input: "$ per 1k input",
  output: "$ per 1k output",
};

const PLACEHOLDER: Record<PriceField, string> = {
  api: "openai",
  model: "every model",
  input: "0.0025",
  output: "0.01",
};

export function PriceForm({
  mode,
  initial,
  prices,
  onSaved,
  onCancel,
}: {
  mode: "add" | "edit";
  initial: PriceFormValues;
  /** The table in force (to say when saving replaces one of the user's prices). */
  prices: readonly Price[];
  onSaved(list: Price[]): void;
  onCancel(): void;
}) {
  const ids = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<PriceFormValues>(initial);
  const [errors, setErrors] = useState<PriceErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const editing = mode === "edit";

  const focus = (field: PriceField) =>
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLInputElement>(`[name="${field}"]`)?.focus());

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (busy) return;
    const found = validatePriceForm(values);
    setErrors(found);
    setFormError(null);
    const first = FIELDS.find((f) => found[f]);
    if (first) {
      focus(first);
      return;
    }
    setBusy(true);
    try {
      onSaved(await setPrice(priceValue(values)));
    } catch (thrown) {
      const err = toBackendError(thrown);
      const field = priceErrorField(err.field);
      if (field) {
        setErrors({ [field]: err.message });
        focus(field);
      } else {
        setFormError(err.message);
      }
      setBusy(false);
    }
  };

  const onKey = (ev: KeyboardEvent<HTMLFormElement>) => {
    if (ev.key !== "Escape") return;
    ev.preventDefault();
    ev.stopPropagation();
    onCancel();
  };

  const draft = priceValue(values);
  const replaces =
    !editing && draft.api !== "" && prices.some((p) => !p.default && samePrice(p, draft))
      ? `You already have a price for ${modelText(draft.api, draft.model)}: saving replaces it.`
      : null;

  return (
    <form
      ref={formRef}
      className="price-form"
      onSubmit={(ev) => void submit(ev)}
      onKeyDown={onKey}
      noValidate
      aria-label={editing ? `Edit the price for ${modelText(initial.api, initial.model.trim() || null)}` : "Add a price"}
      data-testid="price-form"
    >
      <div className="price-form-row">
        {FIELDS.map((field, i) => {
          const id = `${ids}-${field}`;
          const error = errors[field];
          const fixed = editing && (field === "api" || field === "model");
          return (
            <div key={field} className={`field price-field price-field--${field}${error ? " field--invalid" : ""}`}>
              <label htmlFor={id}>{LABEL[field]}</label>
              <input
                id={id}
                name={field}
                value={values[field]}
                placeholder={PLACEHOLDER[field]}
                inputMode={field === "input" || field === "output" ? "decimal" : undefined}
                spellCheck={false}
                autoComplete="off"
                // The first field to change takes focus when the form opens.
                autoFocus={editing || initial.api !== "" ? field === "input" : i === 0}
                readOnly={fixed || busy}
                title={fixed ? "A price is kept by API and model: to change them, remove this one and add another" : undefined}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-error` : undefined}
                onChange={(e) => {
                  const v = e.target.value;
                  setValues((s) => ({ ...s, [field]: v }));
                  if (error) setErrors((s) => ({ ...s, [field]: undefined }));
                }}
                data-testid={`price-${field}`}
              />
              {error ? (
                <span className="field-error" id={`${id}-error`} role="alert">
                  {sentence(error)}
                </span>
              ) : null}
            </div>
          );
        })}
        <div className="price-form-actions">
          <button type="submit" className="button button--small button--primary" aria-disabled={busy || undefined} data-testid="price-save">
            {busy ? "Saving…" : editing ? "Save price" : "Add price"}
          </button>
          <button type="button" className="button button--small button--ghost" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
      <p className="field-hint">
        The model may end in * for every model whose name starts so (claude-sonnet-4*); leave it empty for every model of the API that has no
        price of its own.
      </p>
      {replaces ? <p className="field-hint price-replaces">{replaces}</p> : null}
      <FormError error={formError} testId="price-form-error" sentence />
    </form>
  );
}
