// The timeline's swimlanes: one row per agent (virtualised: a thousand agents scroll smoothly),
// its marks drawn as a few SVG paths, its escalations as bars along the top. The pointer shows
// what lies under it; a click on an event or a state change opens the task, on a bucket moves the
// replay cursor there. Ctrl/⌘ + wheel zooms around the pointer, a sideways wheel pans.

import { memo, useCallback, useEffect, useMemo, useRef, useState, type MouseEvent as ReactMouseEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

import type { AgentRow } from "../bindings/AgentRow";
import type { BoardColumn } from "../bindings/BoardColumn";
import type { EventKind } from "../bindings/EventKind";
import type { TimelineEscalation } from "../bindings/TimelineEscalation";
import type { TimelineLane } from "../bindings/TimelineLane";
import { KIND_COLOR, KIND_LABEL, momentLabel, timeToX, xToTime } from "../lib/fleetTimeline";
import {
  countsText,
  diamondsPath,
  hitLane,
  LANE_BOX,
  laneMarks,
  marksTransform,
  stateMarks,
  type Axis,
  type Buckets,
  type Hit,
} from "../lib/fleetTimelineMarks";
import { subagentLabel } from "../lib/sessions";
import { parseTime } from "../lib/time";

/** Width of the names column, in px. */
export const NAME_WIDTH = 180;

export interface LanesProps {
  rows: readonly AgentRow[];
  lanes: ReadonlyMap<number, TimelineLane> | null;
  buckets: Buckets | null;
  axis: Axis;
  /** The bars' common scale (largest bucket on screen). */
  max: number;
  escalationsByAgent: ReadonlyMap<number, TimelineEscalation[]>;
  /** The visible rows changed (indexes into `rows`). */
  onVisible(first: number, last: number): void;
  onWidth(width: number): void;
  onHit(hit: Hit, lane: TimelineLane): void;
  onOpenEscalation(id: number): void;
  onZoomAt(factor: number, at: number): void;
  onPan(deltaMs: number): void;
}

interface Tip {
  x: number;
  y: number;
  /** Shown left of / above the point (near the right / bottom edge). */
  flipX: boolean;
  flipY: boolean;
  lines: string[];
}

function tipLines(hit: Hit, lane: TimelineLane, today: number): string[] {
  switch (hit.type) {
    case "event":
      return [
        `${KIND_LABEL[hit.event.kind]} · ${momentLabel(hit.t, today)}`,
        ...(hit.event.task_id ? [`task ${hit.event.task_id}`] : []),
        ...(hit.event.resource ? [hit.event.resource] : []),
      ];
    case "state":
      return [`task ${hit.state.task_id} → ${hit.state.state}`, momentLabel(hit.t, today)];
    case "bucket":
      return [
        `${hit.bucket.total.toLocaleString()} event${hit.bucket.total === 1 ? "" : "s"} · ${momentLabel(hit.from, today)} – ${momentLabel(hit.to, today)}`,
        countsText(hit.bucket.counts),
        lane.name,
      ];
  }
}

export function TimelineLanes(props: LanesProps) {
  const { rows, lanes, buckets, axis, max, escalationsByAgent, onVisible, onWidth, onHit, onZoomAt, onPan } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [tip, setTip] = useState<Tip | null>(null);

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is not compiler-safe; the rows are memoised by hand.
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LANE_BOX.height,
    overscan: 8,
    getItemKey: (index) => rows[index]!.config.id,
    initialRect: { width: 900, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  useEffect(() => onVisible(first, last), [first, last, onVisible]);

  // The plot's width: the scroller's, less the names column (and its scrollbar).
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => onWidth(Math.max(100, el.clientWidth - NAME_WIDTH)));
    ro.observe(el);
    return () => ro.disconnect();
  }, [onWidth]);

  // Wheel: native listener, so ctrl/⌘ + wheel can be kept from zooming the page.
  const live = useRef({ axis, onZoomAt, onPan });
  useEffect(() => {
    live.current = { axis, onZoomAt, onPan };
  });
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      const { axis: a, onZoomAt: zoomAt, onPan: pan } = live.current;
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        const x = e.clientX - el.getBoundingClientRect().left - NAME_WIDTH;
        zoomAt(Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.002))), xToTime(Math.max(0, Math.min(a.width, x)), a, a.width));
      } else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault();
        pan((e.deltaX / a.width) * (a.to - a.from));
      }
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, []);

  const today = axis.to;
  const onHover = useCallback(
    (hit: Hit | null, lane: TimelineLane, clientX: number, rowTop: number) => {
      const el = scrollRef.current;
      if (!hit || !el) {
        setTip(null);
        return;
      }
      const x = clientX - el.getBoundingClientRect().left;
      const flipX = x > el.clientWidth / 2;
      const flipY = rowTop - el.scrollTop > el.clientHeight / 2;
      setTip({
        x: x + (flipX ? -12 : 12),
        y: flipY ? rowTop - 2 : rowTop + LANE_BOX.height + 2,
        flipX,
        flipY,
        lines: tipLines(hit, lane, today),
      });
    },
    [today],
  );

  return (
    <div
      ref={scrollRef}
      className="ft-lanes"
      data-testid="timeline-lanes"
      data-from={axis.from}
      data-to={axis.to}
      data-width={axis.width}
      tabIndex={0}
      aria-label="Agents' lanes"
      onPointerLeave={() => setTip(null)}
    >
      <div className="ft-lanes-inner" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const row = rows[item.index]!;
          return (
            <LaneRow
              key={row.config.id}
              row={row}
              top={item.start}
              lane={lanes?.get(row.config.id) ?? null}
              buckets={buckets}
              axis={axis}
              max={max}
              escalations={escalationsByAgent.get(row.config.id)}
              onHover={onHover}
              onHit={onHit}
              onOpenEscalation={props.onOpenEscalation}
            />
          );
        })}
      </div>
      {tip ? (
        <div
          className="ft-tip"
          role="tooltip"
          data-testid="timeline-tip"
          style={{
            left: tip.x,
            top: tip.y,
            transform: `translate(${tip.flipX ? "-100%" : "0"}, ${tip.flipY ? "-100%" : "0"})`,
          }}
        >
          {tip.lines.map((line, i) => (
            <div key={i} className={i === 0 ? "ft-tip-head" : undefined}>
              {line}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}

const LaneRow = memo(function LaneRow({
  row,
  top,
  lane,
  buckets,
  axis,
  max,
  escalations,
  onHover,
  onHit,
  onOpenEscalation,
}: {
  row: AgentRow;
  top: number;
  lane: TimelineLane | null;
  buckets: Buckets | null;
  axis: Axis;
  max: number;
  escalations: TimelineEscalation[] | undefined;
  onHover(hit: Hit | null, lane: TimelineLane, clientX: number, rowTop: number): void;
  onHit(hit: Hit, lane: TimelineLane): void;
  onOpenEscalation(id: number): void;
}) {
  // The marks are built once per answer; moving the axis only moves their transform.
  const marks = useMemo(() => (lane && buckets ? laneMarks(lane, buckets, max) : null), [lane, buckets, max]);
  const states = useMemo(
    () =>
      lane ? [...stateMarks(lane, axis)].map(([column, points]): [BoardColumn, string] => [column, diamondsPath(points)]) : [],
    [lane, axis],
  );
  const place = marks && buckets ? marksTransform(buckets, axis, marks.mode) : null;

  const locate = (e: ReactMouseEvent<SVGSVGElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };
  const hitAt = (x: number, y: number) => (lane && buckets ? hitLane(lane, buckets, axis, x, y) : null);

  const name = row.config.name;
  return (
    <div
      className={`ft-row${lane ? "" : " ft-row--pending"}`}
      style={{ transform: `translateY(${top}px)`, height: LANE_BOX.height }}
      data-testid="timeline-lane"
      data-agent-id={row.config.id}
      data-mode={marks?.mode ?? "pending"}
    >
      <div
        className={`ft-name${row.subagent ? " ft-name--subagent" : ""}`}
        title={row.session ? `${name} (coding session)` : row.subagent ? `${name} (subagent)` : name}
      >
        <span className={`dot dot--${row.session || row.subagent ? "unknown" : row.health.reachability}`} aria-hidden="true" />
        <span className="ft-name-text">{row.subagent ? `› ${subagentLabel(name)}` : name}</span>
        {row.session ? <span className="tag">session</span> : null}
        {row.subagent ? <span className="tag">subagent</span> : null}
        {lane && lane.total > 0 ? <span className="ft-total">{lane.total.toLocaleString()}</span> : null}
      </div>
      <svg
        className="ft-plot"
        width={axis.width}
        height={LANE_BOX.height}
        aria-label={lane ? `${name}: ${lane.total} events, ${lane.states.length} task state changes` : `${name}: loading`}
        role="img"
        onPointerMove={(e) => {
          if (!lane) return;
          const { x, y } = locate(e);
          onHover(hitAt(x, y), lane, e.clientX, top);
        }}
        onClick={(e) => {
          const { x, y } = locate(e);
          const hit = hitAt(x, y);
          if (hit && lane) onHit(hit, lane);
        }}
      >
        {marks && place ? (
          <g transform={place.transform}>
            {[...marks.kinds].map(([kind, d]: [EventKind, string]) => (
              <path
                key={kind}
                className="ft-marks"
                data-kind={kind}
                stroke={KIND_COLOR[kind]}
                strokeWidth={place.barWidth}
                vectorEffect="non-scaling-stroke"
                fill="none"
                d={d}
              />
            ))}
          </g>
        ) : null}
        {states.map(([column, d]) => (
          <path key={column} className={`ft-state ft-state--${column}`} d={d} />
        ))}
        {(escalations ?? []).map((esc) => {
          const x0 = Math.max(0, timeToX(parseTime(esc.opened_at), axis, axis.width));
          const end = esc.closed_at ? parseTime(esc.closed_at) : axis.to;
          const x1 = Math.min(axis.width, timeToX(end, axis, axis.width));
          if (x1 < 0 || x0 > axis.width) return null;
          return (
            <rect
              key={esc.id}
              className={`ft-esc ft-esc--${esc.severity}`}
              data-testid="lane-escalation"
              x={x0}
              y={0}
              width={Math.max(2, x1 - x0)}
              height={3}
              onClick={(e) => {
                e.stopPropagation();
                onOpenEscalation(esc.id);
              }}
            >
              <title>{`${esc.severity}: ${esc.title} (escalation #${esc.id})`}</title>
            </rect>
          );
        })}
      </svg>
    </div>
  );
});
