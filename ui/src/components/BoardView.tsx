import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

import type { AgentRow } from "../bindings/AgentRow";
import type { BoardColumn } from "../bindings/BoardColumn";
import type { Escalation } from "../bindings/Escalation";
import type { TaskCard } from "../bindings/TaskCard";
import { sortAgents } from "../lib/agents";
import {
  cardKey,
  COLUMN_LABEL,
  COLUMNS,
  filterColumns,
  inDisplayOrder,
  findCard,
  FINISHED_KEPT,
  totalCards,
  type BoardState,
} from "../lib/board";
import { useNow } from "../lib/clock";
import { cardSessions, overlapText, type CardSession } from "../lib/parallelEdits";
import type { ChangeListener } from "../lib/useBatonData";
import { ageText } from "../lib/time";
import { TaskDrawer } from "./TaskDrawer";

/** Card height plus the gap below it; cards are fixed-height so columns virtualise cheaply. */
export const CARD_HEIGHT = 66;
export const CARD_GAP = 6;
const ROW = CARD_HEIGHT + CARD_GAP;

export function BoardView({
  board,
  agents,
  escalations = null,
  onOpenEscalation,
  subscribe,
  onOpenAgents,
}: {
  board: BoardState;
  agents: AgentRow[];
  /** The queue as the app holds it: a coding session's card marks its open parallel edits. */
  escalations?: readonly Escalation[] | null;
  onOpenEscalation?: (id: number) => void;
  subscribe: (listener: ChangeListener) => () => void;
  /** With no task yet: shows the agents (their health says why nothing came). */
  onOpenAgents?: () => void;
}) {
  const [agentFilter, setAgentFilter] = useState<number | null>(null);
  const [openKey, setOpenKey] = useState<string | null>(null);
  const opener = useRef<HTMLElement | null>(null);

  // A filter on an agent that was removed falls back to all agents.
  const filter = agentFilter !== null && agents.some((a) => a.config.id === agentFilter) ? agentFilter : null;
  const columns = useMemo(() => inDisplayOrder(filterColumns(board.columns, filter)), [board.columns, filter]);
  const total = totalCards(columns);
  const sessions = useMemo(() => cardSessions(agents, escalations), [agents, escalations]);
  const openCard = openKey ? (findCard(board, openKey) ?? null) : null;

  const onOpen = useCallback((card: TaskCard, from: HTMLElement) => {
    opener.current = from;
    setOpenKey(cardKey(card));
  }, []);

  const onCloseDrawer = useCallback(() => {
    setOpenKey(null);
    const el = opener.current;
    // Give focus back to the card (if it is still rendered) or to its column.
    if (el && document.contains(el)) el.focus();
  }, []);

  return (
    <section className="view board-view" aria-labelledby="board-title">
      <header className="view-header">
        <h1 id="board-title">Board</h1>
        <span className="view-sub">
          {total.toLocaleString()} {total === 1 ? "task" : "tasks"}
        </span>
        <span className="spacer" />
        <label className="inline-label" htmlFor="agent-filter">
          Agent
        </label>
        <select
          id="agent-filter"
          className="select"
          data-testid="agent-filter"
          value={filter === null ? "" : String(filter)}
          onChange={(e) => setAgentFilter(e.target.value === "" ? null : Number(e.target.value))}
        >
          <option value="">All agents</option>
          {sortAgents(agents).map((a) => (
            <option key={a.config.id} value={a.config.id}>
              {a.config.name}
            </option>
          ))}
        </select>
      </header>
      {board.loaded && totalCards(board.columns) === 0 ? (
        <div className="board-empty" role="status" data-testid="board-empty">
          <span>
            No tasks yet: they show here as your agents report them (a coding session&apos;s at its first prompt).
          </span>
          {onOpenAgents ? (
            <button type="button" className="button button--small" data-testid="board-empty-agents" onClick={onOpenAgents}>
              Check the agents
            </button>
          ) : null}
        </div>
      ) : null}
      <div className="board-body">
        <div className="board-columns">
          {COLUMNS.map((column) => (
            <ColumnView
              key={column}
              column={column}
              cards={columns[column]}
              openKey={openKey}
              onOpen={onOpen}
              sessions={sessions}
              onOpenEscalation={onOpenEscalation}
            />
          ))}
        </div>
        {openCard ? (
          <TaskDrawer key={openKey} card={openCard} onClose={onCloseDrawer} subscribe={subscribe} />
        ) : null}
      </div>
    </section>
  );
}

const ColumnView = memo(function ColumnView({
  column,
  cards,
  openKey,
  onOpen,
  sessions,
  onOpenEscalation,
}: {
  column: BoardColumn;
  cards: readonly TaskCard[];
  openKey: string | null;
  onOpen: (card: TaskCard, from: HTMLElement) => void;
  sessions: ReadonlyMap<number, CardSession>;
  onOpenEscalation: ((id: number) => void) | undefined;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is not compiler-safe; this component is memoised by hand.
  const virtualizer = useVirtualizer({
    count: cards.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW,
    overscan: 6,
    getItemKey: (index) => cardKey(cards[index]!),
    initialRect: { width: 240, height: 600 },
  });

  const focusIndex = (index: number) => {
    if (cards.length === 0) return;
    const i = Math.max(0, Math.min(cards.length - 1, index));
    virtualizer.scrollToIndex(i, { align: "auto" });
    const tryFocus = (attempt: number) => {
      const el = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${i}"]`);
      if (el) el.focus();
      else if (attempt < 5) requestAnimationFrame(() => tryFocus(attempt + 1));
    };
    requestAnimationFrame(() => tryFocus(0));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>, index: number, card: TaskCard) => {
    switch (e.key) {
      case "Enter":
      case " ":
        e.preventDefault();
        onOpen(card, e.currentTarget);
        break;
      case "ArrowDown":
        e.preventDefault();
        focusIndex(index + 1);
        break;
      case "ArrowUp":
        e.preventDefault();
        focusIndex(index - 1);
        break;
      case "Home":
        e.preventDefault();
        focusIndex(0);
        break;
      case "End":
        e.preventDefault();
        focusIndex(cards.length - 1);
        break;
    }
  };

  const labelId = `column-${column}-label`;
  return (
    <section
      className={`column column--${column}`}
      data-testid="board-column"
      data-column={column}
      aria-labelledby={labelId}
    >
      <header className="column-header">
        <span className={`status-dot status-dot--${column}`} aria-hidden="true" />
        <h2 id={labelId}>{COLUMN_LABEL[column]}</h2>
        <span
          className="count"
          data-testid="column-count"
          title={
            (column === "done" || column === "failed") && cards.length >= FINISHED_KEPT
              ? `The latest ${FINISHED_KEPT.toLocaleString()} finished tasks are shown; older ones stay in the store.`
              : undefined
          }
        >
          {(column === "done" || column === "failed") && cards.length >= FINISHED_KEPT ? "latest " : ""}
          {cards.length.toLocaleString()}
        </span>
      </header>
      <div ref={scrollRef} className="column-scroll">
        {cards.length === 0 ? (
          <p className="column-empty">No tasks</p>
        ) : (
          <div className="column-inner" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const card = cards[item.index]!;
              const key = cardKey(card);
              return (
                <TaskCardView
                  key={key}
                  card={card}
                  index={item.index}
                  top={item.start}
                  selected={key === openKey}
                  onOpen={onOpen}
                  onKeyDown={onKeyDown}
                  session={sessions.get(card.agent_id)}
                  onOpenEscalation={onOpenEscalation}
                />
              );
            })}
          </div>
        )}
      </div>
    </section>
  );
});

const TaskCardView = memo(function TaskCardView({
  card,
  index,
  top,
  selected,
  onOpen,
  onKeyDown,
  session,
  onOpenEscalation,
}: {
  card: TaskCard;
  index: number;
  top: number;
  selected: boolean;
  onOpen: (card: TaskCard, from: HTMLElement) => void;
  onKeyDown: (e: KeyboardEvent<HTMLDivElement>, index: number, card: TaskCard) => void;
  session: CardSession | undefined;
  onOpenEscalation: ((id: number) => void) | undefined;
}) {
  const now = useNow();
  const age = ageText(card.column, card.state_since, now);
  const overlap = session?.overlaps[0];
  // Its subagents at work are said on the session's unfinished cards.
  const working = card.column !== "done" && card.column !== "failed";
  return (
    <div
      role="button"
      tabIndex={0}
      className={`card virtual-row card--${card.column}${session ? " card--session" : ""}${selected ? " card--selected" : ""}`}
      style={{ transform: `translateY(${top}px)`, height: CARD_HEIGHT }}
      data-index={index}
      data-testid="task-card"
      data-task-id={card.task_id}
      data-agent-id={card.agent_id}
      data-column={card.column}
      data-branch={session?.branch ?? undefined}
      aria-label={[card.title, card.agent_name, session?.branch ? `branch ${session.branch}` : null, overlap ? overlapText(overlap) : null, age]
        .filter(Boolean)
        .join(", ")}
      aria-current={selected ? "true" : undefined}
      onClick={(e) => onOpen(card, e.currentTarget)}
      onKeyDown={(e) => onKeyDown(e, index, card)}
    >
      <div className="card-title" title={card.title}>
        {card.title}
      </div>
      {session ? (
        <div className="card-branch">
          {session.branch ? (
            <span className="card-branch-name mono" title={`branch ${session.branch}`} data-testid="card-branch">
              {session.branch}
            </span>
          ) : null}
          {overlap ? (
            <button
              type="button"
              className="card-overlap"
              data-testid="card-overlap"
              data-escalation-id={overlap.escalationId}
              title={`Open the parallel edit: ${overlap.files.join(", ")}`}
              onClick={(e) => {
                e.stopPropagation();
                onOpenEscalation?.(overlap.escalationId);
              }}
              onKeyDown={(e) => e.stopPropagation()}
            >
              {overlapText(overlap)}
              {session.overlaps.length > 1 ? ` (+${session.overlaps.length - 1})` : null}
            </button>
          ) : null}
          {session.subagents && working ? (
            <span className="card-subagents muted" data-testid="card-subagents">
              {session.subagents}
            </span>
          ) : null}
        </div>
      ) : null}
      <div className="card-meta">
        <span className="card-agent">{card.agent_name}</span>
        <span className="card-age">{age}</span>
      </div>
    </div>
  );
});
