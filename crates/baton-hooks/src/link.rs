//! This machine's link to the store, as its hook calls measure it: how long a call's work on the
//! store takes (kept in the data folder, `store-link.json`), what the budget a hook waits for
//! the store follows, and when the figure is next published to the store for `baton status`
//! and the app.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Seconds a client waits for Baton's hook, as `baton hooks install` writes it (a call is
/// answered in milliseconds, or goes ahead when the store takes longer than its budget).
pub const HOOK_TIMEOUT_SECONDS: u64 = 10;

/// The file, in the data folder.
pub const LINK_FILE: &str = "store-link.json";
/// A budget is this many times a call's measured time: a call slower than that is not the
/// store's usual pace.
const CALLS_PER_BUDGET: u32 = 3;
/// The longest a hook waits for the store: the client's own limit for Baton's hooks (as
/// installed, [`HOOK_TIMEOUT_SECONDS`]) less the time to start, answer and exit.
pub const BUDGET_CEILING: Duration = Duration::from_secs(HOOK_TIMEOUT_SECONDS - 2);
/// How often a machine's figure reaches the store (one statement more, that often).
const PUBLISH_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// What the file keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreLink {
    /// A call's work on the store, smoothed over the last calls (milliseconds).
    pub call_ms: f64,
    /// The slowest of the last calls, fading (milliseconds): calls differ (a refusal files
    /// its item), and the budget must hold the slow kind too.
    #[serde(default)]
    pub slow_ms: f64,
    pub measured_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
}

fn link_path(anchor: &Path) -> PathBuf {
    anchor.with_file_name(LINK_FILE)
}

/// The link as last measured (none yet: zero).
pub fn read_link(anchor: &Path) -> StoreLink {
    std::fs::read(link_path(anchor))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|link: &StoreLink| link.call_ms.is_finite() && link.call_ms >= 0.0)
        .unwrap_or_default()
}

/// The budget of a machine whose hooks never had an answer from the store yet: a store far
/// away takes a few hundred milliseconds for a first call (a new connection, a new session).
pub const FIRST_BUDGET: Duration = Duration::from_secs(3);

/// The budget for the next call: `least` (the configured one), or a few of the answered calls'
/// measured time when the store is slower than that, never past [`BUDGET_CEILING`]; before
/// any call was answered, [`FIRST_BUDGET`]. Calls that were not answered measure nothing: a
/// store that went silent does not make every call wait longer.
pub fn budget(anchor: &Path, least: Duration) -> Duration {
    let link = read_link(anchor);
    match link.measured_at {
        Some(_) => budget_for(link.call_ms.max(link.slow_ms / 2.0), least),
        None => FIRST_BUDGET.max(least),
    }
}

fn budget_for(call_ms: f64, least: Duration) -> Duration {
    let follows = Duration::from_secs_f64(call_ms.max(0.0) / 1000.0) * CALLS_PER_BUDGET;
    follows.max(least).min(BUDGET_CEILING.max(least))
}

/// How often the figure is written when it barely moves (a file written by every call of ten
/// sessions at once cost the calls through a running app a third of their time).
const WRITE_EVERY: chrono::Duration = chrono::Duration::seconds(10);

/// Notes that an answered call's work on the store took `took` at `now`: written when it
/// moved by more than a quarter, or every [`WRITE_EVERY`].
pub fn note_call(anchor: &Path, took: Duration, now: DateTime<Utc>) -> StoreLink {
    let was = read_link(anchor);
    let mut link = was;
    let ms = took.as_secs_f64() * 1000.0;
    link.call_ms = match link.measured_at {
        // Smoothed, so that one slow call moves the budget a third of the way.
        Some(_) => link.call_ms * 2.0 / 3.0 + ms / 3.0,
        None => ms,
    };
    // The slowest fades by a tenth a call.
    link.slow_ms = ms.max(link.slow_ms * 0.9);
    link.measured_at = Some(now);
    let moved = |a: f64, b: f64| (a - b).abs() > 0.25 * b.max(1.0);
    let due = was
        .measured_at
        .is_none_or(|at| now - at >= WRITE_EVERY || at > now);
    if due || moved(link.call_ms, was.call_ms) || moved(link.slow_ms, was.slow_ms) {
        write_link(anchor, &link);
    }
    link
}

/// The figure to publish to the store with the next call (milliseconds), when it is due: a
/// figure measured and not published for a few minutes. The caller publishes it and calls
/// [`note_published`].
pub fn publish_due(anchor: &Path, now: DateTime<Utc>) -> Option<u64> {
    let link = read_link(anchor);
    let due = link
        .published_at
        .is_none_or(|at| now - at >= PUBLISH_EVERY || at > now);
    (due && link.measured_at.is_some()).then_some(link.call_ms.round() as u64)
}

/// Notes that the figure reached the store at `now`.
pub fn note_published(anchor: &Path, now: DateTime<Utc>) {
    let mut link = read_link(anchor);
    link.published_at = Some(now);
    write_link(anchor, &link);
}

/// Written whole under a new name, then renamed: a reader never sees half of it. A file that
/// cannot be written costs only the budget's following (the configured one applies).
fn write_link(anchor: &Path, link: &StoreLink) {
    let path = link_path(anchor);
    let fresh = path.with_extension(format!("json.{}", std::process::id()));
    let Ok(bytes) = serde_json::to_vec(link) else {
        return;
    };
    if std::fs::write(&fresh, bytes).is_ok() && std::fs::rename(&fresh, &path).is_err() {
        let _ = std::fs::remove_file(&fresh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_follows_the_calls_time_between_the_configured_one_and_the_clients_limit() {
        let least = Duration::from_millis(500);
        assert_eq!(budget_for(0.0, least), least);
        assert_eq!(budget_for(100.0, least), least);
        assert_eq!(budget_for(400.0, least), Duration::from_millis(1200));
        assert_eq!(budget_for(1e9, least), BUDGET_CEILING);
        // A budget set higher than the ceiling (tests, a person's choice) is kept.
        assert_eq!(
            budget_for(0.0, Duration::from_secs(30)),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn calls_are_smoothed_kept_in_the_data_folder_and_published_every_few_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = dir.path().join("baton.sqlite3");
        let now = Utc::now();
        assert_eq!(read_link(&anchor), StoreLink::default());
        assert_eq!(publish_due(&anchor, now), None);
        let least = Duration::from_millis(500);
        assert_eq!(budget(&anchor, least), FIRST_BUDGET);
        let link = note_call(&anchor, Duration::from_millis(300), now);
        assert!((link.call_ms - 300.0).abs() < 1e-6);
        assert_eq!(publish_due(&anchor, now), Some(300));
        note_published(&anchor, now);
        let link = note_call(&anchor, Duration::from_millis(600), now);
        assert!((link.call_ms - 400.0).abs() < 1e-6, "{link:?}");
        assert!((link.slow_ms - 600.0).abs() < 1e-6, "{link:?}");
        assert_eq!(budget(&anchor, least), Duration::from_millis(1200));
        // One slow call (a refusal and its item) among quick ones: the budget holds it.
        note_call(&anchor, Duration::from_millis(3000), now);
        // A figure that barely moves is written every 10 s, not at every call.
        let unwritten = note_call(&anchor, Duration::from_millis(1100), now);
        assert!(read_link(&anchor).call_ms > unwritten.call_ms + 1.0);
        for second in 1..=5 {
            let at = now + chrono::Duration::seconds(11 * second);
            note_call(&anchor, Duration::from_millis(300), at);
        }
        let link = read_link(&anchor);
        assert!(link.call_ms < 500.0, "{link:?}");
        assert!(
            budget(&anchor, least) >= Duration::from_millis(2500),
            "{link:?}"
        );
        let later = now + chrono::Duration::minutes(6);
        let smoothed = read_link(&anchor).call_ms.round() as u64;
        assert_eq!(publish_due(&anchor, later), Some(smoothed));
        // Junk in the file is no figure.
        std::fs::write(dir.path().join(LINK_FILE), b"{\"call_ms\": \"x\"").unwrap();
        assert_eq!(read_link(&anchor), StoreLink::default());
    }
}
