// The escalation queue as the app holds it: loaded once, reloaded on `escalations` and `findings`
// change events (a burst costs at most two fetches), and patched with what a decision answers.
// It also knows when the next open escalation falls due, so the nav badge turns red on time
// without the app re-rendering every second.

import { useCallback, useEffect, useRef, useState } from "react";

import type { Escalation } from "../bindings/Escalation";
import { listEscalations, toBackendError } from "./backend";
import { markExpired as expire, msUntilNextDue, replaceEscalation } from "./escalations";
import type { ChangeListener } from "./useBatonData";
import { useCoalescedRefresh } from "./useCoalescedRefresh";

/** setTimeout's longest delay; a due time further away is checked again then. */
const MAX_TIMER_MS = 2_147_483_647;

export interface Escalations {
  /** null until the first load finishes. */
  list: Escalation[] | null;
  error: string | null;
  /** When `list` last changed or an open escalation last fell due (ms): the badge's "now". */
  dueClock: number;
  refresh(): Promise<void>;
  /** Takes the escalation a decision answered with. */
  replace(next: Escalation): void;
  /** After a decision answered `expired`: show it expired until the next load says more. */
  markExpired(id: number): void;
}

export function useEscalations(subscribe: (listener: ChangeListener) => () => void): Escalations {
  const [list, setList] = useState<Escalation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dueClock, setDueClock] = useState(() => Date.now());
  const alive = useRef(true);
  // Answers can arrive out of order (a reload racing a decision): keep the newest request's.
  const generation = useRef(0);

  const loadOnce = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const next = await listEscalations();
      if (alive.current && mine === generation.current) {
        setList(next);
        setDueClock(Date.now());
        setError(null);
      }
    } catch (err) {
      if (alive.current && mine === generation.current) setError(toBackendError(err).message);
    }
  }, []);

  const refresh = useCoalescedRefresh(loadOnce, alive);

  const replace = useCallback((next: Escalation) => {
    generation.current++;
    setList((current) => (current ? replaceEscalation(current, next) : [next]));
    setDueClock(Date.now());
  }, []);

  const markExpired = useCallback((id: number) => {
    const now = Date.now();
    setList((current) => current?.map((e) => (e.id === id && e.state === "open" ? expire(e, now) : e)) ?? current);
  }, []);

  useEffect(() => {
    alive.current = true;
    void refresh();
    const off = subscribe((e) => {
      if (e.type === "escalations" || e.type === "findings" || e.type === "agents_changed") void refresh();
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [refresh, subscribe]);

  // Wake when the next open escalation falls due.
  useEffect(() => {
    if (!list) return;
    const wait = msUntilNextDue(list, Date.now());
    if (wait === null) return;
    const id = window.setTimeout(() => setDueClock(Date.now()), Math.min(wait + 50, MAX_TIMER_MS));
    return () => window.clearTimeout(id);
  }, [list, dueClock]);

  return { list, error, dueClock, refresh, replace, markExpired };
}
