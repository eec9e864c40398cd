// The rate-limit ledger as the app holds it (the nav badge needs it everywhere): loaded once, then
// reloaded on `findings` and `agents_changed` events, on `ingested` events that brought events or
// usage (at most once every 2 s while the view is open, every 30 s otherwise), and every 10 s
// while the view is open (every minute otherwise: "the last hour" moves on by itself).

import { useCallback, useEffect, useRef, useState } from "react";

import type { ApiLedger } from "../bindings/ApiLedger";
import { rateLimits, toBackendError } from "./backend";
import type { ChangeListener } from "./useBatonData";
import { useCoalescedRefresh } from "./useCoalescedRefresh";

export const INGESTED_THROTTLE_MS = 2_000;
export const BACKGROUND_THROTTLE_MS = 30_000;
export const POLL_MS = 10_000;
export const BACKGROUND_POLL_MS = 60_000;

export interface RateLimits {
  /** null until the first load finishes. */
  list: ApiLedger[] | null;
  error: string | null;
  /** Counts the successful loads: what the panels reload their chart and heat map on. */
  version: number;
  /** When the list was loaded (ms; 0 before): the "now" of choices that should not flicker. */
  loadedAt: number;
  refresh(): Promise<void>;
}

export function useRateLimits(subscribe: (listener: ChangeListener) => () => void, active: boolean): RateLimits {
  const [list, setList] = useState<ApiLedger[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [loadedAt, setLoadedAt] = useState(0);
  const alive = useRef(true);
  const lastStart = useRef(0);
  const timer = useRef<number | null>(null);
  const activeRef = useRef(active);
  useEffect(() => {
    activeRef.current = active;
  }, [active]);

  const loadOnce = useCallback(async () => {
    lastStart.current = Date.now();
    try {
      const next = await rateLimits();
      if (!alive.current) return;
      setList(next);
      setLoadedAt(Date.now());
      setError(null);
      setVersion((v) => v + 1);
    } catch (err) {
      if (alive.current) setError(toBackendError(err).message);
    }
  }, []);

  const refresh = useCoalescedRefresh(loadOnce, alive);

  useEffect(() => {
    alive.current = true;
    void refresh();
    const throttled = () => {
      if (timer.current !== null) return;
      const gap = activeRef.current ? INGESTED_THROTTLE_MS : BACKGROUND_THROTTLE_MS;
      const wait = Math.max(0, lastStart.current + gap - Date.now());
      timer.current = window.setTimeout(() => {
        timer.current = null;
        void refresh();
      }, wait);
    };
    const off = subscribe((e) => {
      if (e.type === "findings" || e.type === "agents_changed") void refresh();
      else if (e.type === "ingested" && (e.new_events > 0 || e.new_usage > 0)) throttled();
    });
    return () => {
      alive.current = false;
      off();
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = null;
    };
  }, [refresh, subscribe]);

  useEffect(() => {
    const id = window.setInterval(() => void refresh(), active ? POLL_MS : BACKGROUND_POLL_MS);
    return () => window.clearInterval(id);
  }, [active, refresh]);

  return { list, error, version, loadedAt, refresh };
}
