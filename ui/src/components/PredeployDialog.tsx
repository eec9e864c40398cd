import { useEffect, useId, useRef, useState } from "react";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { PredeployConflict } from "../bindings/PredeployConflict";
import { resolveConflict, toBackendError } from "../lib/backend";
import { notReadyHeadline } from "../lib/readiness";
import {
  choiceLabel,
  choicesFor,
  DEFAULT_CHOICE,
  otherName,
  toDispute,
  toResolution,
  type Choice,
} from "../lib/resolutions";
import { Modal } from "./Modal";

/** What saving the agent did: it throws when the agent itself was not saved. */
export interface SaveOutcome {
  saved: AgentConfig;
  /** Set when the agent was saved but its declaration was not. */
  declarationError: string | null;
}

type Phase =
  | { phase: "choosing" }
  | { phase: "saving" }
  | { phase: "applying"; step: number; total: number }
  | {
      phase: "failed";
      saved: AgentConfig;
      declarationError: string | null;
      failures: { conflict: PredeployConflict; label: string; message: string }[];
      total: number;
    };

/**
 * The overlaps a new (or edited) agent's declaration has with the rules and the other agents,
 * each with a choice of how to settle it, shown before anything is saved. "Add agent" saves the
 * agent and its declaration (`save`), then applies the choices one by one.
 */
export function PredeployDialog({
  agent,
  conflicts,
  editing,
  save,
  onBack,
  onSaveFailed,
  onDone,
}: {
  /** The agent's name as typed. */
  agent: string;
  conflicts: PredeployConflict[];
  editing: boolean;
  save: () => Promise<SaveOutcome>;
  /** Back to the form, nothing saved. */
  onBack: () => void;
  /** Saving the agent failed: back to the form with `error`. */
  onSaveFailed: (error: unknown) => void;
  /** The agent is saved (whatever happened to the choices). */
  onDone: (saved: AgentConfig) => void;
}) {
  const ids = useId();
  const [choices, setChoices] = useState<Choice[]>(() => conflicts.map(() => DEFAULT_CHOICE));
  const [phase, setPhase] = useState<Phase>({ phase: "choosing" });
  const running = useRef(false);
  const closeRef = useRef<HTMLButtonElement>(null);
  const n = conflicts.length;
  const verb = editing ? "saved" : "added";
  // Overlapped agents that are not ready for a second agent beside them (readiness).
  const notReady = notReadyHeadline(conflicts.filter((c) => c.other_not_ready).map((c) => otherName(c.other)));

  const apply = async () => {
    if (running.current) return;
    running.current = true;
    setPhase({ phase: "saving" });
    let outcome: SaveOutcome;
    try {
      outcome = await save();
    } catch (thrown) {
      running.current = false;
      onSaveFailed(thrown);
      return;
    }
    const { saved, declarationError } = outcome;
    const todo = conflicts
      .map((conflict, i) => ({ conflict, choice: choices[i] ?? DEFAULT_CHOICE }))
      .filter(({ choice }) => choice !== "later");
    const label = (conflict: PredeployConflict, choice: Choice) =>
      choiceLabel(choice, saved.name, otherName(conflict.other));

    if (declarationError !== null) {
      // Without the declaration stored there is nothing to settle: leave it all to the map.
      setPhase({
        phase: "failed",
        saved,
        declarationError,
        failures: todo.map(({ conflict, choice }) => ({
          conflict,
          label: label(conflict, choice),
          message: "not applied: the declaration was not saved",
        })),
        total: todo.length,
      });
      return;
    }

    const failures: { conflict: PredeployConflict; label: string; message: string }[] = [];
    for (const [i, { conflict, choice }] of todo.entries()) {
      setPhase({ phase: "applying", step: i + 1, total: todo.length });
      const resolution = toResolution(choice, saved.name, conflict.other);
      if (!resolution) continue;
      try {
        await resolveConflict(toDispute(saved.name, conflict), resolution);
      } catch (thrown) {
        failures.push({ conflict, label: label(conflict, choice), message: toBackendError(thrown).message });
      }
    }
    if (failures.length > 0) {
      setPhase({ phase: "failed", saved, declarationError: null, failures, total: todo.length });
    } else {
      onDone(saved);
    }
  };

  const busy = phase.phase === "saving" || phase.phase === "applying";
  const failed = phase.phase === "failed";
  // The buttons focus was on are gone: keep focus in the dialog, on Close.
  useEffect(() => {
    if (failed) closeRef.current?.focus();
  }, [failed]);
  const onClose = () => {
    if (phase.phase === "choosing") onBack();
    else if (phase.phase === "failed") onDone(phase.saved);
  };

  return (
    <Modal
      title={`Before ${agent} goes live: ${n} overlap${n === 1 ? "" : "s"}`}
      onClose={onClose}
      className="predeploy-modal"
      initialFocus='[data-testid="predeploy-choice"]:checked'
      testId="predeploy-dialog"
    >
      <div className="modal-body predeploy-body">
        {phase.phase === "failed" ? (
          <FailureReport agent={phase.saved.name} verb={verb} phase={phase} />
        ) : (
          <>
            <p>
              What {agent} declares overlaps with what is already decided. Choose how to settle each
              one; nothing is saved until you {editing ? "save" : "add the agent"}.
            </p>
            {notReady ? (
              <p className="predeploy-not-ready predeploy-not-ready--summary" data-testid="predeploy-not-ready-summary">
                <span aria-hidden="true">⚠ </span>
                {notReady}
              </p>
            ) : null}
            <ol className="predeploy-list stack-list">
              {conflicts.map((conflict, i) => {
                const other = otherName(conflict.other);
                return (
                  <li key={i} className="predeploy-conflict" data-testid="predeploy-conflict">
                    <p className="predeploy-message">{conflict.message}</p>
                    <p className="predeploy-example">
                      e.g. <code>{conflict.example}</code>
                    </p>
                    {conflict.other_not_ready ? (
                      <p className="predeploy-not-ready" data-testid="predeploy-not-ready">
                        <span aria-hidden="true">⚠ </span>
                        {conflict.other_not_ready}
                      </p>
                    ) : null}
                    <fieldset className="predeploy-choices" disabled={busy}>
                      <legend className="visually-hidden">How to settle {conflict.pattern}</legend>
                      {choicesFor(conflict).map((choice) => (
                        <label key={choice} className="predeploy-choice">
                          <input
                            type="radio"
                            name={`${ids}-conflict-${i}`}
                            value={choice}
                            data-testid="predeploy-choice"
                            data-choice={choice}
                            checked={choices[i] === choice}
                            onChange={() =>
                              setChoices((cs) => cs.map((c, j) => (j === i ? choice : c)))
                            }
                          />
                          {choiceLabel(choice, agent, other)}
                        </label>
                      ))}
                    </fieldset>
                  </li>
                );
              })}
            </ol>
          </>
        )}
        {busy ? (
          <p className="predeploy-progress" role="status" data-testid="predeploy-progress">
            {phase.phase === "applying" ? `Applying ${phase.step} of ${phase.total}…` : `Saving ${agent}…`}
          </p>
        ) : null}
      </div>
      <footer className="modal-actions">
        {phase.phase === "failed" ? (
          <>
            <span className="spacer" />
            <button
              type="button"
              className="button button--primary"
              data-testid="predeploy-close"
              ref={closeRef}
              onClick={() => onDone(phase.saved)}
            >
              Close
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              className="button button--ghost"
              data-testid="predeploy-back"
              onClick={onBack}
              disabled={busy}
            >
              Back to the form
            </button>
            <span className="spacer" />
            <button
              type="button"
              className="button button--primary"
              data-testid="predeploy-apply"
              onClick={() => void apply()}
              // aria-disabled, not disabled: focus stays here (and Escape keeps working) meanwhile.
              aria-disabled={busy || undefined}
            >
              {busy ? "Applying…" : editing ? "Save" : "Add agent"}
            </button>
          </>
        )}
      </footer>
    </Modal>
  );
}

function FailureReport({
  agent,
  verb,
  phase,
}: {
  agent: string;
  verb: string;
  phase: Extract<Phase, { phase: "failed" }>;
}) {
  return (
    <div className="predeploy-failed" role="alert" data-testid="predeploy-failed">
      {phase.declarationError !== null ? (
        <p>
          {agent} was {verb}, but its declaration was not: {phase.declarationError}
        </p>
      ) : (
        <p>
          {agent} was {verb}, but {phase.failures.length} of {phase.total} choice
          {phase.total === 1 ? "" : "s"} could not be applied:
        </p>
      )}
      {phase.failures.length > 0 ? (
        <ul className="predeploy-failures">
          {phase.failures.map(({ conflict, label, message }, i) => (
            <li key={i} data-testid="predeploy-failure">
              <strong>{label}</strong> for <code>{conflict.pattern}</code>: {message}
            </li>
          ))}
        </ul>
      ) : null}
      <p>The rest can be settled on the Ownership map.</p>
    </div>
  );
}
