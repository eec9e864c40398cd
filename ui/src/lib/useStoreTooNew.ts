// Whether a newer Baton wrote the app's store (then the app shows only that): asked once.

import { useEffect, useState } from "react";

import type { StoreTooNew } from "../bindings/StoreTooNew";
import { storeTooNew } from "./backend";

export function useStoreTooNew(): StoreTooNew | null {
  const [facts, setFacts] = useState<StoreTooNew | null>(null);
  useEffect(() => {
    let active = true;
    storeTooNew().then(
      (answer) => active && setFacts(answer),
      // A backend that does not know the command opened its store.
      () => {},
    );
    return () => {
      active = false;
    };
  }, []);
  return facts;
}
