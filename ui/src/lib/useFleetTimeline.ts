// The fleet timeline's state: the time window (its end, its span, whether it follows the clock),
// and the lanes on screen as the backend last answered for it. One request at a time, the latest
// window wins; while following live, the end moves with the clock and the lanes reload on change
// events (at most once every 2 s).

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import type { FleetTimeline } from "../bindings/FleetTimeline";
import type { TimelineLane } from "../bindings/TimelineLane";
import { fleetTimeline, toBackendError } from "./backend";
import { clampSpan, HOUR, laneRequest, panBy, rangeEnding, SECOND, zoomAt, type TimeRange } from "./fleetTimeline";
import { createLatest, type Latest } from "./latest";
import { parseTime } from "./time";
import { chosenSpan, firstActivity, openingSpan, rememberSpan } from "./timelineOpening";
import type { ChangeListener } from "./useBatonData";

/** Reloads on change events while live: at most one per this many ms. */
export const LIVE_THROTTLE_MS = 2_000;
/** Lanes kept from earlier answers for the same range (scrolling back shows them at once). */
const KEPT_LANES = 600;

export interface TimelineWindow {
  end: number;
  span: number;
  /** The end follows the clock. */
  live: boolean;
}

export interface TimelineData {
  timeline: FleetTimeline;
  /** Start of the answer's buckets (ms). */
  from: number;
  /** The lanes held for this range, by agent id (the latest answer's and earlier ones'). */
  lanes: ReadonlyMap<number, TimelineLane>;
  /** The request it answers. */
  key: string;
}

/** How often the live end moves: about every 200th of the span, between 2 s and a minute. */
export function liveTickMs(span: number): number {
  return Math.min(60 * SECOND, Math.max(2 * SECOND, Math.round(span / 200)));
}

/** Lanes of a new answer, keeping those of the previous one when both cover the same buckets. */
export function mergeAnswer(prev: TimelineData | null, timeline: FleetTimeline, key: string): TimelineData {
  const from = parseTime(timeline.from);
  const same =
    prev !== null &&
    prev.from === from &&
    prev.timeline.bucket_ms === timeline.bucket_ms &&
    parseTime(prev.timeline.to) === parseTime(timeline.to);
  const lanes = new Map<number, TimelineLane>(same && prev.lanes.size + timeline.lanes.length <= KEPT_LANES ? prev.lanes : []);
  for (const lane of timeline.lanes) lanes.set(lane.agent_id, lane);
  return { timeline, from, lanes, key };
}

interface Ask {
  from: number;
  to: number;
  buckets: number;
  ids: number[];
  key: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function useFleetTimeline({
  width,
  laneIds,
  subscribe,
}: {
  width: number;
  laneIds: readonly number[];
  subscribe: (listener: ChangeListener) => () => void;
}) {
  // Opens on the span the person chose earlier in the session; else on the last hour, fitted to
  // the fleet's first event once the first answer shows it (timelineOpening.ts).
  const [win, setWin] = useState<TimelineWindow>(() => ({ end: Date.now(), span: chosenSpan() ?? HOUR, live: true }));
  const fitted = useRef(chosenSpan() !== null);
  const chosen = useRef(false);
  const [data, setData] = useState<TimelineData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const runner = useRef<Latest<Ask> | null>(null);

  const view: TimeRange = useMemo(() => ({ from: win.end - win.span, to: win.end }), [win.end, win.span]);
  const request = laneRequest(view, width);
  const idsKey = laneIds.join(",");
  const key = `${request.from}|${request.to}|${request.buckets}|${idsKey}`;
  const ask: Ask = useMemo(
    () => ({
      from: request.from,
      to: request.to,
      buckets: request.buckets,
      ids: idsKey === "" ? [] : idsKey.split(",").map(Number),
      key,
    }),
    [request.from, request.to, request.buckets, idsKey, key],
  );

  useEffect(() => {
    const latest = createLatest(
      (a: Ask) => fleetTimeline(iso(a.from), iso(a.to), a.buckets, a.ids),
      (outcome, superseded) => {
        if (outcome.ok) {
          setData((prev) => mergeAnswer(prev, outcome.value, outcome.input.key));
          setError(null);
          const first = fitted.current ? null : firstActivity(outcome.value);
          if (first !== null) {
            fitted.current = true;
            const now = Date.now();
            const span = openingSpan(first, now);
            setWin((w) => (w.span === span ? w : { end: w.live ? now : w.end, span, live: w.live }));
          }
        } else if (!superseded) {
          setError(toBackendError(outcome.error).message);
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
    if (ask.ids.length > 0) runner.current?.request(ask);
  }, [ask, reload]);

  // A span the person picked is kept for the session.
  useEffect(() => {
    if (chosen.current) rememberSpan(win.span);
  }, [win.span]);

  const choose = useCallback(() => {
    chosen.current = true;
    fitted.current = true;
  }, []);

  // Live: the end follows the clock.
  useEffect(() => {
    if (!win.live) return;
    const id = window.setInterval(() => {
      const now = Date.now();
      setWin((w) => (w.live ? { ...w, end: now } : w));
    }, liveTickMs(win.span));
    return () => window.clearInterval(id);
  }, [win.live, win.span]);

  // Live: what changed in the store shows, at most once every 2 s.
  const liveRef = useRef(win.live);
  useEffect(() => {
    liveRef.current = win.live;
  }, [win.live]);
  useEffect(() => {
    let last = 0;
    let timer: number | null = null;
    const off = subscribe((e) => {
      const relevant =
        (e.type === "ingested" && (e.new_events > 0 || e.tasks.length > 0)) || e.type === "findings" || e.type === "escalations";
      if (!relevant || !liveRef.current || timer !== null) return;
      timer = window.setTimeout(() => {
        timer = null;
        last = Date.now();
        setWin((w) => (w.live ? { ...w, end: last } : w));
        setReload((n) => n + 1);
      }, Math.max(0, last + LIVE_THROTTLE_MS - Date.now()));
    });
    return () => {
      off();
      if (timer !== null) window.clearTimeout(timer);
    };
  }, [subscribe]);

  /** Zooms by `factor` around time `anchor` (default: the end while live, else the centre). */
  const zoom = useCallback((factor: number, anchor?: number) => {
    choose();
    const now = Date.now();
    setWin((w) => {
      const range = { from: w.end - w.span, to: w.live ? now : w.end };
      const at = anchor ?? (w.live ? range.to : (range.from + range.to) / 2);
      const next = zoomAt(range, factor, at, now);
      return { end: next.to, span: next.to - next.from, live: w.live && next.to >= now - 1 };
    });
  }, [choose]);

  /** Moves the window by `deltaMs` from `from` (default: where it is now). */
  const pan = useCallback((deltaMs: number, from?: TimeRange) => {
    const now = Date.now();
    setWin((w) => {
      const next = panBy(from ?? { from: w.end - w.span, to: w.end }, deltaMs, now);
      return { end: next.to, span: next.to - next.from, live: w.live && next.to >= now - 1 };
    });
  }, []);

  /** A preset span, keeping the end (and following live if it did). */
  const setSpan = useCallback(
    (span: number) => {
      choose();
      const now = Date.now();
      setWin((w) => {
        const next = rangeEnding(w.live ? now : w.end, clampSpan(span), now);
        return { ...w, end: next.to, span: next.to - next.from };
      });
    },
    [choose],
  );

  const goLive = useCallback(() => {
    const now = Date.now();
    setWin((w) => ({ ...w, end: now, live: true }));
    setReload((n) => n + 1);
  }, []);

  const retry = useCallback(() => setReload((n) => n + 1), []);

  return {
    win,
    view,
    request,
    data,
    error,
    loading: data?.key !== key && ask.ids.length > 0,
    zoom,
    pan,
    setSpan,
    goLive,
    retry,
  };
}

export type FleetTimelineState = ReturnType<typeof useFleetTimeline>;
