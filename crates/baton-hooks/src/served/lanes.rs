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
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use baton_core::hooks::parse_hook_payload;
use baton_store::coding_usage::UsageFeed;
use baton_store::sessions::HookRecord;
use baton_store::{Dialect, Store};
use chrono::Utc;

use super::wire::{HookRequest, HookResponse};
use crate::usage::usage_feed_of;

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

/// How many lanes serve a store of `dialect`.
pub(super) fn lanes_for(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 1,
        Dialect::Postgres => POSTGRES_LANES,
    }
}

impl Lanes {
    /// A lane on each of `stores` (open connections to one store, [`lanes_for`] of them). The
    /// first lane also looks after the hooks' figure of the store's round trip
    /// ([`crate::link`]) of the data folder at `anchor`.
    pub fn start(
        stores: Vec<Store>,
        anchor: &Path,
        recorded: &Arc<AtomicU64>,
    ) -> std::io::Result<Lanes> {
        let mut lanes = Lanes {
            senders: Vec::with_capacity(stores.len()),
            threads: Vec::with_capacity(stores.len()),
        };
        for (index, mut store) in stores.into_iter().enumerate() {
            let (sender, calls) = channel::<Call>();
            let recorded = Arc::clone(recorded);
            let anchor: Option<PathBuf> = (index == 0).then(|| anchor.to_owned());
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
                })?;
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

/// How often the server looks whether the hooks' figure is due at the store.
const LINK_LOOK_EVERY: Duration = Duration::from_secs(30);

/// After a call: the hooks' figure ([`crate::link`]) looked at every [`LINK_LOOK_EVERY`] (at
/// the next call while nothing is measured yet), and published when due.
fn publish_link_now_and_then(
    store: &mut Store,
    anchor: &Path,
    read_at: &mut Option<std::time::Instant>,
) {
    if read_at.is_none_or(|at| at.elapsed() >= LINK_LOOK_EVERY) && publish_link(store, anchor) {
        *read_at = Some(std::time::Instant::now());
    }
}

/// This machine's time for a hook call (as its hooks measure it, [`crate::link`]) reaches the
/// store every few minutes, after the call is answered. Whether the hooks have measured
/// anything yet.
fn publish_link(store: &mut Store, anchor: &Path) -> bool {
    let now = Utc::now();
    if let Some(ms) = crate::link::publish_due(anchor, now) {
        let host = baton_store::host::this_machine();
        if store.note_store_link(&host, ms, now).is_ok() {
            crate::link::note_published(anchor, now);
        }
    }
    crate::link::read_link(anchor).measured_at.is_some()
}

/// Records `request` on `store` and answers it on `stream` (counted in `recorded` before the
/// hook hears the answer): as soon as the call's own write is committed, before the queue
/// items it opens are filed (a refusal's item costs a dozen round trips more).
fn record_and_answer(
    store: &mut Store,
    mut stream: UnixStream,
    request: &HookRequest,
    recorded: &AtomicU64,
) {
    let mut answered = false;
    let response = record(store, request, &mut |response| {
        recorded.fetch_add(1, Ordering::Release);
        send(&mut stream, response);
        answered = true;
    });
    if answered {
        // The hook has its answer; what failed after it (filing an item) is the store's to say.
        if let HookResponse::Failed { message } = &response {
            eprintln!("baton: hooks: after answering a call: {message}");
        }
        return;
    }
    if matches!(response, HookResponse::Checked { .. }) {
        recorded.fetch_add(1, Ordering::Release);
    }
    send(&mut stream, &response);
}

pub(super) fn send(stream: &mut UnixStream, response: &HookResponse) {
    if let Ok(body) = serde_json::to_vec(response) {
        let _ = stream.write_all(&body);
    }
}

/// The answer to a call recorded as `record` says.
fn checked(record: &HookRecord) -> HookResponse {
    HookResponse::Checked {
        agent_id: record.agent_id,
        answer: (&record.answer).into(),
        asked: record.asked,
        warnings: record.usage_warnings.clone(),
    }
}

/// Records `request`; `answer_early` hears the answer as soon as it is committed (not for a
/// question asked in the queue). The response: the call's whole record, or why it failed.
fn record(
    store: &mut Store,
    request: &HookRequest,
    answer_early: &mut dyn FnMut(&HookResponse),
) -> HookResponse {
    let (session, settings) = match request.session() {
        Ok(read) => read,
        Err(message) => return HookResponse::Unreadable { message },
    };
    let call = match parse_hook_payload(
        session.client,
        request.payload.as_bytes(),
        request.event.as_deref(),
    ) {
        Ok(call) => call,
        Err(err) => {
            return HookResponse::Unreadable {
                message: err.to_string(),
            }
        }
    };
    // The app runs on the hook's machine: it reads the session's record file itself.
    let mut feed = usage_feed_of(&call);
    match store.record_hook_answering(
        &session,
        &call,
        settings,
        Utc::now(),
        feed.as_deref_mut().map(|f| f as &mut dyn UsageFeed),
        &mut |_, record| answer_early(&checked(record)),
    ) {
        Ok(record) => checked(&record),
        Err(err) => HookResponse::Failed {
            message: format!("could not check this call with the store ({err})"),
        },
    }
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
