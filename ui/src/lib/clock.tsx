// One shared 1-second clock for everything that shows an age ("blocked 4m12s", "3s ago").
// Only components that call useNow() re-render on each tick, and only while mounted, so a
// virtualised column re-renders just its visible cards.

import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

const ClockContext = createContext<number | null>(null);

export function ClockProvider({
  children,
  intervalMs = 1_000,
}: {
  children: ReactNode;
  intervalMs?: number;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs]);
  return <ClockContext.Provider value={now}>{children}</ClockContext.Provider>;
}

/** The shared clock's current time in ms (falls back to a fixed Date.now() outside a provider). */
export function useNow(): number {
  const now = useContext(ClockContext);
  const [fallback] = useState(() => Date.now());
  return now ?? fallback;
}
