// The Agents view's "Costs": what each agent's (and session's) API calls cost today and on each
// of the last 7 UTC days, against its daily budget (set inline: "Set budget…"), then the price
// table the dollars come from.

import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import type { AgentCost } from "../bindings/AgentCost";
import type { Price } from "../bindings/Price";
import { nameOf } from "../lib/agents";
import { setDailyBudget, toBackendError } from "../lib/backend";
import { mayChange, useRights } from "../lib/rights";
import {
  budgetInput,
  budgetState,
  checkBudget,
  costText,
  countText,
  dayBars,
  formatUsd,
  unpricedText,
  weekTotal,
} from "../lib/costs";
import type { Loaded } from "../lib/usePipelineData";
import { sentence } from "../lib/validation";
import { LoadState } from "./LoadState";
import { PriceTable } from "./PriceTable";
import { TableHead } from "./TableHead";

export function CostsSection({
  costs,
  prices,
  order,
  names,
  quiet,
  onCostsSaved,
  onPricesSaved,
  onRetry,
}: {
  costs: Loaded<AgentCost[]>;
  prices: Loaded<Price[]>;
  /** Agent ids in the view's order: the polled agents, then the coding sessions. */
  order: readonly number[];
  names: ReadonlyMap<number, string>;
  /** Archived sessions: listed only when they spent something this week or have a budget. */
  quiet: ReadonlySet<number>;
  onCostsSaved(list: AgentCost[]): void;
  onPricesSaved(list: Price[]): void;
  onRetry(): void;
}) {
  const list = costs.value;
  const byId = new Map((list ?? []).map((c) => [c.agent_id, c]));
  const rows = order
    .map((id) => byId.get(id))
    .filter((c): c is AgentCost => c !== undefined)
    .filter((c) => !quiet.has(c.agent_id) || c.daily_budget_usd !== null || weekTotal(c.days) > 0 || c.today.tokens > 0);

  return (
    <section className="pipelines-section" aria-labelledby="costs-title" data-testid="costs-section">
      <header className="group-header">
        <h2 id="costs-title">Costs</h2>
        <span className="muted small">Today and the last 7 days (UTC), from the agents&apos; API calls priced with the table below</span>
      </header>
      <LoadState
        loaded={costs}
        what="the costs"
        loading="Loading costs…"
        errorTestId="costs-error"
        onRetry={onRetry}
        empty={rows.length === 0}
        emptyText="No agent to show costs for."
      >
        <div className="table-wrap">
          <table className="agents-table costs-table">
            <TableHead columns={["Agent", { num: "Today" }, "Last 7 days", "Daily budget"]} />
            <tbody>
              {rows.map((c) => (
                <CostRow key={c.agent_id} cost={c} name={nameOf(names, c.agent_id)} onSaved={onCostsSaved} />
              ))}
            </tbody>
          </table>
        </div>
      </LoadState>
      <PriceTable prices={prices} onSaved={onPricesSaved} />
    </section>
  );
}

function CostRow({ cost, name, onSaved }: { cost: AgentCost; name: string; onSaved(list: AgentCost[]): void }) {
  const bars = dayBars(cost.days);
  const unpriced = unpricedText(cost.today.unpriced_tokens);
  const spark = bars.map((b) => `${b.label} ${formatUsd(b.usd)}`).join(", ");
  return (
    <tr data-testid="cost-row" data-agent-id={cost.agent_id} data-agent-name={name}>
      <td>
        <span className="agent-name">{name}</span>
      </td>
      <td className="num">
        <div className="nowrap" data-testid="cost-today">
          {costText(cost.today)}
        </div>
        <div className="muted small nowrap">{countText(cost.today.tokens)} tokens</div>
        {unpriced ? <div className="small nowrap cost-unpriced">{unpriced}</div> : null}
      </td>
      <td>
        <div className="cost-week">
          <div className="cost-spark" role="img" aria-label={`Last 7 days: ${spark}`} data-testid="cost-spark">
            {bars.map((b, i) => (
              <span
                key={b.day}
                className={`cost-spark-bar${i === bars.length - 1 ? " cost-spark-bar--today" : ""}${b.usd > 0 ? "" : " cost-spark-bar--none"}`}
                style={{ height: `${Math.round(b.height * 100)}%` }}
                title={`${b.label}: ${formatUsd(b.usd)} · ${countText(b.tokens)} tokens`}
              />
            ))}
          </div>
          <span className="muted small nowrap">{formatUsd(weekTotal(cost.days))} in 7 days</span>
        </div>
      </td>
      <td className="cost-budget-cell">
        <BudgetEditor cost={cost} name={name} onSaved={onSaved} />
      </td>
    </tr>
  );
}

function BudgetEditor({ cost, name, onSaved }: { cost: AgentCost; name: string; onSaved(list: AgentCost[]): void }) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const may = mayChange(useRights());
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const openRef = useRef<HTMLButtonElement>(null);
  const state = budgetState(cost.today.usd, cost.daily_budget_usd, cost.today.upper_bound);

  const open = () => {
    setText(budgetInput(cost.daily_budget_usd));
    setError(null);
    setEditing(true);
  };
  const close = () => {
    setEditing(false);
    setError(null);
    requestAnimationFrame(() => openRef.current?.focus());
  };
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (busy) return;
    const check = checkBudget(text);
    if (!check.ok) {
      setError(check.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSaved(await setDailyBudget(cost.agent_id, check.usd));
      close();
    } catch (thrown) {
      setError(toBackendError(thrown).message);
    } finally {
      setBusy(false);
    }
  };
  const onKey = (ev: KeyboardEvent<HTMLInputElement>) => {
    if (ev.key !== "Escape") return;
    ev.preventDefault();
    ev.stopPropagation();
    close();
  };

  if (editing) {
    const errorId = `${id}-error`;
    return (
      <form className="budget-form" onSubmit={(ev) => void submit(ev)} noValidate aria-label={`${name}'s daily budget`}>
        <div className={`field budget-field${error ? " field--invalid" : ""}`}>
          <div className="budget-input">
            <span aria-hidden="true">$</span>
            <input
              id={id}
              // The form was opened on purpose: its field takes focus.
              autoFocus
              inputMode="decimal"
              value={text}
              placeholder="no budget"
              aria-label={`Daily budget for ${name}, in dollars (empty: no budget)`}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : `${id}-hint`}
              readOnly={busy}
              onChange={(e) => {
                setText(e.target.value);
                setError(null);
              }}
              onKeyDown={onKey}
              data-testid="budget-input"
            />
            <button type="submit" className="button button--small button--primary" aria-disabled={busy || undefined} data-testid="budget-save">
              {busy ? "Saving…" : "Save"}
            </button>
            <button type="button" className="button button--small button--ghost" onClick={close}>
              Cancel
            </button>
          </div>
          {error ? (
            <p className="field-error" id={errorId} role="alert" data-testid="budget-error">
              {sentence(error)}
            </p>
          ) : (
            <p className="field-hint" id={`${id}-hint`}>
              Dollars a day (UTC); empty for no budget
            </p>
          )}
        </div>
      </form>
    );
  }

  return (
    <div className={`budget budget--${state.level}`} data-testid="budget" data-level={state.level}>
      <div className="budget-line">
        <span className={state.level === "none" ? "muted" : "nowrap"} data-testid="budget-text">
          {state.text}
        </span>
        {state.level === "over" ? <span className="tag tag--warn budget-over">over budget</span> : null}
        <button
          ref={openRef}
          type="button"
          className="button button--small button--ghost"
          onClick={open}
          aria-label={`Set ${name}'s daily budget`}
          data-testid="budget-edit" {...may}
        >
          Set budget…
        </button>
      </div>
      {state.level !== "none" ? (
        <div className="budget-meter" aria-hidden="true">
          <span style={{ width: `${Math.min(100, Math.round(state.ratio * 100))}%` }} />
        </div>
      ) : null}
    </div>
  );
}
