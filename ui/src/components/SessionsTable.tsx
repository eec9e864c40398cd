import { Fragment, useState } from "react";

import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentCost } from "../bindings/AgentCost";
import type { AgentRow } from "../bindings/AgentRow";
import type { SessionSummary } from "../bindings/SessionSummary";
import { countsText, totalTasks } from "../lib/agents";
import { useNow } from "../lib/clock";
import {
  CLIENT_LABEL,
  groupSessions,
  leasePath,
  leaseText,
  onSeveralMachines,
  sessionPhase,
  sessionPhaseText,
} from "../lib/sessions";
import { formatUsd } from "../lib/costs";
import { agoText } from "../lib/time";
import { mayChange, useRights } from "../lib/rights";
import { TodayCostCell } from "./AgentPipelineCells";
import { SessionSubagents } from "./SessionSubagents";
import { TableHead } from "./TableHead";

const NO_COSTS: ReadonlyMap<number, AgentCost> = new Map();
/** The table's columns, the actions' included (a group's heading spans them). */
const COLUMNS = 7;

const countText = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/**
 * The Agents view's coding sessions: heard through their hooks, apart from the agents Baton polls,
 * grouped by repository (every worktree and clone of it), then by checkout folder and branch.
 */
export function SessionsTable({
  sessions,
  archived,
  onRemove,
  costs = NO_COSTS,
  costsLoading = false,
}: {
  sessions: AgentRow[];
  archived: AgentRow[];
  onRemove: (agent: AgentConfig) => void;
  /** What each session's calls cost today, by agent id. */
  costs?: ReadonlyMap<number, AgentCost>;
  costsLoading?: boolean;
}) {
  const [showArchived, setShowArchived] = useState(false);
  const rows = showArchived ? [...sessions, ...archived] : sessions;
  const machines = onSeveralMachines(rows);
  return (
    <section className="sessions-group" aria-labelledby="sessions-title" data-testid="sessions-group">
      <header className="group-header">
        <h2 id="sessions-title">Coding sessions</h2>
        <span className="muted small">
          Claude Code, Codex, Copilot CLI, Gemini CLI and OpenCode sessions, heard through their hooks (
          <span className="mono">baton hooks install</span>)
        </span>
        <span className="spacer" />
        {archived.length > 0 ? (
          <button
            type="button"
            className="button button--small button--ghost"
            aria-pressed={showArchived}
            onClick={() => setShowArchived((shown) => !shown)}
            data-testid="sessions-archived-toggle"
          >
            {showArchived ? "Hide archived sessions" : `Show ${archived.length} archived`}
          </button>
        ) : null}
      </header>
      {rows.length === 0 ? (
        <p className="muted">No session has called in the last day.</p>
      ) : (
        <div className="table-wrap">
          <table className="agents-table sessions-table">
            <TableHead columns={["Session", "Turn", "Files held", "Last call", { num: "Turns" }, { num: "Today" }]} actions />
            {groupSessions(rows).map((group) => (
              <tbody key={group.key} data-testid="session-repository" data-repository={group.identity ?? undefined}>
                <tr className="session-repo-row">
                  <th colSpan={COLUMNS} scope="rowgroup">
                    <span className="session-repo-name" title={group.identity ?? undefined} data-testid="session-repository-name">
                      {group.name}
                    </span>
                    <span className="muted small">
                      {" "}
                      {countText(group.worktrees.length, "checkout")} ·{" "}
                      {countText(
                        group.worktrees.reduce((n, w) => n + w.rows.length, 0),
                        "session",
                      )}
                    </span>
                  </th>
                </tr>
                {group.worktrees.map((worktree) => (
                  <Fragment key={worktree.key}>
                    <tr className="session-worktree-row" data-testid="session-worktree" data-branch={worktree.branch ?? undefined}>
                      <th colSpan={COLUMNS} scope="rowgroup">
                        <span className="mono" title={worktree.root ?? undefined}>
                          {worktree.folder}
                        </span>
                        {worktree.branch ? (
                          <span className="tag tag--branch" title="branch">
                            {worktree.branch}
                          </span>
                        ) : (
                          <span className="muted small"> no branch</span>
                        )}
                        {machines && worktree.host ? (
                          <span className="muted small" data-testid="session-host" title="the machine its hooks run on">
                            {" "}
                            on {worktree.host}
                          </span>
                        ) : null}
                      </th>
                    </tr>
                    {worktree.rows.map((row) =>
                      row.session ? (
                        <SessionRow
                          key={row.config.id}
                          row={row}
                          session={row.session}
                          cost={costs.get(row.config.id)}
                          costsLoading={costsLoading}
                          onRemove={() => onRemove(row.config)}
                        />
                      ) : null,
                    )}
                  </Fragment>
                ))}
              </tbody>
            ))}
          </table>
        </div>
      )}
    </section>
  );
}

function SessionRow({
  row,
  session,
  cost,
  costsLoading,
  onRemove,
}: {
  row: AgentRow;
  session: SessionSummary;
  cost: AgentCost | undefined;
  costsLoading: boolean;
  onRemove: () => void;
}) {
  const now = useNow();
  const phase = sessionPhase(session, now);
  const may = mayChange(useRights());
  const waiting = row.task_counts.needs_human > 0;
  return (
    <tr
      data-testid="session-row"
      data-agent-name={row.config.name}
      data-agent-id={row.config.id}
      data-phase={phase}
      className={phase === "live" ? undefined : "session-row--quiet"}
    >
      <td>
        <div className="agent-cell">
          <span
            className={`dot dot--${phase === "live" ? "up" : "unknown"}`}
            role="img"
            aria-label={phase}
            title={phase}
          />
          <div className="agent-cell-text">
            <span className="agent-name">{row.config.name}</span>
            <span className="agent-remote muted">
              <span className="tag">{CLIENT_LABEL[session.client] ?? session.client}</span>
            </span>
          </div>
        </div>
      </td>
      <td className="session-turn">
        <div className="session-prompt" title={session.prompt ?? undefined}>
          {waiting ? (
            <span className="tag tag--warn" data-testid="session-waiting">
              waiting for you
            </span>
          ) : null}
          {session.prompt ?? <span className="muted">no prompt yet</span>}
        </div>
        <div className="muted small mono session-tool" title={session.last_tool ?? undefined}>
          {session.last_tool ?? "no tool called"}
        </div>
        {session.usage ? <SessionUsageLine usage={session.usage} /> : null}
        {session.base_line ? (
          <div
            className={`small session-base${session.base?.forecast.outcome === "conflicts" ? " session-base--conflicts" : " muted"}`}
            data-testid="session-base"
          >
            {session.base_line}
          </div>
        ) : null}
        <SessionSubagents session={session} now={now} />
      </td>
      <td>
        {session.leases.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ul className="session-leases">
            {session.leases.map((lease) => (
              <li key={lease.resource} data-testid="session-lease" title={lease.resource}>
                <span className="mono">{leasePath(lease, session.repo_root, session.repository)}</span>
                <span className="muted small"> {leaseText(lease, now)}</span>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <div className="nowrap">{agoText(session.last_seen_at, now)}</div>
        <div className="muted small nowrap" data-testid="session-phase">
          {sessionPhaseText(session, now)}
        </div>
      </td>
      <td className="num" title={countsText(row.task_counts)}>
        {totalTasks(row.task_counts)}
      </td>
      <TodayCostCell cost={cost} loading={costsLoading} />
      <td className="actions">
        <button
          type="button"
          className="button button--small button--danger-ghost"
          onClick={onRemove}
          aria-label={`Remove ${row.config.name}`}
          data-testid="agent-remove"
          {...may}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

/** "12,345 tokens today · $0.04": a session's usage today, read from its client's records. */
function SessionUsageLine({ usage }: { usage: NonNullable<SessionSummary["usage"]> }) {
  const t = usage.today;
  const tokens = t.input + t.output + t.cache_read + t.cache_write;
  const cost = usage.today_usd === null ? "no price" : formatUsd(usage.today_usd);
  // The client's own price of each response (its telemetry), else Baton's table's.
  const clientPriced = usage.models.length > 0 && usage.models.every((m) => m.client_priced);
  const pricedBy = clientPriced ? "; the cost is the client's own figure" : "";
  const title = `today: ${t.input} input, ${t.output} output, ${t.cache_read} cache read, ${t.cache_write} cache written tokens${pricedBy}`;
  return (
    <div className="muted small session-usage" data-testid="session-usage" title={title}>
      {tokens.toLocaleString("en-US")} tokens today · {cost}
    </div>
  );
}
