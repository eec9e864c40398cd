// Whether the store answers, from the engine's change events: since when it has not, and why.
// When it answers again, `onBack` runs (the app reloads what failed meanwhile).

import { useEffect, useRef, useState } from "react";

import type { ChangeListener } from "./useBatonData";

export interface StoreAway {
  since: string;
  detail: string | null;
}

export function useStoreAway(subscribe: (listener: ChangeListener) => () => void, onBack: () => void): StoreAway | null {
  const [away, setAway] = useState<StoreAway | null>(null);
  const back = useRef(onBack);
  useEffect(() => {
    back.current = onBack;
  }, [onBack]);
  useEffect(
    () =>
      subscribe((e) => {
        if (e.type !== "store") return;
        if (e.unreachable_since) {
          setAway({ since: e.unreachable_since, detail: e.detail });
        } else {
          setAway(null);
          back.current();
        }
      }),
    [subscribe],
  );
  return away;
}
