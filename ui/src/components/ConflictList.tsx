// Every conflict on the ownership map, each with a way to settle it: declaration conflicts get
// the resolutions (who owns it, who only reads it, both in a sequence); two overlapping rules
// open in the side panel.

import { useState } from "react";

import type { MapConflict } from "../bindings/MapConflict";
import type { Dispute } from "../bindings/Dispute";
import type { Resolution } from "../bindings/Resolution";
import type { StoredRule } from "../bindings/StoredRule";
import { disputeOf, mapChoicesFor } from "../lib/resolutions";
import { useRights } from "../lib/rights";

/** Conflicts shown at first, and added per "Show more". */
export const CONFLICT_PAGE = 50;

export function ConflictList({
  conflicts,
  rules,
  busy,
  onResolve,
  onOpenRule,
}: {
  conflicts: MapConflict[];
  rules: StoredRule[];
  busy: boolean;
  onResolve(dispute: Dispute, resolution: Resolution): void;
  onOpenRule(id: number): void;
}) {
  const [shown, setShown] = useState(CONFLICT_PAGE);
  const { cannotChange } = useRights();
  if (conflicts.length === 0) {
    return (
      <section className="conflicts conflicts--clear" data-testid="map-conflicts" aria-label="Conflicts">
        <h3>No conflicts</h3>
        <p className="muted">Every trigger, data field and output has one owner or an accepted sequence.</p>
      </section>
    );
  }
  return (
    <section className="conflicts" data-testid="map-conflicts" aria-label="Conflicts">
      <h3>
        {conflicts.length} conflict{conflicts.length === 1 ? "" : "s"}
      </h3>
      <ul className="stack-list">
        {conflicts.slice(0, shown).map((conflict, i) => {
          const dispute = disputeOf(conflict, rules);
          return (
            <li key={`${i}:${conflict.message}`} className="conflict" data-testid="map-conflict" data-kind={conflict.kind}>
              <p className="conflict-message">{conflict.message}</p>
              <p className="muted">
                e.g. <code>{conflict.example}</code>
              </p>
              <div className="conflict-actions">
                {dispute
                  ? mapChoicesFor(dispute).map((choice) => (
                      <button
                        key={choice.id}
                        type="button"
                        className="chip-button"
                        data-testid="conflict-resolve"
                        data-choice={choice.id}
                        disabled={busy || cannotChange !== null}
                        title={cannotChange ?? undefined}
                        onClick={() => onResolve(dispute, choice.resolution)}
                      >
                        {choice.label}
                      </button>
                    ))
                  : conflict.rules.map((index) => {
                      const rule = rules[index];
                      if (!rule) return null;
                      return (
                        <button
                          key={index}
                          type="button"
                          className="chip-button"
                          data-testid="conflict-open-rule"
                          onClick={() => onOpenRule(rule.id)}
                        >
                          Edit {rule.pattern} → {rule.owner}
                        </button>
                      );
                    })}
              </div>
            </li>
          );
        })}
      </ul>
      {conflicts.length > shown ? (
        <button
          type="button"
          className="button"
          data-testid="conflicts-more"
          onClick={() => setShown((n) => n + CONFLICT_PAGE)}
        >
          Show {Math.min(CONFLICT_PAGE, conflicts.length - shown)} more of {conflicts.length - shown}
        </button>
      ) : null}
    </section>
  );
}
