//! Telling an agent's pollers apart by the connection their requests come on
//! ([`crate::SimFleet::poll_sources`] keeps each request's port): a poller keeps its connection
//! from poll to poll, and another poller (another watcher) comes on a connection of its own.
//! The watcher tests and the failover benchmark read "one poller" and "polled again by another"
//! from it.

use std::collections::HashSet;
use std::time::Instant;

/// The ports of the requests that arrived in `[from, to]`, in order.
pub fn ports_between(sources: &[(Instant, u16)], from: Instant, to: Instant) -> Vec<u16> {
    sources
        .iter()
        .filter(|(at, _)| *at >= from && *at <= to)
        .map(|(_, port)| *port)
        .collect()
}

/// True when the requests came from one poller at a time: a connection only ever gives way to
/// a new one (a poller that reconnected, or another that took over), while two pollers at once
/// take turns, and a port comes back after another one was seen.
pub fn one_at_a_time(ports: &[u16]) -> bool {
    let mut seen = HashSet::new();
    let mut last = None;
    for &port in ports {
        if last != Some(port) && !seen.insert(port) {
            return false;
        }
        last = Some(port);
    }
    true
}

/// The first request after `after` on a connection other than `old` (those of a poller that
/// stopped): when another poller took over. None when none came yet.
pub fn taken_over_at(sources: &[(Instant, u16)], after: Instant, old: &[u16]) -> Option<Instant> {
    sources
        .iter()
        .find(|(at, port)| *at > after && !old.contains(port))
        .map(|(at, _)| *at)
}

/// How long after a `kill -9` a request of the dead poller may still arrive (sent before it
/// died, read by the agent's server after).
pub const IN_FLIGHT: std::time::Duration = std::time::Duration::from_secs(1);

/// When another poller took over from one killed at `killed`, whose connection was `old`: the
/// first request after the kill on another connection, or any request [`IN_FLIGHT`] after it
/// (a dead process's port may be taken again on loopback by another's new connection to the
/// same agent, so after that the port tells nothing). None when none came yet.
pub fn taken_over_after_kill(
    sources: &[(Instant, u16)],
    killed: Instant,
    old: &[u16],
) -> Option<Instant> {
    sources
        .iter()
        .find(|(at, port)| *at > killed && (!old.contains(port) || *at > killed + IN_FLIGHT))
        .map(|(at, _)| *at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn one_poller_reconnects_but_two_take_turns() {
        assert!(one_at_a_time(&[]));
        assert!(one_at_a_time(&[5, 5, 5]));
        // A reconnect, then another watcher taking over: each connection gives way for good.
        assert!(one_at_a_time(&[5, 5, 6, 6, 7]));
        // Two pollers at once.
        assert!(!one_at_a_time(&[5, 6, 5]));
        assert!(!one_at_a_time(&[5, 5, 6, 6, 5, 6]));
    }

    #[test]
    fn the_stretch_and_the_takeover_are_read_by_time_and_port() {
        let start = Instant::now();
        let sources = vec![
            (at(start, 0), 5),
            (at(start, 1000), 5),
            (at(start, 2000), 5),
            // The old poller's request in flight when it was killed, then another's.
            (at(start, 2100), 5),
            (at(start, 7000), 9),
            (at(start, 8000), 9),
        ];
        assert_eq!(
            ports_between(&sources, at(start, 500), at(start, 2000)),
            [5, 5]
        );
        assert_eq!(
            taken_over_at(&sources, at(start, 2050), &[5]),
            Some(at(start, 7000))
        );
        assert_eq!(taken_over_at(&sources, at(start, 8000), &[5]), None);
        assert_eq!(taken_over_at(&sources, at(start, 2050), &[5, 9]), None);
        // After a kill: the dead poller's port taken again by another's connection still counts
        // once the requests of the dead one can no longer be on their way.
        let reused = vec![
            (at(start, 0), 5),
            (at(start, 2100), 5),
            (at(start, 6000), 5),
        ];
        assert_eq!(
            taken_over_after_kill(&reused, at(start, 2050), &[5]),
            Some(at(start, 6000))
        );
        assert_eq!(
            taken_over_after_kill(&sources, at(start, 2050), &[5]),
            Some(at(start, 7000))
        );
        assert_eq!(
            taken_over_after_kill(&reused[..2], at(start, 2050), &[5]),
            None
        );
    }
}
