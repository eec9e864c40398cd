// The Rate limits view: who uses how much of each shared API quota, when 429s happen, when the
// agents overlap, and when their combined use will reach the limit. The APIs on the left (their
// combined share, 429s, pressure), the selected one's panel on the right. Keys (not while
// typing): j/k next/previous API anywhere in the view; ↑/↓, Home/End in the list.

import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";

import type { AgentRow } from "../bindings/AgentRow";
import type { ApiLedger } from "../bindings/ApiLedger";
import { useNow } from "../lib/clock";
import { agentNames } from "../lib/agents";
import {
  apiId,
  apiLabel,
  defaultApi,
  isUnderPressure,
  percentText,
  pressureReasons,
  rateLimitedText,
  stepApi,
} from "../lib/rateLimits";
import type { RateLimits } from "../lib/useRateLimits";
import { useViewKeys } from "../lib/useViewKeys";
import { ApiPanel } from "./ApiPanel";
import { ShareBar } from "./ApiShares";


function EmptyState() {
  return (
    <div className="rl-empty" data-testid="ratelimits-empty">
      <h2>No API use reported yet</h2>
      <p>
        This view fills in when your agents report the calls they make to shared APIs (OpenAI, Anthropic, GitHub…). Each
        call is an <code>api_call</code> event in the agent&apos;s status document, with the API&apos;s name, the HTTP
        status and the rate-limit headers the agent got back:
      </p>
      <pre className="rl-code">
        {`{"seq": 43, "at": "2026-11-21T10:01:30Z", "kind": "api_call", "api": "openai",
 "status": 200, "tokens": 1840,
 "headers": {"x-ratelimit-limit-requests": "500",
             "x-ratelimit-remaining-requests": "311"}}`}
      </pre>
      <p className="muted">
        Baton learns each API&apos;s limits from the headers (or from a quota you set), keeps a ledger per agent and minute,
        and warns before the agents together hit the limit. Agents that only count their calls can send{" "}
        <code>usage</code> windows instead. See <code>docs/protocol.md</code> (events and usage) for the details.
      </p>
    </div>
  );
}

function ApiItem({
  ledger,
  selected,
  now,
  onSelect,
}: {
  ledger: ApiLedger;
  selected: boolean;
  now: number;
  onSelect(): void;
}) {
  const id = apiId(ledger);
  const reasons = pressureReasons(ledger, now);
  const pressure = reasons.length > 0;
  const hasQuota = ledger.quotas.length > 0;
  return (
    <li
      role="option"
      id={`rl-api-${id}`}
      aria-selected={selected}
      tabIndex={selected ? 0 : -1}
      className={`rl-api${selected ? " rl-api--selected" : ""}${pressure ? " rl-api--pressure" : ""}`}
      data-testid={`api-item-${id}`}
      data-api={ledger.api}
      data-key={ledger.key ?? ""}
      data-pressure={pressure}
      data-selected={selected}
      onClick={onSelect}
    >
      <span className="rl-api-top">
        <span className="rl-api-name">{apiLabel(ledger)}</span>
        {pressure ? (
          <span className="rl-pressure" title={reasons.join("; ")} data-testid="pressure-marker">
            pressure
          </span>
        ) : null}
      </span>
      {hasQuota ? (
        <span className="rl-api-share">
          <ShareBar share={ledger.combined_share} threshold={ledger.limits.share_percent / 100} />
          <span className="rl-api-pct">{percentText(ledger.combined_share)}</span>
        </span>
      ) : (
        <span className="muted small">no limit known</span>
      )}
      <span className="small">
        {ledger.rate_limited_last_hour > 0 ? (
          <span className="text-bad" data-testid="api-429">
            {rateLimitedText(ledger.rate_limited_last_hour)} in the last hour
          </span>
        ) : (
          <span className="muted">no 429 in the last hour</span>
        )}
      </span>
    </li>
  );
}

export function RateLimitsView({ rateLimits, agents }: { rateLimits: RateLimits; agents: AgentRow[] | null }) {
  const now = useNow();
  const { list, error, version, loadedAt, refresh } = rateLimits;
  const names = useMemo(() => agentNames(agents), [agents]);
  const [selected, setSelected] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const ids = useMemo(() => (list ?? []).map(apiId), [list]);
  const fallback = useMemo(() => (list ? defaultApi(list, loadedAt) : null), [list, loadedAt]);
  const current = selected !== null && ids.includes(selected) ? selected : fallback;
  const ledger = list?.find((l) => apiId(l) === current) ?? null;
  const pressured = (list ?? []).filter((l) => isUnderPressure(l, now)).length;

  // Load on mount (the app keeps the ledger for the badge; this makes it fresh).
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const step = useCallback(
    (delta: number, focus: boolean) => {
      const next = stepApi(ids, current, delta);
      if (next === null) return;
      setSelected(next);
      if (focus) requestAnimationFrame(() => document.getElementById(`rl-api-${next}`)?.focus());
    },
    [ids, current],
  );

  // j/k anywhere in the view (not while typing or while a dialog is open).
  useViewKeys((e) => {
    if (e.key !== "j" && e.key !== "k") return;
    e.preventDefault();
    const inList = listRef.current?.contains(document.activeElement) ?? false;
    step(e.key === "j" ? 1 : -1, inList);
  });

  const onListKey = (e: KeyboardEvent<HTMLUListElement>) => {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, Home: -ids.length, End: ids.length };
    const delta = moves[e.key];
    if (delta === undefined) return;
    e.preventDefault();
    step(delta, true);
  };

  const onSaved = useCallback(
    (message: string) => {
      setStatus(message);
      void refresh();
    },
    [refresh],
  );

  const sub =
    list === null
      ? ""
      : `${list.length} API${list.length === 1 ? "" : "s"}${pressured > 0 ? ` · ${pressured} under pressure` : ""}`;

  let body;
  if (list === null) {
    body = error ? null : (
      <p className="muted rl-note" role="status">
        Loading…
      </p>
    );
  } else if (list.length === 0) {
    body = <EmptyState />;
  } else {
    body = (
      <div className="rl-body">
        <ul
          ref={listRef}
          className="rl-list"
          role="listbox"
          aria-label="APIs"
          onKeyDown={onListKey}
          data-testid="api-list"
        >
          {list.map((l) => {
            const id = apiId(l);
            return <ApiItem key={id} ledger={l} selected={id === current} now={now} onSelect={() => setSelected(id)} />;
          })}
        </ul>
        <div className="rl-panel-pane">
          {ledger ? <ApiPanel key={apiId(ledger)} ledger={ledger} names={names} now={now} version={version} onSaved={onSaved} /> : null}
        </div>
      </div>
    );
  }

  return (
    <section className="view ratelimits-view" aria-labelledby="ratelimits-title" data-testid="ratelimits-view">
      <header className="view-header">
        <h1 id="ratelimits-title">Rate limits</h1>
        <span className="view-sub" data-testid="ratelimits-count">
          {sub}
        </span>
        <span className="spacer" />
        {list && list.length > 0 ? (
          <span className="muted small" aria-hidden="true">
            <kbd>j</kbd>/<kbd>k</kbd> next/previous API
          </span>
        ) : null}
      </header>
      {error ? (
        <div className="banner banner--error rl-banner" role="alert" data-testid="ratelimits-error">
          <span>Could not load the rate limits: {error}</span>
          <button type="button" className="button button--small" onClick={() => void refresh()}>
            Retry
          </button>
        </div>
      ) : null}
      <p className={status ? "rl-status" : "visually-hidden"} role="status" data-testid="ratelimits-status">
        {status ?? ""}
      </p>
      {body}
    </section>
  );
}
