// The app's presence on its store (who, watching or viewing, the watchers), loaded once and
// again when the watchers change hands (a `watchers` change event), agents come and go, or
// `reload` moves; and every few seconds, since a watcher that dies tells nobody.

import { useEffect, useState } from "react";

import type { Presence } from "../bindings/Presence";
import { presence, toBackendError } from "./backend";
import type { ChangeListener } from "./useBatonData";

/** How often the watchers' heartbeats are read again while nothing is said. */
const REFRESH_MS = 10_000;

export function usePresence(subscribe: (listener: ChangeListener) => () => void, reload: unknown): [Presence | null, (p: Presence) => void] {
  const [current, setCurrent] = useState<Presence | null>(null);
  useEffect(() => {
    let active = true;
    const load = () =>
      presence().then(
        (p) => active && setCurrent(p),
        (err: unknown) => console.error(`Baton: cannot read where the app stands: ${toBackendError(err).message}`),
      );
    void load();
    const off = subscribe((e) => {
      if (e.type === "watchers" || e.type === "agents_changed") void load();
    });
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => {
      active = false;
      off();
      window.clearInterval(timer);
    };
  }, [subscribe, reload]);
  return [current, setCurrent];
}
