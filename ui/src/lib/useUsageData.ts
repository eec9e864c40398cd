// Loading one API's usage series (the chart) and heat maps. Both reload when what they show
// changes, and again on `version` (each reload of the ledger) but not more often than their data
// moves: a week of minutes at most once a minute, the heat maps (a profile over days) at most
// once every five minutes. Answers of an older request are dropped.

import { useEffect, useRef, useState } from "react";

import type { Metric } from "../bindings/Metric";
import type { UsageHeatmap } from "../bindings/UsageHeatmap";
import type { UsageSeries } from "../bindings/UsageSeries";
import { toBackendError, usageHeatmap, usageSeries } from "./backend";

/** Ranges longer than this reload at most once a minute. */
const SHORT_RANGE_HOURS = 6;
const LONG_RANGE_GAP_MS = 60_000;
const HEATMAP_GAP_MS = 5 * 60_000;

export interface SeriesLoad {
  series: UsageSeries | null;
  /** performance.now() when the series arrived (the chart measures its render from there). */
  receivedAt: number | null;
  error: string | null;
  loading: boolean;
}

function useAlive() {
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  return alive;
}

export function useUsageSeries(api: string, key: string | null, metric: Metric, hours: number, version: number): SeriesLoad {
  const request = JSON.stringify([api, key, metric, hours]);
  const [state, setState] = useState<{ request: string; series: UsageSeries | null; receivedAt: number | null; error: string | null }>({
    request: "",
    series: null,
    receivedAt: null,
    error: null,
  });
  const alive = useAlive();
  const generation = useRef(0);
  const last = useRef({ request: "", at: 0 });

  useEffect(() => {
    const gap = hours > SHORT_RANGE_HOURS ? LONG_RANGE_GAP_MS : 0;
    if (last.current.request === request && Date.now() - last.current.at < gap) return;
    last.current = { request, at: Date.now() };
    const mine = ++generation.current;
    usageSeries(api, key, metric, hours).then(
      (series) => {
        if (alive.current && mine === generation.current) setState({ request, series, receivedAt: performance.now(), error: null });
      },
      (err: unknown) => {
        if (!alive.current || mine !== generation.current) return;
        const message = toBackendError(err).message;
        setState((s) => (s.request === request ? { ...s, error: message } : { request, series: null, receivedAt: null, error: message }));
      },
    );
  }, [alive, api, key, metric, hours, version, request]);

  const current = state.request === request;
  return {
    series: current ? state.series : null,
    receivedAt: current ? state.receivedAt : null,
    error: current ? state.error : null,
    loading: !current,
  };
}

export interface HeatmapsLoad {
  requests: UsageHeatmap | null;
  tokens: UsageHeatmap | null;
  error: string | null;
  loading: boolean;
}

/** The heat maps of requests and of tokens (tokens also tell whether the agents report any). */
export function useHeatmaps(api: string, key: string | null, version: number): HeatmapsLoad {
  const request = JSON.stringify([api, key]);
  const [state, setState] = useState<{ request: string; requests: UsageHeatmap | null; tokens: UsageHeatmap | null; error: string | null }>({
    request: "",
    requests: null,
    tokens: null,
    error: null,
  });
  const alive = useAlive();
  const generation = useRef(0);
  const last = useRef({ request: "", at: 0 });

  useEffect(() => {
    if (last.current.request === request && Date.now() - last.current.at < HEATMAP_GAP_MS) return;
    last.current = { request, at: Date.now() };
    const mine = ++generation.current;
    Promise.all([usageHeatmap(api, key, "requests"), usageHeatmap(api, key, "tokens")]).then(
      ([requests, tokens]) => {
        if (alive.current && mine === generation.current) setState({ request, requests, tokens, error: null });
      },
      (err: unknown) => {
        if (!alive.current || mine !== generation.current) return;
        const message = toBackendError(err).message;
        setState((s) => (s.request === request ? { ...s, error: message } : { request, requests: null, tokens: null, error: message }));
      },
    );
  }, [alive, api, key, version, request]);

  const current = state.request === request;
  return {
    requests: current ? state.requests : null,
    tokens: current ? state.tokens : null,
    error: current ? state.error : null,
    loading: !current,
  };
}
