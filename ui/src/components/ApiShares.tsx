// Two cards of the API panel: each agent's share of the current window (with the quota it is
// measured against, what the provider says remains, and any budget split), and the forecast of
// each quota in words.

import type { ApiLedger } from "../bindings/ApiLedger";
import { nameOf } from "../lib/agents";
import {
  countText,
  forecastWords,
  limitText,
  metricLabel,
  percentText,
  quotaText,
  rateLimitedText,
  remainingResetText,
} from "../lib/rateLimits";
import { agentColor } from "../lib/usageChart";

/** A horizontal bar for a share (0–1, capped at the end; over 1 turns red). */
export function ShareBar({ share, colour, threshold }: { share: number; colour?: string; threshold?: number }) {
  const width = Math.max(0, Math.min(1, share)) * 100;
  const level = share >= 1 ? "over" : threshold !== undefined && share >= threshold ? "high" : "ok";
  return (
    <span className={`rl-bar rl-bar--${level}`} aria-hidden="true">
      <span className="rl-bar-fill" style={{ width: `${width}%`, background: colour }} />
      {threshold !== undefined ? <span className="rl-bar-mark" style={{ left: `${Math.min(100, threshold * 100)}%` }} /> : null}
    </span>
  );
}

export function SharesCard({ ledger, names, now }: { ledger: ApiLedger; names: ReadonlyMap<number, string>; now: number }) {
  const quota = ledger.quotas[0] ?? null;
  const threshold = ledger.limits.share_percent / 100;
  const remaining = quota ? remainingResetText(quota, now) : null;
  const unit = metricLabel(quota?.metric ?? "requests");
  return (
    <section className="rl-card" data-testid="shares" aria-labelledby="rl-shares-title">
      <header className="rl-card-head">
        <h3 id="rl-shares-title">Shares of the current window</h3>
        {quota ? (
          <span className="muted small" data-testid="quota-description">
            of {quotaText(quota)}
          </span>
        ) : null}
      </header>
      {quota ? null : (
        <p className="muted small" data-testid="no-quota">
          No limit known for {ledger.api}: the headers named none and you set none. Set one below to see shares and a
          forecast.
        </p>
      )}
      {ledger.shares.length === 0 ? (
        <p className="muted small">No agent has used it in the current window.</p>
      ) : (
        <ul className="rl-shares">
          {ledger.shares.map((s) => {
            const name = nameOf(names, s.agent_id);
            return (
              <li key={s.agent_id} className="rl-share" data-testid="share-row" data-agent-id={s.agent_id} data-agent={name}>
                <span className="rl-share-name">
                  <span className="rl-swatch" style={{ background: agentColor(s.agent_id) }} aria-hidden="true" />
                  {name}
                </span>
                {quota ? <ShareBar share={s.share} colour={agentColor(s.agent_id)} /> : <span />}
                <span className="rl-share-figures">
                  {quota ? <strong>{percentText(s.share)}</strong> : null}
                  <span className="muted">
                    {" "}
                    {countText(s.used)} {unit}
                  </span>
                  {s.rate_limited > 0 ? (
                    <span className="text-bad" title="429s in the last hour">
                      {" "}
                      · {rateLimitedText(s.rate_limited)}
                    </span>
                  ) : null}
                  {s.budget_percent !== null ? (
                    <span className="rl-budget" title="Its budget, from a split you decided" data-testid="share-budget">
                      budget {s.budget_percent}%
                    </span>
                  ) : null}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {quota ? (
        <div className="rl-combined" data-testid="combined-share">
          <span className="rl-share-name">Combined</span>
          <ShareBar share={ledger.combined_share} threshold={threshold} />
          <span className="rl-share-figures">
            <strong>{percentText(ledger.combined_share)}</strong>
            <span className="muted"> · pressure from {ledger.limits.share_percent}%</span>
          </span>
        </div>
      ) : null}
      {remaining ? (
        <p className="muted small" data-testid="quota-remaining">
          The provider says: {remaining}.
        </p>
      ) : null}
    </section>
  );
}

export function ForecastCard({ ledger, names, now }: { ledger: ApiLedger; names: ReadonlyMap<number, string>; now: number }) {
  return (
    <section className="rl-card" data-testid="forecast" aria-labelledby="rl-forecast-title">
      <header className="rl-card-head">
        <h3 id="rl-forecast-title">Forecast</h3>
        <span className="muted small">next 24 h</span>
      </header>
      {ledger.forecasts.length === 0 ? (
        <p className="muted small">No forecast without a limit to reach.</p>
      ) : (
        <ul className="rl-forecasts stack-list">
          {ledger.forecasts.map((f, i) => {
            const words = forecastWords(f, names, now);
            return (
              <li
                key={`${f.metric}-${i}`}
                className={`rl-forecast${words.reaches ? " rl-forecast--reaches" : ""}`}
                data-testid="forecast-item"
                data-metric={f.metric}
                data-reaches={words.reaches}
                data-basis={f.basis}
              >
                <p>
                  <span className="rl-forecast-quota">{limitText(f)}</span>{" "}
                  <span data-testid="forecast-text">
                    {words.headline}
                    {words.agents ? ` ${words.agents}` : ""}
                  </span>
                </p>
                <p className="muted small" data-testid="forecast-basis">
                  {words.basis}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
