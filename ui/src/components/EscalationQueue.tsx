// The escalation queue: coordination failures a person settles in one click. Open ones by due
// time with a ticking SLA, decided ones whose cause fired again next, snoozed ones dimmed, closed
// ones below; the selected one's detail, actions and evidence on the right. The header counts
// the new ones of the last 10 minutes and says so when they arrive fast. Keys (not while typing): j/k next/previous open
// escalation, a approve, r reject; in the list ↑/↓ every row and Enter to its actions; Escape
// from the detail back to the list.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import type { AgentRow } from "../bindings/AgentRow";
import type { Escalation } from "../bindings/Escalation";
import type { EscalationAction } from "../bindings/EscalationAction";
import { decideEscalation, toBackendError } from "../lib/backend";
import { useNow } from "../lib/clock";
import { agentNames } from "../lib/agents";
import {
  blockedReason,
  decisionLabel,
  groupEscalations,
  isActionable,
  isSnoozed,
  nextAfterDecision,
  SNOOZE_CHOICES,
  stepSelection,
} from "../lib/escalations";
import { arrivals, fastArrivalText } from "../lib/escalationGroups";
import type { Escalations } from "../lib/useEscalations";
import type { ChangeListener } from "../lib/useBatonData";
import { useRights } from "../lib/rights";
import { useViewKeys } from "../lib/useViewKeys";
import "../styles/escalations.css";
import { EscalationDetail } from "./EscalationDetail";
import { EscalationList } from "./EscalationList";
import { ScenarioPicker } from "./ScenarioPicker";

export const EXPIRED_MESSAGE =
  "Too late: this escalation passed its SLA before the decision arrived. It is now expired and takes no decision.";


function doneText(action: EscalationAction, e: Escalation): string {
  if (action.action === "snooze") {
    const choice = SNOOZE_CHOICES.find((c) => c.minutes === action.minutes);
    return `Snoozed for ${choice?.long ?? `${action.minutes} min`}: ${e.title}`;
  }
  return `${decisionLabel(action.action, e.kind)}: ${e.title}`;
}

export function EscalationQueue({
  escalations,
  agents,
  selected,
  onSelect,
  subscribe,
}: {
  escalations: Escalations;
  agents: AgentRow[] | null;
  /** The selected escalation's id; null selects the first open one. */
  selected: number | null;
  onSelect(id: number | null): void;
  subscribe(listener: ChangeListener): () => void;
}) {
  const now = useNow();
  // A scenario only where its agents are polled and may be added; decisions only by those who
  // may change the store (a viewer role sees why on each button).
  const { cannotRunFleets, cannotChange } = useRights();
  const { list, error: loadError, refresh, replace, markExpired } = escalations;
  const groups = useMemo(() => groupEscalations(list ?? [], now), [list, now]);
  const names = useMemo(() => agentNames(agents), [agents]);
  const sessions = useMemo(
    () => new Set((agents ?? []).filter((a) => a.config.adapter === "session").map((a) => a.config.id)),
    [agents],
  );
  const subagents = useMemo(() => new Set((agents ?? []).filter((a) => a.subagent).map((a) => a.config.id)), [agents]);
  const branches = useMemo(
    () => new Map((agents ?? []).flatMap((a) => (a.session ? [[a.config.id, a.session.branch] as const] : []))),
    [agents],
  );
  const current = selected ?? groups.open[0]?.id ?? null;
  const escalation = current === null ? null : (list?.find((e) => e.id === current) ?? null);

  const [busy, setBusy] = useState<number | null>(null);
  const [errors, setErrors] = useState<ReadonlyMap<number, string>>(new Map());
  const [draft, setDraft] = useState<{ id: number | null; note: string; reason: string }>({ id: null, note: "", reason: "" });
  const [status, setStatus] = useState<string | null>(null);
  const [focusToken, setFocusToken] = useState(0);
  const busyRef = useRef(false);
  const detailRef = useRef<HTMLElement>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const mine = draft.id === current ? draft : { note: "", reason: "" };
  const setError = useCallback((id: number, message: string | null) => {
    setErrors((m) => {
      const next = new Map(m);
      if (message === null) next.delete(id);
      else next.set(id, message);
      return next;
    });
  }, []);

  const decide = useCallback(
    async (target: Escalation, action: EscalationAction, note: string | null) => {
      if (busyRef.current) return;
      // The actions say why already (a viewer role): a key press sends nothing.
      if (cannotChange !== null) return;
      const at = Date.now();
      if (!isActionable(target, at)) {
        setError(target.id, blockedReason(target, at) ?? "No decision can be taken on it.");
        return;
      }
      const openIds = groupEscalations(list ?? [], at).open.map((e) => e.id);
      busyRef.current = true;
      setBusy(target.id);
      setError(target.id, null);
      setStatus(null);
      try {
        const updated = await decideEscalation(target.id, action, note);
        if (!alive.current) return;
        replace(updated);
        setDraft({ id: null, note: "", reason: "" });
        setStatus(doneText(action, target));
        if (updated.state !== "open" || isSnoozed(updated, Date.now())) {
          onSelect(nextAfterDecision(openIds, target.id) ?? updated.id);
          setFocusToken((t) => t + 1);
        }
      } catch (thrown) {
        if (!alive.current) return;
        const err = toBackendError(thrown);
        if (err.code === "expired") {
          markExpired(target.id);
          setError(target.id, EXPIRED_MESSAGE);
          void refresh();
        } else if (err.code === "escalation_closed" || err.code === "not_found") {
          setError(target.id, `${err.message} The queue has been reloaded.`);
          void refresh();
        } else {
          setError(target.id, err.message);
        }
      } finally {
        busyRef.current = false;
        if (alive.current) setBusy(null);
      }
    },
    [cannotChange, list, markExpired, onSelect, refresh, replace, setError],
  );

  const backToList = useCallback(() => setFocusToken((t) => t + 1), []);
  const toDetail = useCallback(() => {
    const root = detailRef.current;
    const target =
      root?.querySelector<HTMLElement>('[data-primary="true"]:not(:disabled)') ??
      root?.querySelector<HTMLElement>('[data-testid="escalation-title"]');
    target?.focus();
  }, []);

  // j/k/a/r anywhere in the view (not while typing or while a dialog is open).
  useViewKeys((e) => {
    const openIds = groups.open.map((x) => x.id);
    const note = mine.note.trim() === "" ? null : mine.note.trim();
    switch (e.key) {
      case "j":
      case "k": {
        const inOpen = current !== null && openIds.includes(current);
        const next = stepSelection(openIds, inOpen ? current : null, e.key === "j" ? 1 : -1);
        if (next === null) return;
        onSelect(next);
        break;
      }
      case "a":
      case "r":
        if (!escalation) return;
        void decide(escalation, { action: e.key === "a" ? "approve" : "reject" }, note);
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  const openCount = groups.open.length + groups.snoozed.length;
  const closedCount = groups.closed.length + groups.recurring.length;
  const sub =
    list === null
      ? ""
      : `${openCount} open${groups.snoozed.length > 0 ? ` (${groups.snoozed.length} snoozed)` : ""} · ${closedCount} closed${
          groups.recurring.length > 0 ? ` (${groups.recurring.length} recurring)` : ""
        }`;
  const rate = useMemo(() => (list === null ? null : arrivals(list, now)), [list, now]);
  const fast = useMemo(() => (list === null ? null : fastArrivalText(list, now)), [list, now]);

  let detail;
  if (escalation) {
    const id = escalation.id;
    detail = (
      <EscalationDetail
        escalation={escalation}
        names={names}
        sessions={sessions}
        subagents={subagents}
        branches={branches}
        now={now}
        subscribe={subscribe}
        containerRef={detailRef}
        decision={{
          busy: busy === id,
          error: errors.get(id) ?? null,
          note: mine.note,
          onNote: (note) => setDraft({ id, note, reason: mine.reason }),
          reason: mine.reason,
          onReason: (reason) => setDraft({ id, note: mine.note, reason }),
          onDecide: (action, note) => void decide(escalation, action, note),
          onRefuse: (message) => setError(id, message),
          onBack: backToList,
        }}
      />
    );
  } else if (list !== null && current !== null) {
    detail = (
      <div className="esc-detail esc-detail--none" data-testid="escalation-missing">
        <p className="muted">Escalation #{current} is not in the queue (it may be older than the 100 closed ones shown).</p>
      </div>
    );
  } else if (list !== null) {
    detail = (
      <div className="esc-detail esc-detail--none">
        <p className="muted">Select an escalation to see its evidence and decide.</p>
      </div>
    );
  } else {
    detail = null;
  }

  return (
    <section className="view escalations-view" aria-labelledby="escalations-title" data-testid="escalation-queue">
      <header className="view-header">
        <h1 id="escalations-title">Escalations</h1>
        <span className="view-sub" data-testid="escalation-count">
          {sub}
        </span>
        {rate ? (
          <span
            className={`view-sub esc-rate${rate.fast ? " esc-rate--fast" : ""}`}
            data-testid="escalation-rate"
            data-count={rate.count}
            title="Escalations opened in the last 10 minutes (a group taking in more findings is not a new one)"
          >
            {rate.text}
          </span>
        ) : null}
        <span className="spacer" />
        {cannotRunFleets === null ? <ScenarioPicker /> : null}
        <span className="esc-keys muted small" aria-hidden="true">
          <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>a</kbd> approve · <kbd>r</kbd> reject · <kbd>Enter</kbd> actions
        </span>
      </header>

      {loadError ? (
        <div className="banner banner--error esc-banner" role="alert" data-testid="escalation-load-error">
          <span>Could not load the escalations: {loadError}</span>
          <button type="button" className="button button--small" onClick={() => void refresh()}>
            Retry
          </button>
        </div>
      ) : null}
      <div role="status">
        {fast ? (
          <p className="banner banner--warning esc-fast" data-testid="escalation-fast">
            {fast}
          </p>
        ) : null}
      </div>
      <p className={status ? "esc-status" : "visually-hidden"} role="status" data-testid="escalation-status">
        {status ?? ""}
      </p>

      {list === null ? (
        loadError ? null : (
          <p className="muted esc-note" role="status">
            Loading…
          </p>
        )
      ) : (
        <div className="esc-body">
          <EscalationList
            groups={groups}
            names={names}
            now={now}
            selected={current}
            onSelect={onSelect}
            onEnter={toDetail}
            focusToken={focusToken}
          />
          <div className="esc-detail-pane">{detail}</div>
        </div>
      )}
    </section>
  );
}
