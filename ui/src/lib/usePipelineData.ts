// The Agents view's readiness, costs and prices: loaded when the view opens (with agents to
// show), then readiness and costs again when the agent rows change (they change on every poll's
// health: at most once every 5 s) and every 30 s whatever happens ("today" moves on by itself).
// Prices change only by the user's hand: loaded once, then replaced by each edit's answer. An
// edit's answer wins over a reload that was already under way.

import { useCallback, useEffect, useRef, useState } from "react";

import type { AgentCost } from "../bindings/AgentCost";
import type { Price } from "../bindings/Price";
import type { Readiness } from "../bindings/Readiness";
import { agentCosts, prices as loadPrices, readiness as loadReadiness, toBackendError } from "./backend";
import { useCoalescedRefresh } from "./useCoalescedRefresh";

/** Minimum gap between reloads caused by the agent rows changing. */
export const AGENTS_THROTTLE_MS = 5_000;
/** Reload this often while the view is open. */
export const PIPELINE_POLL_MS = 30_000;

export interface Loaded<T> {
  /** null until the first load succeeds. */
  value: T | null;
  /** The last load's failure (the value, if any, is from an earlier one). */
  error: string | null;
}

export interface PipelineData {
  readiness: Loaded<Readiness[]>;
  costs: Loaded<AgentCost[]>;
  prices: Loaded<Price[]>;
  /** An edit's answer: everyone's readiness under the new thresholds. */
  setReadiness(list: Readiness[]): void;
  /** An edit's answer: every agent's costs with the new budget. */
  setCosts(list: AgentCost[]): void;
  /** An edit's answer: the prices in force. */
  setPrices(list: Price[]): void;
  /** Reloads readiness and costs now. */
  refresh(): Promise<void>;
  reloadPrices(): Promise<void>;
}

const empty = <T>(): Loaded<T> => ({ value: null, error: null });

/** Milliseconds to wait before a throttled reload, the last one having started at `lastStart`. */
export function throttleWait(lastStart: number, now: number, gap: number): number {
  return Math.max(0, lastStart + gap - now);
}

export function usePipelineData(agents: unknown, enabled: boolean): PipelineData {
  const [readiness, setReadinessState] = useState<Loaded<Readiness[]>>(empty);
  const [costs, setCostsState] = useState<Loaded<AgentCost[]>>(empty);
  const [prices, setPricesState] = useState<Loaded<Price[]>>(empty);
  const alive = useRef(true);
  const lastStart = useRef(0);
  const timer = useRef<number | null>(null);
  // Bumped by each edit's answer: a reload started before it must not overwrite it.
  const edits = useRef({ readiness: 0, costs: 0, prices: 0 });

  const loadOnce = useCallback(async () => {
    lastStart.current = Date.now();
    const before = { ...edits.current };
    const [r, c] = await Promise.allSettled([loadReadiness(), agentCosts()]);
    if (!alive.current) return;
    if (edits.current.readiness === before.readiness) {
      setReadinessState((s) =>
        r.status === "fulfilled" ? { value: r.value, error: null } : { value: s.value, error: toBackendError(r.reason).message },
      );
    }
    if (edits.current.costs === before.costs) {
      setCostsState((s) =>
        c.status === "fulfilled" ? { value: c.value, error: null } : { value: s.value, error: toBackendError(c.reason).message },
      );
    }
  }, []);

  const refresh = useCoalescedRefresh(loadOnce, alive);

  const reloadPrices = useCallback(async () => {
    const before = edits.current.prices;
    try {
      const list = await loadPrices();
      if (alive.current && edits.current.prices === before) setPricesState({ value: list, error: null });
    } catch (err) {
      if (alive.current && edits.current.prices === before) {
        setPricesState((s) => ({ value: s.value, error: toBackendError(err).message }));
      }
    }
  }, []);

  useEffect(() => {
    if (!enabled) return;
    alive.current = true;
    void refresh();
    void reloadPrices();
    const id = window.setInterval(() => void refresh(), PIPELINE_POLL_MS);
    return () => {
      alive.current = false;
      window.clearInterval(id);
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = null;
    };
  }, [enabled, refresh, reloadPrices]);

  // The agent rows changed (a poll, an agent added or removed): reload, throttled.
  const seen = useRef(agents);
  useEffect(() => {
    if (seen.current === agents) return;
    seen.current = agents;
    if (!enabled || timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      void refresh();
    }, throttleWait(lastStart.current, Date.now(), AGENTS_THROTTLE_MS));
  }, [agents, enabled, refresh]);

  const setReadiness = useCallback((list: Readiness[]) => {
    edits.current.readiness += 1;
    setReadinessState({ value: list, error: null });
  }, []);
  const setCosts = useCallback((list: AgentCost[]) => {
    edits.current.costs += 1;
    setCostsState({ value: list, error: null });
  }, []);
  const setPrices = useCallback((list: Price[]) => {
    edits.current.prices += 1;
    setPricesState({ value: list, error: null });
    // Prices change what everything cost: reload the costs under them.
    void refresh();
  }, [refresh]);

  return { readiness, costs, prices, setReadiness, setCosts, setPrices, refresh, reloadPrices };
}
