import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

import type { DecisionEntry } from "../bindings/DecisionEntry";
import { decisionLog, toBackendError, verifyDecisions } from "../lib/backend";
import { actionFamily, describeDecision, matchesFilter, shortHash, type DescribeContext } from "../lib/decisions";
import type { ChangeListener } from "../lib/useBatonData";
import { clockTime, dateTime } from "../lib/time";
import { useViewKeys } from "../lib/useViewKeys";

/** Row height (two lines: who/what, then the sentence); fixed so the list virtualises cheaply. */
export const DECISION_ROW_HEIGHT = 50;
/** decision_log answers with at most this many (the newest). */
const LOG_LIMIT = 2_000;
const PAGE = 10;

type Chain =
  | { state: "verifying" }
  | { state: "ok"; entries: number; at: number }
  | { state: "broken"; seq: number; reason: string; at: number }
  | { state: "error"; message: string };

interface Row {
  entry: DecisionEntry;
  description: string;
}


/**
 * The decision log: newest first, filterable, with the hash chain's verification. `context`
 * names the agents and APIs a budget split's detail only has ids of.
 */
export function DecisionLogView({
  subscribe,
  context,
}: {
  subscribe: (listener: ChangeListener) => () => void;
  context?: DescribeContext;
}) {
  const [log, setLog] = useState<DecisionEntry[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [chain, setChain] = useState<Chain>({ state: "verifying" });
  const [filter, setFilter] = useState("");
  const filterRef = useRef<HTMLInputElement>(null);
  const alive = useRef(true);
  // Answers can arrive out of order (a reload racing another): keep the newest request's.
  const loadGeneration = useRef(0);
  const verifyGeneration = useRef(0);

  // Promise callbacks (not await) so the effect below only starts the requests: the state is set
  // when they answer.
  const load = useCallback(() => {
    const mine = ++loadGeneration.current;
    const current = () => alive.current && mine === loadGeneration.current;
    return decisionLog(null).then(
      (entries) => {
        if (!current()) return;
        setLog(entries);
        setLoadError(null);
      },
      (err: unknown) => {
        if (current()) setLoadError(toBackendError(err).message);
      },
    );
  }, []);

  const runVerify = useCallback(() => {
    const mine = ++verifyGeneration.current;
    const current = () => alive.current && mine === verifyGeneration.current;
    return verifyDecisions().then(
      (check) => {
        if (!current()) return;
        setChain(
          check.status === "ok"
            ? { state: "ok", entries: check.entries, at: Date.now() }
            : { state: "broken", seq: check.seq, reason: check.reason, at: Date.now() },
        );
      },
      (err: unknown) => {
        if (current()) setChain({ state: "error", message: toBackendError(err).message });
      },
    );
  }, []);

  const verify = useCallback(() => {
    setChain({ state: "verifying" });
    void runVerify();
  }, [runVerify]);

  // Mount: load and verify (the state starts as "verifying"); reload when agents or declarations change.
  useEffect(() => {
    alive.current = true;
    void load();
    void runVerify();
    const off = subscribe((e) => {
      if (e.type === "agents_changed" || e.type === "declarations_changed") void load();
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [load, runVerify, subscribe]);

  // "/" focuses the filter (not while typing elsewhere or while a dialog is open).
  useViewKeys((e) => {
    if (e.key !== "/") return;
    e.preventDefault();
    filterRef.current?.focus();
  });

  const rows = useMemo<Row[]>(() => {
    if (!log) return [];
    const out: Row[] = [];
    for (let i = log.length - 1; i >= 0; i--) {
      const entry = log[i]!;
      out.push({ entry, description: describeDecision(entry, context) });
    }
    return out;
  }, [log, context]);

  const visible = useMemo(
    () => (filter.trim() === "" ? rows : rows.filter((r) => matchesFilter(r.entry, filter, r.description))),
    [rows, filter],
  );

  const total = rows.length;
  const sub =
    log === null
      ? ""
      : `${visible.length === total ? total.toLocaleString() : `${visible.length.toLocaleString()} of ${total.toLocaleString()}`} ${
          total === 1 ? "decision" : "decisions"
        }${total >= LOG_LIMIT ? " (the newest)" : ""}`;

  const onFilterKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    if (filter !== "") setFilter("");
    else e.currentTarget.blur();
  };

  return (
    <section className="view decisions-view" aria-labelledby="decisions-title" data-testid="decision-log">
      <header className="view-header">
        <h1 id="decisions-title">Decision log</h1>
        <span className="view-sub" data-testid="decision-count">
          {sub}
        </span>
        <span className="spacer" />
        <input
          ref={filterRef}
          type="text"
          className="decision-filter"
          data-testid="decision-filter"
          placeholder="Filter  /"
          aria-label="Filter decisions"
          aria-keyshortcuts="/"
          spellCheck={false}
          autoComplete="off"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={onFilterKey}
        />
        <button
          type="button"
          className="button"
          data-testid="verify-chain"
          onClick={verify}
          disabled={chain.state === "verifying"}
        >
          Verify chain
        </button>
      </header>

      <ChainStatus chain={chain} />

      {loadError ? (
        <div className="banner banner--error decisions-banner" role="alert" data-testid="decision-load-error">
          <span>Could not load the decision log: {loadError}</span>
          <button type="button" className="button button--small" onClick={() => void load()}>
            Retry
          </button>
        </div>
      ) : null}

      {log === null ? (
        loadError ? null : (
          <p className="muted decision-note" role="status">
            Loading…
          </p>
        )
      ) : total === 0 ? (
        <div className="empty-state" data-testid="decision-empty">
          <p>No decisions yet. Rule changes, declarations and approvals appear here.</p>
        </div>
      ) : visible.length === 0 ? (
        <p className="muted decision-note" data-testid="decision-no-match">
          No decisions match “{filter.trim()}”.
        </p>
      ) : (
        <DecisionList rows={visible} />
      )}
    </section>
  );
}

function ChainStatus({ chain }: { chain: Chain }) {
  let body;
  switch (chain.state) {
    case "verifying":
      body = "Verifying…";
      break;
    case "ok":
      body = (
        <>
          Chain intact · {chain.entries.toLocaleString()} {chain.entries === 1 ? "entry" : "entries"}
          <span className="chain-when"> · checked {clockTime(new Date(chain.at).toISOString())}</span>
        </>
      );
      break;
    case "broken":
      body = (
        <>
          Chain broken at entry {chain.seq}: {chain.reason}
          <span className="chain-when"> · checked {clockTime(new Date(chain.at).toISOString())}</span>
        </>
      );
      break;
    case "error":
      body = `Could not verify the chain: ${chain.message}`;
      break;
  }
  const alarming = chain.state === "broken" || chain.state === "error";
  return (
    <p
      className={`chain-status chain-status--${chain.state}`}
      data-testid="chain-status"
      data-state={chain.state}
      role={alarming ? "alert" : "status"}
    >
      {body}
    </p>
  );
}

const DecisionList = memo(function DecisionList({ rows }: { rows: readonly Row[] }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState<number | null>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is not compiler-safe; this component is memoised by hand.
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => DECISION_ROW_HEIGHT,
    overscan: 8,
    getItemKey: (index) => rows[index]!.entry.seq,
    initialRect: { width: 800, height: 600 },
  });

  const selectedIndex = selected === null ? -1 : rows.findIndex((r) => r.entry.seq === selected);
  const items = virtualizer.getVirtualItems();
  const selectedRendered = selectedIndex >= 0 && items.some((item) => item.index === selectedIndex);

  const select = (index: number) => {
    if (rows.length === 0) return;
    const i = Math.max(0, Math.min(rows.length - 1, index));
    setSelected(rows[i]!.entry.seq);
    virtualizer.scrollToIndex(i, { align: "auto" });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const at = selectedIndex;
    switch (e.key) {
      case "j":
      case "ArrowDown":
        select(at < 0 ? 0 : at + 1);
        break;
      case "k":
      case "ArrowUp":
        select(at < 0 ? 0 : at - 1);
        break;
      case "PageDown":
        select(at < 0 ? 0 : at + PAGE);
        break;
      case "PageUp":
        select(at < 0 ? 0 : at - PAGE);
        break;
      case "Home":
        select(0);
        break;
      case "End":
        select(rows.length - 1);
        break;
      case "Escape":
        if (selected === null) return;
        setSelected(null);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div
      ref={scrollRef}
      className="decision-scroll"
      role="listbox"
      aria-label="Decisions, newest first"
      aria-activedescendant={selectedRendered ? `decision-${selected}` : undefined}
      tabIndex={0}
      data-testid="decision-list"
      onKeyDown={onKeyDown}
    >
      <div className="decision-inner" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const row = rows[item.index]!;
          return (
            <DecisionRow
              key={row.entry.seq}
              row={row}
              index={item.index}
              top={item.start}
              selected={row.entry.seq === selected}
              onSelect={setSelected}
            />
          );
        })}
      </div>
    </div>
  );
});

const DecisionRow = memo(function DecisionRow({
  row,
  index,
  top,
  selected,
  onSelect,
}: {
  row: Row;
  index: number;
  top: number;
  selected: boolean;
  onSelect: (seq: number) => void;
}) {
  const { entry, description } = row;
  const family = actionFamily(entry.action);
  return (
    <div
      id={`decision-${entry.seq}`}
      role="option"
      aria-selected={selected}
      className={`decision-row virtual-row${selected ? " decision-row--selected" : ""}`}
      style={{ transform: `translateY(${top}px)`, height: DECISION_ROW_HEIGHT }}
      data-index={index}
      data-testid="decision-row"
      data-seq={entry.seq}
      data-action={entry.action}
      data-subject={entry.subject}
      onClick={() => onSelect(entry.seq)}
    >
      <div className="decision-meta">
        <time className="decision-time mono" dateTime={entry.at} title={entry.at}>
          {dateTime(entry.at)}
        </time>
        <span className="decision-seq mono" title={`Entry ${entry.seq}`}>
          #{entry.seq}
        </span>
        <span className="decision-who" title={[entry.who, entry.host ? `on ${entry.host}` : "", entry.place ?? ""].filter(Boolean).join(" ")}>
          {entry.who}
          {entry.host ? (
            <span className="decision-host muted" data-testid="decision-host">
              {" "}
              on {entry.host}
            </span>
          ) : null}
          {entry.place ? (
            <span className="decision-place muted" data-testid="decision-place">
              {" "}
              {entry.place}
            </span>
          ) : null}
        </span>
        <span className={`action-chip action-chip--${family}`} data-testid="decision-action">
          {entry.action}
        </span>
        <span className="decision-subject mono" title={entry.subject}>
          {entry.subject}
        </span>
        <span className="decision-hash mono" title={entry.hash}>
          {shortHash(entry.hash)}
        </span>
      </div>
      <div className="decision-desc" title={description} data-testid="decision-description">
        {description}
      </div>
    </div>
  );
});
