// Each agent's use of one API per minute, stacked (one colour per agent), with the limit per
// minute as a dashed line and the minutes with 429s marked in red on top of the stack. Drawn
// with uPlot on a canvas; it follows its container's width. Where no canvas works (jsdom) only
// the legend and the text summary render. The container carries what tests and the benchmark
// read: data-points, data-limit, data-rate-limited, and data-render-ms (from the data's arrival
// to uPlot's first draw of it).

import { memo, useEffect, useMemo, useRef, useState } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { UsageSeries } from "../bindings/UsageSeries";
import { nameOf } from "../lib/agents";
import { countText, metricLabel, rateLimitedText } from "../lib/rateLimits";
import {
  agentColor,
  chartSummary,
  limitAttr,
  minuteBreakdown,
  minuteText,
  prepareUsageChart,
  type PreparedChart,
} from "../lib/usageChart";
import { canvasAvailable, chartData, loadUPlot, plotOptions } from "../lib/usageChartPlot";

const MIN_WIDTH = 240;

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function Readout({ series, index, names }: { series: UsageSeries; index: number; names: ReadonlyMap<number, string> }) {
  const rows = minuteBreakdown(series, index);
  const total = rows.reduce((s, r) => s + r.value, 0);
  const limited = rows.reduce((s, r) => s + r.rateLimited, 0);
  return (
    <p className="rl-readout small" data-testid="usage-readout">
      <span className="mono">{minuteText(series.start + 60 * index)}</span>
      {rows
        .filter((r) => r.value > 0)
        .map((r) => (
          <span key={r.agentId} className="rl-readout-item">
            <span className="rl-swatch" style={{ background: agentColor(r.agentId) }} aria-hidden="true" />
            {nameOf(names, r.agentId)} {countText(r.value)}
          </span>
        ))}
      <span className="rl-readout-item">total {countText(total)}</span>
      {limited > 0 ? <span className="rl-readout-item text-bad">{rateLimitedText(limited)}</span> : null}
    </p>
  );
}

export const UsageChart = memo(function UsageChart({
  series,
  receivedAt = null,
  names,
  height = 220,
  loading = false,
  error = null,
}: {
  series: UsageSeries | null;
  /** performance.now() when `series` arrived. */
  receivedAt?: number | null;
  names: ReadonlyMap<number, string>;
  height?: number;
  loading?: boolean;
  error?: string | null;
}) {
  const prepared = useMemo(() => (series ? prepareUsageChart(series) : null), [series]);
  const rootRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<HTMLDivElement>(null);
  const chart = useRef<{ plot: uPlot; ids: number[] } | null>(null);
  const drawn = useRef<{ prepared: PreparedChart; metric: UsageSeries["metric"] } | null>(null);
  const pending = useRef<number | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const [canvas] = useState(canvasAvailable);
  const empty = prepared !== null && prepared.points === 0;

  // Build the plot, or hand it the new data (same agents: setData keeps the options).
  useEffect(() => {
    if (!canvas || !series || !prepared || empty) {
      chart.current?.plot.destroy();
      chart.current = null;
      return;
    }
    const t0 = receivedAt ?? performance.now();
    let cancelled = false;
    void loadUPlot().then((UPlot) => {
      const target = plotRef.current;
      if (cancelled || !target) return;
      drawn.current = { prepared, metric: series.metric };
      pending.current = t0;
      const current = chart.current;
      if (current && sameIds(current.ids, prepared.agentIds)) {
        current.plot.setData(chartData(prepared));
        return;
      }
      current?.plot.destroy();
      const width = Math.max(MIN_WIDTH, target.clientWidth);
      const plot = new UPlot(
        plotOptions(prepared.agentIds, width, height, {
          current: () => drawn.current,
          onDraw: () => {
            const start = pending.current;
            if (start === null || !rootRef.current) return;
            pending.current = null;
            rootRef.current.dataset.renderMs = (performance.now() - start).toFixed(1);
          },
          onHover: setHover,
        }),
        chartData(prepared),
        target,
      );
      chart.current = { plot, ids: prepared.agentIds };
    });
    return () => {
      cancelled = true;
    };
  }, [canvas, series, prepared, empty, receivedAt, height]);

  // Follow the container's width.
  useEffect(() => {
    const target = plotRef.current;
    if (!canvas || !target || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      const width = Math.max(MIN_WIDTH, target.clientWidth);
      const plot = chart.current?.plot;
      if (plot && plot.width !== width) plot.setSize({ width, height });
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [canvas, height]);

  useEffect(
    () => () => {
      chart.current?.plot.destroy();
      chart.current = null;
    },
    [],
  );

  const state = error ? "error" : loading || !prepared ? "loading" : empty ? "empty" : "ready";
  const legend = prepared ? [...prepared.agentIds].reverse() : [];
  return (
    <figure
      ref={rootRef}
      className="rl-chart"
      data-testid="usage-chart"
      data-state={state}
      data-metric={series?.metric ?? ""}
      data-points={prepared?.points ?? 0}
      data-limit={limitAttr(prepared?.limit ?? null)}
      data-rate-limited={prepared?.rateLimitedTotal ?? 0}
      aria-busy={loading || undefined}
    >
      {error ? (
        <p className="rl-error" role="alert" data-testid="usage-chart-error">
          Could not load the use per minute: {error}
        </p>
      ) : null}
      <div
        ref={plotRef}
        className={`rl-plot${canvas ? "" : " rl-plot--none"}`}
        style={{ minHeight: canvas && !empty ? height : undefined }}
        aria-hidden="true"
        onMouseLeave={() => setHover(null)}
      />
      {empty ? <p className="muted rl-chart-note">No use recorded in this range.</p> : null}
      {!prepared && !error ? <p className="muted rl-chart-note">Loading…</p> : null}
      {series && prepared && !empty ? (
        <figcaption className="rl-legend">
          <ul className="rl-legend-list" aria-label="Agents">
            {legend.map((id) => (
              <li key={id} className="rl-legend-item" data-testid="usage-legend-item" data-agent-id={id}>
                <span className="rl-swatch" style={{ background: agentColor(id) }} aria-hidden="true" />
                {nameOf(names, id)}
              </li>
            ))}
            {prepared.limit !== null ? (
              <li className="rl-legend-item">
                <span className="rl-swatch rl-swatch--limit" aria-hidden="true" />
                limit {countText(prepared.limit)}/min
              </li>
            ) : null}
            {prepared.rateLimitedTotal > 0 ? (
              <li className="rl-legend-item text-bad">
                <span className="rl-swatch rl-swatch--429" aria-hidden="true" />
                {rateLimitedText(prepared.rateLimitedTotal)}
              </li>
            ) : null}
          </ul>
          <span className="visually-hidden" data-testid="usage-chart-summary">
            {chartSummary(prepared, metricLabel(series.metric), names)}
          </span>
          {hover !== null && canvas ? <Readout series={series} index={hover} names={names} /> : null}
        </figcaption>
      ) : null}
    </figure>
  );
});
