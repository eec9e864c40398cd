// The API panel's settings, collapsed at first: a quota per metric (limit and window, with
// presets; it wins over the headers' and can be removed again), and when its use counts as
// pressure (the share of a limit, and how far ahead a forecast of the limit matters). Checked
// here before sending; the backend's refusals show next to the form they concern. Enter submits.

import { useId, useState, type FormEvent, type ReactNode } from "react";

import type { ApiLedger } from "../bindings/ApiLedger";
import type { Metric } from "../bindings/Metric";
import { removeQuota, setPressureLimits, setQuota, toBackendError } from "../lib/backend";
import { mayChange, useRights } from "../lib/rights";
import {
  pressureValue,
  quotaValue,
  validatePressureForm,
  validateQuotaForm,
  WINDOW_PRESETS,
  type PressureErrors,
  type QuotaErrors,
} from "../lib/rateLimitForms";
import { apiLabel, defaultMetric, metricLabel, METRICS, quotaText } from "../lib/rateLimits";
import { sentence } from "../lib/validation";
import { FormError } from "./FormError";

function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className={`field rl-field${error ? " field--invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <span className="field-error" id={`${id}-error`}>
          {sentence(error)}
        </span>
      ) : hint ? (
        <span className="field-hint">{hint}</span>
      ) : null}
    </div>
  );
}

export function QuotaSettings({ ledger, onSaved }: { ledger: ApiLedger; onSaved(message: string): void }) {
  const ids = useId();
  const [open, setOpen] = useState(false);
  const may = mayChange(useRights());
  const quotaFor = (m: Metric) => ledger.quotas.find((q) => q.metric === m) ?? null;

  const [metric, setMetric] = useState<Metric>(() => defaultMetric(ledger));
  const [limit, setLimit] = useState(() => String(quotaFor(metric)?.limit ?? ""));
  const [win, setWin] = useState(() => String(quotaFor(metric)?.window_seconds ?? 60));
  const [quotaErrors, setQuotaErrors] = useState<QuotaErrors>({});
  const [quotaError, setQuotaError] = useState<string | null>(null);

  const [share, setShare] = useState(() => String(ledger.limits.share_percent));
  const [horizon, setHorizon] = useState(() => String(ledger.limits.horizon_minutes));
  const [pressureErrors, setPressureErrors] = useState<PressureErrors>({});
  const [pressureError, setPressureError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const userQuotas = ledger.quotas.filter((q) => q.source === "user");

  const chooseMetric = (m: Metric) => {
    setMetric(m);
    const q = quotaFor(m);
    setLimit(q ? String(q.limit) : "");
    setWin(String(q?.window_seconds ?? 60));
    setQuotaErrors({});
  };

  const run = async (task: () => Promise<string>, fail: (message: string) => void) => {
    if (busy) return;
    setBusy(true);
    try {
      onSaved(await task());
    } catch (err) {
      fail(toBackendError(err).message);
    } finally {
      setBusy(false);
    }
  };

  const submitQuota = (ev: FormEvent) => {
    ev.preventDefault();
    const values = { limit, window: win };
    const errors = validateQuotaForm(values);
    setQuotaErrors(errors);
    setQuotaError(null);
    if (Object.keys(errors).length > 0) return;
    const { limit: n, windowSeconds } = quotaValue(values);
    void run(async () => {
      await setQuota(ledger.api, ledger.key, metric, n, windowSeconds);
      return `Quota set: ${apiLabel(ledger)} ${n.toLocaleString("en-US")} ${metricLabel(metric)} per ${windowSeconds} s.`;
    }, setQuotaError);
  };

  const remove = (m: Metric) => {
    setQuotaError(null);
    void run(async () => {
      const removed = await removeQuota(ledger.api, ledger.key, m);
      return removed ? `Your ${metricLabel(m)} quota for ${apiLabel(ledger)} is removed; the headers' applies again.` : "There was no quota of yours to remove.";
    }, setQuotaError);
  };

  const submitPressure = (ev: FormEvent) => {
    ev.preventDefault();
    const values = { share, horizon };
    const errors = validatePressureForm(values);
    setPressureErrors(errors);
    setPressureError(null);
    if (Object.keys(errors).length > 0) return;
    const limits = pressureValue(values);
    void run(async () => {
      await setPressureLimits(ledger.api, limits);
      return `Pressure on ${ledger.api} from ${limits.share_percent}% of a limit, or a forecast of it within ${limits.horizon_minutes} min.`;
    }, setPressureError);
  };

  const bodyId = `${ids}-body`;
  const describedBy = (id: string, error?: string) => (error ? `${id}-error` : undefined);
  return (
    <section className="rl-card rl-settings" data-testid="quota-settings">
      <button
        type="button"
        className="rl-toggle"
        aria-expanded={open}
        aria-controls={open ? bodyId : undefined}
        onClick={() => setOpen((o) => !o)}
        data-testid="quota-settings-toggle"
      >
        <span className={`declares-caret${open ? " declares-caret--open" : ""}`} aria-hidden="true">
          ▸
        </span>
        Quota &amp; pressure settings
        <span className="muted small">
          pressure from {ledger.limits.share_percent}% · forecast within {ledger.limits.horizon_minutes} min
        </span>
      </button>
      {open ? (
        <div className="rl-settings-body" id={bodyId}>
          <form className="rl-form" onSubmit={submitQuota} noValidate data-testid="quota-form" aria-label="Quota">
            <h4 className="rl-form-title">Quota</h4>
            <div className="rl-form-row">
              <Field id={`${ids}-metric`} label="Metric">
                <select id={`${ids}-metric`} className="select" value={metric} onChange={(e) => chooseMetric(e.target.value as Metric)} data-testid="quota-metric">
                  {METRICS.map((m) => (
                    <option key={m} value={m}>
                      {metricLabel(m)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id={`${ids}-limit`} label="Limit" error={quotaErrors.limit}>
                <input
                  id={`${ids}-limit`}
                  inputMode="numeric"
                  value={limit}
                  placeholder="500"
                  onChange={(e) => setLimit(e.target.value)}
                  aria-invalid={quotaErrors.limit ? true : undefined}
                  aria-describedby={describedBy(`${ids}-limit`, quotaErrors.limit)}
                  data-testid="quota-limit"
                />
              </Field>
              <Field id={`${ids}-window`} label="Window (seconds)" error={quotaErrors.window}>
                <input
                  id={`${ids}-window`}
                  inputMode="numeric"
                  value={win}
                  onChange={(e) => setWin(e.target.value)}
                  aria-invalid={quotaErrors.window ? true : undefined}
                  aria-describedby={describedBy(`${ids}-window`, quotaErrors.window)}
                  data-testid="quota-window"
                />
              </Field>
              <div className="rl-presets" role="group" aria-label="Window presets">
                {WINDOW_PRESETS.map((p) => (
                  <button
                    key={p.seconds}
                    type="button"
                    className={`chip-button${win.trim() === String(p.seconds) ? " chip-button--on" : ""}`}
                    aria-pressed={win.trim() === String(p.seconds)}
                    onClick={() => setWin(String(p.seconds))}
                    data-testid="window-preset"
                    data-seconds={p.seconds}
                  >
                    {p.label}
                  </button>
                ))}
              </div>
              <button type="submit" className="button button--small button--primary" disabled={busy} data-testid="quota-save" {...may}>
                Set quota
              </button>
            </div>
            {userQuotas.length > 0 ? (
              <ul className="rl-user-quotas">
                {userQuotas.map((q) => (
                  <li key={q.metric}>
                    <span>{quotaText(q)}</span>
                    <button
                      type="button"
                      className="button button--small button--danger-ghost"
                      disabled={busy}
                      onClick={() => remove(q.metric)}
                      data-testid="quota-remove" {...may}
                      data-metric={q.metric}
                    >
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            ) : null}
            <FormError error={quotaError} testId="quota-error" sentence />
          </form>

          <form className="rl-form" onSubmit={submitPressure} noValidate data-testid="pressure-form" aria-label="Pressure">
            <h4 className="rl-form-title">Pressure</h4>
            <div className="rl-form-row">
              <Field id={`${ids}-share`} label="Share of a limit (%)" error={pressureErrors.share} hint="1–100, default 80">
                <input
                  id={`${ids}-share`}
                  inputMode="numeric"
                  value={share}
                  onChange={(e) => setShare(e.target.value)}
                  aria-invalid={pressureErrors.share ? true : undefined}
                  aria-describedby={describedBy(`${ids}-share`, pressureErrors.share)}
                  data-testid="pressure-share"
                />
              </Field>
              <Field id={`${ids}-horizon`} label="Forecast horizon (min)" error={pressureErrors.horizon} hint="1–1440, default 30">
                <input
                  id={`${ids}-horizon`}
                  inputMode="numeric"
                  value={horizon}
                  onChange={(e) => setHorizon(e.target.value)}
                  aria-invalid={pressureErrors.horizon ? true : undefined}
                  aria-describedby={describedBy(`${ids}-horizon`, pressureErrors.horizon)}
                  data-testid="pressure-horizon"
                />
              </Field>
              <button type="submit" className="button button--small button--primary" disabled={busy} data-testid="pressure-save" {...may}>
                Save
              </button>
            </div>
            <FormError error={pressureError} testId="pressure-error" sentence />
          </form>
        </div>
      ) : null}
    </section>
  );
}
