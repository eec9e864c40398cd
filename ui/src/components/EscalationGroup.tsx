// A grouped escalation in the detail: what one decision settles (every finding, each agent told
// once) and the resources it covers, folded after a few (the backend lists at most 50; the rest
// are counted); and, on a decided item whose cause fired again, a notice saying so.

import { useId, useState } from "react";

import type { Escalation } from "../bindings/Escalation";
import { isGroup, recurringText, resourceList, settlesText } from "../lib/escalationGroups";
import { isRecurring } from "../lib/escalations";

export function GroupResources({ escalation: e, agentCount }: { escalation: Escalation; agentCount: number }) {
  const [expanded, setExpanded] = useState(false);
  const listId = useId();
  const titleId = useId();
  if (!isGroup(e)) return null;
  const { shown, folded, more } = resourceList(e, expanded);
  const settles = settlesText(e, agentCount);
  const listed = shown.length + folded;
  const rest = folded + more;
  return (
    <section className="esc-group" aria-labelledby={titleId} data-testid="escalation-group-detail">
      <h3 id={titleId} className="esc-h">
        Group
        <span className="muted">
          {e.resource_count} resource{e.resource_count === 1 ? "" : "s"}
        </span>
      </h3>
      {settles ? (
        <p className="esc-settles" data-testid="group-settles">
          {settles}
        </p>
      ) : null}
      {shown.length > 0 ? (
        <ul
          id={listId}
          className={`esc-resources${expanded ? " esc-resources--all" : ""}`}
          aria-label={`Resources (${e.resource_count})`}
          data-testid="group-resources"
          // The unfolded list scrolls: reachable by keyboard to scroll it.
          tabIndex={expanded ? 0 : undefined}
        >
          {shown.map((r) => (
            <li key={r} className="mono" data-testid="group-resource">
              {r}
            </li>
          ))}
        </ul>
      ) : null}
      {rest > 0 || expanded ? (
        <div className="esc-resources-foot">
          {rest > 0 ? (
            <span className="muted" data-testid="group-resources-more">
              and {rest} more{folded === 0 && more > 0 ? ` (Baton lists the first ${listed})` : ""}
            </span>
          ) : null}
          {folded > 0 || expanded ? (
            <button
              type="button"
              className="link-button"
              aria-expanded={expanded}
              aria-controls={listId}
              data-testid="group-resources-toggle"
              onClick={() => setExpanded((v) => !v)}
            >
              {expanded ? "Show fewer" : `Show all ${listed}${more > 0 ? " listed" : ""}`}
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

export function RecurringNotice({
  escalation: e,
  names,
  now,
}: {
  escalation: Escalation;
  names: ReadonlyMap<number, string>;
  now: number;
}) {
  if (e.state === "open" || e.since_decision === 0) return null;
  const loud = isRecurring(e);
  return (
    <div className={`esc-recurring${loud ? "" : " esc-recurring--quiet"}`} data-testid="recurring-notice">
      <strong>{loud ? "Still firing after the decision" : "Fired again after it was dismissed"}</strong>
      <p>{loud ? recurringText(e, names, now) : `Its cause fired ${e.since_decision}× since; dismissing said it is not a real problem.`}</p>
    </div>
  );
}
