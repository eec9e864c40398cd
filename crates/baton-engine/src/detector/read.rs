//! A run's first half, on the detectors' own thread: read what changed since the last run
//! (and, on the first, the window), assess rate-limit pressure when it is due, and detect on
//! the state kept in memory. The second half (`super::detect_once`) writes what it found.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use baton_core::detect::deadlock::LeaseWait;
use baton_core::detect::handoff::DeadLetter;
use baton_core::detect::windows::WindowOverrides;
use baton_core::detect::{detect, DetectConfig, DetectState, Finding, ObservedEvent, RecentEvents};
use baton_core::escalations::LAPSE_WARNING;
use baton_core::protocol::EventKind;
use baton_store::detect_reads::{DetectMarks, DetectRead};
use baton_store::watch_leases::Fence;
use chrono::{DateTime, Utc};

use super::pressure::{pressure_findings, prune_due, PRESSURE_EVERY};
use super::state::{lock, LoopState};
use super::written::WrittenFindings;
use crate::error::EngineError;
use crate::ledger_cache::LedgerCache;
use crate::shared::Shared;

/// How far back the detectors look: enough for the longest default window (a stall of 15 min,
/// a silent next stage of 10 min) with room to spare.
pub const LOOKBACK: chrono::Duration = chrono::Duration::minutes(30);

/// How soon after its last run new API calls have the pressure detector run again.
const PRESSURE_AFTER_CALLS: chrono::Duration = chrono::Duration::seconds(1);

/// The engine's windows with the agents' stored overrides applied (on top of any the engine
/// itself sets for that agent).
fn with_overrides(mut config: DetectConfig, stored: Vec<(i64, WindowOverrides)>) -> DetectConfig {
    for (agent_id, overrides) in stored {
        let windows = overrides.apply(config.for_agent(agent_id));
        config.per_agent.retain(|(id, _)| *id != agent_id);
        config.per_agent.push((agent_id, windows));
    }
    config
}

/// How far back the detectors must see with these windows.
fn lookback(config: &DetectConfig) -> chrono::Duration {
    std::iter::once(&config.defaults)
        .chain(config.per_agent.iter().map(|(_, w)| w))
        .flat_map(|w| [w.stall, w.silent_completion])
        .chain([LOOKBACK])
        .max()
        .unwrap_or(LOOKBACK)
}

/// What a run read from the store.
struct Reading {
    window: Option<DetectRead>,
    changes: DetectRead,
    marks: DetectMarks,
    /// API calls arrived that pressure was not assessed for yet.
    calls_waiting: bool,
    /// The pressure and budget findings, when they were assessed.
    pressure: Option<Vec<Finding>>,
    /// Sessions waiting for each other's files.
    lease_waits: Vec<LeaseWait>,
    /// Open escalations due within [`LAPSE_WARNING`] (lapsed ones included), with when.
    due_soon: Vec<(i64, DateTime<Utc>)>,
}

/// What a run found, to be written.
pub(super) struct Found {
    /// The findings that are new or changed since the last written run.
    pub(super) findings: Vec<Finding>,
    /// Every finding of this run as written (or as written before), to remember once written.
    pub(super) current: WrittenFindings,
    pub(super) dead_letters: Vec<DeadLetter>,
    pub(super) marks: DetectMarks,
    pub(super) prune_ledger: bool,
    /// The retention is due to compact the store.
    pub(super) compact: bool,
    /// The change feed's old rows are due to go.
    pub(super) prune_feed: bool,
    /// Escalations' SLAs lapsed: they are due to expire.
    pub(super) expire: bool,
    /// An open escalation lapses within [`LAPSE_WARNING`] and was not told yet: the run reads
    /// which, after its write (most runs have none, and read nothing more).
    pub(super) lapsing_untold: bool,
}

impl Found {
    /// Whether the run has anything to write: most runs of a quiet fleet do not, and then take
    /// no write lock (on a shared store, every other watcher's and hook's write waits for it).
    pub(super) fn writes_nothing(&self) -> bool {
        self.findings.is_empty()
            && self.dead_letters.is_empty()
            && !self.expire
            && !self.prune_ledger
            && !self.compact
            && !self.prune_feed
    }
}

/// Reads what changed (and, on the first run, the window) and runs the pressure detector when
/// it is due, once the store says `fence` (if any) still holds; then detects on the kept
/// state. Runs on the detectors' own thread, at a lower priority (`low_priority.rs`).
pub(super) fn read_and_detect(
    shared: &Shared,
    runtime: &tokio::runtime::Handle,
    state: &Mutex<LoopState>,
    profiles: &Arc<Mutex<LedgerCache>>,
    fence: Option<Fence>,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
) -> Result<Found, EngineError> {
    let mut kept = lock(state);
    let started = Instant::now();
    let config = shared.config.detect.clone();
    let first = kept.detect.is_none();
    let marks = kept.marks.unwrap_or(DetectMarks::from(from));
    let since = now - lookback(&config);
    let capacity = shared.config.detect_window_events;
    // Pressure is assessed every PRESSURE_EVERY, and sooner after new API calls, but not more
    // than once a second however many runs they arrive in (calls meanwhile wait their turn).
    let since_pressure = kept.pressure_at.map(|at| now - at);
    let pressure_due =
        since_pressure.is_none_or(|d| d >= PRESSURE_EVERY || d < chrono::Duration::zero());
    let calls_may_run = since_pressure.is_none_or(|d| d >= PRESSURE_AFTER_CALLS);
    let calls_waiting = kept.calls_since_pressure;
    let reading_profiles = Arc::clone(profiles);
    let reading = shared.read_on_this_thread(runtime, move |s| {
        if let Some(fence) = &fence {
            s.check_fence(fence)?;
        }
        let window = first
            .then(|| s.detect_window(since, capacity))
            .transpose()?;
        let (changes, marks) = s.detect_changes(marks)?;
        let calls = calls_waiting
            || changes
                .events
                .iter()
                .any(|e| e.event.kind == EventKind::ApiCall);
        let assess = pressure_due || (calls && calls_may_run);
        let pressure = if assess {
            let mut profiles = reading_profiles.lock().unwrap_or_else(|p| p.into_inner());
            let mut found = pressure_findings(s, now, &mut profiles)?;
            found.extend(budget_findings(s, now)?);
            // Coding agents' windows (Claude's 5-hour, Codex's primary…) forecast to run
            // out: the same cadence as the API ledger's pressure.
            found.extend(s.usage_window_findings(now)?);
            Some(found)
        } else {
            None
        };
        Ok(Reading {
            window,
            changes,
            marks,
            calls_waiting: calls && !assess,
            pressure,
            lease_waits: s.lease_waits()?,
            due_soon: s.escalations_due_before(now + LAPSE_WARNING)?,
        })
    })?;
    kept.calls_since_pressure = reading.calls_waiting;
    if reading.pressure.is_some() {
        kept.pressure_at = Some(now);
    }
    let config = with_overrides(config, reading.changes.windows.clone());
    let since = now - lookback(&config);
    let mut detect_state = kept.detect.take().unwrap_or_else(|| DetectState {
        recent: RecentEvents::with_capacity(capacity),
        ..DetectState::default()
    });
    // Tasks first: a task's events count as its progress once the task is held.
    if let Some(window) = reading.window {
        detect_state.take_tasks(window.tasks);
        detect_state.take_events(&window.events);
        detect_state.recent.set_covers_from(since);
    }
    let changes = reading.changes;
    detect_state.set_agents(changes.agents);
    detect_state.set_rules(changes.rules);
    detect_state.take_tasks(changes.tasks);
    // Events already taken in (read again at the mark's boundary) are not news, except on the
    // first run, whose window holds the new ones too.
    let fresh = detect_state.take_events(&changes.events);
    let new_events: Vec<ObservedEvent> = changes
        .events
        .into_iter()
        .zip(fresh)
        .filter(|(_, fresh)| *fresh || first)
        .map(|(e, _)| e)
        .collect();
    // Dependencies the book does not hold (finished before the window, or never seen): the
    // store says what they are.
    let missing = detect_state.missing_dependencies();
    if !missing.is_empty() {
        let states = shared.read_on_this_thread(runtime, {
            let missing = missing.clone();
            move |s| s.states_of_tasks(&missing)
        })?;
        for ((agent, task), state) in missing.iter().zip(states) {
            detect_state.stored.insert(*agent, task, state);
        }
    }
    detect_state.lease_waits = reading.lease_waits;
    let schemas = kept.schemas.update(changes.handoff_schemas);
    let found = detect(&detect_state.input(now, &new_events, &config, &schemas));
    detect_state.settle(since);
    let run: Vec<Finding> = found
        .findings
        .into_iter()
        .chain(reading.pressure.into_iter().flatten())
        .collect();
    let found_now = run.len();
    let (findings, current) = kept.written.news(run, now);
    let window_events = detect_state.recent.len();
    let tasks_kept = detect_state.tasks.len();
    kept.detect = Some(detect_state);
    {
        let mut times = kept.times.lock().unwrap_or_else(|p| p.into_inner());
        times.record(started.elapsed(), window_events, tasks_kept);
        times.record_findings(found_now, findings.len());
    }
    let prune_ledger = prune_due(&mut profiles.lock().unwrap_or_else(|p| p.into_inner()), now);
    let compact = kept.compact_more
        || kept
            .compacted_at
            .is_none_or(|at| now - at >= COMPACT_EVERY || at > now);
    if compact {
        kept.compacted_at = Some(now);
    }
    let prune_feed = kept
        .feed_pruned_at
        .is_none_or(|at| now - at >= PRUNE_FEED_EVERY || at > now);
    if prune_feed {
        kept.feed_pruned_at = Some(now);
    }
    let expire = reading.due_soon.iter().any(|(_, due)| *due <= now);
    let lapsing_untold = reading
        .due_soon
        .iter()
        .any(|(id, due)| *due > now && !kept.warned.contains(id));
    Ok(Found {
        findings,
        current,
        dead_letters: found.dead_letters,
        marks: reading.marks,
        prune_ledger,
        compact,
        prune_feed,
        expire,
        lapsing_untold,
    })
}

/// How often the change feed's rows older than [`baton_store::changes::KEEP_MS`] go (by the
/// watcher running the detectors: one pruner per store).
const PRUNE_FEED_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// How often the retention compacts the store (and again at once while it has more to do).
const COMPACT_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// Agents past their daily budget today: one warning finding each (see
/// [`baton_core::cost::over_budget`]).
fn budget_findings(
    store: &baton_store::Store,
    now: DateTime<Utc>,
) -> baton_store::Result<Vec<Finding>> {
    Ok(store
        .spending_against_budgets(now)?
        .into_iter()
        .filter_map(|(id, name, spent, budget)| {
            baton_core::cost::over_budget(id, &name, spent, budget, now)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_overrides_apply_per_agent_on_top_of_the_engines_windows() {
        let mut config = DetectConfig::default();
        config.per_agent.push((
            1,
            baton_core::detect::Windows {
                unreachable_polls: 2,
                ..Default::default()
            },
        ));
        let stall = WindowOverrides {
            stall_seconds: Some(3600),
            ..WindowOverrides::default()
        };
        let config = with_overrides(config, vec![(1, stall.clone()), (2, stall)]);
        assert_eq!(config.for_agent(1).stall, chrono::Duration::hours(1));
        assert_eq!(
            config.for_agent(1).unreachable_polls,
            2,
            "the engine's own kept"
        );
        assert_eq!(config.for_agent(2).stall, chrono::Duration::hours(1));
        assert_eq!(config.for_agent(3), &config.defaults);
        assert_eq!(lookback(&config), chrono::Duration::hours(1));
    }
}
