import type { InputHTMLAttributes } from "react";

import { sentence } from "../lib/validation";

/** A labelled one-line input with its error (as an alert) or, when there is none, its hint. */
export function TextField({
  id,
  name,
  label,
  testId,
  value,
  error,
  hint,
  onChange,
  onBlur,
  input,
}: {
  id: string;
  name: string;
  label: string;
  testId: string;
  value: string;
  error?: string;
  hint?: string;
  onChange: (value: string) => void;
  onBlur: () => void;
  input: InputHTMLAttributes<HTMLInputElement>;
}) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className={`field ${error ? "field--invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        data-testid={testId}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onBlur={onBlur}
        aria-invalid={error ? true : undefined}
        aria-describedby={[errorId, hintId].filter(Boolean).join(" ") || undefined}
        spellCheck={false}
        autoComplete="off"
        {...input}
      />
      {error ? (
        <p className="field-error" id={errorId} role="alert">
          {sentence(error)}
        </p>
      ) : hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}
