//! The lanes the served calls are recorded on: each session's calls on one lane, in the order
//! they came, the sessions spread over the lanes, each lane with a store connection of its
//! own. One session's slow call (a refusal filing its queue item, a store a long round trip
//! away) then holds up its own session's next call only, not every session's.
//!
//! On SQLite one lane: its writes take the file's lock one at a time whatever the number of
//! connections, and two connections waiting on each other's lock would only add the wait. On
//! PostgreSQL [`POSTGRES_LANES`]: the server takes the writes of several connections at once,
//! each waiting on the network rather than on the others.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use baton_store::{Dialect, Store, StorePlace};

use super::server::{publish_link_now_and_then, record_and_answer};
use super::wire::HookRequest;

/// How many lanes serve a PostgreSQL store: as many sessions recorded at once.
pub(super) const POSTGRES_LANES: usize = 4;

/// A call read whole, waiting for its lane.
pub(super) struct Call {
    pub stream: UnixStream,
    pub request: HookRequest,
}

/// The lanes: a thread and a store connection each.
pub(super) struct Lanes {
    senders: Vec<Sender<Call>>,
    threads: Vec<JoinHandle<()>>,
}

impl Lanes {
    /// Opens the lanes of `place`'s store: the first on `first` (already open), the others on
    /// connections of their own. The first lane also looks after the hooks' figure of the
    /// store's round trip ([`crate::link`]).
    pub fn start(
        place: &StorePlace,
        first: Store,
        recorded: &Arc<AtomicU64>,
    ) -> Result<Lanes, super::ServeError> {
        let count = match first.dialect() {
            Dialect::Sqlite => 1,
            Dialect::Postgres => POSTGRES_LANES,
        };
        let mut stores = vec![first];
        for _ in 1..count {
            stores.push(place.open()?);
        }
        let mut lanes = Lanes {
            senders: Vec::with_capacity(count),
            threads: Vec::with_capacity(count),
        };
        for (index, mut store) in stores.into_iter().enumerate() {
            let (sender, calls) = channel::<Call>();
            let recorded = Arc::clone(recorded);
            let anchor: Option<PathBuf> = (index == 0).then(|| place.anchor.clone());
            let thread = std::thread::Builder::new()
                .name(format!("baton-hooks-{index}"))
                .spawn(move || {
                    let mut link_read = None;
                    for call in calls {
                        record_and_answer(&mut store, call.stream, &call.request, &recorded);
                        if let Some(anchor) = &anchor {
                            publish_link_now_and_then(&mut store, anchor, &mut link_read);
                        }
                    }
                })
                .map_err(|err| super::server::cannot(&place.anchor, err))?;
            lanes.senders.push(sender);
            lanes.threads.push(thread);
        }
        Ok(lanes)
    }

    /// Hands `call` to its session's lane.
    pub fn send(&self, call: Call) {
        let lane = lane_of(&call.request, self.senders.len());
        // A lane gone (its thread ended) drops the call: the hook, unanswered, ends it as a
        // call the app took and did not answer.
        let _ = self.senders[lane].send(call);
    }

    /// Lets the lanes finish the calls they hold, then waits for them.
    pub fn stop(self) {
        drop(self.senders);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// The lane of a session's calls, of `lanes`.
fn lane_of(request: &HookRequest, lanes: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    (&request.client, &request.session_id).hash(&mut hasher);
    usize::try_from(hasher.finish() % lanes.max(1) as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(session: &str) -> HookRequest {
        use baton_core::hooks::{HookClient, PermitMode};
        use baton_store::sessions::{PermitSettings, SessionRef};
        let settings = PermitSettings::in_mode(PermitMode::Enforce);
        let session = SessionRef::in_checkout(HookClient::ClaudeCode, session, "/repo");
        HookRequest::new(None, b"{}", &session, &settings)
    }

    #[test]
    fn a_session_keeps_its_lane_and_sessions_spread_over_the_lanes() {
        let lanes: Vec<usize> = (0..64)
            .map(|i| lane_of(&request(&format!("session-{i}")), POSTGRES_LANES))
            .collect();
        for (i, lane) in lanes.iter().enumerate() {
            assert_eq!(
                lane_of(&request(&format!("session-{i}")), POSTGRES_LANES),
                *lane
            );
        }
        for lane in 0..POSTGRES_LANES {
            assert!(
                lanes.contains(&lane),
                "lane {lane} gets no session: {lanes:?}"
            );
        }
        assert!((0..10).all(|i| lane_of(&request(&format!("s{i}")), 1) == 0));
    }
}
