// The evidence of a rate-limit pressure escalation: the API's use per minute over the last hour,
// stacked by agent, with its limit and 429s (the same chart as the Rate limits view). Reloads
// when the escalation or its finding changes.

import { memo, useEffect, useState } from "react";

import type { Metric } from "../bindings/Metric";
import { apiLabel, metricLabel } from "../lib/rateLimits";
import type { ChangeListener } from "../lib/useBatonData";
import { useUsageSeries } from "../lib/useUsageData";
import { UsageChart } from "./UsageChart";

const EVIDENCE_METRICS: Metric[] = ["requests", "tokens"];

export const UsageEvidence = memo(function UsageEvidence({
  api,
  apiKey,
  escalationId,
  findingId,
  names,
  subscribe,
}: {
  api: string;
  apiKey: string | null;
  escalationId: number;
  findingId: number | null;
  names: ReadonlyMap<number, string>;
  subscribe(listener: ChangeListener): () => void;
}) {
  const [metric, setMetric] = useState<Metric>("requests");
  const [version, setVersion] = useState(0);
  const load = useUsageSeries(api, apiKey, metric, 1, version);

  useEffect(
    () =>
      subscribe((e) => {
        const mine =
          (e.type === "escalations" && (e.changed.includes(escalationId) || e.opened.includes(escalationId))) ||
          (e.type === "findings" && findingId !== null && (e.updated.includes(findingId) || e.opened.includes(findingId)));
        if (mine) setVersion((v) => v + 1);
      }),
    [subscribe, escalationId, findingId],
  );

  return (
    <section className="esc-usage" aria-label={`Use of ${apiLabel({ api, key: apiKey })}`} data-testid="escalation-usage">
      <div className="esc-usage-head">
        <h3 className="esc-h">
          Use of {apiLabel({ api, key: apiKey })}
          <span className="muted">last hour, per minute</span>
        </h3>
        <span className="spacer" />
        <div className="rl-seg" role="group" aria-label="Metric">
          {EVIDENCE_METRICS.map((m) => (
            <button
              key={m}
              type="button"
              className={`rl-seg-button${m === metric ? " rl-seg-button--on" : ""}`}
              aria-pressed={m === metric}
              onClick={() => setMetric(m)}
              data-testid="evidence-metric"
              data-metric={m}
            >
              {metricLabel(m)}
            </button>
          ))}
        </div>
      </div>
      <UsageChart series={load.series} receivedAt={load.receivedAt} names={names} height={180} loading={load.loading} error={load.error} />
    </section>
  );
});
