// The task drawer's "Cost" field: what the task's API calls cost (dollars, calls, tokens), a
// line per API and model when there are several.

import type { TaskCost } from "../bindings/TaskCost";
import { costText, countText, modelLine, tokenSplit, tokensText, unpricedText } from "../lib/costs";

export type TaskCostState =
  | { state: "loading" }
  | { state: "ready"; cost: TaskCost }
  | { state: "error"; message: string };

export function TaskCostValue({ cost }: { cost: TaskCostState }) {
  if (cost.state === "loading") {
    return (
      <dd className="muted" data-testid="task-cost" data-state="loading">
        loading…
      </dd>
    );
  }
  if (cost.state === "error") {
    return (
      <dd className="text-bad small" data-testid="task-cost" data-state="error">
        Could not load its cost: {cost.message}
      </dd>
    );
  }
  const { calls, cost: c } = cost.cost;
  if (calls === 0 && c.tokens === 0) {
    return (
      <dd className="muted" data-testid="task-cost" data-state="none">
        no API calls recorded
      </dd>
    );
  }
  const unpriced = unpricedText(c.unpriced_tokens);
  return (
    <dd data-testid="task-cost" data-state="ready">
      <div>
        <strong className="task-cost-usd" title={c.upper_bound ? "Some tokens came without an input/output split and were priced at the dearer rate: at most this much" : undefined}>
          {costText(c)}
        </strong>
        <span className="muted">
          {" "}
          · {countText(calls)} call{calls === 1 ? "" : "s"} · {countText(c.tokens)} tokens ({tokensText(tokenSplit(c))})
        </span>
      </div>
      {unpriced ? <div className="small cost-unpriced">{unpriced}: no price for their API or model</div> : null}
      {c.by_model.length > 1 ? (
        <ul className="task-cost-models">
          {c.by_model.map((m) => (
            <li key={`${m.api}\u0000${m.model ?? ""}`} className="small" data-testid="task-cost-model">
              {modelLine(m)}
            </li>
          ))}
        </ul>
      ) : null}
    </dd>
  );
}
