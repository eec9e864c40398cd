//! What the OTLP receiver took and refused since it started (`baton otlp`, the tests).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// The receiver's counters.
#[derive(Debug, Default)]
pub(crate) struct OtlpStats {
    requests: AtomicU64,
    spans: AtomicU64,
    spans_ignored: AtomicU64,
    spans_refused: AtomicU64,
    log_records: AtomicU64,
    client_events: AtomicU64,
    client_events_unjoined: AtomicU64,
    data_points: AtomicU64,
    unreadable: AtomicU64,
    too_large: AtomicU64,
    throttled: AtomicU64,
    unavailable: AtomicU64,
    unauthorized: AtomicU64,
}

/// The receiver's figures at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OtlpCounts {
    /// Export requests answered, whatever the answer.
    pub requests: u64,
    /// Spans stored (GenAI spans) or read and ignored (others).
    pub spans: u64,
    /// Spans that were not GenAI spans.
    pub spans_ignored: u64,
    /// Spans refused as partial success (past the request's limit, or without valid ids).
    pub spans_refused: u64,
    pub log_records: u64,
    /// Coding clients' events (API calls and errors, tool decisions and results) stored on the
    /// sessions their hooks reported.
    pub client_events: u64,
    /// Coding clients' events of sessions Baton never heard through their hooks: not kept.
    pub client_events_unjoined: u64,
    pub data_points: u64,
    /// Bodies that could not be read (400).
    pub unreadable: u64,
    /// Bodies too large, before or after gzip (413).
    pub too_large: u64,
    /// Requests answered 429: the queue to the store was full.
    pub throttled: u64,
    /// Requests answered 503: the store did not answer.
    pub unavailable: u64,
    /// Requests without the bearer token the receiver asks for off loopback (401).
    pub unauthorized: u64,
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
}

impl OtlpStats {
    pub fn request(&self) {
        add(&self.requests, 1);
    }
    pub fn spans(&self, read: usize, refused: i64) {
        add(&self.spans, read);
        add(&self.spans_refused, usize::try_from(refused).unwrap_or(0));
    }
    pub fn add_ignored(&self, n: usize) {
        add(&self.spans_ignored, n);
    }
    pub fn log_records(&self, n: usize) {
        add(&self.log_records, n);
    }
    pub fn client_events(&self, joined: usize, unjoined: usize) {
        add(&self.client_events, joined);
        add(&self.client_events_unjoined, unjoined);
    }
    pub fn data_points(&self, n: usize) {
        add(&self.data_points, n);
    }
    pub fn unreadable(&self) {
        add(&self.unreadable, 1);
    }
    pub fn too_large(&self) {
        add(&self.too_large, 1);
    }
    pub fn throttled(&self) {
        add(&self.throttled, 1);
    }
    pub fn unavailable(&self) {
        add(&self.unavailable, 1);
    }
    pub fn unauthorized(&self) {
        add(&self.unauthorized, 1);
    }

    pub fn counts(&self) -> OtlpCounts {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        OtlpCounts {
            requests: load(&self.requests),
            spans: load(&self.spans),
            spans_ignored: load(&self.spans_ignored),
            spans_refused: load(&self.spans_refused),
            log_records: load(&self.log_records),
            client_events: load(&self.client_events),
            client_events_unjoined: load(&self.client_events_unjoined),
            data_points: load(&self.data_points),
            unreadable: load(&self.unreadable),
            too_large: load(&self.too_large),
            throttled: load(&self.throttled),
            unavailable: load(&self.unavailable),
            unauthorized: load(&self.unauthorized),
        }
    }
}
