// The ownership map as the app holds it: loaded once, reloaded when agents or their
// declarations change, and replaced by the map every edit answers with.

import { useCallback, useEffect, useRef, useState } from "react";

import type { OwnershipMap } from "../bindings/OwnershipMap";
import { ownershipMap, toBackendError } from "./backend";
import type { ChangeListener } from "./useBatonData";

export interface Ownership {
  /** null until the first load finishes. */
  map: OwnershipMap | null;
  error: string | null;
  refresh(): Promise<void>;
  /** Takes the map an edit answered with. */
  setMap(map: OwnershipMap): void;
}

export function useOwnership(subscribe: (listener: ChangeListener) => () => void): Ownership {
  const [map, setMapState] = useState<OwnershipMap | null>(null);
  const [error, setError] = useState<string | null>(null);
  const alive = useRef(true);
  // Answers can arrive out of order (a reload racing an edit): keep the newest request's.
  const generation = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const next = await ownershipMap();
      if (alive.current && mine === generation.current) {
        setMapState(next);
        setError(null);
      }
    } catch (err) {
      if (alive.current && mine === generation.current) setError(toBackendError(err).message);
    }
  }, []);

  const setMap = useCallback((next: OwnershipMap) => {
    generation.current++;
    setMapState(next);
    setError(null);
  }, []);

  useEffect(() => {
    alive.current = true;
    const mine = ++generation.current;
    ownershipMap().then(
      (first) => {
        if (alive.current && mine === generation.current) setMapState(first);
      },
      (err: unknown) => {
        if (alive.current && mine === generation.current) setError(toBackendError(err).message);
      },
    );
    const off = subscribe((e) => {
      // A coding session's call took, moved, wrote or freed a lease.
      const leases = e.type === "sessions_heard" && e.leases_changed;
      if (e.type === "agents_changed" || e.type === "declarations_changed" || leases) void refresh();
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [refresh, subscribe]);

  return { map, error, refresh, setMap };
}
