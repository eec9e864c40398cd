import { useId, useRef, useState, type FormEvent, type InputHTMLAttributes } from "react";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentDraft } from "../bindings/AgentDraft";
import type { MapAgent } from "../bindings/MapAgent";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import { reportName, UNNAMED } from "../lib/adapters";
import { addAgent, predeployCheck, setDeclaration, toBackendError, updateAgent } from "../lib/backend";
import { isDeclaresList, type DeclarationChange } from "../lib/declares";
import { humanMs } from "../lib/time";
import {
  AGENT_FIELDS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  hasErrors,
  isAgentField,
  MAX_NAME_LEN,
  toDraft,
  tokenValue,
  validateAgentForm,
  withoutError,
  type AgentField,
  type AgentFormValues,
  type FieldErrors,
} from "../lib/validation";
import { ProtocolField, TestResult, useConnectionTest } from "./AgentProtocol";
import { DeclaresFields, DeclaresOffer, useDeclares } from "./DeclaresFields";
import { DetectWindowsFields, useDetectWindows } from "./DetectWindowsFields";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";
import { PredeployDialog, type SaveOutcome } from "./PredeployDialog";
import { TextField } from "./TextField";

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

/** Overlaps found by the pre-deploy check, waiting for the user in the dialog. */
interface Pending {
  agent: string;
  conflicts: PredeployConflict[];
  save: () => Promise<SaveOutcome>;
}

/**
 * Add or edit an agent, in a modal. Enter submits, Escape closes. When what the agent declares
 * (typed here) claims anything new, the pre-deploy check runs first and its overlaps open the
 * PredeployDialog before anything is saved. A new agent whose protocol is not known yet (no
 * successful test of its URL, none chosen by hand) is tested before all that, to detect it.
 */
export function AgentForm({
  onClose,
  onSaved,
  declared = null,
  tokensInMemory = false,
  ...props
}: AgentFormMode & {
  onClose: () => void;
  onSaved: (agent: AgentConfig) => void;
  /** Edit mode: the agent on the ownership map, with what it declares and who declared it. */
  declared?: MapAgent | null;
  /** No OS keyring answers: a token is kept in memory only (the Agents view's banner says why). */
  tokensInMemory?: boolean;
}) {
  const editing = props.mode === "edit" ? props.agent : null;
  const [values, setValues] = useState<AgentFormValues>(() => initialValues(props));
  const [touched, setTouched] = useState<Partial<Record<AgentField, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [clearToken, setClearToken] = useState(false);
  const [saving, setSaving] = useState<false | "detecting" | "checking" | "saving">(false);
  const conn = useConnectionTest(() =>
    editing ? { adapter: editing.adapter, source: "saved" } : { adapter: "baton", source: "default" },
  );
  const { test } = conn;
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
    setServerErrors((e) => withoutError(e, field));
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
    let draft = toDraft(values, conn.choice.adapter);
    const token = clearToken ? null : tokenValue(values);
    const change = decl.change();
    if (!editing && !created.current && !conn.settled(draft.base_url)) {
      setSaving("detecting");
      const report = await conn.run(draft, token, null, true);
      // Not detected: saved all the same with the protocol chosen; the test result says why.
      if (report?.ok && report.adapter) draft = { ...draft, adapter: report.adapter };
    }
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
    // A blank name is fine for a test: the agent's own name fills it.
    const unnamed = values.name.trim() === "";
    const needed = { ...problems };
    if (unnamed) delete needed.name;
    const shown = AGENT_FIELDS.filter((f) => !(unnamed && f === "name"));
    setTouched((t) => ({ ...t, ...Object.fromEntries(shown.map((f) => [f, true])) }));
    if (hasErrors(needed)) {
      focusFirstError(needed);
      return;
    }
    const token = clearToken ? null : tokenValue(values);
    // With no new token typed, the backend uses the stored one (unless it is being removed).
    const storedFor = editing && token === null && !clearToken ? editing.id : null;
    const draft = toDraft(values, conn.choice.adapter);
    const report = await conn.run(unnamed ? { ...draft, name: UNNAMED } : draft, token, storedFor, false);
    const name = report ? reportName(report) : null;
    if (name) setValues((v) => (v.name.trim() === "" ? { ...v, name: name.slice(0, MAX_NAME_LEN) } : v));
  };

  const field = (
    name: AgentField,
    label: string,
    input: InputHTMLAttributes<HTMLInputElement>,
    hint?: string,
  ) => (
    <TextField
      id={`${ids}-${name}`}
      name={name}
      label={label}
      testId={TEST_IDS[name]}
      value={values[name]}
      error={errorFor(name)}
      hint={hint}
      onChange={(value) => set(name, value)}
      onBlur={() => setTouched((t) => ({ ...t, [name]: true }))}
      input={input}
    />
  );

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
            conn.choice.adapter === "a2a"
              ? "Baton reads {base URL}/.well-known/agent-card.json."
              : "Baton polls {base URL}/baton/v1/status.",
          )}
          <ProtocolField
            id={`${ids}-protocol`}
            choice={conn.choice}
            url={values.base_url}
            adding={!editing}
            disabled={saving === "detecting"}
            onChoose={conn.choose}
          />
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
              : tokensInMemory
                ? "Optional. No OS keyring answers here: kept in memory until Baton quits, never in its database."
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
          <FormError error={formError} />

          <ModalActions
            onCancel={onClose}
            start={
              <button
                type="button"
                className="button"
                data-testid="agent-test"
                onClick={onTest}
                disabled={test.state === "running"}
              >
                {test.state === "running" ? "Testing…" : "Test connection"}
              </button>
            }
          >
            <button
              type="submit"
              className="button button--primary"
              data-testid="agent-save"
              disabled={saving === "saving"}
              // Stays focusable while checking, so focus comes back here from the dialog.
              aria-disabled={saving === "checking" || saving === "detecting" || undefined}
            >
              {saving === "detecting"
                ? "Detecting protocol…"
                : saving === "checking"
                  ? "Checking…"
                  : saving === "saving"
                    ? "Saving…"
                    : editing
                      ? "Save changes"
                      : "Add agent"}
            </button>
          </ModalActions>
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
