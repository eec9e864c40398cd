// The queue's left side: Open (soonest due first), Recurring after a decision (resolved, but the
// cause fired again), Snoozed (dimmed) and Closed, each a listbox paged 50 at a time. One
// selection across them; ↑/↓, Home/End and PageUp/PageDown move it through every row, Enter
// goes to the selected escalation's actions (j/k/a/r are the view's). A group of findings
// shows its count (×7) and its scope.

import { memo, useEffect, useRef, useState, type KeyboardEvent } from "react";

import type { Escalation } from "../bindings/Escalation";
import { nameOf } from "../lib/agents";
import { agoText } from "../lib/time";
import {
  decisionLabel,
  displayOrder,
  isOverdue,
  kindLabel,
  slaCountdown,
  stepSelection,
  whenText,
  type EscalationGroups,
} from "../lib/escalations";
import { findingsText, isGroup, sinceDecisionText } from "../lib/escalationGroups";

/** Rows shown at first in each group, and added per "Show more". */
export const ESCALATION_PAGE = 50;
const JUMP = 10;

type GroupKey = keyof EscalationGroups;

const SECTIONS: { key: GroupKey; label: string }[] = [
  { key: "open", label: "Open" },
  { key: "recurring", label: "Recurring after a decision" },
  { key: "snoozed", label: "Snoozed" },
  { key: "closed", label: "Closed" },
];

export function rowId(id: number): string {
  return `escalation-${id}`;
}

export function EscalationList({
  groups,
  names,
  now,
  selected,
  onSelect,
  onEnter,
  focusToken,
}: {
  groups: EscalationGroups;
  names: ReadonlyMap<number, string>;
  now: number;
  selected: number | null;
  onSelect(id: number): void;
  /** Enter on a list: go to the selected escalation's detail. */
  onEnter(): void;
  /** Changes when the list should take the focus (after a decision moved the selection). */
  focusToken: number;
}) {
  const [pages, setPages] = useState<Record<GroupKey, number>>({
    open: ESCALATION_PAGE,
    recurring: ESCALATION_PAGE,
    snoozed: ESCALATION_PAGE,
    closed: ESCALATION_PAGE,
  });
  const boxes = useRef(new Map<GroupKey, HTMLDivElement>());

  const groupOf = (id: number | null): GroupKey | null =>
    id === null ? null : (SECTIONS.find(({ key }) => groups[key].some((e) => e.id === id))?.key ?? null);
  const selectedGroup = groupOf(selected);
  const tabbable = selectedGroup ?? SECTIONS.find(({ key }) => groups[key].length > 0)?.key ?? null;

  // Keep the selected row in view (a jump from elsewhere: j/k, the shell's "open escalation").
  useEffect(() => {
    if (selected === null) return;
    document.getElementById(rowId(selected))?.scrollIntoView?.({ block: "nearest" });
  }, [selected]);

  // Take the focus when asked (not on every change of the selection).
  const container = useRef<HTMLDivElement>(null);
  const focused = useRef(0);
  useEffect(() => {
    if (focusToken === focused.current) return;
    focused.current = focusToken;
    const row = selected === null ? null : document.getElementById(rowId(selected));
    const box = row?.closest<HTMLElement>('[role="listbox"]') ?? container.current?.querySelector<HTMLElement>('[role="listbox"]');
    box?.focus();
  }, [focusToken, selected]);

  const moveTo = (id: number | null) => {
    if (id === null) return;
    onSelect(id);
    const key = groupOf(id);
    if (key) boxes.current.get(key)?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const ids = displayOrder(groups).map((x) => x.id);
    switch (e.key) {
      case "ArrowDown":
        moveTo(stepSelection(ids, selected, 1));
        break;
      case "ArrowUp":
        moveTo(stepSelection(ids, selected, -1));
        break;
      case "PageDown":
        moveTo(stepSelection(ids, selected, JUMP));
        break;
      case "PageUp":
        moveTo(stepSelection(ids, selected, -JUMP));
        break;
      case "Home":
        moveTo(ids[0] ?? null);
        break;
      case "End":
        moveTo(ids[ids.length - 1] ?? null);
        break;
      case "Enter":
        if (selected === null) return;
        onEnter();
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div ref={container} className="esc-list" data-testid="escalation-list">
      {SECTIONS.map(({ key, label }) => {
        const items = groups[key];
        if (items.length === 0 && key !== "open") return null;
        const at = selectedGroup === key ? items.findIndex((x) => x.id === selected) : -1;
        const shown = Math.max(pages[key], at + 1);
        const more = items.length - shown;
        const titleId = `escalation-group-${key}`;
        return (
          <section key={key} className={`esc-section esc-section--${key}`} data-testid="escalation-group" data-group={key}>
            <h2 id={titleId} className="esc-section-title">
              {label} <span className="count">{items.length}</span>
            </h2>
            {items.length === 0 ? (
              <p className="muted esc-empty" data-testid="escalation-empty">
                Nothing needs you. Coordination failures that need a person appear here.
              </p>
            ) : (
              <div
                ref={(el) => {
                  if (el) boxes.current.set(key, el);
                  else boxes.current.delete(key);
                }}
                role="listbox"
                aria-labelledby={titleId}
                className="esc-listbox"
                tabIndex={tabbable === key ? 0 : -1}
                aria-activedescendant={at >= 0 ? rowId(selected!) : undefined}
                onKeyDown={onKeyDown}
              >
                {items.slice(0, shown).map((esc) => (
                  <EscalationRow
                    key={esc.id}
                    escalation={esc}
                    names={names}
                    now={now}
                    snoozed={key === "snoozed"}
                    recurring={key === "recurring"}
                    selected={esc.id === selected}
                    onSelect={onSelect}
                  />
                ))}
              </div>
            )}
            {more > 0 ? (
              <button
                type="button"
                className="button button--small esc-more"
                data-testid="escalations-more"
                data-group={key}
                onClick={() => setPages((p) => ({ ...p, [key]: shown + ESCALATION_PAGE }))}
              >
                Show {Math.min(ESCALATION_PAGE, more)} more of {more}
              </button>
            ) : null}
          </section>
        );
      })}
    </div>
  );
}

const EscalationRow = memo(function EscalationRow({
  escalation: e,
  names,
  now,
  snoozed,
  recurring,
  selected,
  onSelect,
}: {
  escalation: Escalation;
  names: ReadonlyMap<number, string>;
  now: number;
  snoozed: boolean;
  recurring: boolean;
  selected: boolean;
  onSelect(id: number): void;
}) {
  const sla = slaCountdown(e, now);
  const agents = e.agents.map((id) => nameOf(names, id));
  const group = isGroup(e);
  return (
    <div
      id={rowId(e.id)}
      role="option"
      aria-selected={selected}
      className={`esc-row esc-row--${e.state}${snoozed ? " esc-row--snoozed" : ""}${recurring ? " esc-row--recurring" : ""}${selected ? " esc-row--selected" : ""}`}
      data-testid="escalation-row"
      data-id={e.id}
      data-kind={e.kind}
      data-state={e.state}
      data-severity={e.severity}
      data-overdue={isOverdue(e, now) ? "true" : undefined}
      data-occurrences={e.occurrences}
      data-since-decision={e.since_decision > 0 ? e.since_decision : undefined}
      title={e.title}
      onClick={() => onSelect(e.id)}
    >
      <div className="esc-row-top">
        <span className={`sev sev--${e.severity}`}>{e.severity}</span>
        <span className="esc-kind">{kindLabel(e.kind)}</span>
        {group ? (
          <span className="esc-count" data-testid="occurrences" title={findingsText(e.occurrences)}>
            <span aria-hidden="true">×{e.occurrences}</span>
            <span className="visually-hidden">{findingsText(e.occurrences)}</span>
          </span>
        ) : null}
        <span className={`esc-sla esc-sla--${sla.urgency}`} data-testid="sla" data-urgency={sla.urgency}>
          {sla.text}
        </span>
      </div>
      <div className="esc-row-agents">{agents.length > 0 ? agents.join(" · ") : "no agent"}</div>
      {group && e.scope ? (
        <div className="esc-row-resource" data-testid="row-scope">
          <span className="mono">{e.scope}</span>
          {e.resource_count > 1 ? <span className="esc-row-resource-count"> · {e.resource_count} resources</span> : null}
        </div>
      ) : e.resource ? (
        <div className="esc-row-resource mono">{e.resource}</div>
      ) : null}
      {snoozed && e.snoozed_until ? (
        <div className="esc-row-note">snoozed until {whenText(e.snoozed_until, now)}</div>
      ) : null}
      {e.state !== "open" ? (
        <div className="esc-row-note">
          {e.state === "expired" ? "expired" : e.decision ? decisionLabel(e.decision.action, e.kind) : "resolved"}
          {e.closed_at ? ` ${whenText(e.closed_at, now)}` : ""}
          {e.state === "resolved" && e.decision ? ` by ${e.decision.who}` : ""}
        </div>
      ) : null}
      {e.state !== "open" && e.since_decision > 0 ? (
        <div className={`esc-row-recur${recurring ? "" : " esc-row-recur--quiet"}`} data-testid="since-decision">
          {sinceDecisionText(e.since_decision)}
          {recurring ? <span className="muted"> · last {agoText(e.last_seen_at, now)}</span> : null}
        </div>
      ) : null}
    </div>
  );
});
