// One API (and key) in the Rate limits view: why it is under pressure, the stacked use per
// minute (range and metric switch), each agent's share of the current window, the forecast, the
// usual time of day, the settings, and the headers Baton could not use.

import { useState } from "react";

import type { ApiLedger } from "../bindings/ApiLedger";
import type { Metric } from "../bindings/Metric";
import { dateTime } from "../lib/time";
import {
  apiLabel,
  chartMetrics,
  defaultMetric,
  metricLabel,
  pressureReasons,
  RANGES,
  rateLimitedText,
} from "../lib/rateLimits";
import { heatmapMax } from "../lib/usageHeatmap";
import { useHeatmaps, useUsageSeries } from "../lib/useUsageData";
import { ForecastCard, SharesCard } from "./ApiShares";
import { QuotaSettings } from "./QuotaSettings";
import { UsageChart } from "./UsageChart";
import { UsageHeatmap } from "./UsageHeatmap";

function HeaderIssues({ ledger }: { ledger: ApiLedger }) {
  if (ledger.header_issues.length === 0) return null;
  return (
    <section className="rl-card" data-testid="header-issues" aria-labelledby="rl-issues-title">
      <header className="rl-card-head">
        <h3 id="rl-issues-title">Headers Baton could not use</h3>
      </header>
      <table className="rl-table">
        <thead>
          <tr>
            <th scope="col">Header</th>
            <th scope="col">Reason</th>
            <th scope="col" className="rl-num">
              Count
            </th>
            <th scope="col">Last value</th>
          </tr>
        </thead>
        <tbody>
          {ledger.header_issues.map((h) => (
            <tr key={h.header} data-testid="header-issue">
              <td className="mono">{h.header}</td>
              <td>{h.reason}</td>
              <td className="rl-num">{h.count.toLocaleString("en-US")}</td>
              <td className="mono" title={`last seen ${dateTime(h.last_seen)}`}>
                {h.last_value}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ApiPanel({
  ledger,
  names,
  now,
  version,
  onSaved,
}: {
  ledger: ApiLedger;
  names: ReadonlyMap<number, string>;
  now: number;
  /** The ledger's load count: the chart and heat map reload with it. */
  version: number;
  onSaved(message: string): void;
}) {
  const [hours, setHours] = useState(1);
  const [chosen, setChosen] = useState<Metric | null>(null);
  const heatmaps = useHeatmaps(ledger.api, ledger.key, version);
  const tokensHaveData = heatmaps.tokens ? heatmapMax(heatmaps.tokens) > 0 : false;
  const metrics = chartMetrics(ledger, tokensHaveData);
  const fallback = defaultMetric(ledger);
  const metric = chosen && metrics.includes(chosen) ? chosen : metrics.includes(fallback) ? fallback : (metrics[0] ?? "requests");
  const load = useUsageSeries(ledger.api, ledger.key, metric, hours, version);
  const heatmap = metric === "requests" ? heatmaps.requests : heatmaps.tokens;
  const reasons = pressureReasons(ledger, now);

  return (
    <section className="rl-panel" data-testid="api-panel" data-api={ledger.api} data-key={ledger.key ?? ""} aria-labelledby="rl-panel-title">
      <header className="rl-panel-head">
        <h2 id="rl-panel-title">{apiLabel(ledger)}</h2>
        {ledger.rate_limited_last_hour > 0 ? (
          <span className="rl-429" data-testid="panel-429">
            {rateLimitedText(ledger.rate_limited_last_hour)} in the last hour
          </span>
        ) : (
          <span className="muted small">no 429 in the last hour</span>
        )}
      </header>
      {reasons.length > 0 ? (
        <div className="rl-pressure-note" data-testid="pressure-reasons">
          <strong>Under pressure:</strong> {reasons.join("; ")}.
        </div>
      ) : null}

      <section className="rl-card" aria-labelledby="rl-chart-title">
        <header className="rl-card-head">
          <h3 id="rl-chart-title">{metricLabel(metric)[0]!.toUpperCase() + metricLabel(metric).slice(1)} per minute</h3>
          <span className="spacer" />
          {metrics.length > 1 ? (
            <div className="rl-seg" role="group" aria-label="Metric">
              {metrics.map((m) => (
                <button
                  key={m}
                  type="button"
                  className={`rl-seg-button${m === metric ? " rl-seg-button--on" : ""}`}
                  aria-pressed={m === metric}
                  onClick={() => setChosen(m)}
                  data-testid="metric-button"
                  data-metric={m}
                >
                  {metricLabel(m)}
                </button>
              ))}
            </div>
          ) : null}
          <div className="rl-seg" role="group" aria-label="Time range">
            {RANGES.map((r) => (
              <button
                key={r.hours}
                type="button"
                className={`rl-seg-button${r.hours === hours ? " rl-seg-button--on" : ""}`}
                aria-pressed={r.hours === hours}
                onClick={() => setHours(r.hours)}
                data-testid="range-button"
                data-hours={r.hours}
              >
                {r.label}
              </button>
            ))}
          </div>
        </header>
        <UsageChart series={load.series} receivedAt={load.receivedAt} names={names} loading={load.loading} error={load.error} />
      </section>

      <div className="rl-grid">
        <SharesCard ledger={ledger} names={names} now={now} />
        <ForecastCard ledger={ledger} names={names} now={now} />
      </div>

      <UsageHeatmap heatmap={heatmap} names={names} error={heatmaps.error} />
      <QuotaSettings ledger={ledger} onSaved={onSaved} />
      <HeaderIssues ledger={ledger} />
    </section>
  );
}
