// The side panel of the ownership map: the exact text of one rule, checked as it is typed
// (pattern errors at their column, overlaps with other rules), saved with Enter or the button.

import { useEffect, useId, useState } from "react";

import type { DraftCheck } from "../bindings/DraftCheck";
import type { Rule } from "../bindings/Rule";
import type { RuleKind } from "../bindings/RuleKind";
import { checkRule, toBackendError } from "../lib/backend";
import { useRights } from "../lib/rights";

const KINDS: { kind: RuleKind; label: string }[] = [
  { kind: "trigger", label: "Trigger: who acts on it" },
  { kind: "data", label: "Data: who writes it" },
  { kind: "output", label: "Output: who writes to it" },
  { kind: "exception", label: "Exception: which person handles it" },
];

/** Milliseconds of quiet typing before the draft is checked. */
export const CHECK_DELAY_MS = 150;

const splitNames = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

interface Fields {
  kind: RuleKind;
  pattern: string;
  owner: string;
  readers: string;
  sequence: string;
  slaHours: string;
  note: string;
}

function fieldsOf(rule: Rule): Fields {
  return {
    kind: rule.kind,
    pattern: rule.pattern,
    owner: rule.owner,
    readers: (rule.readers ?? []).join(", "),
    sequence: (rule.sequence ?? []).join(", "),
    slaHours: rule.sla_seconds != null ? String(rule.sla_seconds / 3600) : "",
    note: rule.note ?? "",
  };
}

/** The rule the fields describe (fields that do not apply to the kind are left out). */
export function ruleOf(fields: Fields): Rule {
  const rule: Rule = { kind: fields.kind, pattern: fields.pattern.trim(), owner: fields.owner.trim() };
  if (fields.kind === "data" && splitNames(fields.readers).length > 0) rule.readers = splitNames(fields.readers);
  if (fields.kind !== "exception" && splitNames(fields.sequence).length > 0) rule.sequence = splitNames(fields.sequence);
  const hours = Number(fields.slaHours);
  if (fields.kind === "exception" && fields.slaHours.trim() !== "" && Number.isFinite(hours) && hours > 0) {
    rule.sla_seconds = Math.round(hours * 3600);
  }
  if (fields.note.trim() !== "") rule.note = fields.note.trim();
  return rule;
}

export function RulePanel({
  id,
  rule,
  actors,
  busy,
  error,
  onSave,
  onDelete,
  onClose,
}: {
  /** The stored rule's id; null for a new one. */
  id: number | null;
  rule: Rule;
  /** Names offered for owner, readers and sequence. */
  actors: string[];
  busy: boolean;
  error: string | null;
  onSave(rule: Rule): void;
  onDelete(): void;
  onClose(): void;
}) {
  const [fields, setFields] = useState<Fields>(() => fieldsOf(rule));
  const [check, setCheck] = useState<DraftCheck | null>(null);
  const [checkError, setCheckError] = useState<string | null>(null);
  const listId = useId();
  const draft = ruleOf(fields);
  const draftKey = JSON.stringify(draft);

  useEffect(() => {
    let live = true;
    const timer = window.setTimeout(() => {
      checkRule(JSON.parse(draftKey) as Rule, id).then(
        (result) => {
          if (!live) return;
          setCheck(result);
          setCheckError(null);
        },
        (err: unknown) => live && setCheckError(toBackendError(err).message),
      );
    }, CHECK_DELAY_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [draftKey, id]);

  const set = (patch: Partial<Fields>) => setFields((f) => ({ ...f, ...patch }));
  const problem = check?.problem ?? null;
  const unchanged = id !== null && draftKey === JSON.stringify(ruleOf(fieldsOf(rule)));
  const { cannotChange } = useRights();
  const submit = () => {
    if (!busy && !problem && !unchanged && cannotChange === null) onSave(draft);
  };

  return (
    <form
      className="rule-panel"
      data-testid="rule-panel"
      aria-label={id === null ? "New rule" : `Rule ${id}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <header className="panel-head">
        <h3>{id === null ? "New rule" : "Rule"}</h3>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <label className="field">
        <span>Kind</span>
        <select data-testid="rule-kind" value={fields.kind} onChange={(e) => set({ kind: e.target.value as RuleKind })}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Pattern</span>
        <input
          data-testid="rule-pattern"
          className={`mono${problem?.field === "pattern" ? " invalid" : ""}`}
          value={fields.pattern}
          spellCheck={false}
          placeholder="crm://contacts/*#status"
          aria-invalid={problem?.field === "pattern"}
          onChange={(e) => set({ pattern: e.target.value })}
        />
        {problem?.field === "pattern" && problem.column !== null ? (
          <code className="caret-line" aria-hidden="true">
            {fields.pattern.trim()}
            {"\n"}
            {" ".repeat(Math.max(0, problem.column - 1))}^
          </code>
        ) : null}
        <small className="muted">
          <code>*</code> one segment · <code>**</code> any segments · <code>#field</code> or <code>#*</code> a
          fragment
        </small>
      </label>
      <label className="field">
        <span>{fields.kind === "exception" ? "Person" : "Owner"}</span>
        <input
          data-testid="rule-owner"
          list={listId}
          value={fields.owner}
          aria-invalid={problem?.field === "owner"}
          onChange={(e) => set({ owner: e.target.value })}
        />
      </label>
      {fields.kind === "data" ? (
        <label className="field">
          <span>Readers</span>
          <input
            data-testid="rule-readers"
            value={fields.readers}
            placeholder="Writer, Editor"
            onChange={(e) => set({ readers: e.target.value })}
          />
        </label>
      ) : null}
      {fields.kind !== "exception" ? (
        <label className="field">
          <span>Then, in order (accepted overlap)</span>
          <input
            data-testid="rule-sequence"
            value={fields.sequence}
            placeholder="Editor, Publisher"
            onChange={(e) => set({ sequence: e.target.value })}
          />
        </label>
      ) : (
        <label className="field">
          <span title="When the rule sets none: 4 h for a critical item, 24 h for a warning, 72 h for a note">SLA (hours; default by severity)</span>
          <input
            data-testid="rule-sla"
            inputMode="decimal"
            value={fields.slaHours}
            onChange={(e) => set({ slaHours: e.target.value })}
          />
        </label>
      )}
      <label className="field">
        <span>Note</span>
        <input data-testid="rule-note" value={fields.note} onChange={(e) => set({ note: e.target.value })} />
      </label>
      <datalist id={listId}>
        {actors.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>

      <div className="rule-check" data-testid="rule-check" aria-live="polite">
        {checkError ? <p className="error">{checkError}</p> : null}
        {problem ? <p className="error">{problem.message}</p> : null}
        {check && !problem && check.overlaps.length === 0 ? <p className="ok">No overlap with other rules</p> : null}
        {check && check.overlaps.length > 0 ? (
          <ul className="overlaps">
            {check.overlaps.map((o) => (
              <li key={o.index} className="error">
                {o.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <footer className="panel-actions">
        {id !== null ? (
          <button
            type="button"
            className="button button--danger"
            data-testid="rule-delete"
            disabled={busy || cannotChange !== null}
            title={cannotChange ?? undefined}
            onClick={onDelete}
          >
            Delete
          </button>
        ) : null}
        <button
          type="submit"
          className="button button--primary"
          data-testid="rule-save"
          disabled={busy || problem !== null || unchanged || cannotChange !== null}
          title={cannotChange ?? undefined}
        >
          {id === null ? "Add rule" : "Save"}
        </button>
      </footer>
    </form>
  );
}
