// Replay: the fleet as it was at the scrubber's moment. The banner says which moment (and that it
// is not now); the panel shows the board's six columns as they were (read-only cards; a card
// opens the task), the agents as they were, and the escalations open then.

import { memo, useMemo, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

import type { AgentAt } from "../bindings/AgentAt";
import type { BoardColumn } from "../bindings/BoardColumn";
import type { ReplayFrame } from "../bindings/ReplayFrame";
import type { TaskCard } from "../bindings/TaskCard";
import { countsText, nameOf } from "../lib/agents";
import { cardKey, COLUMN_LABEL, COLUMNS } from "../lib/board";
import { momentLabel } from "../lib/fleetTimeline";
import { parseTime } from "../lib/time";

const CARD_ROW = 46;
const AGENT_ROW = 44;

export function ReplayBanner({
  cursor,
  today,
  frame,
  loading,
  onBackToNow,
}: {
  cursor: number;
  today: number;
  frame: ReplayFrame | null;
  loading: boolean;
  onBackToNow(): void;
}) {
  return (
    <div className="ft-replay-banner" role="status" data-testid="replay-banner">
      <span className="ft-replay-dot" aria-hidden="true" />
      <span>
        <strong>Replaying {momentLabel(cursor, today)}</strong> — the fleet as it was
      </span>
      {loading ? <span className="muted small">loading…</span> : null}
      {frame?.compacted ? (
        <span className="ft-compacted-note" data-testid="replay-compacted">
          compacted: only task state changes are kept this far back
        </span>
      ) : null}
      <span className="spacer" />
      <span className="muted small" aria-hidden="true">
        <kbd>,</kbd> <kbd>.</kbd> step · <kbd>Home</kbd> <kbd>End</kbd>
      </span>
      <button type="button" className="button button--small button--primary" onClick={onBackToNow} data-testid="back-to-now">
        Back to now
      </button>
    </div>
  );
}

export function ReplayPanel({
  frame,
  loading,
  error,
  names,
  today,
  onOpenCard,
  onOpenEscalation,
}: {
  frame: ReplayFrame | null;
  loading: boolean;
  error: string | null;
  names: ReadonlyMap<number, string>;
  today: number;
  onOpenCard(card: TaskCard): void;
  onOpenEscalation(id: number): void;
}) {
  const columns = useMemo(() => {
    const out: Record<BoardColumn, TaskCard[]> = { queued: [], working: [], needs_human: [], blocked: [], done: [], failed: [] };
    for (const card of frame?.board ?? []) out[card.column].push(card);
    return out;
  }, [frame]);

  if (!frame) {
    return (
      <section className="ft-replay" aria-label="The fleet as it was">
        {error ? (
          <p className="form-error ft-replay-note" role="alert">
            Could not replay that moment: {error}
          </p>
        ) : (
          <p className="muted ft-replay-note" role="status">
            {loading ? "Loading the fleet as it was…" : ""}
          </p>
        )}
      </section>
    );
  }

  return (
    <section className="ft-replay" aria-label="The fleet as it was" data-testid="replay-panel">
      {error ? (
        <p className="form-error ft-replay-error" role="alert">
          Could not replay that moment: {error}
        </p>
      ) : null}
      <div className="ft-replay-body">
        <div className="ft-replay-board" data-testid="replay-board">
          {COLUMNS.map((column) => (
            <ReplayColumn key={column} column={column} cards={columns[column]} onOpenCard={onOpenCard} />
          ))}
        </div>
        <div className="ft-replay-side">
          <section aria-labelledby="replay-esc-title" className="ft-replay-escalations">
            <h3 id="replay-esc-title">
              Open escalations <span className="count">{frame.open_escalations.length}</span>
            </h3>
            {frame.open_escalations.length === 0 ? (
              <p className="muted small">None open then.</p>
            ) : (
              <ul className="ft-replay-list">
                {frame.open_escalations.map((esc) => (
                  <li key={esc.id}>
                    <button
                      type="button"
                      className="ft-replay-esc"
                      data-testid="replay-escalation"
                      onClick={() => onOpenEscalation(esc.id)}
                      title={`Open escalation #${esc.id} in the queue`}
                    >
                      <span className={`sev sev--${esc.severity}`}>{esc.severity}</span>
                      <span className="ft-replay-esc-title">{esc.title}</span>
                      <span className="muted small">
                        {esc.agents.map((id) => nameOf(names, id)).join(", ")} · since {momentLabel(parseTime(esc.opened_at), today)}
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <ReplayAgents agents={frame.agents} />
        </div>
      </div>
    </section>
  );
}

const ReplayColumn = memo(function ReplayColumn({
  column,
  cards,
  onOpenCard,
}: {
  column: BoardColumn;
  cards: readonly TaskCard[];
  onOpenCard(card: TaskCard): void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is not compiler-safe; this component is memoised by hand.
  const virtualizer = useVirtualizer({
    count: cards.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CARD_ROW,
    overscan: 6,
    getItemKey: (index) => cardKey(cards[index]!),
    initialRect: { width: 160, height: 300 },
  });
  return (
    <section className={`ft-replay-column column--${column}`} data-testid="replay-column" data-column={column}>
      <header className="ft-replay-column-header">
        <span className={`status-dot status-dot--${column}`} aria-hidden="true" />
        <h3>{COLUMN_LABEL[column]}</h3>
        <span className="count" data-testid="replay-column-count">
          {cards.length.toLocaleString()}
        </span>
      </header>
      <div ref={scrollRef} className="ft-replay-scroll">
        {cards.length === 0 ? (
          <p className="column-empty">No tasks</p>
        ) : (
          <div className="column-inner" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const card = cards[item.index]!;
              return (
                <button
                  type="button"
                  key={cardKey(card)}
                  className={`ft-replay-card virtual-row card--${card.column}`}
                  style={{ transform: `translateY(${item.start}px)`, height: CARD_ROW - 5 }}
                  data-testid="replay-card"
                  data-task-id={card.task_id}
                  onClick={() => onOpenCard(card)}
                  title={`${card.title} — ${card.agent_name}, ${card.state}`}
                >
                  <span className="ft-replay-card-title">{card.title}</span>
                  <span className="muted small">{card.agent_name}</span>
                </button>
              );
            })}
          </div>
        )}
      </div>
    </section>
  );
});

function ReplayAgents({ agents }: { agents: readonly AgentAt[] }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is not compiler-safe.
  const virtualizer = useVirtualizer({
    count: agents.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => AGENT_ROW,
    overscan: 6,
    getItemKey: (index) => agents[index]!.agent_id,
    initialRect: { width: 260, height: 300 },
  });
  return (
    <section aria-labelledby="replay-agents-title" className="ft-replay-agents">
      <h3 id="replay-agents-title">
        Agents <span className="count">{agents.length}</span>
      </h3>
      <div ref={scrollRef} className="ft-replay-scroll">
        <ul className="column-inner ft-replay-list" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const a = agents[item.index]!;
            return (
              <li
                key={a.agent_id}
                className="ft-replay-agent virtual-row"
                style={{ transform: `translateY(${item.start}px)`, height: AGENT_ROW - 4 }}
                data-testid="replay-agent"
              >
                <span className="ft-replay-agent-top">
                  <span className={`dot dot--${a.reachability}`} title={a.reachability} aria-label={a.reachability} />
                  <span className="ft-replay-agent-name">{a.name}</span>
                  {a.remote_state ? <span className="tag">{a.remote_state}</span> : null}
                </span>
                <span className="muted small ft-replay-agent-sub" title={a.last_error ?? undefined}>
                  {countsText(a.task_counts)}
                  {a.last_error ? (
                    <>
                      {" · "}
                      <span className="text-bad" data-testid="replay-agent-error">
                        {a.last_error}
                      </span>
                    </>
                  ) : null}
                </span>
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}
