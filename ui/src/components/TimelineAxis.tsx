// The timeline's time axis: tick labels (clock times, dates where a day starts), the band of
// escalations open in the range (packed into rows, coloured by severity) with the decisions under
// it, and the replay cursor's handle. Dragging the axis pans; a click places the replay cursor;
// dragging the handle scrubs.

import { useRef, type PointerEvent } from "react";

import type { TimelineDecision } from "../bindings/TimelineDecision";
import type { TimelineEscalation } from "../bindings/TimelineEscalation";
import { axisTicks, KIND_COLOR, KIND_LABEL, KINDS, momentLabel, timeToX, xToTime, type TimeRange } from "../lib/fleetTimeline";
import { packRows, type Axis } from "../lib/fleetTimelineMarks";
import { parseTime } from "../lib/time";

const LABELS = 18;
const BAND_TOP = 22;
const ROW = 6;
const ROWS = 3;
const DECISIONS = BAND_TOP + ROWS * ROW + 3;
export const AXIS_HEIGHT = DECISIONS + 9;

interface Drag {
  mode: "pan" | "scrub";
  x0: number;
  left: number;
  range: TimeRange;
  moved: boolean;
}

export function TimelineAxis({
  axis,
  escalations,
  decisions,
  cursor,
  onPan,
  onCursor,
  onOpenEscalation,
}: {
  axis: Axis;
  escalations: readonly TimelineEscalation[];
  decisions: readonly TimelineDecision[];
  cursor: number | null;
  onPan(deltaMs: number, from: TimeRange): void;
  onCursor(t: number): void;
  onOpenEscalation(id: number): void;
}) {
  const drag = useRef<Drag | null>(null);
  const ticks = axisTicks(axis, axis.width);
  const spans = escalations.map((e) => ({
    start: parseTime(e.opened_at),
    end: e.closed_at ? parseTime(e.closed_at) : axis.to,
  }));
  const rows = packRows(spans, ROWS);
  const x = (t: number) => timeToX(t, axis, axis.width);
  const cursorX = cursor !== null && cursor >= axis.from && cursor <= axis.to ? x(cursor) : null;

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    const target = e.target as Element;
    if (target.closest("[data-esc], [data-decision]")) return;
    drag.current = {
      mode: target.closest("[data-handle]") ? "scrub" : "pan",
      x0: e.clientX,
      left: e.currentTarget.getBoundingClientRect().left,
      range: { from: axis.from, to: axis.to },
      moved: false,
    };
    e.currentTarget.setPointerCapture?.(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x0;
    if (Math.abs(dx) > 2) d.moved = true;
    if (d.mode === "scrub") {
      onCursor(xToTime(Math.max(0, Math.min(axis.width, e.clientX - d.left)), axis, axis.width));
    } else if (d.moved) {
      onPan((-dx / axis.width) * (d.range.to - d.range.from), d.range);
    }
  };
  const onPointerUp = (e: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    drag.current = null;
    if (d && d.mode === "pan" && !d.moved) onCursor(xToTime(e.clientX - d.left, axis, axis.width));
  };

  return (
    <svg
      className="ft-axis"
      data-testid="timeline-axis"
      width={axis.width}
      height={AXIS_HEIGHT}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => (drag.current = null)}
      aria-label="Time axis: drag to pan, click to replay that moment"
      role="group"
    >
      {ticks.map((tick) => (
        <g key={tick.t} className={tick.day ? "ft-tick ft-tick--day" : "ft-tick"}>
          <line x1={tick.x} x2={tick.x} y1={LABELS - 4} y2={AXIS_HEIGHT} />
          <text x={tick.x + 3} y={11} data-testid="timeline-tick">
            {tick.label}
          </text>
        </g>
      ))}
      {escalations.map((esc, i) => {
        const x0 = Math.max(0, x(spans[i]!.start));
        const x1 = Math.min(axis.width, x(spans[i]!.end));
        if (x1 < 0 || x0 > axis.width) return null;
        return (
          <rect
            key={esc.id}
            data-esc={esc.id}
            data-testid="band-escalation"
            className={`ft-esc ft-esc--${esc.severity}`}
            x={x0}
            y={BAND_TOP + rows[i]! * ROW}
            width={Math.max(3, x1 - x0)}
            height={ROW - 1.5}
            rx={1.5}
            onClick={() => onOpenEscalation(esc.id)}
          >
            <title>{`${esc.severity}: ${esc.title} — opened ${momentLabel(spans[i]!.start, axis.to)}${
              esc.closed_at ? `, closed ${momentLabel(spans[i]!.end, axis.to)}` : ", still open"
            } (escalation #${esc.id}; click to open)`}</title>
          </rect>
        );
      })}
      {decisions.map((d) => {
        const dx = x(parseTime(d.at));
        if (dx < 0 || dx > axis.width) return null;
        const id = d.escalation_id;
        return (
          <path
            key={d.seq}
            data-decision={d.seq}
            className={`ft-decision${id !== null ? " ft-decision--link" : ""}`}
            d={`M${dx.toFixed(1)} ${DECISIONS}l3.5 6h-7z`}
            onClick={id !== null ? () => onOpenEscalation(id) : undefined}
          >
            <title>{`Decision: ${d.action} by ${d.who}, ${momentLabel(parseTime(d.at), axis.to)}${id !== null ? ` (escalation #${id})` : ""}`}</title>
          </path>
        );
      })}
      {cursorX !== null ? (
        <g className="ft-handle" data-handle="">
          <line x1={cursorX} x2={cursorX} y1={0} y2={AXIS_HEIGHT} />
          <path d={`M${(cursorX - 6).toFixed(1)} 0h12v8l-6 6l-6 -6z`}>
            <title>Drag to replay another moment</title>
          </path>
        </g>
      ) : null}
    </svg>
  );
}

/** The colours: one per event kind, the state diamonds, escalation severities. */
export function TimelineLegend() {
  return (
    <ul className="ft-legend" aria-label="Legend">
      {KINDS.map((kind) => (
        <li key={kind}>
          <span className="ft-swatch" style={{ background: KIND_COLOR[kind] }} aria-hidden="true" />
          {KIND_LABEL[kind]}
        </li>
      ))}
      <li>
        <span className="ft-swatch ft-swatch--state" aria-hidden="true" />
        task state change
      </li>
      <li>
        <span className="ft-swatch ft-swatch--esc" aria-hidden="true" />
        escalation
      </li>
      <li>
        <span className="ft-swatch ft-swatch--decision" aria-hidden="true" />
        decision
      </li>
    </ul>
  );
}
