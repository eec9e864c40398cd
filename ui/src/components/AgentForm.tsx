import { useId, useRef, useState, type FormEvent, type InputHTMLAttributes } from "react";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import { addAgent, testConnection, toBackendError, updateAgent } from "../lib/backend";
import { humanMs } from "../lib/time";
import {
  AGENT_FIELDS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  hasErrors,
  isAgentField,
  sentence,
  toDraft,
  tokenValue,
  validateAgentForm,
  type AgentField,
  type AgentFormValues,
  type FieldErrors,
} from "../lib/validation";
import { Modal } from "./Modal";

export type AgentFormMode = { mode: "add" } | { mode: "edit"; agent: AgentConfig };

function initialValues(props: AgentFormMode): AgentFormValues {
  if (props.mode === "edit") {
    const a = props.agent;
    return {
      name: a.name,
      base_url: a.base_url,
      poll_interval_ms: String(a.poll_interval_ms),
      timeout_ms: String(a.timeout_ms),
      token: "",
    };
  }
  return {
    name: "",
    base_url: "",
    poll_interval_ms: String(DEFAULT_POLL_INTERVAL_MS),
    timeout_ms: String(DEFAULT_TIMEOUT_MS),
    token: "",
  };
}

const TEST_IDS: Record<AgentField, string> = {
  name: "agent-name",
  base_url: "agent-url",
  poll_interval_ms: "agent-interval",
  timeout_ms: "agent-timeout",
  token: "agent-token",
};

type TestState =
  | { state: "idle" }
  | { state: "running" }
  | { state: "done"; report: ConnectionReport }
  | { state: "error"; message: string };

/** Add or edit an agent, in a modal. Enter submits, Escape closes. */
export function AgentForm({
  onClose,
  onSaved,
  ...props
}: AgentFormMode & { onClose: () => void; onSaved: (agent: AgentConfig) => void }) {
  const editing = props.mode === "edit" ? props.agent : null;
  const [values, setValues] = useState<AgentFormValues>(() => initialValues(props));
  const [touched, setTouched] = useState<Partial<Record<AgentField, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [clearToken, setClearToken] = useState(false);
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<TestState>({ state: "idle" });
  const formRef = useRef<HTMLFormElement>(null);
  const ids = useId();

  const problems = validateAgentForm(values);
  const errorFor = (field: AgentField): string | undefined =>
    serverErrors[field] ?? (touched[field] ? problems[field] : undefined);

  const set = (field: AgentField, value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setServerErrors((e) => {
      if (!(field in e)) return e;
      const next = { ...e };
      delete next[field];
      return next;
    });
  };

  const touchAll = () => setTouched(Object.fromEntries(AGENT_FIELDS.map((f) => [f, true])));

  const focusFirstError = (errors: FieldErrors) => {
    const first = AGENT_FIELDS.find((f) => errors[f]);
    if (first) {
      formRef.current?.querySelector<HTMLElement>(`[data-testid="${TEST_IDS[first]}"]`)?.focus();
    }
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (saving) return;
    touchAll();
    setFormError(null);
    if (hasErrors(problems)) {
      focusFirstError(problems);
      return;
    }
    setSaving(true);
    try {
      const draft = toDraft(values);
      const token = clearToken ? null : tokenValue(values);
      const saved = editing
        ? await updateAgent(editing.id, draft, token, clearToken)
        : await addAgent(draft, token);
      onSaved(saved);
    } catch (thrown) {
      const err = toBackendError(thrown);
      if (isAgentField(err.field)) {
        const errors = { [err.field]: err.message };
        setServerErrors(errors);
        focusFirstError(errors);
      } else {
        setFormError(err.message);
      }
      setSaving(false);
    }
  };

  const onTest = async () => {
    touchAll();
    if (hasErrors(problems)) {
      focusFirstError(problems);
      return;
    }
    setTest({ state: "running" });
    try {
      const token = clearToken ? null : tokenValue(values);
      // With no new token typed, the backend uses the stored one (unless it is being removed).
      const storedFor = editing && token === null && !clearToken ? editing.id : null;
      const report = await testConnection(toDraft(values), token, storedFor);
      setTest({ state: "done", report });
    } catch (thrown) {
      setTest({ state: "error", message: toBackendError(thrown).message });
    }
  };

  const field = (
    name: AgentField,
    label: string,
    input: InputHTMLAttributes<HTMLInputElement>,
    hint?: string,
  ) => {
    const error = errorFor(name);
    const inputId = `${ids}-${name}`;
    const hintId = hint ? `${inputId}-hint` : undefined;
    const errorId = error ? `${inputId}-error` : undefined;
    return (
      <div className={`field ${error ? "field--invalid" : ""}`}>
        <label htmlFor={inputId}>{label}</label>
        <input
          id={inputId}
          name={name}
          data-testid={TEST_IDS[name]}
          value={values[name]}
          onChange={(e) => set(name, e.target.value)}
          onBlur={() => setTouched((t) => ({ ...t, [name]: true }))}
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
  };

  const interval = Number(values.poll_interval_ms);
  const timeout = Number(values.timeout_ms);

  return (
    <Modal
      title={editing ? `Edit ${editing.name}` : "Add an agent"}
      onClose={onClose}
      className="agent-form-modal"
      initialFocus='[data-testid="agent-name"]'
      testId="agent-form"
    >
      <form ref={formRef} className="agent-form" onSubmit={onSubmit} noValidate>
        {field("name", "Name", { placeholder: "researcher", maxLength: 200 })}
        {field(
          "base_url",
          "Base URL",
          { placeholder: "http://127.0.0.1:7801", inputMode: "url", className: "mono" },
          "Baton polls {base URL}/baton/v1/status.",
        )}
        <div className="field-row">
          {field(
            "poll_interval_ms",
            "Poll interval (ms)",
            { inputMode: "numeric", className: "mono" },
            Number.isFinite(interval) && interval > 0 ? `Every ${humanMs(interval)}` : undefined,
          )}
          {field(
            "timeout_ms",
            "Timeout (ms)",
            { inputMode: "numeric", className: "mono" },
            Number.isFinite(timeout) && timeout > 0 ? `Gives up after ${humanMs(timeout)}` : undefined,
          )}
        </div>
        {field(
          "token",
          "Bearer token",
          {
            type: "password",
            placeholder: editing?.has_token ? "••••••••  (stored)" : "optional",
            disabled: clearToken,
            autoComplete: "new-password",
          },
          editing?.has_token
            ? "Leave blank to keep the stored token."
            : "Optional. Kept in the OS keyring, never in Baton's database.",
        )}
        {editing?.has_token ? (
          <label className="checkbox">
            <input
              type="checkbox"
              checked={clearToken}
              data-testid="agent-clear-token"
              onChange={(e) => {
                setClearToken(e.target.checked);
                if (e.target.checked) set("token", "");
              }}
            />
            Remove stored token
          </label>
        ) : null}

        <TestResult test={test} />
        {formError ? (
          <p className="form-error" role="alert">
            {formError}
          </p>
        ) : null}

        <footer className="modal-actions">
          <button
            type="button"
            className="button"
            data-testid="agent-test"
            onClick={onTest}
            disabled={test.state === "running"}
          >
            {test.state === "running" ? "Testing…" : "Test connection"}
          </button>
          <span className="spacer" />
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            data-testid="agent-save"
            disabled={saving}
          >
            {saving ? "Saving…" : editing ? "Save changes" : "Add agent"}
          </button>
        </footer>
      </form>
    </Modal>
  );
}

function TestResult({ test }: { test: TestState }) {
  if (test.state === "idle") return null;
  if (test.state === "running") {
    return (
      <div className="test-result test-result--running" role="status" data-testid="agent-test-result">
        Polling the endpoint once…
      </div>
    );
  }
  if (test.state === "error") {
    return (
      <div className="test-result test-result--fail" role="status" data-testid="agent-test-result">
        <strong>Failed</strong> {test.message}
      </div>
    );
  }
  const { report } = test;
  return (
    <div
      className={`test-result ${report.ok ? "test-result--ok" : "test-result--fail"}`}
      role="status"
      data-testid="agent-test-result"
    >
      <strong>{report.ok ? "Connected" : "Failed"}</strong> {report.message}
    </div>
  );
}
