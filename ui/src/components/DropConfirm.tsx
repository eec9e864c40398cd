// A drop on the ownership map asks before it writes: the rule it would write (kind, pattern,
// owner, and whom it takes the resource from), what check_rule says about overlaps with other
// rules, then Write (Enter) or Cancel (Escape).

import { useEffect, useRef, useState } from "react";

import type { DraftCheck } from "../bindings/DraftCheck";
import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Rule } from "../bindings/Rule";
import { checkRule, toBackendError } from "../lib/backend";
import { dropPreview } from "../lib/ownershipDrop";
import { useRights } from "../lib/rights";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";

export interface DropChange {
  /** The rule the drop changes; null: a new rule. */
  id: number | null;
  rule: Rule;
}

export function DropConfirm({
  map,
  change,
  onWrite,
  onCancel,
}: {
  map: OwnershipMap;
  change: DropChange;
  onWrite(change: DropChange): void;
  onCancel(): void;
}) {
  const [check, setCheck] = useState<DraftCheck | null>(null);
  const [checkError, setCheckError] = useState<string | null>(null);
  const writeButton = useRef<HTMLButtonElement>(null);
  const preview = dropPreview(map, change);
  const { rule } = change;

  useEffect(() => {
    let live = true;
    checkRule(rule, change.id).then(
      (result) => live && setCheck(result),
      (err: unknown) => live && setCheckError(toBackendError(err).message),
    );
    return () => {
      live = false;
    };
  }, [rule, change.id]);

  const ready = check !== null || checkError !== null;
  const problem = check?.problem ?? null;
  const { cannotChange } = useRights();
  const canWrite = ready && problem === null && cannotChange === null;
  useEffect(() => {
    if (canWrite) writeButton.current?.focus();
  }, [canWrite]);

  const write = () => {
    if (canWrite) onWrite(change);
  };

  return (
    <Modal title={`Make ${rule.owner} the owner?`} onClose={onCancel} initialFocus="[data-autofocus]" testId="drop-confirm">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          write();
        }}
        onKeyDown={(e) => {
          // Enter writes wherever the focus is in the dialog (once the check has answered).
          if (e.key === "Enter") {
            e.preventDefault();
            write();
          }
        }}
      >
        <div className="modal-body">
          <p className="muted">{preview.title}: nothing is written until you choose Write.</p>
          <dl className="drop-rule" data-testid="drop-rule">
            <dt>Kind</dt>
            <dd data-testid="drop-kind">{rule.kind}</dd>
            <dt>Pattern</dt>
            <dd className="mono" data-testid="drop-pattern">
              {rule.pattern}
            </dd>
            <dt>Owner</dt>
            <dd data-testid="drop-owner">
              <strong>{rule.owner}</strong>
              {preview.previousOwner ? <span className="muted"> (was {preview.previousOwner})</span> : null}
            </dd>
            {preview.dropped.length > 0 ? (
              <>
                <dt>No longer reads or follows</dt>
                <dd>{preview.dropped.join(", ")}</dd>
              </>
            ) : null}
          </dl>
          <div className="drop-check" role="status" data-testid="drop-check" data-state={ready ? (problem ? "problem" : "checked") : "checking"}>
            {!ready ? (
              <p className="muted">Checking against the other rules…</p>
            ) : checkError ? (
              <p className="muted">Could not check the overlaps ({checkError}); the rule is checked again when written.</p>
            ) : problem ? null : check && check.overlaps.length > 0 ? (
              <>
                <p>
                  It overlaps {check.overlaps.length === 1 ? "another rule" : `${check.overlaps.length} other rules`}:
                </p>
                <ul className="drop-overlaps">
                  {check.overlaps.map((o) => (
                    <li key={`${o.index}:${o.example}`} data-testid="drop-overlap">
                      {o.message}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="muted">No overlap with the other rules.</p>
            )}
          </div>
          <FormError error={problem?.message ?? null} testId="drop-problem" sentence />
        </div>
        <ModalActions onCancel={onCancel} cancelTestId="drop-cancel" cancelAutoFocus>
          <button ref={writeButton} type="submit" className="button button--primary" disabled={!canWrite} title={cannotChange ?? undefined} data-testid="drop-write">
            Write
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
