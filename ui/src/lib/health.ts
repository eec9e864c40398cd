// How an agent's health reads in the Agents view.

import type { AgentHealth } from "../bindings/AgentHealth";
import { agoText } from "./time";

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * One line for a person:
 * - "up · 12 ms · last poll 3s ago"
 * - "down · 3 failures · timed out after 1.5 s"
 * - "unknown · not polled yet"
 */
export function healthText(health: AgentHealth, now: number): string {
  const parts: string[] = [health.reachability];
  switch (health.reachability) {
    case "up": {
      if (health.latency_ms !== null) parts.push(`${health.latency_ms} ms`);
      const lastPoll = health.last_attempt_at ?? health.last_success_at;
      if (lastPoll) parts.push(`last poll ${agoText(lastPoll, now)}`);
      if (health.consecutive_failures > 0) {
        parts.push(plural(health.consecutive_failures, "failure", "failures"));
      }
      break;
    }
    case "down": {
      parts.push(plural(health.consecutive_failures, "failure", "failures"));
      if (health.last_error) parts.push(health.last_error);
      break;
    }
    case "unknown": {
      if (health.last_attempt_at) {
        parts.push(`last poll ${agoText(health.last_attempt_at, now)}`);
      } else {
        parts.push("not polled yet");
      }
      break;
    }
  }
  return parts.join(" · ");
}

/** "3s ago" for the last successful poll, "never" before the first. */
export function lastSuccessText(health: AgentHealth, now: number): string {
  return agoText(health.last_success_at, now);
}

/** The last error with when it happened, or an em dash. */
export function lastErrorText(health: AgentHealth, now: number): string {
  if (!health.last_error) return "—";
  return health.last_error_at
    ? `${health.last_error} (${agoText(health.last_error_at, now)})`
    : health.last_error;
}
