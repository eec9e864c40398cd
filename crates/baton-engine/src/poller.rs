//! The task that repeats an agent's poll (`poll.rs`) on the agent's interval, on a fixed
//! schedule, backing off with full jitter while the endpoint fails.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::poll::{poll, AgentRuntime, PollOutcome, StopSignal, Writes};
use crate::poll_schedule::{next_due, taken_over_due_in};
use crate::shared::Shared;
use crate::watch_share::Right;

/// A running poller; dropping it stops the task too (at its next await point).
pub(crate) struct Poller {
    runtime: Arc<AgentRuntime>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// When a new poller's first poll comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstPoll {
    /// At the agent's place in the interval (`start_offset_ms`), so that a fleet started
    /// together is not polled in one burst.
    Spread,
    /// Taken over from another watcher: an interval after that watcher's last poll of it, so
    /// its place in the interval stays (a hand-back); at once when that is past (the watcher
    /// died or was cut off: the agent is overdue), then at its place in the spread.
    TakenOver,
}

impl Poller {
    pub fn spawn(shared: Arc<Shared>, runtime: Arc<AgentRuntime>, first: FirstPoll) -> Poller {
        let (stop, rx) = watch::channel(false);
        let span = tracing::info_span!("poller", agent_id = runtime.config.id);
        let run = run(shared, Arc::clone(&runtime), StopSignal(Some(rx)), first);
        let task = tokio::spawn(run.instrument(span));
        Poller {
            runtime,
            stop,
            task,
        }
    }

    pub fn runtime(&self) -> &Arc<AgentRuntime> {
        &self.runtime
    }

    /// The task ended on its own (agent gone, or no longer held).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Asks the task to stop and waits until it has (and until no poll of the agent runs).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(err) = self.task.await {
            if err.is_panic() {
                tracing::error!(agent_id = self.runtime.config.id, "poller panicked: {err}");
            }
        }
        self.runtime.quiesce().await;
    }
}

async fn run(
    shared: Arc<Shared>,
    agent: Arc<AgentRuntime>,
    mut stop: StopSignal,
    first_poll: FirstPoll,
) {
    let interval = agent.config.poll_interval_ms;
    let spread = if shared.config.spread_start {
        agent.config.start_offset_ms()
    } else {
        0
    };
    let (first, mut then_spread) = match first_poll {
        FirstPoll::Spread => (spread, None),
        FirstPoll::TakenOver => match taken_over_due_in(agent.last_attempt(), interval, Utc::now())
        {
            Some(due_in) => (due_in, None),
            // Overdue: poll now, and the next time at the agent's place in the spread.
            None => (0, Some(spread).filter(|s| *s > 0)),
        },
    };
    let mut failures: u32 = 0;
    tracing::debug!(
        interval_ms = interval,
        first_in_ms = first,
        last_attempt = ?agent.last_attempt(),
        "poller started"
    );
    // Polls keep a fixed schedule (`next_due`: from when the last was due, not when it ended).
    let mut next = tokio::time::Instant::now() + Duration::from_millis(first);
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = stop.stopped() => break,
        }
        let due = next;
        let mut asked_pause_ms = None;
        // Boxed: a poll's future is large, and inline it would be part of every poller's task
        // for as long as the task sleeps between polls.
        match Box::pin(poll(&shared, &agent, &mut stop, Writes::LeftUnderWay)).await {
            None => break,
            Some(PollOutcome::Gone) => {
                tracing::info!("agent no longer stored; poller stops");
                break;
            }
            Some(PollOutcome::Fenced(why)) => {
                // The heartbeat's next round stops or restarts this poller as the leases say. The
                // store refusing a lease this watcher believes it holds is news; one it offered
                // (another watcher joined and took it) or knows it lost (cut off, said already)
                // is not.
                let believed = shared.sharing.agent(agent.config.id) != Right::NotHeld
                    && !shared.sharing.offers(agent.config.id);
                if why.starts_with("not stored") && believed {
                    shared.sharing.lose_agent(agent.config.id);
                    let name = &agent.config.name;
                    shared
                        .sharing
                        .note("fenced", format!("stopped polling {name}: {why}"));
                } else {
                    tracing::debug!(%why, "poller stops");
                }
                break;
            }
            Some(PollOutcome::Done {
                health, pause_ms, ..
            }) => {
                failures = health.consecutive_failures;
                asked_pause_ms = pause_ms;
            }
            // Fetched, and storing: how its write ended, when it did not store, comes with a
            // later poll.
            Some(PollOutcome::Storing) => failures = 0,
            Some(PollOutcome::StoreFailed(err)) => {
                if shared.store_health.failed(&shared.bus, &err) {
                    // The store is out of reach: wait for it with every other poller, then poll
                    // at once (nothing fetched meanwhile was kept, so nothing is lost).
                    tokio::select! {
                        () = shared.store_health.wait_up() => {}
                        () = stop.stopped() => break,
                    }
                    next = tokio::time::Instant::now();
                    continue;
                }
                failures = failures.saturating_add(1);
            }
        }
        // An agent that asked for a pause (429 or 503 with `Retry-After`) gets it, up to the cap.
        let delay = shared
            .config
            .backoff
            .next_poll_ms(interval, failures, rand::random::<f64>())
            .max(asked_pause_ms.unwrap_or(0));
        let delay = match then_spread.take() {
            Some(spread) if delay == interval => spread,
            _ => delay,
        };
        next = next_due(
            due,
            delay,
            asked_pause_ms.is_some(),
            tokio::time::Instant::now(),
        );
    }
    // The writes of the last polls still under way are waited for: a poller that ended has
    // nothing of its agent left in flight.
    agent.quiesce().await;
    tracing::debug!("poller stopped");
}
