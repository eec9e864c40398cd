import { useEffect, useRef } from "react";

/**
 * Focuses an element inside `rootRef`, found by its data-testid, once React has drawn what the
 * caller's state change shows (the field may be in a section that is closed right now).
 */
export function useFocusLater() {
  const rootRef = useRef<HTMLElement | null>(null);
  const next = useRef<string | null>(null);
  useEffect(() => {
    if (next.current === null) return;
    rootRef.current?.querySelector<HTMLElement>(`[data-testid="${next.current}"]`)?.focus();
    next.current = null;
  });
  /** Call with a state change: the element is focused after the next render. */
  const focusLater = (testId: string) => {
    next.current = testId;
  };
  return { rootRef, focusLater };
}
