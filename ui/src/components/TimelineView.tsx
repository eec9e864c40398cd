// The fleet timeline: every agent as a swimlane on one time axis (a minute to a week), and a
// replay scrubber that shows the board and the agents as they were at any past moment.
// Keys (not while typing): + / − zoom (around the replay cursor when shown), ← / → pan (⇧: more),
// `,` / `.` step the replay cursor (⇧: ten steps), Home / End put it at the range's start / end.

import { useCallback, useMemo, useRef, useState } from "react";

import type { AgentRow } from "../bindings/AgentRow";
import type { TaskCard } from "../bindings/TaskCard";
import type { TimelineEscalation } from "../bindings/TimelineEscalation";
import type { TimelineLane } from "../bindings/TimelineLane";
import { agentNames, sortAgents } from "../lib/agents";
import { replayAt } from "../lib/backend";
import { cardKey } from "../lib/board";
import { lanesToFetch, momentLabel, scrubStep, stepCursor, timeToX } from "../lib/fleetTimeline";
import { maxBucket, synthesizeCard, type Axis, type Hit } from "../lib/fleetTimelineMarks";
import { subagentsUnderSessions } from "../lib/sessions";
import { parseTime } from "../lib/time";
import { isTyping } from "../lib/typing";
import type { ChangeListener } from "../lib/useBatonData";
import { useFleetTimeline } from "../lib/useFleetTimeline";
import { useReplay } from "../lib/useReplay";
import { useViewKeys } from "../lib/useViewKeys";
import { ReplayBanner, ReplayPanel } from "./ReplayPanel";
import { RetentionSetting } from "./RetentionSetting";
import { TaskDrawer } from "./TaskDrawer";
import { TimelineAxis } from "./TimelineAxis";
import { NAME_WIDTH, TimelineLanes } from "./TimelineLanes";
import { TimelineToolbar } from "./TimelineToolbar";

const ZOOM_STEP = 1.5;


export function TimelineView({
  agents,
  subscribe,
  onOpenEscalation,
  onGetStarted,
}: {
  agents: AgentRow[];
  subscribe: (listener: ChangeListener) => () => void;
  onOpenEscalation: (id: number) => void;
  /** With no agents: opens the welcome screen (demo fleet, HTTP agent, coding sessions). */
  onGetStarted?: () => void;
}) {
  const [filter, setFilter] = useState("");
  const [visible, setVisible] = useState({ first: 0, last: 30 });
  const [width, setWidth] = useState(800);
  const [drawer, setDrawer] = useState<TaskCard | null>(null);
  const opening = useRef(0);

  const rows = useMemo(() => {
    const q = filter.trim().toLowerCase();
    // A session's subagents draw their lanes right under it.
    const sorted = subagentsUnderSessions(sortAgents(agents));
    return q ? sorted.filter((a) => a.config.name.toLowerCase().includes(q)) : sorted;
  }, [agents, filter]);
  const ids = useMemo(() => rows.map((r) => r.config.id), [rows]);
  const laneIds = useMemo(() => lanesToFetch(ids, visible.first, visible.last), [ids, visible.first, visible.last]);
  const names = useMemo(() => agentNames(agents), [agents]);

  const tl = useFleetTimeline({ width, laneIds, subscribe });
  const replay = useReplay();
  const { view, data, zoom, pan } = tl;
  const axis: Axis = useMemo(() => ({ from: view.from, to: view.to, width }), [view, width]);
  const buckets = useMemo(() => (data ? { from: data.from, bucketMs: data.timeline.bucket_ms } : null), [data]);
  // One scale for every lane held (it only grows while scrolling over the same range).
  const max = useMemo(() => (data ? maxBucket([...data.lanes.values()]) : 0), [data]);
  const escalationsByAgent = useMemo(() => {
    const map = new Map<number, TimelineEscalation[]>();
    for (const esc of data?.timeline.escalations ?? []) {
      for (const id of esc.agents) {
        const list = map.get(id);
        if (list) list.push(esc);
        else map.set(id, [esc]);
      }
    }
    return map;
  }, [data]);
  const compactedBefore = data?.timeline.compacted_before ? parseTime(data.timeline.compacted_before) : null;
  const compactedX =
    compactedBefore !== null && compactedBefore > view.from ? Math.min(width, timeToX(compactedBefore, view, width)) : 0;
  const step = scrubStep(view, buckets?.bucketMs ?? 0);
  const cursor = replay.cursor;
  const cursorX = cursor !== null && cursor >= view.from && cursor <= view.to ? timeToX(cursor, view, width) : null;

  const onVisible = useCallback(
    (first: number, last: number) => setVisible((v) => (v.first === first && v.last === last ? v : { first, last })),
    [],
  );

  const openTask = useCallback((lane: TimelineLane, taskId: string, t: number) => {
    const seq = ++opening.current;
    replayAt(new Date(t).toISOString())
      .then(
        (frame) => frame.board.find((c) => c.agent_id === lane.agent_id && c.task_id === taskId) ?? null,
        () => null,
      )
      .then((card) => {
        if (opening.current === seq) setDrawer(card ?? synthesizeCard(lane, taskId, t));
      });
  }, []);

  const { moveTo } = replay;
  const onHit = useCallback(
    (hit: Hit, lane: TimelineLane) => {
      if (hit.type === "event" && hit.event.task_id) openTask(lane, hit.event.task_id, hit.t);
      else if (hit.type === "state") openTask(lane, hit.state.task_id, hit.t);
      else if (hit.type === "bucket") moveTo((hit.from + hit.to) / 2);
    },
    [openTask, moveTo],
  );

  const onZoomAt = useCallback((factor: number, at: number) => zoom(factor, at), [zoom]);
  const onPanLanes = useCallback((delta: number) => pan(delta), [pan]);
  const closeDrawer = useCallback(() => setDrawer(null), []);
  const retry = tl.retry;
  const onRetention = useCallback(() => retry(), [retry]);

  // Keys anywhere in the view (not while typing, nor under a dialog).
  useViewKeys(
    (e) => {
      const onScrubber = e.target instanceof HTMLInputElement && e.target.type === "range";
      if (isTyping(e.target) && !onScrubber) return;
      const span = view.to - view.from;
      const steps = e.shiftKey ? 10 : 1;
      const from = cursor ?? view.to;
      // Zoom keys keep the replay cursor in place when it is on screen (else the centre, or the live end).
      const anchor = cursor !== null && cursor >= view.from && cursor <= view.to ? cursor : undefined;
      switch (e.key) {
        case "+":
        case "=":
          zoom(1 / ZOOM_STEP, anchor);
          break;
        case "-":
        case "_":
          zoom(ZOOM_STEP, anchor);
          break;
        case "ArrowLeft":
        case "ArrowRight":
          if (onScrubber) return;
          pan((e.key === "ArrowLeft" ? -1 : 1) * span * (e.shiftKey ? 0.5 : 0.1));
          break;
        case ",":
        case "<":
          moveTo(stepCursor(from, -steps, step, view));
          break;
        case ".":
        case ">":
          moveTo(stepCursor(from, steps, step, view));
          break;
        case "Home":
        case "End":
          if (onScrubber) return;
          moveTo(e.key === "Home" ? view.from : view.to);
          break;
        default:
          return;
      }
      e.preventDefault();
    },
    { whileTyping: true },
  );

  const header = (
    <header className="view-header">
      <h1 id="timeline-title">Timeline</h1>
      <span className="view-sub" data-testid="timeline-count">
        {rows.length.toLocaleString()} {rows.length === 1 ? "agent" : "agents"}
        {filter.trim() !== "" && rows.length !== agents.length ? ` of ${agents.length.toLocaleString()}` : ""}
      </span>
      <span className="spacer" />
      {agents.length > 0 ? (
        <input
          className="decision-filter ft-filter"
          type="search"
          placeholder="Filter agents"
          aria-label="Filter agents"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          data-testid="timeline-filter"
        />
      ) : null}
      <RetentionSetting onChanged={onRetention} />
    </header>
  );

  if (agents.length === 0) {
    return (
      <section className="view timeline-view" aria-labelledby="timeline-title" data-testid="timeline-view">
        {header}
        <div className="center-note ft-empty" role="status" data-testid="timeline-empty">
          <h2>No agents yet</h2>
          <p className="muted">
            One lane per agent shows here once Baton watches some: start the demo fleet, add an HTTP agent or watch
            coding sessions.
          </p>
          {onGetStarted ? (
            <button type="button" className="button button--primary" data-testid="timeline-get-started" onClick={onGetStarted}>
              Get started
            </button>
          ) : null}
        </div>
      </section>
    );
  }

  return (
    <section
      className={`view timeline-view${cursor !== null ? " timeline-view--replaying" : ""}`}
      aria-labelledby="timeline-title"
      data-testid="timeline-view"
    >
      {header}
      <TimelineToolbar
        view={view}
        span={tl.win.span}
        live={tl.win.live}
        compactedBefore={compactedX > 0 ? compactedBefore : null}
        onSpan={tl.setSpan}
        onZoom={zoom}
        onLive={tl.goLive}
      />
      {tl.error ? (
        <div className="banner banner--error ft-banner" role="alert" data-testid="timeline-error">
          <span>Could not load the timeline: {tl.error}</span>
          <button type="button" className="button button--small" onClick={tl.retry}>
            Retry
          </button>
        </div>
      ) : null}
      {cursor !== null ? (
        <ReplayBanner
          cursor={cursor}
          today={view.to}
          frame={replay.frame}
          loading={replay.loading}
          onBackToNow={() => {
            moveTo(null);
            tl.goLive();
          }}
        />
      ) : null}
      <div className="ft-main">
        <div className="ft-stage">
          <div className="ft-axis-row">
            <div className="ft-corner muted small" data-testid="timeline-state">
              {tl.loading ? "loading…" : tl.win.live ? "live" : ""}
            </div>
            <TimelineAxis
              axis={axis}
              escalations={data?.timeline.escalations ?? []}
              decisions={data?.timeline.decisions ?? []}
              cursor={cursor}
              onPan={pan}
              onCursor={moveTo}
              onOpenEscalation={onOpenEscalation}
            />
          </div>
          <div className="ft-scrub-row">
            <label className="ft-corner muted small" htmlFor="timeline-scrubber">
              Replay
            </label>
            <input
              id="timeline-scrubber"
              className="ft-scrubber"
              type="range"
              style={{ width }}
              min={view.from}
              max={view.to}
              step={1000}
              value={Math.min(view.to, Math.max(view.from, cursor ?? view.to))}
              aria-valuetext={cursor !== null ? `Replaying ${momentLabel(cursor, view.to)}` : "Now"}
              onChange={(e) => moveTo(Number(e.target.value))}
              data-testid="timeline-scrubber"
            />
          </div>
          {rows.length === 0 ? (
            <p className="muted ft-note" role="status">
              No agent matches “{filter.trim()}”.
            </p>
          ) : (
            <div className="ft-lanes-wrap">
              <TimelineLanes
                rows={rows}
                lanes={data?.lanes ?? null}
                buckets={buckets}
                axis={axis}
                max={max}
                escalationsByAgent={escalationsByAgent}
                onVisible={onVisible}
                onWidth={setWidth}
                onHit={onHit}
                onOpenEscalation={onOpenEscalation}
                onZoomAt={onZoomAt}
                onPan={onPanLanes}
              />
              {!data && tl.loading && !tl.error ? (
                <p className="ft-loading muted" role="status">
                  Loading the timeline…
                </p>
              ) : null}
            </div>
          )}
          {compactedX > 0 ? (
            <div className="ft-compacted" style={{ left: NAME_WIDTH, width: compactedX }} aria-hidden="true" />
          ) : null}
          {cursorX !== null ? <div className="ft-cursor" style={{ left: NAME_WIDTH + cursorX }} aria-hidden="true" /> : null}
        </div>
        {drawer ? (
          <TaskDrawer key={cardKey(drawer)} card={drawer} onClose={closeDrawer} subscribe={subscribe} />
        ) : null}
      </div>
      {cursor !== null ? (
        <ReplayPanel
          frame={replay.frame}
          loading={replay.loading}
          error={replay.error}
          names={names}
          today={view.to}
          onOpenCard={setDrawer}
          onOpenEscalation={onOpenEscalation}
        />
      ) : (
        <p className="muted small ft-hint">
          Click the axis or drag along the Replay bar to see the fleet as it was; <kbd>,</kbd> <kbd>.</kbd> step,{" "}
          <kbd>+</kbd> <kbd>−</kbd> zoom, <kbd>←</kbd> <kbd>→</kbd> pan, ctrl/⌘ + wheel zooms at the pointer.
        </p>
      )}
    </section>
  );
}
