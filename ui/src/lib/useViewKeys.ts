import { useEffect, useRef } from "react";

import { isTyping } from "./typing";

/**
 * A view's single-key shortcuts: `onKey` hears each keydown on the window, except one another
 * handler already took, one with Alt, Ctrl or Meta held, one while a dialog is open, and (unless
 * `whileTyping`, for a handler that decides itself) one typed into a field. The latest `onKey`
 * given hears the key, so it may read the render's state; it calls preventDefault itself.
 */
export function useViewKeys(onKey: (e: KeyboardEvent) => void, { whileTyping = false }: { whileTyping?: boolean } = {}) {
  const latest = useRef({ onKey, whileTyping });
  useEffect(() => {
    latest.current = { onKey, whileTyping };
  });
  useEffect(() => {
    const listener = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      if (!latest.current.whileTyping && isTyping(e.target)) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      latest.current.onKey(e);
    };
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);
}
