// The evidence of an escalation, drawn: one lane per involved agent, their events on one shared
// time axis, the finding's evidence highlighted. Hover or focus an event to read it; ←/→ walk the
// events in time order (Tab reaches the evidence).

import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";

import type { Escalation } from "../bindings/Escalation";
import type { EscalationTimeline } from "../bindings/EscalationTimeline";
import type { TimelineEvent } from "../bindings/TimelineEvent";
import { escalationTimeline, toBackendError } from "../lib/backend";
import { nameOf } from "../lib/agents";
import { axisX, eventKey, eventsInTimeOrder, layoutTimeline } from "../lib/timeline";
import { clockTime, dateTime, parseTime } from "../lib/time";
import type { ChangeListener } from "../lib/useBatonData";

/** A marker's top in its lane by stacking level: the middle row first, then above, then below. */
const LEVEL_TOP = [19, 7, 31];
const LANE_HEIGHT = 48;

type Load = { state: "loading" } | { state: "ready"; timeline: EscalationTimeline } | { state: "error"; message: string };

function describe(e: TimelineEvent, name: string): string {
  const parts = [clockTime(e.at), name, e.text];
  if (e.task_id) parts.push(`task ${e.task_id}`);
  if (e.evidence) parts.push("evidence");
  return parts.join(" · ");
}

// Memoised: the queue re-renders every second for its countdowns; the timeline needs not.
export const EvidenceTimeline = memo(function EvidenceTimeline({
  escalation,
  names,
  subscribe,
}: {
  escalation: Escalation;
  names: ReadonlyMap<number, string>;
  subscribe(listener: ChangeListener): () => void;
}) {
  const { id, finding_id: findingId } = escalation;
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [active, setActive] = useState<string | null>(null);
  const alive = useRef(true);
  const generation = useRef(0);
  const lanesRef = useRef<HTMLDivElement>(null);

  const fetchTimeline = useCallback(() => {
    const mine = ++generation.current;
    escalationTimeline(id).then(
      (timeline) => {
        if (alive.current && mine === generation.current) setLoad({ state: "ready", timeline });
      },
      (err: unknown) => {
        if (alive.current && mine === generation.current) setLoad({ state: "error", message: toBackendError(err).message });
      },
    );
  }, [id]);

  // Load on mount (the parent keys this by escalation); reload when its finding or it changes.
  useEffect(() => {
    alive.current = true;
    fetchTimeline();
    const off = subscribe((e) => {
      if (e.type === "escalations" && (e.changed.includes(id) || e.opened.includes(id))) fetchTimeline();
      if (e.type === "findings" && findingId !== null && (e.updated.includes(findingId) || e.opened.includes(findingId))) {
        fetchTimeline();
      }
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [fetchTimeline, subscribe, id, findingId]);

  const timeline = load.state === "ready" ? load.timeline : null;
  const layout = useMemo(() => (timeline ? layoutTimeline(timeline) : null), [timeline]);
  const ordered = useMemo(() => (layout ? eventsInTimeOrder(layout) : []), [layout]);

  if (load.state === "loading") {
    return (
      <section className="esc-timeline" aria-label="Evidence" data-testid="evidence-timeline" data-state="loading">
        <h3 className="esc-h">Evidence</h3>
        <p className="muted small" role="status">
          Loading the agents&apos; events…
        </p>
      </section>
    );
  }
  if (load.state === "error") {
    return (
      <section className="esc-timeline" aria-label="Evidence" data-testid="evidence-timeline" data-state="error">
        <h3 className="esc-h">Evidence</h3>
        <div className="esc-inline-error" role="alert" data-testid="timeline-error">
          <span>Could not load the evidence: {load.message}</span>
          <button type="button" className="button button--small" onClick={fetchTimeline}>
            Retry
          </button>
        </div>
      </section>
    );
  }
  if (!layout || ordered.length === 0) {
    return (
      <section className="esc-timeline" aria-label="Evidence" data-testid="evidence-timeline" data-state="empty">
        <h3 className="esc-h">Evidence</h3>
        <p className="muted small" data-testid="timeline-empty">
          No events to show: this finding names no event as evidence (a stall or a silence has none).
        </p>
      </section>
    );
  }

  const activeEvent = ordered.find((p) => eventKey(p.event) === active)?.event ?? ordered.find((p) => p.event.evidence)?.event ?? null;
  const openedX = axisX(layout, parseTime(escalation.opened_at));

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft" && e.key !== "Home" && e.key !== "End") return;
    const buttons = ordered.map((p) => lanesRef.current?.querySelector<HTMLElement>(`[data-key="${eventKey(p.event)}"]`));
    const at = buttons.findIndex((b) => b === document.activeElement);
    const next =
      e.key === "Home" ? 0 : e.key === "End" ? buttons.length - 1 : Math.max(0, Math.min(buttons.length - 1, at + (e.key === "ArrowRight" ? 1 : -1)));
    buttons[next]?.focus();
    e.preventDefault();
  };

  const evidenceCount = ordered.filter((p) => p.event.evidence).length;
  return (
    <section className="esc-timeline" aria-label="Evidence" data-testid="evidence-timeline" data-state="ready">
      <h3 className="esc-h">
        Evidence{" "}
        <span className="muted small">
          {evidenceCount} of {ordered.length} event{ordered.length === 1 ? "" : "s"} · {dateTime(new Date(layout.start).toISOString())} →{" "}
          {clockTime(new Date(layout.end).toISOString())}
        </span>
      </h3>
      <div className="tl" ref={lanesRef} onKeyDown={onKeyDown}>
        <div className="tl-axis" aria-hidden="true">
          <span className="tl-lane-label" />
          <div className="tl-track tl-track--axis">
            {layout.ticks.map((tick) => (
              <span key={tick.x} className="tl-tick" style={{ left: `${tick.x * 100}%` }}>
                {tick.label}
              </span>
            ))}
          </div>
        </div>
        {layout.lanes.map((lane) => {
          const name = nameOf(names, lane.agentId);
          return (
            <div
              key={lane.agentId}
              className="tl-lane"
              role="group"
              aria-label={`${name}: ${lane.events.length} event${lane.events.length === 1 ? "" : "s"}`}
              data-testid="timeline-lane"
              data-agent={name}
              data-agent-id={lane.agentId}
            >
              <span className="tl-lane-label" title={name}>
                {name}
              </span>
              <div className="tl-track" style={{ height: LANE_HEIGHT }}>
                {layout.ticks.map((tick) => (
                  <span key={tick.x} className="tl-grid" style={{ left: `${tick.x * 100}%` }} aria-hidden="true" />
                ))}
                {openedX !== null ? <span className="tl-opened" style={{ left: `${openedX * 100}%` }} title="Escalation opened" aria-hidden="true" /> : null}
                {lane.events.map(({ event, x, level }) => {
                  const key = eventKey(event);
                  const text = describe(event, name);
                  return (
                    <button
                      key={key}
                      type="button"
                      className={`tl-event tl-event--${event.kind}${event.evidence ? " tl-event--evidence" : ""}${activeEvent === event ? " tl-event--active" : ""}`}
                      style={{ left: `${x * 100}%`, top: LEVEL_TOP[level] ?? LEVEL_TOP[0] }}
                      data-testid="timeline-event"
                      data-evidence={event.evidence ? "true" : "false"}
                      data-kind={event.kind}
                      data-seq={event.seq}
                      data-key={key}
                      tabIndex={event.evidence ? 0 : -1}
                      title={text}
                      aria-label={text}
                      onMouseEnter={() => setActive(key)}
                      onFocus={() => setActive(key)}
                      onClick={() => setActive(key)}
                    />
                  );
                })}
              </div>
            </div>
          );
        })}
      </div>
      <p className="tl-caption" data-testid="timeline-caption" aria-live="polite">
        {activeEvent ? describe(activeEvent, nameOf(names, activeEvent.agent_id)) : "Hover or focus an event to read it."}
      </p>
      <p className="tl-legend muted small" aria-hidden="true">
        <span className="tl-key tl-key--evidence" /> evidence <span className="tl-key" /> context
        {openedX !== null ? (
          <>
            <span className="tl-key tl-key--opened" /> opened
          </>
        ) : null}
        <span className="spacer" /> ← → between events
      </p>
    </section>
  );
});
