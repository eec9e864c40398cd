// Shown in place of Baton's views when a newer Baton wrote its store: which schema the store
// has, which this app knows, and what to do. Nothing was opened or changed.

import { useEffect, useId, useRef } from "react";

import type { StoreTooNew } from "../bindings/StoreTooNew";
import { engineName, tooNewSteps } from "../lib/storeTooNew";

export function StoreTooNewDialog({ facts }: { facts: StoreTooNew }) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="modal-backdrop">
      <div
        ref={ref}
        className="modal too-new"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        data-testid="store-too-new"
      >
        <header className="modal-header">
          <h2 id={titleId}>This store is newer than this Baton</h2>
        </header>
        <div className="modal-body">
          <p>A newer Baton wrote this store. This one has not opened it and changed nothing in it.</p>
        </div>
        <dl className="store-facts" data-testid="store-too-new-facts">
          <dt>Store</dt>
          <dd data-testid="too-new-found">
            {engineName(facts)}, schema {facts.found}
          </dd>
          <dt>This Baton</dt>
          <dd data-testid="too-new-supported">
            {facts.app_version}, knows schema up to {facts.supported}
          </dd>
          <dt>Where</dt>
          <dd className="store-where">{facts.store_location}</dd>
        </dl>
        <div className="modal-body">
          <h3 className="too-new-what">What to do</h3>
          <ol className="too-new-steps" data-testid="store-too-new-steps">
            {tooNewSteps(facts).map((step) => (
              <li key={step}>{withCode(step)}</li>
            ))}
          </ol>
        </div>
      </div>
    </div>
  );
}

/** The text with its `backquoted` parts as code. */
function withCode(text: string) {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}
