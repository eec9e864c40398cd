//! What the engine measures about itself: how long detector runs take, how big their window
//! is, and what the store's writer did. `baton watch --stats` prints it; benchmarks read it.

use std::collections::VecDeque;
use std::time::Duration;

use baton_store::WriterStats;
use serde::Serialize;

/// Runs whose durations are kept for the percentiles.
const KEPT_RUNS: usize = 4_096;

/// The durations of the latest detector runs.
#[derive(Debug, Default)]
pub(crate) struct RunTimes {
    runs: u64,
    latest: VecDeque<Duration>,
    max: Duration,
    window_events: usize,
    tasks_kept: usize,
    findings: u64,
    findings_written: u64,
}

impl RunTimes {
    /// A run found `found` findings, of which `written` were new or changed.
    pub(crate) fn record_findings(&mut self, found: usize, written: usize) {
        self.findings += found as u64;
        self.findings_written += written as u64;
    }

    pub(crate) fn record(&mut self, took: Duration, window_events: usize, tasks_kept: usize) {
        self.runs += 1;
        if self.latest.len() == KEPT_RUNS {
            self.latest.pop_front();
        }
        self.latest.push_back(took);
        self.max = self.max.max(took);
        self.window_events = window_events;
        self.tasks_kept = tasks_kept;
    }

    pub(crate) fn summary(&self) -> DetectorStats {
        let mut sorted: Vec<Duration> = self.latest.iter().copied().collect();
        sorted.sort_unstable();
        let at = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let i = ((sorted.len() - 1) as f64 * q).round() as usize;
            ms(sorted[i])
        };
        DetectorStats {
            runs: self.runs,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: ms(self.max),
            window_events: self.window_events,
            tasks_kept: self.tasks_kept,
            findings: self.findings,
            findings_written: self.findings_written,
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The detector runs so far (percentiles over the latest 4,096).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DetectorStats {
    pub runs: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Events in the detectors' window after the latest run.
    pub window_events: usize,
    /// Tasks the detectors keep after the latest run.
    pub tasks_kept: usize,
    /// Findings of all runs, and those of them written to the store (new or changed; a
    /// finding found again unchanged is not written again).
    pub findings: u64,
    pub findings_written: u64,
}

/// A sharing watcher's heartbeats after its first: how long each renewal took from sending
/// to its answer (the store's write latency for it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HeartbeatStats {
    pub beats: u64,
    /// Those that used more than half the margin before the watcher stops itself.
    pub slow: u64,
    pub last_ms: f64,
    pub max_ms: f64,
}

impl HeartbeatStats {
    pub(crate) fn record(&mut self, took: Duration, slow: bool) {
        self.beats += 1;
        self.slow += u64::from(slow);
        self.last_ms = ms(took);
        self.max_ms = self.max_ms.max(self.last_ms);
    }
}

/// The engine's own figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EngineStats {
    pub detector: DetectorStats,
    /// Its heartbeats, when it shares its store with other watchers.
    pub heartbeats: HeartbeatStats,
    /// Write batches committed, writes, the largest batch, time busy.
    pub writer_batches: u64,
    pub writer_writes: u64,
    pub writer_largest_batch: u64,
    pub writer_busy_ms: u64,
    /// Groups of polls written together, the largest, and the writer's round trips to a
    /// PostgreSQL store (0 on SQLite).
    pub writer_groups: u64,
    pub writer_largest_group: u64,
    pub writer_round_trips: u64,
    /// Statements the writer sent to a PostgreSQL store (0 on SQLite).
    pub writer_statements: u64,
    /// Pollers' first stored polls (a start, a takeover) that found which of their tasks are
    /// stored as reported, the tasks they compared field by field or sent to be compared (the
    /// others were settled by the digest of their text), and the polls that read the stored
    /// digests alone (not with the other agents taken in one heartbeat).
    pub first_polls: u64,
    pub first_polls_tasks_compared: u64,
    pub first_polls_read_alone: u64,
    /// Quiet polls whose answer was byte for byte the agent's last quiet one: not parsed,
    /// compared or written.
    pub quiet_polls_unread: u64,
}

/// The pollers' first stored polls, counted (`EngineStats::first_polls`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FirstPollCounts {
    pub polls: u64,
    pub tasks_compared: u64,
    pub read_alone: u64,
}

impl EngineStats {
    pub(crate) fn new(
        detector: DetectorStats,
        heartbeats: HeartbeatStats,
        writer: WriterStats,
        first_polls: FirstPollCounts,
        quiet_polls_unread: u64,
    ) -> EngineStats {
        EngineStats {
            detector,
            heartbeats,
            writer_batches: writer.batches,
            writer_writes: writer.writes,
            writer_largest_batch: writer.largest_batch,
            writer_busy_ms: writer.busy_us / 1_000,
            writer_groups: writer.groups,
            writer_largest_group: writer.largest_group,
            writer_round_trips: writer.round_trips,
            writer_statements: writer.statements,
            first_polls: first_polls.polls,
            first_polls_tasks_compared: first_polls.tasks_compared,
            first_polls_read_alone: first_polls.read_alone,
            quiet_polls_unread,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_the_latest_runs() {
        let mut times = RunTimes::default();
        assert_eq!(times.summary().p99_ms, 0.0);
        for ms in 1..=100u64 {
            times.record(Duration::from_millis(ms), 10, 2);
        }
        let s = times.summary();
        assert_eq!(s.runs, 100);
        assert_eq!(s.p50_ms, 51.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!((s.window_events, s.tasks_kept), (10, 2));
    }
}
