import { useId, useState, type RefObject } from "react";

import type { WindowOverrides } from "../bindings/WindowOverrides";
import { BackendError, detectWindows, setDetectWindows, toBackendError } from "../lib/backend";
import {
  countWindows,
  describeDefault,
  formatWindow,
  isWindowField,
  normalizeWindows,
  parseWindow,
  parseWindows,
  windowsChange,
  windowsText,
  WINDOW_DEFAULTS,
  WINDOW_FIELDS,
  WINDOWS_SECTION,
  type WindowErrors,
  type WindowField,
  type WindowsText,
} from "../lib/detectWindows";
import { useFocusLater } from "../lib/useFocusLater";
import { sentence, withoutError } from "../lib/validation";
import { FormSection } from "./FormSection";

export const windowTestId = (field: WindowField) => `agent-window-${field}`;

const LABELS: Record<WindowField, { label: string; hint: string }> = {
  write_collision_seconds: { label: "Write collision", hint: "Two writes of one resource within this collide." },
  trigger_collision_seconds: { label: "Trigger collision", hint: "Two agents acting on one trigger within this collide." },
  silent_completion_seconds: { label: "Silent completion", hint: "A next stage quiet this long after a completion." },
  stall_seconds: { label: "Stall", hint: "A working task without progress this long." },
  time_budget_seconds: { label: "Time budget", hint: "A task working longer than this." },
  unreachable_polls: { label: "Unreachable after", hint: "Failed polls in a row." },
};

/** Where the section is with the agent's stored overrides, loaded the first time it opens. */
type Load =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "loaded"; saved: WindowOverrides }
  | { state: "failed" };

export interface DetectWindowsFieldsProps {
  open: boolean;
  onToggle: () => void;
  load: Load;
  text: WindowsText;
  errorFor: (field: WindowField) => string | undefined;
  onChange: (field: WindowField, value: string) => void;
  onBlur: (field: WindowField) => void;
  onReset: () => void;
  onRetry: () => void;
  /** About the whole section: loading failed, or saving failed for no one field. */
  error: string | null;
  rootRef: RefObject<HTMLElement | null>;
}

/**
 * The "Detector windows" section of the agent form (edit only): this agent's overrides of how
 * long the detectors wait before flagging a collision, a stall, and so on. Collapsed at first;
 * blank fields keep the default. The parent saves them with the agent (useDetectWindows).
 */
export function DetectWindowsFields(props: DetectWindowsFieldsProps) {
  const { open, onToggle, load, text, errorFor, onChange, onBlur, onReset, onRetry, error, rootRef } = props;
  const ids = useId();
  const hintId = `${ids}-hint`;
  const typed = countWindows(parseWindows(text).windows);
  const summary =
    load.state !== "loaded" ? null : typed === 0 ? "all defaults" : `${typed} of ${WINDOW_FIELDS.length} changed`;
  const clearing = load.state === "loaded" && countWindows(load.saved) > 0 && WINDOW_FIELDS.every((f) => text[f].trim() === "");

  return (
    <FormSection
      testId="agent-windows"
      title="Detector windows"
      summary={summary}
      open={open}
      onToggle={onToggle}
      busy={load.state === "loading"}
      rootRef={rootRef}
    >
      {error ? (
        <div className="declares-status windows-error" role="alert" data-testid="agent-windows-error">
          <span>{sentence(error)}</span>
          {load.state === "failed" ? (
            <button type="button" className="button button--small" onClick={onRetry}>
              Try again
            </button>
          ) : null}
        </div>
      ) : null}
      {load.state === "loading" ? (
        <p className="field-hint" role="status">
          Loading this agent’s windows…
        </p>
      ) : null}
      {load.state === "loaded" ? (
        <>
          <p className="field-hint" id={hintId}>
            How long the detectors wait before flagging this agent. Blank keeps the default. Type
            durations like <code>90s</code>, <code>10m</code>, <code>1h30m</code> or <code>2d</code>; a
            plain number is seconds.
          </p>
          <div className="declares-grid">
            {WINDOW_FIELDS.map((field) => {
              const fieldError = errorFor(field);
              const inputId = `${ids}-${field}`;
              const errorId = `${inputId}-error`;
              const fieldHintId = `${inputId}-hint`;
              const { label, hint } = LABELS[field];
              return (
                <div key={field} className={`field ${fieldError ? "field--invalid" : ""}`}>
                  <label htmlFor={inputId}>
                    {label} <span className="declares-label-hint">default {describeDefault(field)}</span>
                  </label>
                  <input
                    id={inputId}
                    name={field}
                    className="mono"
                    data-testid={windowTestId(field)}
                    value={text[field]}
                    placeholder={formatWindow(field, WINDOW_DEFAULTS[field])}
                    inputMode={field === "unreachable_polls" ? "numeric" : undefined}
                    onChange={(e) => onChange(field, e.target.value)}
                    onBlur={() => onBlur(field)}
                    aria-invalid={fieldError ? true : undefined}
                    aria-describedby={`${fieldError ? errorId : fieldHintId} ${hintId}`}
                    spellCheck={false}
                    autoComplete="off"
                  />
                  {fieldError ? (
                    <p className="field-error" id={errorId} role="alert" data-testid={`${windowTestId(field)}-error`}>
                      {sentence(fieldError)}
                    </p>
                  ) : (
                    <p className="field-hint" id={fieldHintId}>
                      {hint}
                    </p>
                  )}
                </div>
              );
            })}
          </div>
          <div className="declares-status">
            <button
              type="button"
              className="button button--small button--ghost"
              data-testid="agent-windows-reset"
              onClick={onReset}
            >
              Reset to defaults
            </button>
            {clearing ? <span>Saving puts every window back to its default.</span> : null}
          </div>
        </>
      ) : null}
    </FormSection>
  );
}

/**
 * The state behind the Detector windows section. `agentId` null (a new agent): no section, and
 * validate/save do nothing. The overrides load the first time the section opens; until then
 * saving leaves them alone.
 */
export function useDetectWindows(agentId: number | null) {
  const [open, setOpen] = useState(false);
  const [load, setLoad] = useState<Load>({ state: "idle" });
  const [text, setText] = useState<WindowsText>(() => windowsText({}));
  const [touched, setTouched] = useState<Partial<Record<WindowField, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<WindowErrors>({});
  const [error, setError] = useState<string | null>(null);

  // An input to focus once it is on screen (the section may have been closed).
  const { rootRef, focusLater } = useFocusLater();

  const fetchWindows = async () => {
    if (agentId === null) return;
    setLoad({ state: "loading" });
    setError(null);
    try {
      const saved = normalizeWindows(await detectWindows(agentId));
      setText(windowsText(saved));
      setLoad({ state: "loaded", saved });
    } catch (thrown) {
      setError(`could not load the windows: ${toBackendError(thrown).message}`);
      setLoad({ state: "failed" });
    }
  };

  const problems = parseWindows(text).errors;
  const errorFor = (field: WindowField) => serverErrors[field] ?? (touched[field] ? problems[field] : undefined);

  const onChange = (field: WindowField, value: string) => {
    setText((t) => ({ ...t, [field]: value }));
    setServerErrors((e) => withoutError(e, field));
  };

  /** Flags what does not parse; shows what does the way it is stored ("90" → "1m 30s"). */
  const onBlur = (field: WindowField) => {
    setTouched((t) => ({ ...t, [field]: true }));
    const parsed = parseWindow(field, text[field]);
    if (parsed.ok) setText((t) => ({ ...t, [field]: parsed.value === null ? "" : formatWindow(field, parsed.value) }));
  };

  const fields: DetectWindowsFieldsProps = {
    open,
    onToggle: () => {
      setOpen((o) => !o);
      if (!open && load.state === "idle") void fetchWindows();
    },
    load,
    text,
    errorFor,
    onChange,
    onBlur,
    onReset: () => {
      setText(windowsText({}));
      setTouched({});
      setServerErrors({});
    },
    onRetry: () => void fetchWindows(),
    error,
    rootRef,
  };

  return {
    fields,
    /** False (fields flagged, the section opened) when a window does not parse; `focus`: the first such. */
    validate: (focus: boolean): boolean => {
      const first = WINDOW_FIELDS.find((f) => problems[f]);
      if (load.state !== "loaded" || first === undefined) return true;
      setTouched(Object.fromEntries(WINDOW_FIELDS.map((f) => [f, true])));
      setOpen(true);
      if (focus) focusLater(windowTestId(first));
      return false;
    },
    /**
     * Stores what is typed, if it differs from what is stored (after the agent saved). Throws a
     * BackendError whose field is the window, or WINDOWS_SECTION, for `fail`.
     */
    save: async (): Promise<void> => {
      if (agentId === null || load.state !== "loaded") return;
      const change = windowsChange(text, load.saved);
      if (change.kind === "none") return;
      setError(null);
      try {
        const saved = normalizeWindows(await setDetectWindows(agentId, change.windows));
        setLoad({ state: "loaded", saved });
      } catch (thrown) {
        const err = toBackendError(thrown);
        throw new BackendError(err.code, err.message, isWindowField(err.field) ? err.field : WINDOWS_SECTION);
      }
    },
    /** Shows an error from `save` next to its window, or atop the section. False: not about windows. */
    fail: (err: BackendError): boolean => {
      if (isWindowField(err.field)) {
        setServerErrors({ [err.field]: err.message });
        focusLater(windowTestId(err.field));
      } else if (err.field === WINDOWS_SECTION || err.code === "invalid_windows") {
        setError(`the windows were not saved: ${err.message}`);
      } else {
        return false;
      }
      setOpen(true);
      return true;
    },
  };
}
