//! The engine's settings and token edits.

use baton_core::agent::DEFAULT_BODY_CAP_BYTES;
use baton_core::backoff::Backoff;

use std::net::SocketAddr;

use crate::watch_share::Sharing;

/// Default limit on redirects followed in one poll.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Largest status body accepted (4 MiB by default); larger answers fail the poll.
    pub body_cap_bytes: u64,
    /// Retry spacing while an endpoint fails.
    pub backoff: Backoff,
    /// Redirects followed in one poll before it fails with "too many redirects".
    pub max_redirects: usize,
    /// Delay each agent's first poll by its stable `start_offset_ms()` so a fleet's polls spread
    /// over the interval. Tests turn it off to poll at once.
    pub spread_start: bool,
    /// How often the coordination detectors run (0: never).
    pub detect_every_ms: u64,
    /// The detectors' windows and budgets.
    pub detect: baton_core::detect::DetectConfig,
    /// Most events the detectors keep in memory (the oldest go first past it).
    pub detect_window_events: usize,
    /// Retry spacing of a decision the agent has not acknowledged (1 s doubling to 5 min).
    pub delivery_backoff: Backoff,
    /// Deliver decisions from the outbox (tests of the store alone turn it off).
    pub relay: bool,
    /// Share the store with other watchers: poll only the agents this one holds a lease on,
    /// run the detectors only while holding theirs (None: poll every agent, as one watcher).
    pub sharing: Option<Sharing>,
    /// Watch the agents: poll them, run the detectors, deliver decisions. Off, the engine is
    /// a viewer of a store other watchers keep: it shows what they (and everybody) wrote,
    /// through the store's change feed, and decides items; its decisions are delivered by
    /// whoever watches.
    pub watching: bool,
    /// Send the routes' notifications and read their answers (issue 60), while watching.
    pub notify: bool,
    /// The keyring entry of this data folder's answer key (what signs the buttons' answers).
    pub answer_key_entry: String,
    /// The time the routes' loop judges by (digests, quiet hours, storms): the machine's,
    /// unless a test moves it on.
    pub notify_clock: crate::notify::clock::NotifyClock,
    /// The longest pause between two rounds of the routes' loop (a retry due, an item another
    /// process opened); a new item of this engine's starts a round at once.
    pub notify_round: std::time::Duration,
    /// Where a person's decisions through this engine are made (the log says so, and so does
    /// a route's message of the item once settled): the app, unless `baton decide` says.
    pub decides_in: baton_store::decide::DecidedIn,
    /// Pauses between attempts to open a route's reply stream while it fails (0.5 s doubling
    /// to a minute, jittered; tests shorten them).
    pub reply_reconnect: Backoff,
    /// Where the OTLP receiver listens while the engine watches (issue 61).
    pub otlp: OtlpPlace,
}

/// Where the engine's receiver listens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OtlpPlace {
    /// No receiver (tests, and engines that only look): the default.
    #[default]
    Off,
    /// Where the store's settings say (`[otlp]` in `baton.toml`, `baton otlp`): the app and
    /// `baton watch`.
    Stored,
    /// Here (tests: `127.0.0.1:0`; `baton watch --otlp-listen`).
    At(SocketAddr),
}

/// The longest pause between two rounds of the routes' loop, by default (a retry due, an item
/// another process opened).
pub const NOTIFY_ROUND: std::time::Duration = std::time::Duration::from_secs(2);

/// The answer key's entry when no data folder names one.
pub const DEFAULT_ANSWER_KEY_ENTRY: &str = "answer-key";

/// The answer key's entry for the data folder `dir`: one key per data folder.
pub fn answer_key_entry(dir: &std::path::Path) -> String {
    // A stable name from the folder's path, FNV-1a (not a secret: it only tells folders apart).
    let hash = dir
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{DEFAULT_ANSWER_KEY_ENTRY}-{hash:016x}")
}

/// The default pauses between attempts to open a reply stream while it fails.
pub const REPLY_RECONNECT: Backoff = Backoff {
    base_ms: 500,
    cap_ms: 60_000,
};

/// The default retry spacing of decision deliveries.
pub const DELIVERY_BACKOFF: Backoff = Backoff {
    base_ms: 1_000,
    cap_ms: 300_000,
};

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            body_cap_bytes: DEFAULT_BODY_CAP_BYTES,
            backoff: Backoff::default(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            spread_start: true,
            detect_every_ms: 1_000,
            detect: baton_core::detect::DetectConfig::default(),
            detect_window_events: baton_core::detect::recent::DEFAULT_CAPACITY,
            delivery_backoff: DELIVERY_BACKOFF,
            relay: true,
            sharing: None,
            watching: true,
            notify: true,
            answer_key_entry: DEFAULT_ANSWER_KEY_ENTRY.to_owned(),
            notify_clock: Default::default(),
            notify_round: NOTIFY_ROUND,
            decides_in: baton_store::decide::DecidedIn::App,
            reply_reconnect: REPLY_RECONNECT,
            otlp: OtlpPlace::Off,
        }
    }
}

/// What to do with an agent's token when it is edited.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenUpdate {
    Keep,
    Set(String),
    Clear,
}

/// Never prints the token itself.
impl std::fmt::Debug for TokenUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenUpdate::Keep => f.write_str("Keep"),
            TokenUpdate::Set(_) => f.write_str("Set(<redacted>)"),
            TokenUpdate::Clear => f.write_str("Clear"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_updates_never_print_the_token() {
        assert_eq!(
            format!("{:?}", TokenUpdate::Set("s3cret".into())),
            "Set(<redacted>)"
        );
        assert_eq!(format!("{:?}", TokenUpdate::Keep), "Keep");
    }

    #[test]
    fn defaults_match_the_documented_limits() {
        let config = EngineConfig::default();
        assert_eq!(config.body_cap_bytes, 4 * 1024 * 1024);
        assert_eq!(config.max_redirects, 5);
        assert!(config.spread_start);
        assert_eq!(config.backoff, Backoff::default());
    }
}
