// What the human can decide on an escalation: approve, reject (both with an optional note), give
// ownership of its resource to one of the agents, retry, dismiss (a reason is required) or snooze.
// Everything is disabled, with the reason in its title, once no decision can be taken.

import { useRef, type KeyboardEvent } from "react";

import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import { blockedReason, nameOf, primaryAction, SNOOZE_CHOICES, type ActionName } from "../lib/escalations";

export const DISMISS_NEEDS_REASON = "Dismissing needs a reason: say why this is not a real problem.";

export function EscalationActions({
  escalation: e,
  names,
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
}: {
  escalation: Escalation;
  names: ReadonlyMap<number, string>;
  now: number;
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
}) {
  const reasonRef = useRef<HTMLInputElement>(null);
  const blocked = blockedReason(e, now);
  const disabled = blocked !== null || busy;
  const primary = primaryAction(e);
  const noteOrNull = note.trim() === "" ? null : note.trim();
  const errorId = `escalation-error-${e.id}`;

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

  const agentsToOwn = e.resource ? e.agents : [];
  return (
    <div className="esc-actions" role="group" aria-label="Decision" data-testid="escalation-actions">
      {blocked ? (
        <p className={`esc-blocked esc-blocked--${e.state}`} data-testid="escalation-blocked">
          {blocked}
        </p>
      ) : null}
      <label className="esc-field">
        <span>Note (optional)</span>
        <input
          type="text"
          data-testid="escalation-note"
          value={note}
          disabled={disabled}
          placeholder="Sent to the agents with approve, reject, retry or ownership"
          maxLength={2000}
          spellCheck
          onChange={(ev) => onNote(ev.target.value)}
          onKeyDown={(ev) => onFieldKey(ev, note, () => onNote(""))}
        />
      </label>
      <div className="esc-action-row">
        <button
          {...button("approve", "Approve", "Tell the agents to go ahead", { "aria-keyshortcuts": "a" })}
          onClick={() => onDecide({ action: "approve" }, noteOrNull)}
        />
        <button
          {...button("reject", "Reject", "Tell the agents not to go ahead", { "aria-keyshortcuts": "r" })}
          onClick={() => onDecide({ action: "reject" }, noteOrNull)}
        />
        <button
          {...button("retry", "Retry", "Ask the agents to run the task again")}
          onClick={() => onDecide({ action: "retry" }, noteOrNull)}
        />
        {agentsToOwn.map((agentId) => {
          const name = nameOf(names, agentId);
          return (
            <button
              key={agentId}
              {...button(
                "give_ownership",
                `Give ownership to ${name}`,
                `Make ${name} the owner of ${e.resource} (the rule changes) and tell the agents`,
                { "data-agent": name, "data-agent-id": String(agentId) },
              )}
              onClick={() => onDecide({ action: "give_ownership", agent_id: agentId }, noteOrNull)}
            />
          );
        })}
      </div>
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
      {error ? (
        <p className="esc-error" role="alert" id={errorId} data-testid="escalation-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
