//! The lanes the served calls are recorded on: each lane a thread with a store connection of
//! its own, taking the next call whenever it is free, in the order the calls came. One slow
//! call (a store a long round trip away, a refusal's items on SQLite) holds up its own lane
//! only.
//!
//! On SQLite one lane: its writes take the file's lock one at a time whatever the number of
//! connections, and two connections waiting on each other's lock would only add the wait. On
//! PostgreSQL [`POSTGRES_LANES`]: the server takes the calls of several connections at once,
//! each waiting on the network rather than on the others, and one session's next call need not
//! wait for its last one's commit to come back: it goes out on another lane, and the store's
//! write lock, which the last call holds from its verdict to its commit, keeps it from reading
//! before that commit (a client sends its next call only once it has the last one's answer).
//!
//! On SQLite a call is answered once its write is committed, and the queue items it opens (a
//! refusal's collision, a parallel edit) are filed by the lane after: local writes. On
//! PostgreSQL, a store that may be far away ([`FarStore`]), a call is answered at its verdict,
//! one round trip, noted first so that its record is not lost if its commit is
//! ([`super::answered`]); its items are filed by the filer, a thread with a connection of its
//! own, as soon as the lane hands them over: an item costs a dozen round trips, which the
//! session's next call does not wait for.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use baton_core::hooks::parse_hook_payload;
use baton_store::coding_usage::UsageFeed;
use baton_store::sessions::{HookRecord, ItemsToFile, OnVerdict};
use baton_store::{Dialect, Store};
use chrono::Utc;

use super::answered::AnsweredCalls;
use super::wire::{HookRequest, HookResponse};
use crate::usage::usage_feed_of;

/// How many lanes serve a PostgreSQL store: as many sessions recorded at once.
pub(super) const POSTGRES_LANES: usize = 4;

/// A call read whole, waiting for its lane.
pub(super) struct Call {
    pub stream: UnixStream,
    pub request: HookRequest,
}

/// The lanes: a thread and a store connection each; and the filer of their items, on a
/// store far away.
pub(super) struct Lanes {
    calls: Sender<Call>,
    threads: Vec<JoinHandle<()>>,
    filer: Option<JoinHandle<()>>,
}

/// What the lanes of a store far away answer and file with: the calls answered at their
/// verdict, and a connection of its own for the filer.
pub(super) struct FarStore {
    pub answered: AnsweredCalls,
    pub filer: Store,
}

/// How a lane answers its calls and files their items.
#[derive(Clone)]
struct Answering {
    /// The calls answered at their verdict (None: once committed).
    at_verdict: Option<Arc<AnsweredCalls>>,
    /// The filer (None: the lane files them itself, after answering).
    filer: Option<Sender<ItemsToFile>>,
}

impl Answering {
    fn file(&self, store: &mut Store, items: ItemsToFile) {
        if items.is_empty() {
            return;
        }
        match &self.filer {
            None => file_items(store, items),
            // The filer gone (it panicked): the lane files them itself.
            Some(filer) => {
                if let Err(returned) = filer.send(items) {
                    file_items(store, returned.0);
                }
            }
        }
    }
}

/// Files a call's items; what fails is the store's to say (the hook has its answer).
fn file_items(store: &mut Store, items: ItemsToFile) {
    if let Err(err) = items.file(store) {
        eprintln!("baton: hooks: after answering a call, its queue item: {err}");
    }
}

/// The filer: files each answered call's items on `store`, in the order they came.
fn start_filer(mut store: Store) -> std::io::Result<(Sender<ItemsToFile>, JoinHandle<()>)> {
    let (sender, items) = channel::<ItemsToFile>();
    let thread = std::thread::Builder::new()
        .name("baton-hooks-filer".into())
        .spawn(move || {
            for call_items in items {
                file_items(&mut store, call_items);
            }
        })?;
    Ok((sender, thread))
}

/// How many lanes serve a store of `dialect`.
pub(super) fn lanes_for(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 1,
        Dialect::Postgres => POSTGRES_LANES,
    }
}

/// Whether a store of `dialect` may be far away, each statement a round trip ([`FarStore`]).
pub(super) fn may_be_far(dialect: Dialect) -> bool {
    matches!(dialect, Dialect::Postgres)
}

impl Lanes {
    /// A lane on each of `stores` (open connections to one store, [`lanes_for`] of them),
    /// answering at the verdict and filing apart on a store far away (`far`). The first lane
    /// also looks after the hooks' figure of the store's round trip ([`crate::link`]) of the
    /// data folder at `anchor`.
    pub fn start(
        stores: Vec<Store>,
        far: Option<FarStore>,
        anchor: &Path,
        recorded: &Arc<AtomicU64>,
    ) -> std::io::Result<Lanes> {
        let mut answering = Answering {
            at_verdict: None,
            filer: None,
        };
        let mut filer = None;
        if let Some(far) = far {
            let (sender, thread) = start_filer(far.filer)?;
            answering.at_verdict = Some(Arc::new(far.answered));
            answering.filer = Some(sender);
            filer = Some(thread);
        }
        let (sender, calls) = channel::<Call>();
        let calls = Arc::new(Mutex::new(calls));
        let mut lanes = Lanes {
            calls: sender,
            threads: Vec::with_capacity(stores.len()),
            filer,
        };
        for (index, mut store) in stores.into_iter().enumerate() {
            let calls = Arc::clone(&calls);
            let recorded = Arc::clone(recorded);
            let anchor: Option<PathBuf> = (index == 0).then(|| anchor.to_owned());
            let answering = answering.clone();
            let thread = std::thread::Builder::new()
                .name(format!("baton-hooks-{index}"))
                .spawn(move || {
                    let mut link_read = None;
                    while let Some(call) = next_call(&calls) {
                        let answered = Answered {
                            stream: call.stream,
                            recorded: &recorded,
                        };
                        let items = answered.record(&mut store, &call.request, &answering);
                        if let Some(items) = items {
                            answering.file(&mut store, items);
                        }
                        if let Some(anchor) = &anchor {
                            publish_link_now_and_then(&mut store, anchor, &mut link_read);
                        }
                    }
                })?;
            lanes.threads.push(thread);
        }
        Ok(lanes)
    }

    /// Hands `call` to the next free lane.
    pub fn send(&self, call: Call) {
        // The lanes gone (their threads ended) drop the call: the hook, unanswered, ends it as
        // a call the app took and did not answer.
        let _ = self.calls.send(call);
    }

    /// Lets the lanes finish the calls they hold and the filer their items, then waits for
    /// them.
    pub fn stop(self) {
        drop(self.calls);
        for thread in self.threads {
            let _ = thread.join();
        }
        // The lanes held the filer's only senders: it ends once it has filed what they sent.
        if let Some(filer) = self.filer {
            let _ = filer.join();
        }
    }
}

/// The next call for a free lane, in the order they came; None once the lanes stop.
fn next_call(calls: &Mutex<Receiver<Call>>) -> Option<Call> {
    calls.lock().unwrap_or_else(|e| e.into_inner()).recv().ok()
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

/// A call's way back to its hook, and the count of calls answered.
struct Answered<'a> {
    stream: UnixStream,
    recorded: &'a AtomicU64,
}

impl Answered<'_> {
    /// Answers the hook (counted in `recorded` before it hears it when the call was checked).
    fn answer(&mut self, response: &HookResponse) {
        if matches!(response, HookResponse::Checked { .. }) {
            self.recorded.fetch_add(1, Ordering::Release);
        }
        send(&mut self.stream, response);
    }

    /// Records `request` on `store` and answers it: at its verdict when `answering` says so
    /// and the call could be noted first, else once committed. The queue items it opens, for
    /// the caller to file.
    fn record(
        mut self,
        store: &mut Store,
        request: &HookRequest,
        answering: &Answering,
    ) -> Option<ItemsToFile> {
        let now = Utc::now();
        let mut early = None;
        let result = record(store, request, now, &mut |record, _| {
            let Some(calls) = &answering.at_verdict else {
                return;
            };
            if let Ok(noted) = calls.note_request(request, now) {
                self.answer(&checked(record));
                early = Some(noted);
            }
        });
        match (result, early, &answering.at_verdict) {
            (Ok((_, items)), Some((n, _)), Some(calls)) => {
                calls.committed(n);
                Some(items)
            }
            (Err(response), Some((n, call)), Some(calls)) => {
                // The hook has its answer and its record did not commit: recorded late.
                let why = match &response {
                    HookResponse::Failed { message } => message.clone(),
                    other => format!("{other:?}"),
                };
                let why = format!("the running Baton answered it, and then {why}");
                if let Err(err) = calls.not_committed(n, call, why) {
                    eprintln!("baton: hooks: a call answered and not recorded: {err}");
                }
                None
            }
            (Ok((record, items)), _, _) => {
                self.answer(&checked(&record));
                Some(items)
            }
            (Err(response), _, _) => {
                self.answer(&response);
                None
            }
        }
    }
}

/// Sends `response` and ends the connection's writing half: the hook reads the answer to its
/// end, which comes then, not when the lane is done with the call (its commit, its items).
pub(super) fn send(stream: &mut UnixStream, response: &HookResponse) {
    if let Ok(body) = serde_json::to_vec(response) {
        let _ = stream.write_all(&body);
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
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

/// Records `request`, made at `now`; `verdict` is told its record at its verdict. Its record
/// and the items it opens, or the response saying why it could not be recorded.
fn record(
    store: &mut Store,
    request: &HookRequest,
    now: chrono::DateTime<Utc>,
    verdict: &mut OnVerdict<'_>,
) -> Result<(HookRecord, ItemsToFile), HookResponse> {
    let (session, settings) = request
        .session()
        .map_err(|message| HookResponse::Unreadable { message })?;
    let call = parse_hook_payload(
        session.client,
        request.payload.as_bytes(),
        request.event.as_deref(),
    )
    .map_err(|err| HookResponse::Unreadable {
        message: err.to_string(),
    })?;
    // The app runs on the hook's machine: it reads the session's record file itself.
    let mut feed = usage_feed_of(&call);
    store
        .record_hook_filing_later(
            &session,
            &call,
            settings,
            now,
            feed.as_deref_mut().map(|f| f as &mut dyn UsageFeed),
            verdict,
        )
        .map_err(|err| HookResponse::Failed {
            message: format!("could not check this call with the store ({err})"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_whole_once_sent_while_the_lane_still_holds_the_call() {
        use std::io::Read;
        let (mut lane, mut hook) = UnixStream::pair().unwrap();
        let response = HookResponse::Failed {
            message: "a".into(),
        };
        send(&mut lane, &response);
        // The lane still holds its end (committing, filing): the hook reads the answer whole.
        hook.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut body = Vec::new();
        hook.read_to_end(&mut body)
            .expect("the answer ends when sent");
        assert_eq!(
            serde_json::from_slice::<HookResponse>(&body).unwrap(),
            response
        );
        drop(lane);
    }
}
