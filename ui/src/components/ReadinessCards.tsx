// The Agents view's "Rollout readiness": one card per polled agent saying whether a second agent
// may join it (Ready, or what is missing), with its streak of stable days and the figures the
// rule reads; "Thresholds…" edits the rule. Coding sessions have no readiness.

import { useRef, useState } from "react";

import type { Readiness } from "../bindings/Readiness";
import { nameOf } from "../lib/agents";
import {
  currentThresholds,
  readinessFigures,
  readinessLine,
  readyCountText,
  streakProgress,
  thresholdsText,
} from "../lib/readiness";
import { mayChange, useRights } from "../lib/rights";
import type { Loaded } from "../lib/usePipelineData";
import { LoadState } from "./LoadState";
import { ThresholdsModal } from "./ThresholdsModal";

export function ReadinessCards({
  readiness,
  order,
  names,
  onSaved,
  onRetry,
}: {
  readiness: Loaded<Readiness[]>;
  /** The polled agents' ids in the table's order. */
  order: readonly number[];
  names: ReadonlyMap<number, string>;
  /** The thresholds were saved: everyone's readiness under them. */
  onSaved(list: Readiness[]): void;
  onRetry(): void;
}) {
  const [editing, setEditing] = useState(false);
  const may = mayChange(useRights());
  const buttonRef = useRef<HTMLButtonElement>(null);
  const list = readiness.value;
  const thresholds = currentThresholds(list);
  const rank = new Map(order.map((id, i) => [id, i]));
  const cards = [...(list ?? [])].sort(
    (a, b) => (rank.get(a.agent_id) ?? order.length) - (rank.get(b.agent_id) ?? order.length) || a.agent_id - b.agent_id,
  );

  return (
    <section className="pipelines-section" aria-labelledby="readiness-title" data-testid="readiness-section">
      <header className="group-header">
        <h2 id="readiness-title">Rollout readiness</h2>
        <span className="muted small">
          May a second agent join one?{thresholds ? ` ${thresholdsText(thresholds)}` : ""}
          {list && list.length > 0 ? ` — ${readyCountText(list)}` : ""}
        </span>
        <span className="spacer" />
        <button
          ref={buttonRef}
          type="button"
          className="button button--small"
          data-testid="readiness-thresholds"
          disabled={!thresholds}
          title={thresholds ? "When an agent counts as ready" : "Shown once a polled agent has its readiness"}
          onClick={() => setEditing(true)}
          {...may}
        >
          Thresholds…
        </button>
      </header>

      <LoadState
        loaded={readiness}
        what="readiness"
        loading="Loading readiness…"
        errorTestId="readiness-error"
        onRetry={onRetry}
        empty={cards.length === 0}
        emptyText="No polled agent yet: readiness is for the agents Baton polls."
      >
        <ul className="readiness-cards">
          {cards.map((r) => (
            <ReadinessCard key={r.agent_id} readiness={r} name={nameOf(names, r.agent_id)} />
          ))}
        </ul>
      </LoadState>

      {editing && thresholds ? (
        <ThresholdsModal
          thresholds={thresholds}
          onClose={() => setEditing(false)}
          onSaved={(next) => {
            onSaved(next);
            setEditing(false);
          }}
        />
      ) : null}
    </section>
  );
}

function ReadinessCard({ readiness: r, name }: { readiness: Readiness; name: string }) {
  const progress = streakProgress(r);
  const titleId = `readiness-${r.agent_id}`;
  return (
    <li
      className={`readiness-card readiness-card--${r.ready ? "ready" : "not-ready"}`}
      data-testid="readiness-card"
      data-agent-id={r.agent_id}
      data-ready={r.ready}
      aria-labelledby={titleId}
    >
      <div className="readiness-card-head">
        <span className="agent-name" id={titleId}>
          {name}
        </span>
        <span className={`readiness-badge readiness-badge--${r.ready ? "ready" : "not-ready"}`}>
          {r.ready ? "Ready" : "Not ready"}
        </span>
      </div>
      <p className={`readiness-summary${r.ready ? "" : " readiness-summary--missing"}`} data-testid="readiness-summary">
        {r.ready ? "A second agent may join it." : readinessLine(r)}
      </p>
      <div
        className="readiness-progress"
        role="progressbar"
        aria-label={`${name}: stable days`}
        aria-valuemin={0}
        aria-valuemax={r.days_needed}
        aria-valuenow={Math.min(r.stable_days, r.days_needed)}
        aria-valuetext={`${r.stable_days} of ${r.days_needed} days`}
      >
        <span className="readiness-progress-fill" style={{ width: `${Math.round(progress * 100)}%` }} />
      </div>
      <dl className="readiness-figures">
        {readinessFigures(r).map((f) => (
          <div
            key={f.key}
            className={`readiness-figure${f.short ? " readiness-figure--short" : ""}${f.short === null ? " readiness-figure--none" : ""}`}
            data-figure={f.key}
          >
            <dt>{f.label}</dt>
            <dd>
              {f.value}
              {f.detail ? <span className="muted small"> {f.detail}</span> : null}
            </dd>
          </div>
        ))}
      </dl>
    </li>
  );
}
