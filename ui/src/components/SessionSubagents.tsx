import type { SessionSummary } from "../bindings/SessionSummary";
import { leasePath, subagentLabel, subagentsWorkingText } from "../lib/sessions";
import { agoText } from "../lib/time";

/**
 * A coding session's subagents under its row: each a worker of its own, with its type and
 * number, whether it works, when it started, its last tool and the files it holds.
 */
export function SessionSubagents({ session, now }: { session: SessionSummary; now: number }) {
  const subagents = session.subagents ?? [];
  if (subagents.length === 0) return null;
  const working = subagentsWorkingText(session);
  return (
    <div className="small session-subagents" data-testid="session-subagents">
      <div className="muted">{working ?? `${subagents.length} subagent${subagents.length === 1 ? "" : "s"}, all stopped`}</div>
      <ul>
        {subagents.map((sub) => (
          <li key={sub.agent_id} data-testid="session-subagent" title={sub.name}>
            <span className={sub.stopped_at ? "muted" : undefined}>{subagentLabel(sub.name)}</span>
            <span className="muted">
              {" · "}
              {sub.stopped_at ? "stopped" : "working"}
              {" · started "}
              {agoText(sub.started_at, now)}
            </span>
            {sub.last_tool ? <span className="mono muted"> · {sub.last_tool}</span> : null}
            {sub.leases.length > 0 ? (
              <span className="mono">
                {" · holds "}
                {sub.leases.map((l) => leasePath(l, session.repo_root, session.repository)).join(", ")}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
