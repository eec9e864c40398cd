// The timeline's toolbar: preset ranges, zoom, "Now" (follow the clock), the range shown, what
// the retention compacted, and the legend.

import { momentLabel, PRESETS, rangeLabel, type TimeRange } from "../lib/fleetTimeline";
import { TimelineLegend } from "./TimelineAxis";

export function TimelineToolbar({
  view,
  span,
  live,
  compactedBefore,
  onSpan,
  onZoom,
  onLive,
}: {
  view: TimeRange;
  span: number;
  live: boolean;
  /** Events before this moment (in view) were compacted away; null when none in view. */
  compactedBefore: number | null;
  onSpan(span: number): void;
  onZoom(factor: number): void;
  onLive(): void;
}) {
  return (
    <div className="ft-toolbar">
      <div className="ft-presets" role="group" aria-label="Range">
        {PRESETS.map((p) => (
          <button
            key={p.label}
            type="button"
            className={`button button--small${p.span === span ? " ft-on" : ""}`}
            aria-pressed={p.span === span}
            onClick={() => onSpan(p.span)}
            data-testid={`preset-${p.label.replace(" ", "")}`}
          >
            {p.label}
          </button>
        ))}
      </div>
      <div className="ft-presets" role="group" aria-label="Zoom">
        <button
          type="button"
          className="button button--small"
          aria-label="Zoom out"
          aria-keyshortcuts="-"
          title="Zoom out (−)"
          onClick={() => onZoom(1.5)}
        >
          −
        </button>
        <button
          type="button"
          className="button button--small"
          aria-label="Zoom in"
          aria-keyshortcuts="+"
          title="Zoom in (+)"
          onClick={() => onZoom(1 / 1.5)}
        >
          +
        </button>
      </div>
      <button
        type="button"
        className={`button button--small${live ? " ft-on" : ""}`}
        aria-pressed={live}
        onClick={onLive}
        title="Follow the clock"
        data-testid="timeline-now"
      >
        <span className={`ft-live-dot${live ? " ft-live-dot--on" : ""}`} aria-hidden="true" />
        Now
      </button>
      <span className="ft-range mono" data-testid="timeline-range">
        {rangeLabel(view)}
      </span>
      {compactedBefore !== null ? (
        <span className="ft-compacted-note" data-testid="timeline-compacted">
          before {momentLabel(compactedBefore, view.to)}: compacted, only task state changes remain
        </span>
      ) : null}
      <span className="spacer" />
      <TimelineLegend />
    </div>
  );
}
