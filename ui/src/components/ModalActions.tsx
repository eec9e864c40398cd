// A dialog's row of buttons: what goes on the left (`start`), then on the right Cancel (or Close)
// and the dialog's own button (`children`, usually its submit).

import type { ReactNode } from "react";

export function ModalActions({
  start,
  onCancel,
  cancelLabel = "Cancel",
  plainCancel = false,
  cancelTestId,
  cancelAutoFocus = false,
  children,
}: {
  start?: ReactNode;
  onCancel(): void;
  cancelLabel?: string;
  /** Cancel as a plain button, not a ghost one. */
  plainCancel?: boolean;
  cancelTestId?: string;
  /** Cancel takes the focus when the dialog opens (a confirmation: the safe choice first). */
  cancelAutoFocus?: boolean;
  children: ReactNode;
}) {
  return (
    <footer className="modal-actions">
      {start}
      <span className="spacer" />
      <button
        type="button"
        className={plainCancel ? "button" : "button button--ghost"}
        onClick={onCancel}
        data-testid={cancelTestId}
        data-autofocus={cancelAutoFocus || undefined}
      >
        {cancelLabel}
      </button>
      {children}
    </footer>
  );
}
