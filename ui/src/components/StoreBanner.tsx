// "The store has not answered since …" at the top of every view while the store (a PostgreSQL
// server restarting or out of reach) does not answer (see useStoreAway).

import { useNow } from "../lib/clock";
import { unreachableText } from "../lib/store";
import type { StoreAway } from "../lib/useStoreAway";

export function StoreBanner({ away }: { away: StoreAway }) {
  const now = useNow();
  return (
    <div className="banner banner--error" role="alert" data-testid="store-unreachable">
      {unreachableText(away.since, away.detail, now)}
    </div>
  );
}
