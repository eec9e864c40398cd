import { useId, useRef, useState, type FormEvent, type InputHTMLAttributes } from "react";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentDraft } from "../bindings/AgentDraft";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { MapAgent } from "../bindings/MapAgent";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import {
  addAgent,
  predeployCheck,
  setDeclaration,
  testConnection,
  toBackendError,
  updateAgent,
} from "../lib/backend";
import { isDeclaresList, type DeclarationChange } from "../lib/declares";
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
import { DeclaresFields, DeclaresOffer, useDeclares } from "./DeclaresFields";
import { DetectWindowsFields, useDetectWindows } from "./DetectWindowsFields";
import { Modal } from "./Modal";
import { PredeployDialog, type SaveOutcome } from "./PredeployDialog";

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

/** Overlaps found by the pre-deploy check, waiting for the user in the dialog. */
interface Pending {
  agent: string;
  conflicts: PredeployConflict[];
  save: () => Promise<SaveOutcome>;
}

/**
 * Add or edit an agent, in a modal. Enter submits, Escape closes. When what the agent declares
 * (typed here) claims anything new, the pre-deploy check runs first and its overlaps open the
 * PredeployDialog before anything is saved.
 */
export function AgentForm({
  onClose,
  onSaved,
  declared = null,
  ...props
}: AgentFormMode & {
  onClose: () => void;
  onSaved: (agent: AgentConfig) => void;
  /** Edit mode: the agent on the ownership map, with what it declares and who declared it. */
  declared?: MapAgent | null;
}) {
  const editing = props.mode === "edit" ? props.agent : null;
  const [values, setValues] = useState<AgentFormValues>(() => initialValues(props));
  const [touched, setTouched] = useState<Partial<Record<AgentField, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [clearToken, setClearToken] = useState(false);
  const [saving, setSaving] = useState<false | "checking" | "saving">(false);
  const [test, setTest] = useState<TestState>({ state: "idle" });
  const formRef = useRef<HTMLFormElement>(null);
  const ids = useId();
  const decl = useDeclares(declared);
  const windows = useDetectWindows(editing?.id ?? null);
  const [pending, setPending] = useState<Pending | null>(null);
  // A new agent saved whose declaration was not: saving again updates it instead of adding twice.
  const created = useRef<AgentConfig | null>(null);

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

  const showError = (thrown: unknown) => {
    const err = toBackendError(thrown);
    if (isAgentField(err.field)) {
      const errors = { [err.field]: err.message };
      setServerErrors(errors);
      focusFirstError(errors);
    } else if (isDeclaresList(err.field)) {
      decl.fail(err.field, err.message);
    } else if (!windows.fail(err)) {
      setFormError(err.message);
    }
  };

  /** Saves the agent (throws if that fails), then its declaration. */
  const persist = async (
    draft: AgentDraft,
    token: string | null,
    change: DeclarationChange,
  ): Promise<SaveOutcome> => {
    const id = editing?.id ?? created.current?.id;
    const saved =
      id !== undefined
        ? await updateAgent(id, draft, token, editing ? clearToken : false)
        : await addAgent(draft, token);
    if (!editing) created.current = saved;
    await windows.save(); // Edit only; before the declaration, so a failure here leaves it to the retry.
    let declarationError: string | null = null;
    try {
      if (change.kind === "set") await setDeclaration(saved.id, change.declares);
      else if (change.kind === "clear") await setDeclaration(saved.id, null);
    } catch (thrown) {
      declarationError = toBackendError(thrown).message;
    }
    return { saved, declarationError };
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (saving || pending) return;
    touchAll();
    setFormError(null);
    const windowsOk = windows.validate(!hasErrors(problems));
    if (hasErrors(problems)) {
      focusFirstError(problems);
      return;
    }
    if (!windowsOk) return;
    const draft = toDraft(values);
    const token = clearToken ? null : tokenValue(values);
    const change = decl.change();
    if (change.kind === "set" && change.check) {
      setSaving("checking");
      let conflicts: PredeployConflict[];
      try {
        conflicts = await predeployCheck(draft.name, change.declares);
      } catch (thrown) {
        showError(thrown);
        setSaving(false);
        return;
      }
      if (conflicts.length > 0) {
        setPending({ agent: draft.name, conflicts, save: () => persist(draft, token, change) });
        setSaving(false);
        return;
      }
    }
    setSaving("saving");
    try {
      const { saved, declarationError } = await persist(draft, token, change);
      if (declarationError === null) {
        onSaved(saved);
        return;
      }
      setFormError(
        `${saved.name} was ${editing ? "saved" : "added"}, but its declaration was not: ${declarationError}. Save again to retry.`,
      );
    } catch (thrown) {
      showError(thrown);
    }
    setSaving(false);
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

  // What the agent said about itself when tested, offered while nothing is typed.
  const offer = decl.offer(test.state === "done" ? test.report.declares : null);

  return (
    <>
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

          <DeclaresFields {...decl.fields} />
          {editing ? <DetectWindowsFields {...windows.fields} /> : null}

          <TestResult test={test} />
          {offer ? <DeclaresOffer declares={offer} onUse={() => decl.fill(offer)} /> : null}
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
              disabled={saving === "saving"}
              // Stays focusable while checking, so focus comes back here from the dialog.
              aria-disabled={saving === "checking" || undefined}
            >
              {saving === "checking"
                ? "Checking…"
                : saving === "saving"
                  ? "Saving…"
                  : editing
                    ? "Save changes"
                    : "Add agent"}
            </button>
          </footer>
        </form>
      </Modal>
      {pending ? (
        <PredeployDialog
          agent={pending.agent}
          conflicts={pending.conflicts}
          editing={editing !== null}
          save={pending.save}
          onBack={() => setPending(null)}
          onSaveFailed={(thrown) => {
            setPending(null);
            showError(thrown);
          }}
          onDone={onSaved}
        />
      ) : null}
    </>
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
