// The agents tables' readiness and "today" cells (the Agents view's sections show the detail).

import type { AgentCost } from "../bindings/AgentCost";
import type { Readiness } from "../bindings/Readiness";
import { budgetState, costText, formatUsd, unpricedText } from "../lib/costs";
import { readinessBadge } from "../lib/readiness";

/** "Ready" / "Not ready" (what is missing in its title); "–" before readiness is known. */
export function ReadinessCell({ readiness }: { readiness: Readiness | undefined }) {
  const badge = readinessBadge(readiness);
  return (
    <td data-testid="agent-readiness">
      <span className={`readiness-badge readiness-badge--${badge.tone}`} title={badge.title}>
        {badge.text}
      </span>
      {readiness && !readiness.ready ? (
        <div className="muted small readiness-cell-missing" title={readiness.summary}>
          {readiness.summary}
        </div>
      ) : null}
    </td>
  );
}

/**
 * Today's dollars ("≤" when some tokens had no split), unpriced tokens, and the budget's state;
 * "—" (as the tables say nothing elsewhere) while nothing is known yet or nothing was used.
 */
export function TodayCostCell({ cost, loading }: { cost: AgentCost | undefined; loading: boolean }) {
  if (!cost) return <NothingToday why={loading ? "Loading today's cost…" : "Today's cost is not known"} />;
  const budget = budgetState(cost.today.usd, cost.daily_budget_usd, cost.today.upper_bound);
  if (cost.today.tokens === 0 && budget.level === "none") return <NothingToday why="No API calls today" />;
  const unpriced = unpricedText(cost.today.unpriced_tokens);
  return (
    <td className={`num cost-today cost-today--${budget.level}`} data-testid="agent-cost-today">
      <div
        className="nowrap"
        title={cost.today.upper_bound ? "Some tokens came without an input/output split and were priced at the dearer rate: at most this much" : undefined}
      >
        {costText(cost.today)}
      </div>
      {budget.level !== "none" ? (
        <div className="small nowrap cost-today-budget" title={budget.text}>
          {budget.level === "over" ? "over budget" : `of ${formatUsd(cost.daily_budget_usd ?? 0)}`}
        </div>
      ) : null}
      {unpriced ? (
        <div className="small nowrap cost-unpriced" title="No price for their API or model: add one in the price table">
          {unpriced}
        </div>
      ) : null}
    </td>
  );
}

function NothingToday({ why }: { why: string }) {
  return (
    <td className="num muted" data-testid="agent-cost-today" title={why}>
      —
    </td>
  );
}
