// The "Split budget" decision on a rate-limit pressure escalation: one whole percentage of the
// API's quota per agent (an even split at first), the running total, and the checks the backend
// makes (each 0–100, at most 100 in all) before anything is sent. Enter submits, Escape closes.

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import type { BudgetShare } from "../bindings/BudgetShare";
import { nameOf } from "../lib/agents";
import { evenSplit, parseWhole, validateSplit } from "../lib/rateLimitForms";
import { sentence } from "../lib/validation";

export function SplitBudgetForm({
  agents,
  names,
  api,
  disabled,
  onSubmit,
  onClose,
}: {
  agents: readonly number[];
  names: ReadonlyMap<number, string>;
  /** The API whose budget is split ("openai"), if known. */
  api: string | null;
  disabled: boolean;
  onSubmit(shares: BudgetShare[]): void;
  onClose(): void;
}) {
  const ids = useId();
  const [values, setValues] = useState<string[]>(() => evenSplit(agents.length).map(String));
  const [tried, setTried] = useState(false);
  const firstRef = useRef<HTMLInputElement>(null);
  const check = validateSplit(values);
  const over = check.total > 100;

  useEffect(() => {
    firstRef.current?.focus();
    firstRef.current?.select();
  }, []);

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    setTried(true);
    if (disabled || !check.ok) return;
    onSubmit(agents.map((agent_id, i) => ({ agent_id, percent: parseWhole(values[i] ?? "") ?? 0 })));
  };

  const onKey = (ev: KeyboardEvent<HTMLFormElement>) => {
    if (ev.key !== "Escape") return;
    ev.preventDefault();
    ev.stopPropagation();
    onClose();
  };

  const problem = check.problem ?? (tried && !check.ok ? "every share must be a whole percentage from 0 to 100" : null);
  const problemId = `${ids}-problem`;
  return (
    <form className="esc-split" onSubmit={submit} onKeyDown={onKey} noValidate data-testid="split-budget-form" aria-label="Split budget">
      <p className="small">
        Each agent&apos;s share of {api ? <strong>{api}</strong> : "the API"}&apos;s quota, in whole percent (at most 100
        in all). Each agent is told its part.
      </p>
      <div className="esc-split-rows">
        {agents.map((agentId, i) => {
          const name = nameOf(names, agentId);
          const error = check.errors[i];
          const inputId = `${ids}-${agentId}`;
          return (
            <div key={agentId} style={{ display: "contents" }}>
              <label htmlFor={inputId}>{name}</label>
              <input
                ref={i === 0 ? firstRef : undefined}
                id={inputId}
                inputMode="numeric"
                value={values[i] ?? ""}
                disabled={disabled}
                aria-invalid={error || over ? true : undefined}
                aria-describedby={problem ? problemId : undefined}
                onChange={(e) => setValues((v) => v.map((x, j) => (j === i ? e.target.value : x)))}
                data-testid="split-percent"
                data-agent={name}
                data-agent-id={agentId}
              />
              <span className={error ? "field-error" : "muted small"}>{error ? sentence(error) : "%"}</span>
            </div>
          );
        })}
      </div>
      <p className={`esc-split-total${over ? " esc-split-total--over" : ""}`} data-testid="split-total" data-total={check.total}>
        Total {check.total}%{over ? " — over 100%" : check.total < 100 ? ` (${100 - check.total}% unassigned)` : ""}
      </p>
      {problem ? (
        <p className="esc-error" role="alert" id={problemId} data-testid="split-error">
          {sentence(problem)}
        </p>
      ) : null}
      <div className="esc-action-row">
        <button type="submit" className="button button--small button--primary" disabled={disabled} data-testid="split-submit">
          Split budget
        </button>
        <button type="button" className="button button--small button--ghost" onClick={onClose} data-testid="split-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}
