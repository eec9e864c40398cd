// A section's list that loads from the backend: why the last load failed (with Retry when the
// section can reload), "Loading …" until the first load, a line when there is nothing to show,
// else the list itself.

import type { ReactNode } from "react";

import type { Loaded } from "../lib/usePipelineData";

export function LoadState<T>({
  loaded,
  what,
  loading,
  errorTestId,
  onRetry,
  empty,
  emptyText,
  children,
}: {
  loaded: Loaded<T>;
  /** What failed to load, in "Could not load …" ("the costs"). */
  what: string;
  /** Shown until the first load ("Loading costs…"). */
  loading: string;
  errorTestId: string;
  onRetry?: () => void;
  /** Loaded, but nothing to show. */
  empty: boolean;
  emptyText: ReactNode;
  children: ReactNode;
}) {
  return (
    <>
      {loaded.error ? (
        <p className="form-error pipelines-note" data-testid={errorTestId}>
          {loaded.value ? `Could not refresh ${what}` : `Could not load ${what}`}: {loaded.error}
          {onRetry ? (
            <>
              {" "}
              <button type="button" className="button button--small button--ghost" onClick={onRetry}>
                Retry
              </button>
            </>
          ) : null}
        </p>
      ) : null}
      {loaded.value === null ? (
        loaded.error ? null : (
          <p className="muted pipelines-note" role="status">
            {loading}
          </p>
        )
      ) : empty ? (
        <p className="muted pipelines-note">{emptyText}</p>
      ) : (
        children
      )}
    </>
  );
}
