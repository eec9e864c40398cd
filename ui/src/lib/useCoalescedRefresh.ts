import { useCallback, useRef, type RefObject } from "react";

/**
 * A refresh that never runs two loads at once: a call while a load is in flight schedules exactly
 * one more after it (and returns the running one). Stops repeating once `alive` is false.
 */
export function useCoalescedRefresh(loadOnce: () => Promise<void>, alive: RefObject<boolean>): () => Promise<void> {
  const running = useRef<Promise<void> | null>(null);
  const again = useRef(false);
  return useCallback(() => {
    if (running.current) {
      again.current = true;
      return running.current;
    }
    const run = (async () => {
      try {
        do {
          again.current = false;
          await loadOnce();
        } while (again.current && alive.current);
      } finally {
        running.current = null;
      }
    })();
    running.current = run;
    return run;
  }, [loadOnce, alive]);
}
