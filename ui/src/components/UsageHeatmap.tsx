// When each agent usually uses the API: one row per agent, one cell per quarter hour of the day
// (UTC), its colour as strong as the use; below, how many agents are active in each slot, the
// slots where two or more are (where they collide) highlighted. Every cell has a tooltip.

import { memo, useMemo } from "react";

import type { UsageHeatmap as HeatmapData } from "../bindings/UsageHeatmap";
import { nameOf } from "../lib/agents";
import { countText, metricLabel } from "../lib/rateLimits";
import { agentColor } from "../lib/usageChart";
import { overlapSummary, prepareHeatmap, slotRange } from "../lib/usageHeatmap";

export const UsageHeatmap = memo(function UsageHeatmap({
  heatmap,
  names,
  error = null,
}: {
  heatmap: HeatmapData | null;
  names: ReadonlyMap<number, string>;
  error?: string | null;
}) {
  const prepared = useMemo(() => (heatmap ? prepareHeatmap(heatmap) : null), [heatmap]);
  const unit = heatmap ? `${metricLabel(heatmap.metric)}/min` : "";

  let body;
  if (error) {
    body = (
      <p className="rl-error" role="alert">
        Could not load the time-of-day profile: {error}
      </p>
    );
  } else if (!heatmap || !prepared) {
    body = <p className="muted small">Loading…</p>;
  } else if (prepared.rows.length === 0 || prepared.max <= 0) {
    body = <p className="muted small">No history yet: the profile fills in as the agents report their calls over the days.</p>;
  } else {
    const { slots, slotMinutes, rows, overlap, labels } = prepared;
    const summary = overlapSummary(prepared.ranges, slotMinutes);
    const labelSpan = labels.length > 1 ? labels[1]!.slot - labels[0]!.slot : slots;
    body = (
      <>
        <p className="small rl-heat-summary" data-testid="heatmap-overlap-summary">
          {summary}
        </p>
        <div
          className="rl-heat-grid"
          style={{ gridTemplateColumns: `minmax(72px, max-content) repeat(${slots}, minmax(2px, 1fr))` }}
          role="img"
          aria-label={`Mean ${unit} of each agent per quarter hour of the day (UTC). ${summary}`}
        >
          {rows.map((row) => {
            const name = nameOf(names, row.agentId);
            const colour = agentColor(row.agentId);
            return (
              <div key={row.agentId} className="rl-heat-row" data-testid="heatmap-row" data-agent-id={row.agentId}>
                <span className="rl-heat-name" title={name}>
                  {name}
                </span>
                {row.cells.map((i, s) => (
                  <span
                    key={s}
                    className="rl-heat-cell"
                    style={{ backgroundColor: colour, opacity: i === 0 ? 0.05 : 0.12 + 0.88 * i }}
                    title={`${name} · ${slotRange(s, s + 1, slotMinutes)} UTC · ${countText(row.values[s] ?? 0)} ${unit}`}
                  />
                ))}
              </div>
            );
          })}
          <div className="rl-heat-row rl-heat-row--overlap" data-testid="heatmap-overlap">
            <span className="rl-heat-name">Overlap</span>
            {overlap.map((c, s) => (
              <span
                key={s}
                className={`rl-heat-cell rl-heat-overlap${c >= 2 ? " rl-heat-overlap--hot" : c === 1 ? " rl-heat-overlap--one" : ""}`}
                data-testid="heatmap-overlap-cell"
                data-count={c}
                title={`${slotRange(s, s + 1, slotMinutes)} UTC · ${c} agent${c === 1 ? "" : "s"} active${c >= 2 ? ": they collide here" : ""}`}
              />
            ))}
          </div>
          <div className="rl-heat-row rl-heat-row--labels" aria-hidden="true">
            <span />
            {labels.map((l) => (
              <span key={l.slot} className="rl-heat-label" style={{ gridColumn: `${l.slot + 2} / span ${labelSpan}` }}>
                {l.text}
              </span>
            ))}
          </div>
        </div>
      </>
    );
  }

  return (
    <section className="rl-card" data-testid="heatmap" aria-labelledby="rl-heatmap-title">
      <header className="rl-card-head">
        <h3 id="rl-heatmap-title">Usual time of day</h3>
        {heatmap ? (
          <span className="muted small">
            mean {unit} per quarter hour, UTC{heatmap.days > 0 ? `, over ${heatmap.days} day${heatmap.days === 1 ? "" : "s"}` : ""}
          </span>
        ) : null}
      </header>
      {body}
    </section>
  );
});
