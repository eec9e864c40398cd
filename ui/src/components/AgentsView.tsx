import { useState } from "react";

import type { AdapterKind } from "../bindings/AdapterKind";
import type { AgentConfig } from "../bindings/AgentConfig";
import type { AgentCost } from "../bindings/AgentCost";
import type { AgentRow } from "../bindings/AgentRow";
import type { Readiness } from "../bindings/Readiness";
import type { SecretsStatus } from "../bindings/SecretsStatus";
import { ADAPTER_LABEL } from "../lib/adapters";
import { agentNames, countsText, sortAgents, totalTasks } from "../lib/agents";
import { removeAgent, toBackendError } from "../lib/backend";
import { useNow } from "../lib/clock";
import { healthText, lastErrorText, lastSuccessText } from "../lib/health";
import { mayChange, useRights } from "../lib/rights";
import { splitAgentRows } from "../lib/sessions";
import { readinessByAgent } from "../lib/readiness";
import { humanMs } from "../lib/time";
import { usePipelineData } from "../lib/usePipelineData";
import { ReadinessCell, TodayCostCell } from "./AgentPipelineCells";
import { CostsSection } from "./CostsSection";
import { A2aDetails } from "./FollowTask";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";
import { ReadinessCards } from "./ReadinessCards";
import { SessionsTable } from "./SessionsTable";
import { TableHead } from "./TableHead";
import { WatchSessionsDialog } from "./WatchSessionsDialog";

export function AgentsView({
  agents,
  secrets,
  onAdd,
  onEdit,
  onRemoved,
}: {
  agents: AgentRow[];
  secrets: SecretsStatus | null;
  onAdd: () => void;
  onEdit: (agent: AgentConfig) => void;
  onRemoved: () => void;
}) {
  const [removing, setRemoving] = useState<AgentConfig | null>(null);
  const [watching, setWatching] = useState(false);
  const now = useNow();
  const { polled, sessions, archived } = splitAgentRows(agents, now);
  const rows = sortAgents(polled);
  const up = polled.filter((a) => a.health.reachability === "up").length;
  const down = polled.filter((a) => a.health.reachability === "down").length;
  const sessionCount = sessions.length + archived.length;
  // Readiness (polled agents) and costs (everyone), reloaded as the rows change.
  const pipeline = usePipelineData(agents, agents.length > 0);
  const names = agentNames(agents);
  const readinessOf = readinessByAgent(pipeline.readiness.value);
  const costOf = new Map((pipeline.costs.value ?? []).map((c) => [c.agent_id, c]));
  const costsLoading = pipeline.costs.value === null && pipeline.costs.error === null;
  const polledIds = rows.map((r) => r.config.id);
  const may = mayChange(useRights());

  return (
    <section className="view agents-view" aria-labelledby="agents-title">
      <header className="view-header">
        <h1 id="agents-title">Agents</h1>
        <span className="view-sub">
          {[
            polled.length > 0 || sessionCount === 0
              ? `${polled.length} configured · ${up} up${down > 0 ? ` · ${down} down` : ""}`
              : null,
            sessionCount > 0 ? `${sessionCount} coding session${sessionCount === 1 ? "" : "s"}` : null,
          ]
            .filter(Boolean)
            .join(" · ")}
        </span>
        <span className="spacer" />
        <button type="button" className="button" data-testid="watch-sessions" onClick={() => setWatching(true)} {...may}>
          Watch coding sessions…
        </button>
        <button type="button" className="button button--primary" data-testid="add-agent" onClick={onAdd} {...may}>
          Add agent
        </button>
      </header>

      {secrets?.warning ? (
        <div className="banner banner--warning" role="alert" data-testid="secrets-warning">
          <strong>Tokens are not stored safely.</strong> {secrets.warning}
        </div>
      ) : null}

      {rows.length === 0 && sessionCount === 0 ? (
        <div className="empty-state" data-testid="agents-empty">
          <p>
            No agents yet. Add an HTTP agent by its base URL (Baton polls it at once), or watch coding sessions in a
            repository (each session shows here when it starts).
          </p>
          <div className="empty-state-actions">
            <button type="button" className="button button--primary" onClick={onAdd} {...may}>
              Add an agent
            </button>
            <button type="button" className="button" onClick={() => setWatching(true)} {...may}>
              Watch coding sessions…
            </button>
          </div>
        </div>
      ) : rows.length === 0 ? null : (
        <div className="table-wrap">
          <table className="agents-table">
            <TableHead
              columns={[
                "Agent",
                { text: "Endpoint", fold: true },
                "Health",
                { num: "Failures", fold: true },
                { text: "Last error", fold: true },
                { num: "Tasks", fold: true },
                "Readiness",
                { num: "Today" },
              ]}
              actions
            />
            <tbody>
              {rows.map((row) => (
                <AgentTableRow
                  key={row.config.id}
                  row={row}
                  readiness={readinessOf.get(row.config.id)}
                  cost={costOf.get(row.config.id)}
                  costsLoading={costsLoading}
                  onEdit={() => onEdit(row.config)}
                  onRemove={() => setRemoving(row.config)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}

      {sessionCount > 0 ? (
        <SessionsTable
          sessions={sessions}
          archived={archived}
          onRemove={setRemoving}
          costs={costOf}
          costsLoading={costsLoading}
        />
      ) : null}

      {rows.length > 0 ? (
        <ReadinessCards
          readiness={pipeline.readiness}
          order={polledIds}
          names={names}
          onSaved={pipeline.setReadiness}
          onRetry={() => void pipeline.refresh()}
        />
      ) : null}
      {rows.length > 0 || sessionCount > 0 ? (
        <CostsSection
          costs={pipeline.costs}
          prices={pipeline.prices}
          order={[...polledIds, ...sessions.map((r) => r.config.id), ...archived.map((r) => r.config.id)]}
          names={names}
          quiet={new Set(archived.map((r) => r.config.id))}
          onCostsSaved={pipeline.setCosts}
          onPricesSaved={pipeline.setPrices}
          onRetry={() => {
            void pipeline.refresh();
            void pipeline.reloadPrices();
          }}
        />
      ) : null}

      {watching ? <WatchSessionsDialog onClose={() => setWatching(false)} /> : null}

      {removing ? (
        <ConfirmRemove
          agent={removing}
          onCancel={() => setRemoving(null)}
          onDone={() => {
            setRemoving(null);
            onRemoved();
          }}
        />
      ) : null}
    </section>
  );
}

function AgentTableRow({
  row,
  readiness,
  cost,
  costsLoading,
  onEdit,
  onRemove,
}: {
  row: AgentRow;
  readiness: Readiness | undefined;
  cost: AgentCost | undefined;
  costsLoading: boolean;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const now = useNow();
  const may = mayChange(useRights());
  const { config, health } = row;
  const remote = [row.remote_id, row.remote_version ? `v${row.remote_version.replace(/^v/, "")}` : null]
    .filter(Boolean)
    .join(" · ");
  const total = totalTasks(row.task_counts);
  return (
    <tr data-testid="agent-row" data-agent-name={config.name} data-agent-id={config.id}>
      <td>
        <div className="agent-cell">
          <span
            className={`dot dot--${health.reachability}`}
            role="img"
            aria-label={health.reachability}
            title={health.reachability}
          />
          <div className="agent-cell-text">
            <span className="agent-name">{config.name}</span>
            <span className="agent-remote muted">
              {remote || "no status yet"}
              <ProtocolBadge adapter={config.adapter} />
              {config.has_token ? <span className="tag">token</span> : null}
            </span>
            {row.a2a ? <A2aDetails agentId={config.id} agentName={config.name} a2a={row.a2a} /> : null}
          </div>
        </div>
      </td>
      <td className="col-fold">
        <div className="mono url" title={config.base_url}>
          {config.base_url}
        </div>
        <div className="muted small nowrap">
          every {humanMs(config.poll_interval_ms)} · timeout {humanMs(config.timeout_ms)}
        </div>
      </td>
      <td className="health-cell">
        <div className={`health health--${health.reachability}`} data-testid="agent-health">
          {healthText(health, now)}
        </div>
        <div className="muted small" data-testid="agent-last-success">
          {health.last_success_at
            ? `last success ${lastSuccessText(health, now)}`
            : "no successful poll yet"}
        </div>
        {/* What the folded columns say, in a narrow window. */}
        <div className="fold-detail muted small">
          <div className="mono url" title={config.base_url}>
            {config.base_url}
          </div>
          {health.last_error ? <div title={health.last_error}>{lastErrorText(health, now)}</div> : null}
        </div>
      </td>
      <td className={`num col-fold ${health.consecutive_failures > 0 ? "text-bad" : "muted"}`}>
        {health.consecutive_failures}
      </td>
      <td className="last-error col-fold" title={health.last_error ?? undefined}>
        {lastErrorText(health, now)}
      </td>
      <td className="num col-fold" title={countsText(row.task_counts)}>
        {total}
      </td>
      <ReadinessCell readiness={readiness} />
      <TodayCostCell cost={cost} loading={costsLoading} />
      <td className="actions">
        <button type="button" className="button button--small" onClick={onEdit} aria-label={`Edit ${config.name}`} {...may}>
          Edit
        </button>
        <button
          type="button"
          className="button button--small button--danger-ghost"
          onClick={onRemove}
          {...may}
          aria-label={`Remove ${config.name}`}
          data-testid="agent-remove"
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

/** The protocol an agent speaks, when it is not Baton's own (baton/1 goes without saying). */
function ProtocolBadge({ adapter }: { adapter: AdapterKind }) {
  if (adapter === "baton") return null;
  return (
    <span className="tag" data-testid="agent-protocol-badge" title={`Speaks ${ADAPTER_LABEL[adapter]}`}>
      {ADAPTER_LABEL[adapter]}
    </span>
  );
}

function ConfirmRemove({
  agent,
  onCancel,
  onDone,
}: {
  agent: AgentConfig;
  onCancel: () => void;
  onDone: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await removeAgent(agent.id);
      onDone();
    } catch (thrown) {
      setError(toBackendError(thrown).message);
      setBusy(false);
    }
  };
  return (
    <Modal title={`Remove ${agent.name}?`} onClose={onCancel} initialFocus="[data-autofocus]" testId="confirm-remove">
      <div className="modal-body">
        {agent.adapter === "session" ? (
          <p>
            Baton forgets this coding session, its turns and the files it holds. The session itself is not touched;
            if it calls Baton&apos;s hooks again, it comes back as a new agent.
          </p>
        ) : agent.adapter === "otlp" ? (
          <p>
            Baton forgets this agent, its runs and calls. The agent itself is not touched; if it sends spans to
            Baton again, it comes back as a new agent.
          </p>
        ) : (
          <p>
            Baton stops polling <span className="mono">{agent.base_url}</span>
            {agent.has_token ? " and deletes its stored token" : ""}. The agent itself is not touched.
          </p>
        )}
        <FormError error={error} />
      </div>
      <ModalActions onCancel={onCancel} cancelAutoFocus>
        <button
          type="button"
          className="button button--danger"
          onClick={confirm}
          disabled={busy}
          data-testid="agent-remove-confirm"
        >
          {busy ? "Removing…" : "Remove agent"}
        </button>
      </ModalActions>
    </Modal>
  );
}
