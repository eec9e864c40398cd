//! The rate-limit pressure detector's run inside the detector loop: one finding per API whose
//! combined use nears its limit, meets 429s, or is forecast to; and the ledger's pruning.

use baton_core::detect::Finding;
use baton_core::ratelimit::{minute_of, pressure_finding, ApiUsage};
use baton_store::Store;
use chrono::{DateTime, Duration, Utc};

use crate::ledger_cache::{LedgerCache, RECENT};

/// How often the pressure detector runs without new `api_call` events.
pub(super) const PRESSURE_EVERY: Duration = Duration::seconds(5);
/// Ledger minutes kept.
const KEEP_DAYS: i64 = 35;

/// Whether the ledger's old minutes are due to be dropped (once a day); marks them as dropped.
pub(super) fn prune_due(cache: &mut LedgerCache, now: DateTime<Utc>) -> bool {
    let due = cache
        .pruned_at
        .is_none_or(|at| now - at > Duration::days(1) || at > now);
    if due {
        cache.pruned_at = Some(now);
    }
    due
}

/// Drops ledger minutes older than the days the profiles look back over.
pub(super) fn prune_ledger(store: &mut Store, now: DateTime<Utc>) -> baton_store::Result<()> {
    let pruned = store.prune_api_minutes(minute_of(now) - KEEP_DAYS * 86_400)?;
    if pruned > 0 {
        tracing::info!(pruned, "old rate-limit ledger minutes dropped");
    }
    Ok(())
}

/// The pressure findings at `now` (one per API under pressure).
pub(super) fn pressure_findings(
    store: &Store,
    now: DateTime<Utc>,
    cache: &mut LedgerCache,
) -> baton_store::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for api in store.rate_limited_apis()? {
        let key = api.key.as_deref();
        let quotas = store.quotas(&api.api, key)?;
        let limits = store.pressure_limits(&api.api)?;
        let (profile, minutes) = cache.profile_and_minutes(store, &api, now, RECENT)?;
        let usage = ApiUsage {
            api: &api.api,
            key,
            quotas: &quotas,
            minutes,
            profile,
        };
        if let Some(finding) = pressure_finding(&usage, &limits.settings(), now) {
            findings.push(finding);
        }
    }
    Ok(findings)
}
