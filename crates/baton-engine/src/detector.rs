//! Runs the coordination detectors on their own interval: each run reads what the store holds
//! (the events received since the last run, the recent window, tasks, agents, rules), records
//! the findings (one open finding per cause) and publishes what opened or changed. Rate-limit
//! pressure reads the usage ledger instead of events (see `ratelimits.rs`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use baton_core::escalations::LAPSE_WARNING;

use baton_core::detect::handoff::HandoffSchemas;
use baton_core::detect::windows::WindowOverrides;
use baton_core::detect::{detect, DetectConfig, ObservedEvent};
use baton_core::protocol::EventKind;
use baton_core::views::ChangeEvent;
use baton_store::findings::RecordedFindings;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EngineError;
use crate::poller::Shared;
use crate::ratelimits::{pressure_findings, PRESSURE_EVERY};

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

/// State the loop keeps between runs.
#[derive(Default)]
pub(crate) struct LoopState {
    /// Escalations already told as about to lapse.
    warned: HashSet<i64>,
    schemas: SchemaCache,
    /// The recent window as of the last run (None: read it whole from the store). Each run adds
    /// the events received since and drops those past the lookback, instead of reading and
    /// parsing the whole window again.
    recent: Option<Vec<ObservedEvent>>,
    /// When the rate-limit pressure detector last ran.
    pressure_at: Option<DateTime<Utc>>,
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

/// The recent window at `now`: the cached one (or the store's) without events older than
/// `since` or of agents that are gone, plus the new events (which count as recent whatever the
/// agent's clock said), oldest first.
fn window(
    cached: Option<Vec<ObservedEvent>>,
    stored: Vec<ObservedEvent>,
    new_events: &[ObservedEvent],
    since: DateTime<Utc>,
    agents: &HashSet<i64>,
) -> Vec<ObservedEvent> {
    let mut recent = match cached {
        Some(mut cached) => {
            cached.retain(|e| e.event.at >= since && agents.contains(&e.agent_id));
            cached
        }
        None => stored,
    };
    let known: HashSet<(i64, u64)> = recent.iter().map(|e| (e.agent_id, e.event.seq)).collect();
    recent.extend(
        new_events
            .iter()
            .filter(|e| !known.contains(&(e.agent_id, e.event.seq)))
            .cloned(),
    );
    recent.sort_by_key(|e| e.event.at);
    recent
}

/// One run at `now` over the events received after `received_after`. Returns what was recorded
/// and the mark for the next run.
pub(crate) async fn detect_once(
    shared: &Shared,
    now: DateTime<Utc>,
    received_after: DateTime<Utc>,
    state: &Arc<std::sync::Mutex<LoopState>>,
) -> Result<(RecordedFindings, Sweep, DateTime<Utc>), EngineError> {
    let config = shared.config.detect.clone();
    let loop_state = Arc::clone(state);
    let profiles = Arc::clone(&shared.profiles);
    let (recorded, mark, expired, lapsing) = shared
        .with_store(move |store| {
            let config = with_overrides(config, store.all_detect_windows()?);
            let lookback = std::iter::once(&config.defaults)
                .chain(config.per_agent.iter().map(|(_, w)| w))
                .flat_map(|w| [w.stall, w.silent_completion])
                .chain([LOOKBACK])
                .max()
                .unwrap_or(LOOKBACK);
            let cached = loop_state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .recent
                .take();
            let since = now - lookback;
            let snapshot =
                store.detect_snapshot(cached.is_none().then_some(since), received_after)?;
            let agents: HashSet<i64> = snapshot.agents.iter().map(|a| a.id).collect();
            let recent = window(
                cached,
                snapshot.recent,
                &snapshot.new_events,
                since,
                &agents,
            );
            let schemas = loop_state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .schemas
                .update(snapshot.handoff_schemas);
            let state = baton_core::detect::DetectState::from_slices(
                &recent,
                &snapshot.tasks,
                &snapshot.rules,
                &snapshot.agents,
            );
            let found = detect(&state.input(now, &snapshot.new_events, &config, &schemas));
            let mut findings = found.findings;
            let mut kept = loop_state.lock().unwrap_or_else(|p| p.into_inner());
            kept.recent = Some(recent);
            // Rate-limit pressure reads the ledger: at once when calls came in, else every 5 s.
            let api_calls = snapshot
                .new_events
                .iter()
                .any(|e| e.event.kind == EventKind::ApiCall);
            let due = kept
                .pressure_at
                .is_none_or(|at| now - at >= PRESSURE_EVERY || at > now);
            if api_calls || due {
                let mut profiles = profiles.lock().unwrap_or_else(|p| p.into_inner());
                findings.extend(pressure_findings(store, now, &mut profiles)?);
                kept.pressure_at = Some(now);
            }
            drop(kept);
            store.record_dead_letters(&found.dead_letters, now)?;
            let recorded = store.record_findings(&findings, now)?;
            let expired = store.expire_escalations(now)?;
            let lapsing = store.escalations_due_before(now + LAPSE_WARNING)?;
            Ok((
                recorded,
                snapshot.received_up_to.unwrap_or(received_after),
                expired,
                lapsing,
            ))
        })
        .await?;
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
    let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
    let lapsing: Vec<i64> = lapsing
        .into_iter()
        .filter(|id| state.warned.insert(*id))
        .collect();
    drop(state);
    if !recorded.escalations.is_empty()
        || !recorded.retitled.is_empty()
        || !expired.is_empty()
        || !lapsing.is_empty()
    {
        let mut changed = expired.clone();
        changed.extend(&recorded.retitled);
        shared.bus.publish(ChangeEvent::Escalations {
            opened: recorded.escalations.clone(),
            changed,
            lapsing: lapsing.clone(),
        });
    }
    let sweep = Sweep {
        opened: recorded.escalations.clone(),
        expired,
        lapsing,
    };
    Ok((recorded, sweep, mark))
}

/// The running detector loop; stopping it waits for the current run.
pub(crate) struct Detector {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// After an ingest with new events, wait this long for other agents' polls landing at the same
/// moment, then run (one run for a burst).
const SETTLE: Duration = Duration::from_millis(20);

/// Resolves when an ingest stored new events (or the bus dropped some: maybe one did).
async fn new_events(changes: &mut tokio::sync::broadcast::Receiver<ChangeEvent>) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match changes.recv().await {
            Ok(ChangeEvent::Ingested { new_events, .. }) if new_events > 0 => return,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => std::future::pending::<()>().await,
        }
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
        state: Arc<std::sync::Mutex<LoopState>>,
    ) -> Detector {
        let (stop, mut stopped) = watch::channel(false);
        let mut changes = shared.bus.subscribe();
        let task = tokio::spawn(async move {
            let mut mark = start;
            loop {
                let settle = tokio::select! {
                    () = tokio::time::sleep(every) => false,
                    () = new_events(&mut changes) => true,
                    _ = stopped.wait_for(|s| *s) => break,
                };
                if settle {
                    tokio::time::sleep(SETTLE).await;
                }
                match detect_once(&shared, Utc::now(), mark, &state).await {
                    Ok((_, _, next)) => mark = next,
                    Err(err) => tracing::warn!(error = %err, "the detectors could not run"),
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
    use baton_core::protocol::{Event, EventKind};
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap() + chrono::Duration::seconds(secs)
    }

    fn ev(agent_id: i64, seq: u64, secs: i64) -> ObservedEvent {
        ObservedEvent {
            agent_id,
            event: Event::new(seq, at(secs), EventKind::Write),
        }
    }

    fn keys(events: &[ObservedEvent]) -> Vec<(i64, u64)> {
        events.iter().map(|e| (e.agent_id, e.event.seq)).collect()
    }

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
    }

    #[test]
    fn the_kept_window_drops_old_events_and_gone_agents_and_takes_the_new_ones_in_order() {
        let agents: HashSet<i64> = [1, 2].into();
        let cached = vec![ev(1, 1, 0), ev(3, 1, 20), ev(1, 2, 30), ev(2, 1, 40)];
        // A new event with an old `at` still counts; a repeat of a kept one is not doubled.
        let new = [ev(2, 2, 5), ev(1, 2, 30)];
        let recent = window(Some(cached), vec![ev(9, 9, 50)], &new, at(10), &agents);
        assert_eq!(keys(&recent), [(2, 2), (1, 2), (2, 1)]);
        // Without a kept window, the store's is used.
        let fresh = window(None, vec![ev(1, 1, 0)], &[ev(1, 2, 1)], at(0), &agents);
        assert_eq!(keys(&fresh), [(1, 1), (1, 2)]);
    }
}
