//! What the harness reads while the watchers run, besides the watchers themselves: the
//! server's CPU, its sessions waiting for the store's write lock, and the heartbeats.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::support::Sampler;

/// What is read while the watchers run: the server's CPU, and the watchers' heartbeats as the
/// store records them (the time between two of one watcher's heartbeats; past the lease term
/// less a tenth, the watcher stops itself: "cut off").
pub struct Probe {
    pub server: Option<Sampler>,
    pub store: Option<baton_store::Store>,
    /// Watcher id → its last heartbeat seen (ms, the database's clock).
    last_beat: HashMap<i64, i64>,
    pub beat_gaps: Vec<u32>,
    /// Samples of the server's sessions: how many waited for the store's write lock (an
    /// advisory lock), how many were running a statement or waiting, and how many were in a
    /// transaction waiting for their client's next statement.
    pub lock_waits: Vec<(u32, u32, u32)>,
    sampled_at: Option<Instant>,
}

impl Probe {
    /// Samples the throwaway server (its postmaster and backends); the store is set once open.
    pub fn of_the_server() -> Probe {
        Probe {
            server: postmaster_pid().map(|pid| {
                let mut sampler = Sampler::new(pid, true).without_pss();
                sampler.baseline();
                sampler
            }),
            store: None,
            last_beat: HashMap::new(),
            beat_gaps: Vec::new(),
            lock_waits: Vec::new(),
            sampled_at: None,
        }
    }

    pub fn sample(&mut self) {
        if let Some(server) = &mut self.server {
            server.sample();
        }
        // Every two seconds (psql is a process of its own).
        if self
            .sampled_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(2))
        {
            self.sampled_at = Some(Instant::now());
            let counts = baton_testdb::server().sql(
                "postgres",
                "SELECT count(*) FILTER (WHERE wait_event = 'advisory'), \
                        count(*) FILTER (WHERE state = 'active'), \
                        count(*) FILTER (WHERE state = 'idle in transaction') \
                 FROM pg_stat_activity WHERE backend_type = 'client backend' \
                   AND pid <> pg_backend_pid()",
            );
            let counts: Vec<u32> = counts
                .unwrap_or_default()
                .split('|')
                .filter_map(|n| n.trim().parse().ok())
                .collect();
            if let [waiting, active, holding] = counts[..] {
                self.lock_waits.push((waiting, active, holding));
            }
        }
        let Some(watchers) = self.store.as_ref().and_then(|s| s.watchers_view().ok()) else {
            return;
        };
        for w in watchers.into_iter().filter(|w| w.live) {
            let Ok(at) = chrono::DateTime::parse_from_rfc3339(&w.heartbeat_at) else {
                continue;
            };
            let at = at.timestamp_millis();
            if let Some(before) = self.last_beat.insert(w.id, at) {
                if at > before {
                    self.beat_gaps
                        .push(u32::try_from(at - before).unwrap_or(u32::MAX));
                }
            }
        }
    }
}

/// The pid of the throwaway server's postmaster (its backends are its children).
fn postmaster_pid() -> Option<u32> {
    let file = baton_testdb::server()
        .socket_dir()
        .join("data/postmaster.pid");
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}
