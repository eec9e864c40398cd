// The replay scrubber's state: the moment shown (null: the fleet now), and the frame the backend
// answered for it. Moving the scrubber asks replay_at with at most one request in flight; the
// latest position wins, the positions passed on the way are never queued.

import { useCallback, useEffect, useRef, useState } from "react";

import type { ReplayFrame } from "../bindings/ReplayFrame";
import { replayAt, toBackendError } from "./backend";
import { snapSecond } from "./fleetTimeline";
import { createLatest, type Latest } from "./latest";

export interface Replay {
  /** The moment replayed (ms, on a whole second), or null when not replaying. */
  cursor: number | null;
  /** The latest frame answered (it may be for an earlier position while the next one loads). */
  frame: ReplayFrame | null;
  /** The moment `frame` shows. */
  frameAt: number | null;
  error: string | null;
  /** A frame for the cursor's position is on its way. */
  loading: boolean;
  /** Replays moment `t` (null: back to now). */
  moveTo(t: number | null): void;
}

export function useReplay(): Replay {
  const [cursor, setCursor] = useState<number | null>(null);
  const [shown, setShown] = useState<{ at: number; frame: ReplayFrame } | null>(null);
  const [error, setError] = useState<{ at: number; message: string } | null>(null);
  const runner = useRef<Latest<number> | null>(null);

  useEffect(() => {
    const latest = createLatest(
      (at: number) => replayAt(new Date(at).toISOString()),
      (outcome, superseded) => {
        if (outcome.ok) {
          setShown({ at: outcome.input, frame: outcome.value });
          setError(null);
        } else if (!superseded) {
          setError({ at: outcome.input, message: toBackendError(outcome.error).message });
        }
      },
    );
    runner.current = latest;
    return () => {
      latest.close();
      runner.current = null;
    };
  }, []);

  useEffect(() => {
    if (cursor !== null) runner.current?.request(cursor);
  }, [cursor]);

  const moveTo = useCallback((t: number | null) => {
    if (t === null) {
      setCursor(null);
      setShown(null);
      setError(null);
    } else if (Number.isFinite(t)) {
      setCursor(snapSecond(t));
    }
  }, []);

  const frame = cursor === null ? null : (shown?.frame ?? null);
  return {
    cursor,
    frame,
    frameAt: cursor === null ? null : (shown?.at ?? null),
    error: cursor !== null && error ? error.message : null,
    loading: cursor !== null && shown?.at !== cursor && error?.at !== cursor,
    moveTo,
  };
}
