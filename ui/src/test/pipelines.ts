// Readiness, cost and price fixtures for the Agents view's tests.

import type { AgentCost } from "../bindings/AgentCost";
import type { CostBreakdown } from "../bindings/CostBreakdown";
import type { Price } from "../bindings/Price";
import type { Readiness } from "../bindings/Readiness";
import type { TaskCost } from "../bindings/TaskCost";

export const THRESHOLDS = { days: 28, approval_percent: 85, max_failure_percent: 10, poll_health_percent: 95 };

/** Not ready: 19 of 28 days, approval 81 % (of 21 decided). */
export function readiness(agentId: number, extra: Partial<Readiness> = {}): Readiness {
  return {
    agent_id: agentId,
    ready: false,
    stable_days: 19,
    days_needed: 28,
    approval_percent: 81.4,
    decided: 21,
    open_conflicts: 0,
    failure_percent: 4.2,
    poll_health_percent: 99.6,
    missing: ["19 of 28 days", "approval 81 %"],
    summary: "19 of 28 days; approval 81 %",
    thresholds: THRESHOLDS,
    ...extra,
  };
}

export function ready(agentId: number, extra: Partial<Readiness> = {}): Readiness {
  return readiness(agentId, { ready: true, stable_days: 30, approval_percent: 92, missing: [], summary: "ready", ...extra });
}

export function breakdown(usd: number, extra: Partial<CostBreakdown> = {}): CostBreakdown {
  return {
    usd,
    tokens: usd > 0 ? 12_000 : 0,
    unpriced_tokens: 0,
    upper_bound: false,
    by_model:
      usd > 0
        ? [{ api: "openai", model: "gpt-4o", tokens: { input: 9_000, output: 3_000, unsplit: 0 }, usd, default_price: true }]
        : [],
    ...extra,
  };
}

/** Spent `today` dollars today, and a little on each of the six days before (UTC). */
export function agentCost(agentId: number, today: number, budget: number | null = null, extra: Partial<AgentCost> = {}): AgentCost {
  const days = ["2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21"];
  return {
    agent_id: agentId,
    today: breakdown(today),
    days: days.map((day, i) => ({ day, usd: i === 6 ? today : i * 0.5, tokens: i * 1_000 })),
    daily_budget_usd: budget,
    ...extra,
  };
}

export function price(api: string, model: string | null, input: number, output: number, isDefault = false): Price {
  return { api, model, input_per_1k: input, output_per_1k: output, default: isDefault };
}

export function taskCost(agentId: number, taskId: string, calls: number, cost: CostBreakdown): TaskCost {
  return { agent_id: agentId, task_id: taskId, calls, cost };
}
