// An A2A agent on the Agents view: the interface Baton uses and the card's skills, and, for an
// agent that cannot list its tasks (A2A 0.3, or no ListTasks), "Follow a task…": a small inline
// form that gives Baton a task id to read on every poll. Enter submits, Escape cancels.

import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import type { A2aSummary } from "../bindings/A2aSummary";
import { interfaceText, skillsText, skillsTitle, usedInterface } from "../lib/adapters";
import { followTask, toBackendError } from "../lib/backend";
import { sentence } from "../lib/validation";

export const FOLLOW_HINT = "This agent cannot list its tasks; Baton reads the ones you give it by id.";

/** The A2A lines of an agent's row. */
export function A2aDetails({ agentId, agentName, a2a }: { agentId: number; agentName: string; a2a: A2aSummary }) {
  const { card } = a2a;
  const iface = usedInterface(card);
  const skills = skillsText(card.skills);
  return (
    <>
      <span className="agent-a2a muted" data-testid="agent-a2a">
        <span data-testid="agent-a2a-interface" title={iface ? `Baton uses ${iface.url}` : "The card names no interface"}>
          {interfaceText(iface)}
        </span>
        {skills ? (
          <span data-testid="agent-a2a-skills" title={skillsTitle(card.skills)}>
            {" · "}
            {skills}
          </span>
        ) : null}
      </span>
      {a2a.lists_tasks === false ? <FollowTask agentId={agentId} agentName={agentName} /> : null}
    </>
  );
}

type Outcome = { kind: "ok"; text: string } | { kind: "error"; text: string } | null;

/** "Follow a task…" and its form, for an agent that cannot list its tasks. */
export function FollowTask({ agentId, agentName }: { agentId: number; agentName: string }) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [taskId, setTaskId] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const inputId = `${ids}-task`;
  const hintId = `${ids}-hint`;
  const errorId = `${ids}-error`;
  const formId = `${ids}-form`;
  const error = outcome?.kind === "error" ? outcome.text : null;

  const close = () => {
    setOpen(false);
    setTaskId("");
    setOutcome(null);
    openRef.current?.focus();
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (busy) return;
    const id = taskId.trim();
    if (id === "") {
      setOutcome({ kind: "error", text: "Task id must not be empty" });
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const added = await followTask(agentId, id);
      setOutcome({ kind: "ok", text: added ? `Following ${id}: it appears on the board at the next poll` : `Already followed: ${id}` });
      setTaskId("");
    } catch (thrown) {
      setOutcome({ kind: "error", text: sentence(toBackendError(thrown).message) });
    } finally {
      setBusy(false);
      inputRef.current?.focus();
    }
  };

  const onKey = (ev: KeyboardEvent<HTMLFormElement>) => {
    if (ev.key !== "Escape") return;
    ev.preventDefault();
    ev.stopPropagation();
    close();
  };

  return (
    <div className="follow-task">
      <button
        ref={openRef}
        type="button"
        className="button button--small button--ghost"
        title={FOLLOW_HINT}
        aria-expanded={open}
        aria-controls={open ? formId : undefined}
        onClick={() => {
          if (open) close();
          else {
            setOutcome(null);
            setOpen(true);
          }
        }}
        data-testid="follow-task-open"
      >
        Follow a task…
      </button>
      {open ? (
        <form
          id={formId}
          className="follow-task-form"
          onSubmit={submit}
          onKeyDown={onKey}
          noValidate
          aria-label={`Follow a task of ${agentName}`}
          data-testid="follow-task-form"
        >
          <div className={`field ${error ? "field--invalid" : ""}`}>
            <label htmlFor={inputId}>Task id</label>
            <div className="follow-task-row">
              <input
                ref={inputRef}
                id={inputId}
                value={taskId}
                onChange={(e) => {
                  setTaskId(e.target.value);
                  if (error) setOutcome(null);
                }}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${errorId} ${hintId}` : hintId}
                spellCheck={false}
                autoComplete="off"
                autoFocus
                data-testid="follow-task-id"
              />
              <button type="submit" className="button button--small button--primary" disabled={busy} data-testid="follow-task-submit">
                {busy ? "Following…" : "Follow"}
              </button>
              <button type="button" className="button button--small button--ghost" onClick={close} data-testid="follow-task-cancel">
                Cancel
              </button>
            </div>
            {error ? (
              <p className="field-error" id={errorId} role="alert" data-testid="follow-task-error">
                {error}
              </p>
            ) : null}
            <p className="field-hint" id={hintId}>
              {FOLLOW_HINT}
            </p>
          </div>
          {outcome?.kind === "ok" ? (
            <p className="follow-task-result" role="status" data-testid="follow-task-result">
              {outcome.text}
            </p>
          ) : null}
        </form>
      ) : null}
    </div>
  );
}
