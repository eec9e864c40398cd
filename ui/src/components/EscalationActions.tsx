// What the human can decide on an escalation: approve, reject (both with an optional note), give
// ownership of its resource (a group's whole scope) to one of the agents, grant a file to a coding
// session that was refused it, split an API's budget between the agents (a
// rate-limit pressure escalation; key b), retry, dismiss (a reason is required) or snooze.
// When an agent asks a person (needs_approval), the note is the answer: approving sends it.
// A deadlock with its knot offers instead to cancel one of its tasks or give one of its files to
// the one waiting for it (then dismiss and snooze, as always).
// A closed escalation shows only why; an open one past its SLA has everything disabled, with
// the reason in each title.

import { Fragment, useRef, useState, type KeyboardEvent } from "react";

import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import { nameOf } from "../lib/agents";
import { knotChoices } from "../lib/deadlocks";
import { blockedReason, primaryAction, SNOOZE_CHOICES, type ActionName } from "../lib/escalations";
import { giveLabel, ownershipScope } from "../lib/escalationGroups";
import { branchChoices } from "../lib/parallelEdits";
import { parseApiResource } from "../lib/rateLimits";
import { useRights } from "../lib/rights";
import { useViewKeys } from "../lib/useViewKeys";
import { SplitBudgetForm } from "./SplitBudgetForm";

const NO_SESSIONS: ReadonlySet<number> = new Set();
const NO_BRANCHES: ReadonlyMap<number, string | null> = new Map();

export const DISMISS_NEEDS_REASON = "Dismissing needs a reason: say why this is not a real problem.";

/** The escalation shown, with what it takes to name its agents. */
export interface EscalationShown {
  escalation: Escalation;
  names: ReadonlyMap<number, string>;
  /** The agents that are coding sessions (heard through their hooks), subagents included. */
  sessions?: ReadonlySet<number>;
  /** The agents that are subagents of a coding session (a worker of its own). */
  subagents?: ReadonlySet<number>;
  /** Each coding session's branch (null: not in a repository, or not known). */
  branches?: ReadonlyMap<number, string | null>;
  now: number;
}

/** The decision being taken: its state, the note and reason typed, and what to do with them. */
export interface DecisionProps {
  /** A decision on this escalation is on its way. */
  busy: boolean;
  error: string | null;
  note: string;
  onNote(note: string): void;
  reason: string;
  onReason(reason: string): void;
  onDecide(action: EscalationAction, note: string | null): void;
  /** A decision refused before it is sent (shown like the backend's errors). */
  onRefuse(message: string): void;
  /** Escape from an empty field: back to the list. */
  onBack(): void;
}

export function EscalationActions({
  escalation: e,
  names,
  sessions = NO_SESSIONS,
  subagents = NO_SESSIONS,
  branches = NO_BRANCHES,
  now,
  busy,
  error,
  note,
  onNote,
  reason,
  onReason,
  onDecide,
  onRefuse,
  onBack,
}: EscalationShown & DecisionProps) {
  const reasonRef = useRef<HTMLInputElement>(null);
  const splitRef = useRef<HTMLButtonElement>(null);
  const [splitting, setSplitting] = useState(false);
  // Past its SLA, closed, or the person's role may change nothing: the reason on every control.
  const { cannotChange } = useRights();
  const blocked = blockedReason(e, now) ?? cannotChange;
  const disabled = blocked !== null || busy;
  const primary = primaryAction(e);
  const noteOrNull = note.trim() === "" ? null : note.trim();
  // An agent asking a person: the note is the answer, and approving sends it.
  const asks = e.kind === "needs_approval";
  const answering = asks && noteOrNull !== null;
  const errorId = `escalation-error-${e.id}`;
  const errorLine = error ? (
    <p className="esc-error" role="alert" id={errorId} data-testid="escalation-error">
      {error}
    </p>
  ) : null;

  const titleFor = (description: string) => blocked ?? (busy ? "Deciding…" : description);
  const button = (action: ActionName, label: string, description: string, extra: Partial<Record<string, string>> = {}) => ({
    type: "button" as const,
    className: `button button--small${action === primary ? " button--primary" : ""}`,
    "data-testid": "escalation-action",
    "data-action": action,
    "data-primary": action === primary ? "true" : undefined,
    disabled,
    title: titleFor(description),
    children: label,
    ...extra,
  });

  const dismiss = () => {
    const text = reason.trim();
    if (text === "") {
      onRefuse(DISMISS_NEEDS_REASON);
      reasonRef.current?.focus();
      return;
    }
    onDecide({ action: "dismiss" }, text);
  };

  const onFieldKey = (ev: KeyboardEvent<HTMLInputElement>, value: string, clear: () => void, submit?: () => void) => {
    if (ev.key === "Escape") {
      ev.preventDefault();
      if (value !== "") clear();
      else onBack();
    } else if (ev.key === "Enter" && submit) {
      ev.preventDefault();
      if (!disabled) submit();
    }
  };

  const canSplit = e.kind === "rate_limit_pressure";
  const splitApi = parseApiResource(e.resource);
  const closeSplit = () => {
    setSplitting(false);
    requestAnimationFrame(() => splitRef.current?.focus());
  };

  // b opens the split form (not while typing or while a dialog is open).
  useViewKeys((ev) => {
    if (ev.key !== "b" || !canSplit || disabled) return;
    ev.preventDefault();
    setSplitting(true);
  });

  // Closed (resolved or expired): nothing is left to decide, so only why is shown.
  if (e.state !== "open") {
    return (
      <div className="esc-actions esc-actions--closed" data-testid="escalation-actions">
        <p className={`esc-blocked esc-blocked--${e.state}`} data-testid="escalation-blocked">
          {blocked}
        </p>
        {errorLine}
      </div>
    );
  }
  // An API is shared by budget, not owned: a pressure escalation offers a split instead. A
  // coding session is granted a file (its lease), not made its owner.
  const agentsToOwn = e.resource && !canSplit ? e.agents.filter((id) => !sessions.has(id)) : [];
  // Branches changing one file each in its own checkout share no lease: a session is told to
  // leave the files to the other branches, the files handed to one branch, or they all go on.
  const parallel = e.kind === "parallel_edit";
  const sessionsToGrant =
    !parallel && (e.resource?.startsWith("file://") || e.resource?.startsWith("repo://")) ? e.agents.filter((id) => sessions.has(id)) : [];
  // One choice per branch of the item: two sessions on one branch are one "Files to" and one
  // "Stop" (a session since moved to a branch the item does not name is none).
  const itemBranches = e.parallel?.branches ?? null;
  const branchSessions = parallel
    ? branchChoices(e.agents.filter((id) => sessions.has(id)), branches, names).filter(
        (c) => itemBranches === null || c.branch === null || itemBranches.includes(c.branch),
      )
    : [];
  const allGoOn = (itemBranches?.length ?? branchSessions.length) > 2;
  // Coding sessions alone: nothing is sent to them, so approve, reject and retry mean nothing,
  // except to a session's own permission request (its hook waits for the answer: approve or
  // reject, no retry).
  const onlySessions = e.agents.length > 0 && e.agents.every((id) => sessions.has(id));
  const sessionAsks = onlySessions && e.kind === "needs_approval";
  // A group covering several resources gives its whole scope (a rule for the pattern).
  const givenScope = ownershipScope(e);
  // A deadlock is broken by cancelling one of its tasks or giving one of its files away.
  const knot = e.kind === "deadlock" && e.knot ? knotChoices(e.knot, names) : [];
  const deadlocked = knot.length > 0;
  return (
    <div className="esc-actions" role="group" aria-label="Decision" data-testid="escalation-actions">
      {blocked ? (
        <p className={`esc-blocked esc-blocked--${e.state}`} data-testid="escalation-blocked">
          {blocked}
        </p>
      ) : null}
      <label className="esc-field">
        <span>{asks ? "Answer" : "Note (optional)"}</span>
        <input
          type="text"
          data-testid="escalation-note"
          value={note}
          disabled={disabled}
          placeholder={
            sessionAsks
              ? "Why, told to the session's model when you refuse"
              : parallel
                ? "Why, told to the branch you stop at its next try"
              : deadlocked
                ? "Kept in the log; sent to the agent whose task you cancel"
                : asks
                ? "Your answer, sent to the agent"
                : "Sent to the agents with approve, reject, retry or ownership"
          }
          maxLength={2000}
          spellCheck
          onChange={(ev) => onNote(ev.target.value)}
          onKeyDown={(ev) => onFieldKey(ev, note, () => onNote(""))}
        />
      </label>
      <div className="esc-action-row">
        {knot.map((choice) => (
          <button
            key={choice.key}
            {...button(choice.action.action, choice.label, choice.description, {
              "data-agent-id": String(choice.agentId),
              ...(choice.action.action === "cancel_task"
                ? { "data-task-id": choice.action.task_id }
                : { "data-resource": choice.action.resource }),
            })}
            onClick={() => onDecide(choice.action, noteOrNull)}
          />
        ))}
        {deadlocked || (onlySessions && !sessionAsks) ? null : (
          <>
            <button
              {...button(
                "approve",
                sessionAsks ? "Allow" : answering ? "Send answer" : "Approve",
                sessionAsks
                  ? "Let the session run it (its hook is waiting)"
                  : answering
                    ? "Send your answer to the agent"
                    : "Tell the agents to go ahead",
                { "aria-keyshortcuts": "a" },
              )}
              onClick={() => onDecide({ action: "approve" }, noteOrNull)}
            />
            <button
              {...button(
                "reject",
                sessionAsks ? "Refuse" : "Reject",
                sessionAsks ? "The session may not run it; your note tells its model why" : "Tell the agents not to go ahead",
                { "aria-keyshortcuts": "r" },
              )}
              onClick={() => onDecide({ action: "reject" }, noteOrNull)}
            />
            {sessionAsks ? null : (
              <button
                {...button("retry", "Retry", "Ask the agents to run the task again")}
                onClick={() => onDecide({ action: "retry" }, noteOrNull)}
              />
            )}
          </>
        )}
        {canSplit ? (
          <button
            ref={splitRef}
            {...button("split_budget", "Split budget", "Share the API's quota out between the agents and tell each its part", {
              "aria-keyshortcuts": "b",
              "aria-expanded": String(splitting && !disabled),
            })}
            disabled={disabled || e.agents.length === 0}
            onClick={() => setSplitting((v) => !v)}
          />
        ) : null}
        {(deadlocked ? [] : agentsToOwn).map((agentId) => {
          const name = nameOf(names, agentId);
          return (
            <button
              key={agentId}
              {...button(
                "give_ownership",
                giveLabel(e, name),
                givenScope
                  ? `Make ${name} the owner of everything under ${givenScope} (a rule for the whole group) and tell the agents`
                  : `Make ${name} the owner of ${e.resource} (the rule changes) and tell the agents`,
                { "data-agent": name, "data-agent-id": String(agentId) },
              )}
              onClick={() => onDecide({ action: "give_ownership", agent_id: agentId }, noteOrNull)}
            />
          );
        })}
        {(deadlocked ? [] : sessionsToGrant).map((agentId) => {
          const name = nameOf(names, agentId);
          return (
            <button
              key={`grant-${agentId}`}
              {...button("grant_lease", `Grant to ${name}`, `Let the session ${name} write ${e.resource}: its next try passes`, {
                "data-agent": name,
                "data-agent-id": String(agentId),
              })}
              onClick={() => onDecide({ action: "grant_lease", agent_id: agentId }, noteOrNull)}
            />
          );
        })}
        {(deadlocked ? [] : sessionsToGrant.filter((id) => subagents.has(id))).map((agentId) => {
          const name = nameOf(names, agentId);
          return (
            <button
              key={`stop-${agentId}`}
              {...button("stop_touching", `Stop ${name}`, `The subagent ${name} stops: its leases end and its next write is refused, your note as the reason; its session's other subagents go on`, {
                "data-agent": name,
                "data-agent-id": String(agentId),
              })}
              onClick={() => onDecide({ action: "stop_touching", agent_id: agentId }, noteOrNull)}
            />
          );
        })}
        {branchSessions.map((choice) => {
          const data = {
            "data-agent": choice.sessions[0] ?? "",
            "data-agent-id": String(choice.agentId),
            "data-branch": choice.branch ?? "",
          };
          const branch = choice.branch === null ? `the branch of ${choice.label}` : `the branch ${choice.branch} (${choice.sessions.join(", ")})`;
          const stopped = choice.branch === null ? `${choice.label} (and its branch)` : `The branch ${choice.branch} (${choice.sessions.join(", ")})`;
          return (
            <Fragment key={`branch-${choice.agentId}`}>
              <button
                {...button("hand_to_branch", `Files to ${choice.label}`, `The files it changes go to ${branch}: in enforce the other branches' writes of them are refused`, data)}
                onClick={() => onDecide({ action: "hand_to_branch", agent_id: choice.agentId }, noteOrNull)}
              />
              <button
                {...button("stop_touching", `Stop ${choice.label}`, `${stopped} stops changing the files: its next write of one is refused, your note as the reason`, data)}
                onClick={() => onDecide({ action: "stop_touching", agent_id: choice.agentId }, noteOrNull)}
              />
            </Fragment>
          );
        })}
        {e.kind === "usage_window" ? (
          <>
            <button
              {...button("pause_sessions", "Pause the sessions", "Each session on this window is told, at its next tool call, to stop and wait until the window resets")}
              onClick={() => onDecide({ action: "pause_sessions" }, noteOrNull)}
            />
            <button
              {...button("let_sessions_go_on", "Let them go on", "The sessions go on (kept in the log)")}
              onClick={() => onDecide({ action: "let_sessions_go_on" }, noteOrNull)}
            />
          </>
        ) : null}
        {parallel ? (
          <button
            {...(allGoOn
              ? button("let_both_go_on", "Let them all go on", "All its branches go on changing the files (kept in the log; no item again for them)")
              : button("let_both_go_on", "Let both go on", "Both branches go on changing the files (kept in the log; no item again for them)"))}
            onClick={() => onDecide({ action: "let_both_go_on" }, noteOrNull)}
          />
        ) : null}
        {sessionsToGrant.length > 0 && !deadlocked ? (
          <>
            <button
              {...button("keep_lease", "Keep the holder", `The session working on ${e.resource} keeps it; the others wait`)}
              onClick={() => onDecide({ action: "keep_lease" }, noteOrNull)}
            />
            <button
              {...button("allow_both_once", "Allow both once", `The refused sessions may write ${e.resource} once more; the holder keeps it`)}
              onClick={() => onDecide({ action: "allow_both_once" }, noteOrNull)}
            />
          </>
        ) : null}
      </div>
      {canSplit && splitting && !disabled ? (
        <SplitBudgetForm
          agents={e.agents}
          names={names}
          api={splitApi ? splitApi.api : null}
          disabled={disabled}
          onSubmit={(shares) => onDecide({ action: "split_budget", shares }, noteOrNull)}
          onClose={closeSplit}
        />
      ) : null}
      <div className="esc-action-row esc-dismiss">
        <input
          ref={reasonRef}
          type="text"
          className="esc-reason"
          data-testid="escalation-dismiss-reason"
          aria-label="Reason for dismissing"
          aria-invalid={error === DISMISS_NEEDS_REASON ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          placeholder="Why it is not a real problem (required to dismiss)"
          value={reason}
          disabled={disabled}
          maxLength={2000}
          onChange={(ev) => onReason(ev.target.value)}
          onKeyDown={(ev) => onFieldKey(ev, reason, () => onReason(""), dismiss)}
        />
        <button
          {...button("dismiss", "Dismiss", "Not a real problem: close it with the reason given")}
          className="button button--small button--danger-ghost"
          onClick={dismiss}
        />
      </div>
      <div className="esc-action-row esc-snooze" role="group" aria-label="Snooze">
        <span className="esc-snooze-label" aria-hidden="true">
          Snooze
        </span>
        {SNOOZE_CHOICES.map((choice) => (
          <button
            key={choice.minutes}
            {...button("snooze", choice.label, `Out of the way for ${choice.long}; the SLA keeps running`, {
              "data-minutes": String(choice.minutes),
              "aria-label": `Snooze for ${choice.long}`,
            })}
            className="chip-button"
            onClick={() => onDecide({ action: "snooze", minutes: choice.minutes }, null)}
          />
        ))}
      </div>
      {errorLine}
    </div>
  );
}
