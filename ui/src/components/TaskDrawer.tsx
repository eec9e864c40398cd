import { useCallback, useEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

import type { EventRow } from "../bindings/EventRow";
import type { TaskCard } from "../bindings/TaskCard";
import { taskCost, taskEvents, toBackendError } from "../lib/backend";
import { COLUMN_LABEL } from "../lib/board";
import { useNow } from "../lib/clock";
import type { ChangeListener } from "../lib/useBatonData";
import { ageText, clockTime, dateTime } from "../lib/time";
import { TaskCostValue, type TaskCostState } from "./TaskCostField";

const EVENT_ROW = 30;

type Events =
  | { state: "loading" }
  | { state: "ready"; rows: EventRow[] }
  | { state: "error"; message: string };

/** The right-hand drawer with one task's fields and its events. Escape closes it. Render it with `key` = the task. */
export function TaskDrawer({
  card,
  onClose,
  subscribe,
}: {
  card: TaskCard;
  onClose: () => void;
  subscribe: (listener: ChangeListener) => () => void;
}) {
  const now = useNow();
  const [events, setEvents] = useState<Events>({ state: "loading" });
  const [cost, setCost] = useState<TaskCostState>({ state: "loading" });
  const ref = useRef<HTMLElement>(null);
  const { agent_id: agentId, task_id: taskId } = card;

  const load = useCallback(
    (isCurrent: () => boolean) => {
      // Its cost comes from its api_call events: reloaded with the events (a failed reload keeps the last one).
      taskCost(agentId, taskId).then(
        (value) => {
          if (isCurrent()) setCost({ state: "ready", cost: value });
        },
        (err: unknown) => {
          if (isCurrent()) {
            setCost((c) => (c.state === "ready" ? c : { state: "error", message: toBackendError(err).message }));
          }
        },
      );
      taskEvents(agentId, taskId).then(
        (rows) => {
          if (isCurrent()) setEvents({ state: "ready", rows });
        },
        (err: unknown) => {
          if (isCurrent()) setEvents({ state: "error", message: toBackendError(err).message });
        },
      );
    },
    [agentId, taskId],
  );

  // Load on open and whenever an ingested change touches this task (or brings new events from its agent).
  useEffect(() => {
    let current = true;
    const isCurrent = () => current;
    load(isCurrent);
    const off = subscribe((e) => {
      if (e.type !== "ingested" || e.agent_id !== agentId) return;
      if (e.new_events > 0 || e.tasks.some((t) => t.task_id === taskId)) load(isCurrent);
    });
    return () => {
      current = false;
      off();
    };
  }, [agentId, taskId, load, subscribe]);

  useEffect(() => {
    ref.current?.focus();
  }, [agentId, taskId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      e.preventDefault();
      onClose();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);

  return (
    <aside
      ref={ref}
      className="drawer"
      data-testid="task-drawer"
      aria-labelledby="drawer-title"
      tabIndex={-1}
      role="complementary"
    >
      <header className="drawer-header">
        <div className="drawer-heading">
          <span className={`badge badge--${card.column}`}>{COLUMN_LABEL[card.column]}</span>
          <h2 id="drawer-title">{card.title}</h2>
        </div>
        <button type="button" className="icon-button" aria-label="Close task details" onClick={onClose}>
          ×
        </button>
      </header>
      <dl className="drawer-fields">
        <dt>Agent</dt>
        <dd>{card.agent_name}</dd>
        <dt>Task id</dt>
        <dd className="mono">{card.task_id}</dd>
        <dt>State</dt>
        <dd>
          <span className="mono">{card.state}</span> <span className="muted">· {ageText(card.column, card.state_since, now)}</span>
        </dd>
        <dt>Since</dt>
        <dd>{dateTime(card.state_since)}</dd>
        <dt>Updated</dt>
        <dd>{dateTime(card.updated_at)}</dd>
        <dt>Cost</dt>
        <TaskCostValue cost={cost} />
        <dt>Depends on</dt>
        <dd>
          {card.depends_on.length === 0 ? (
            <span className="muted">nothing</span>
          ) : (
            <ul className="chips">
              {card.depends_on.map((d) => (
                <li key={d} className="chip mono">
                  {d}
                </li>
              ))}
            </ul>
          )}
        </dd>
        {card.detail ? (
          <>
            <dt>Detail</dt>
            <dd className="detail">{card.detail}</dd>
          </>
        ) : null}
      </dl>
      <EventList events={events} />
    </aside>
  );
}

function EventList({ events }: { events: Events }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = events.state === "ready" ? events.rows : [];
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is not compiler-safe.
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => EVENT_ROW,
    overscan: 10,
    initialRect: { width: 400, height: 400 },
  });

  return (
    <section className="drawer-events" aria-labelledby="drawer-events-title">
      <h3 id="drawer-events-title">
        Events{events.state === "ready" ? <span className="count">{rows.length}</span> : null}
      </h3>
      {events.state === "loading" ? (
        <p className="muted drawer-note" role="status">
          Loading events…
        </p>
      ) : events.state === "error" ? (
        <p className="form-error drawer-note" role="alert">
          {events.message}
        </p>
      ) : rows.length === 0 ? (
        <p className="muted drawer-note">No events recorded for this task.</p>
      ) : (
        <div ref={scrollRef} className="event-scroll" data-testid="task-events">
          <ol className="event-list" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const ev = rows[item.index]!;
              return (
                <li
                  key={`${ev.agent_id}-${ev.seq}`}
                  className="event-row virtual-row"
                  style={{ transform: `translateY(${item.start}px)`, height: EVENT_ROW }}
                  data-testid="task-event"
                >
                  <time dateTime={ev.at} title={dateTime(ev.at)} className="mono muted">
                    {clockTime(ev.at)}
                  </time>
                  <span className={`kind kind--${ev.kind}`}>{ev.kind.replace("_", " ")}</span>
                  <span className="event-summary" title={ev.resource ? `${ev.summary}\n${ev.resource}` : ev.summary}>
                    {ev.summary}
                  </span>
                </li>
              );
            })}
          </ol>
        </div>
      )}
    </section>
  );
}
