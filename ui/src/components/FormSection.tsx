// A collapsible section of a form (the agent form's "Declares" and "Detector windows"): a toggle
// with a caret, the title and a short summary; the body only while open.

import { useId, type ReactNode, type RefObject } from "react";

export function FormSection({
  testId,
  title,
  summary,
  open,
  onToggle,
  busy = false,
  rootRef,
  children,
}: {
  /** The section's data-testid; its toggle's is `${testId}-toggle`. */
  testId: string;
  title: string;
  summary: string | null;
  open: boolean;
  onToggle: () => void;
  /** The body is loading (aria-busy). */
  busy?: boolean;
  rootRef?: RefObject<HTMLElement | null>;
  children: ReactNode;
}) {
  const bodyId = useId();
  return (
    <section className="declares" data-testid={testId} ref={rootRef}>
      <button
        type="button"
        className="declares-toggle"
        aria-expanded={open}
        aria-controls={open ? bodyId : undefined}
        onClick={onToggle}
        data-testid={`${testId}-toggle`}
      >
        <span className={`declares-caret ${open ? "declares-caret--open" : ""}`} aria-hidden="true">
          ▸
        </span>
        {title}
        {summary ? <span className="declares-count">{summary}</span> : null}
      </button>
      {open ? (
        <div className="declares-body" id={bodyId} aria-busy={busy || undefined}>
          {children}
        </div>
      ) : null}
    </section>
  );
}
