//! Runs the coordination detectors on their own interval and after each ingest. A run reads
//! what changed since the last one from a reader connection (new events, changed tasks, and the
//! small tables), takes it into the [`DetectState`] it keeps in memory, detects there (the store
//! is not held while detecting), and records the findings, dead letters and SLA expiries in one
//! write. Rate-limit pressure reads the usage ledger instead of events (see `ratelimits.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use baton_core::detect::handoff::{DeadLetter, HandoffSchemas};
use baton_core::detect::windows::WindowOverrides;
use baton_core::detect::{detect, DetectConfig, DetectState, Finding, ObservedEvent, RecentEvents};
use baton_core::escalations::LAPSE_WARNING;
use baton_core::protocol::EventKind;
use baton_core::views::ChangeEvent;
use baton_store::detect_reads::{DetectMarks, DetectRead};
use baton_store::findings::RecordedFindings;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EngineError;
use crate::poller::Shared;
use crate::ratelimits::{pressure_findings, prune_due, prune_ledger, LedgerCache, PRESSURE_EVERY};
use crate::stats::RunTimes;

/// How far back the detectors look: enough for the longest default window (a stall of 15 min,
/// a silent next stage of 10 min) with room to spare.
pub const LOOKBACK: chrono::Duration = chrono::Duration::minutes(30);

/// What one run changed in the escalation queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Escalations opened for new findings.
    pub opened: Vec<i64>,
    /// Escalations whose SLA lapsed: now expired (and logged).
    pub expired: Vec<i64>,
    /// Open escalations due within `LAPSE_WARNING` not told before.
    pub lapsing: Vec<i64>,
}

/// The handoff schemas compiled from what the store held at the last run (recompiled only when
/// that changes).
#[derive(Default)]
pub(crate) struct SchemaCache {
    source: Vec<(String, serde_json::Value)>,
    compiled: Arc<HandoffSchemas>,
}

impl SchemaCache {
    fn update(&mut self, source: Vec<(String, serde_json::Value)>) -> Arc<HandoffSchemas> {
        if source != self.source {
            let mut compiled = HandoffSchemas::default();
            for (kind, schema) in &source {
                if let Err(err) = compiled.add(kind, schema) {
                    tracing::warn!(handoff_type = %kind, %err, "a stored handoff schema does not compile");
                }
            }
            self.compiled = Arc::new(compiled);
            self.source = source;
        }
        Arc::clone(&self.compiled)
    }
}

/// How often a finding whose only change is its summary (a duration in it ticks) is written.
const RETITLE_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// True when `a` and `b` differ at most in their summary.
fn same_but_summary(a: &Finding, b: &Finding) -> bool {
    a.kind == b.kind
        && a.severity == b.severity
        && a.agents == b.agents
        && a.resource == b.resource
        && a.evidence == b.evidence
        && a.continues == b.continues
}

/// State the loop keeps between runs.
#[derive(Default)]
pub(crate) struct LoopState {
    /// Escalations already told as about to lapse.
    warned: HashSet<i64>,
    schemas: SchemaCache,
    /// What the detectors keep (None: load the window from the store at the next run).
    detect: Option<DetectState>,
    /// Where the next read of changes starts (None: from the mark the run is given).
    marks: Option<DetectMarks>,
    /// When the rate-limit pressure detector last ran.
    pressure_at: Option<DateTime<Utc>>,
    /// The findings as last written, by dedupe key, and when: a finding found again unchanged
    /// is not written again (the store would read it only to leave it as it is), nor one whose
    /// only change is its summary (a duration in it ticks) within [`RETITLE_EVERY`].
    written: HashMap<String, (Finding, DateTime<Utc>)>,
    /// How long runs took.
    pub(crate) times: RunTimes,
}

fn lock(state: &Mutex<LoopState>) -> MutexGuard<'_, LoopState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

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
    pressure: Vec<Finding>,
}

/// What a run found, to be written.
struct Found {
    /// The findings that are new or changed since the last written run.
    findings: Vec<Finding>,
    /// Every finding of this run as written (or as written before), to remember once written.
    current: HashMap<String, (Finding, DateTime<Utc>)>,
    dead_letters: Vec<DeadLetter>,
    marks: DetectMarks,
    prune_ledger: bool,
}

/// Reads what changed (and, on the first run, the window) and runs the pressure detector when
/// it is due; then detects on the kept state. Runs on a blocking thread.
fn read_and_detect(
    shared: &Shared,
    state: &Mutex<LoopState>,
    profiles: &Arc<Mutex<LedgerCache>>,
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
    let pressure_due = kept
        .pressure_at
        .is_none_or(|at| now - at >= PRESSURE_EVERY || at > now);
    let reading_profiles = Arc::clone(profiles);
    let reading = shared
        .store
        .read_blocking(move |s| {
            let window = first
                .then(|| s.detect_window(since, capacity))
                .transpose()?;
            let (changes, marks) = s.detect_changes(marks)?;
            let calls = changes
                .events
                .iter()
                .any(|e| e.event.kind == EventKind::ApiCall);
            let pressure = if calls || pressure_due {
                let mut profiles = reading_profiles.lock().unwrap_or_else(|p| p.into_inner());
                pressure_findings(s, now, &mut profiles)?
            } else {
                Vec::new()
            };
            Ok(Reading {
                window,
                changes,
                marks,
                pressure,
            })
        })
        .map_err(EngineError::from_store)?;
    if reading.window.is_some() || !reading.pressure.is_empty() || pressure_due {
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
    let schemas = kept.schemas.update(changes.handoff_schemas);
    let found = detect(&detect_state.input(now, &new_events, &config, &schemas));
    detect_state.settle(since);
    let mut current = HashMap::with_capacity(kept.written.len());
    let mut findings = Vec::new();
    for f in found.findings.into_iter().chain(reading.pressure) {
        let key = f.dedupe_key.clone();
        match kept.written.get(&key) {
            Some((old, at)) if *old == f => {
                current.insert(key, (f, *at));
            }
            Some((old, at)) if now - *at < RETITLE_EVERY && same_but_summary(old, &f) => {
                current.insert(key, (old.clone(), *at));
            }
            _ => {
                findings.push(f.clone());
                current.insert(key, (f, now));
            }
        }
    }
    let window_events = detect_state.recent.len();
    let tasks_kept = detect_state.tasks.len();
    kept.detect = Some(detect_state);
    kept.times
        .record(started.elapsed(), window_events, tasks_kept);
    kept.times.record_findings(current.len(), findings.len());
    let prune_ledger = prune_due(&mut profiles.lock().unwrap_or_else(|p| p.into_inner()), now);
    Ok(Found {
        findings,
        current,
        dead_letters: found.dead_letters,
        marks: reading.marks,
        prune_ledger,
    })
}

/// One run at `now`. Events received from `from` on are news on the first run (later runs go
/// on from where the last one stopped).
pub(crate) async fn detect_once(
    shared: &Arc<Shared>,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    state: &Arc<Mutex<LoopState>>,
) -> Result<(RecordedFindings, Sweep), EngineError> {
    let found = {
        let _permit = shared
            .reads
            .acquire()
            .await
            .map_err(|_| EngineError::ShutDown)?;
        let (run_shared, run_state) = (Arc::clone(shared), Arc::clone(state));
        let profiles = Arc::clone(&shared.profiles);
        tokio::task::spawn_blocking(move || {
            read_and_detect(&run_shared, &run_state, &profiles, now, from)
        })
        .await??
    };
    let Found {
        findings,
        current,
        dead_letters,
        marks,
        prune_ledger: prune,
    } = found;
    let written = shared
        .write(move |store| {
            store.record_dead_letters(&dead_letters, now)?;
            let recorded = store.record_findings(&findings, now)?;
            let expired = store.expire_escalations(now)?;
            let lapsing = store.escalations_due_before(now + LAPSE_WARNING)?;
            if prune {
                prune_ledger(store, now)?;
            }
            Ok((recorded, expired, lapsing))
        })
        .await;
    let (recorded, expired, lapsing) = match written {
        Ok(written) => {
            let mut kept = lock(state);
            kept.marks = Some(marks);
            kept.written = current;
            written
        }
        Err(err) => {
            // Nothing of this run is stored: start again from the store at the next run, from
            // the same marks, so its findings are found again.
            lock(state).detect = None;
            return Err(err);
        }
    };
    publish(shared, &recorded, &expired, lapsing, state)
}

/// Tells the bus what the run changed in the queue.
fn publish(
    shared: &Shared,
    recorded: &RecordedFindings,
    expired: &[i64],
    lapsing: Vec<i64>,
    state: &Mutex<LoopState>,
) -> Result<(RecordedFindings, Sweep), EngineError> {
    if !recorded.is_empty() {
        tracing::info!(
            opened = recorded.opened.len(),
            updated = recorded.updated.len(),
            "findings"
        );
        shared.bus.publish(ChangeEvent::Findings {
            opened: recorded.opened.clone(),
            updated: recorded.updated.clone(),
        });
    }
    let lapsing: Vec<i64> = {
        let mut kept = lock(state);
        lapsing
            .into_iter()
            .filter(|id| kept.warned.insert(*id))
            .collect()
    };
    let mut changed = expired.to_vec();
    changed.extend(recorded.changed_escalations());
    if !recorded.escalations.is_empty() || !changed.is_empty() || !lapsing.is_empty() {
        shared.bus.publish(ChangeEvent::Escalations {
            opened: recorded.escalations.clone(),
            changed,
            lapsing: lapsing.clone(),
        });
    }
    let sweep = Sweep {
        opened: recorded.escalations.clone(),
        expired: expired.to_vec(),
        lapsing,
    };
    Ok((recorded.clone(), sweep))
}

/// The running detector loop; stopping it waits for the current run.
pub(crate) struct Detector {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// After an ingest with new events, wait this long for other agents' polls landing at the same
/// moment, then run (one run for a burst).
const SETTLE: Duration = Duration::from_millis(20);

/// Resolves when an ingest stored new events (counted on `Shared::new_events`, apart from
/// the bus, whose thousand health updates a second must not wake the detectors).
async fn new_events(ingests: &mut watch::Receiver<u64>) {
    if ingests.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Detector {
    /// Starts the loop: a run every `every` (for the clock-driven detectors: stalls, silent
    /// next stages, SLAs) and one right after each ingest that stored new events, so a
    /// collision is an escalation as soon as its second event is stored. Events received
    /// before `start` are history, not news.
    pub fn spawn(
        shared: Arc<Shared>,
        every: Duration,
        start: DateTime<Utc>,
        state: Arc<Mutex<LoopState>>,
    ) -> Detector {
        let (stop, mut stopped) = watch::channel(false);
        let mut ingests = shared.new_events.subscribe();
        let task = tokio::spawn(async move {
            loop {
                let settle = tokio::select! {
                    () = tokio::time::sleep(every) => false,
                    () = new_events(&mut ingests) => true,
                    _ = stopped.wait_for(|s| *s) => break,
                };
                if settle {
                    tokio::time::sleep(SETTLE).await;
                }
                if let Err(err) = detect_once(&shared, Utc::now(), start, &state).await {
                    tracing::warn!(error = %err, "the detectors could not run");
                }
            }
        });
        Detector { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
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
