// The selected escalation: what it is, who handles it, when it opened and falls due, the decision
// taken and its delivery to each agent, for a group what one decision settles and its resources,
// the actions, and the evidence on one time axis (for a rate-limit pressure escalation, the API's
// use per minute over the last hour first; for a parallel edit, git's forecast of the merge). A
// decided item whose cause fired again says so first.

import type { ReactNode, Ref } from "react";

import { nameOf } from "../lib/agents";
import {
  decisionLabel,
  deliveryText,
  isSnoozed,
  kindLabel,
  slaCountdown,
  whenText,
} from "../lib/escalations";
import { isGroup } from "../lib/escalationGroups";
import { parseApiResource } from "../lib/rateLimits";
import { agoText, dateTime } from "../lib/time";
import type { ChangeListener } from "../lib/useBatonData";
import { EscalationActions, type DecisionProps, type EscalationShown } from "./EscalationActions";
import { GroupResources, RecurringNotice } from "./EscalationGroup";
import { EvidenceTimeline } from "./EvidenceTimeline";
import { ParallelForecast } from "./ParallelForecast";
import { UsageEvidence } from "./UsageEvidence";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Time({ at, now, suffix }: { at: string; now: number; suffix?: string }) {
  return (
    <time dateTime={at} title={at}>
      {dateTime(at)}
      <span className="muted"> · {suffix ?? agoText(at, now)}</span>
    </time>
  );
}

export function EscalationDetail({
  escalation: e,
  names,
  sessions,
  subagents,
  branches,
  now,
  subscribe,
  decision,
  containerRef,
}: EscalationShown & {
  subscribe(listener: ChangeListener): () => void;
  decision: DecisionProps;
  containerRef?: Ref<HTMLElement>;
}) {
  const sla = slaCountdown(e, now);
  const agents = e.agents.map((id) => nameOf(names, id));
  const snoozed = isSnoozed(e, now);
  const titleId = `escalation-title-${e.id}`;
  const limitedApi = e.kind === "rate_limit_pressure" ? parseApiResource(e.resource) : null;
  const group = isGroup(e);
  return (
    <section
      ref={containerRef}
      className={`esc-detail esc-detail--${e.state}`}
      aria-labelledby={titleId}
      data-testid="escalation-detail"
      data-id={e.id}
      data-state={e.state}
      onKeyDown={(ev) => {
        const target = ev.target as HTMLElement;
        if (ev.key !== "Escape" || target.tagName === "INPUT" || target.tagName === "TEXTAREA") return;
        ev.preventDefault();
        decision.onBack();
      }}
    >
      <header className="esc-detail-head">
        <div className="esc-kicker">
          <span className={`sev sev--${e.severity}`}>{e.severity}</span>
          <span className="esc-kind">{kindLabel(e.kind)}</span>
          <span className="muted mono">#{e.id}</span>
          <span className="spacer" />
          <span className={`esc-sla esc-sla--${sla.urgency} esc-sla--big`} data-testid="detail-sla" data-urgency={sla.urgency}>
            {sla.text}
          </span>
        </div>
        <h2 id={titleId} className="esc-title" tabIndex={-1} data-testid="escalation-title">
          {e.title}
        </h2>
      </header>

      <RecurringNotice escalation={e} names={names} now={now} />

      <dl className="esc-facts">
        <Fact label={agents.length === 1 ? "Agent" : "Agents"}>{agents.length > 0 ? agents.join(", ") : "none"}</Fact>
        {group && e.scope ? (
          <Fact label="Scope">
            <code className="mono" data-testid="escalation-scope">
              {e.scope}
            </code>
          </Fact>
        ) : null}
        {e.resource && e.resource_count <= 1 ? (
          <Fact label="Resource">
            <code className="mono">{e.resource}</code>
          </Fact>
        ) : null}
        {e.task_id ? (
          <Fact label="Task">
            <span className="mono">{e.task_id}</span>
            {e.agent_id !== null ? <span className="muted"> of {nameOf(names, e.agent_id)}</span> : null}
          </Fact>
        ) : null}
        {e.assignee ? (
          <Fact label="Assignee">
            <span data-testid="escalation-assignee">{e.assignee}</span>
          </Fact>
        ) : null}
        <Fact label="Opened">
          <Time at={e.opened_at} now={now} />
        </Fact>
        {group || e.since_decision > 0 ? (
          <Fact label="Findings">
            <span data-testid="escalation-occurrences">{e.occurrences}</span>
            {e.since_decision > 0 ? <span className="esc-after"> ({e.since_decision} after the decision)</span> : null}
            <span className="muted">
              {" · last seen "}
              <time dateTime={e.last_seen_at} title={e.last_seen_at} data-testid="escalation-last-seen">
                {agoText(e.last_seen_at, now)}
              </time>
            </span>
          </Fact>
        ) : null}
        <Fact label="Due">
          <Time at={e.due_at} now={now} suffix={sla.text} />
        </Fact>
        {snoozed && e.snoozed_until ? (
          <Fact label="Snoozed">
            until {whenText(e.snoozed_until, now)} <span className="muted">(the SLA keeps running)</span>
          </Fact>
        ) : null}
        {e.closed_at ? (
          <Fact label={e.state === "expired" ? "Expired" : "Closed"}>
            <Time at={e.closed_at} now={now} />
          </Fact>
        ) : null}
      </dl>

      {e.decision ? (
        <div className="esc-decision" data-testid="escalation-decision" data-action={e.decision.action}>
          <h3 className="esc-h">Decision</h3>
          <p>
            <strong>{decisionLabel(e.decision.action, e.kind)}</strong> by {e.decision.who}
            {e.decision.host ? ` on ${e.decision.host}` : ""} ·{" "}
            <time dateTime={e.decision.at} title={e.decision.at}>
              {whenText(e.decision.at, now)}
            </time>
            {e.decision.reason ? <span className="esc-reason-text"> — {e.decision.reason}</span> : null}
          </p>
          {e.deliveries.length > 0 ? (
            <ul className="esc-deliveries" aria-label="Delivery to each agent">
              {e.deliveries.map((d) => {
                const name = nameOf(names, d.agent_id);
                return (
                  <li
                    key={d.agent_id}
                    className={`esc-delivery esc-delivery--${d.state}`}
                    data-testid="delivery-state"
                    data-agent={name}
                    data-agent-id={d.agent_id}
                    data-state={d.state}
                    title={d.last_error ?? undefined}
                  >
                    <span className="esc-delivery-agent">{name}</span>
                    <span className="esc-delivery-state">{deliveryText(d, now)}</span>
                    {d.state === "retrying" ? (
                      <span className="muted small"> · next try {whenText(d.next_attempt_at, now)}</span>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          ) : e.decision.action !== "snooze" && e.decision.action !== "expire" ? (
            <p className="muted small">Nothing to deliver: no agent to tell.</p>
          ) : null}
        </div>
      ) : null}

      {e.kind === "parallel_edit" ? (
        <ParallelForecast key={`parallel-${e.id}`} escalationId={e.id} findingId={e.finding_id} now={now} subscribe={subscribe} />
      ) : null}

      <GroupResources key={`group-${e.id}`} escalation={e} agentCount={e.agents.length} />

      <EscalationActions key={`actions-${e.id}`} escalation={e} names={names} sessions={sessions} subagents={subagents} branches={branches} now={now} {...decision} />

      {limitedApi ? (
        <UsageEvidence
          key={`usage-${e.id}`}
          api={limitedApi.api}
          apiKey={limitedApi.key}
          escalationId={e.id}
          findingId={e.finding_id}
          names={names}
          subscribe={subscribe}
        />
      ) : null}

      <EvidenceTimeline key={`timeline-${e.id}`} escalation={e} names={names} subscribe={subscribe} />
    </section>
  );
}
