//! One hook call (`baton-hook <client>`, `baton hook <client>`), what a coding agent's hooks
//! run: one payload on stdin, one short transaction in the store, one reply in the client's
//! format; stdout carries nothing but that reply.
//!
//! Fail-open: when the payload cannot be read, or the store does not answer within the budget
//! (at least [`STORE_BUDGET`], following the store's measured pace: [`crate::link`]), the
//! call goes ahead as allowed and the reply says why on stderr; a call that went ahead is kept
//! in the data folder's spool and recorded once the store answers ([`crate::spool`]). A
//! repository may refuse the writes Baton cannot check instead (`unchecked = "refuse"`).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration as StdDuration;

use baton_core::hooks::{
    hook_reply, parse_hook_payload, repository_label, tool_effect, HookAnswer, HookCall,
    HookClient, HookEvent, HookReply, ParallelMode, PermitMode, ToolEffect, MAX_PAYLOAD_BYTES,
};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::StorePlace;
use chrono::{Duration, Utc};

use crate::apart::start_apart;
use crate::own_server::{start_own_server, wants_own_server};
use crate::place::{checkout, parent_process_id, Checkout};
use crate::project::{read_project_hooks, ProjectHooks, PROJECT_FILE};
use crate::served::{check_with_app, Checked};
use crate::spool::SpooledCall;
use crate::usage::usage_feed_of;
use crate::wait::await_person;
use baton_store::coding_usage::UsageFeed;

/// The least a hook waits for the store before letting the client go on unchecked; a store
/// slower than that gets a few of its calls' measured time ([`crate::link::budget`]).
pub const STORE_BUDGET: StdDuration = StdDuration::from_millis(500);

/// The budget named by `BATON_HOOK_BUDGET_MS`, which then holds whatever the store's pace;
/// None: [`STORE_BUDGET`], following the store.
pub fn store_budget() -> Option<StdDuration> {
    std::env::var("BATON_HOOK_BUDGET_MS")
        .ok()
        .and_then(|ms| ms.trim().parse::<u64>().ok())
        .map(StdDuration::from_millis)
}

/// How long a permission request waits for the person's answer in Baton's queue, by default.
pub const ASK_SECONDS: u32 = 60;

/// How long it waits when a route can bring the answer from the person's phone (issue 60):
/// Claude Code's and Codex's own hook limit (600 s), less room to answer.
pub const ROUTE_ASK_SECONDS: u32 = 585;

/// What `baton hook` was told on its command line.
#[derive(Debug, Clone)]
pub struct HookOptions {
    pub client: HookClient,
    /// The event the hook was installed for, when the payload does not name it (Copilot CLI).
    pub event: Option<String>,
    pub mode: PermitMode,
    /// What a write of a file another live branch of the repository changed does.
    pub parallel: ParallelMode,
    pub lease_minutes: u32,
    /// How long a permission request waits for the person's answer in Baton's queue (0: not
    /// asked there); past it, the client asks in its own dialog.
    pub ask_seconds: u32,
    /// How long it waits instead when a route (ntfy with a reply topic) can bring the answer;
    /// 0: as `ask_seconds` (hooks installed before routes, whose client gives up sooner).
    pub route_wait: u32,
    /// The session's name (`BATON_AGENT_NAME`), else `<repository>·<short id>`.
    pub name: Option<String>,
    /// How long the call waits for the store before the client goes on unchecked
    /// ([`store_budget`]; None: [`STORE_BUDGET`] or more, following the store's pace).
    pub budget: Option<StdDuration>,
    /// The command line that delivers this data folder's spool of unchecked calls
    /// ([`crate::spool`]): started, on its own, after a checked call when the spool holds
    /// calls. None: not started (the caller delivers).
    pub deliverer: Option<Vec<std::ffi::OsString>>,
    /// The command line that starts the hooks' own server for this data folder
    /// ([`crate::own_server`]): started by a call that found none answering, on a store that
    /// may be far away. None: not started.
    pub own_server: Option<Vec<std::ffi::OsString>>,
}

/// Reads the payload from `input`, records it in the store at `db`, and returns the reply.
pub fn hook(db: PathBuf, options: &HookOptions, input: &mut dyn Read) -> HookReply {
    let client = options.client;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_PAYLOAD_BYTES).unwrap_or(u64::MAX) + 1;
    if let Err(err) = input.take(limit).read_to_end(&mut bytes) {
        let failed = HookAnswer::Failed(format!("cannot read the hook payload: {err}"));
        return hook_reply(client, "", &failed);
    }
    let call = match parse_hook_payload(client, &bytes, options.event.as_deref()) {
        Ok(call) => call,
        Err(err) => {
            let failed = HookAnswer::Failed(format!("{err}; nothing was recorded"));
            return hook_reply(client, options.event.as_deref().unwrap_or(""), &failed);
        }
    };
    let event_name = call.event.name().to_owned();
    let session_id = call
        .session_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", client.as_str(), parent_process_id()));
    let checkout = call.cwd.as_deref().and_then(|cwd| checkout(Path::new(cwd)));
    let repo_root = checkout
        .as_ref()
        .map(|found| found.root.to_string_lossy().into_owned());
    let branch = checkout.as_ref().and_then(|found| found.branch.clone());
    let repository = checkout.as_ref().map(Checkout::identity);
    // The repository's name for a person: its main checkout's folder, else from its identity.
    let repository_name = checkout
        .as_ref()
        .zip(repository.as_deref())
        .map(|(found, id)| {
            let main = found
                .main_checkout()
                .map(|m| m.to_string_lossy().into_owned());
            repository_label(id, main.as_deref())
        });
    // The repository's own settings win over the installed ones; a broken file is said, and
    // the installed settings apply.
    let mut notes = String::new();
    let project = match repo_root
        .as_deref()
        .map(|root| read_project_hooks(Path::new(root)))
    {
        Some(Ok(found)) => found.unwrap_or_default(),
        Some(Err(err)) => {
            notes.push_str(&format!("baton: {err}; the installed settings apply\n"));
            ProjectHooks::default()
        }
        None => ProjectHooks::default(),
    };
    let options = &project.apply(options);
    let (writes, unsure) = match &call.event {
        HookEvent::PreToolUse(tool) => match tool_effect(tool, call.cwd.as_deref()) {
            ToolEffect::Writes(paths) => (!paths.is_empty(), None),
            ToolEffect::UnsureWrites { why, .. } => (true, Some(why)),
            _ => (false, None),
        },
        _ => (false, None),
    };
    let session = SessionRef {
        client,
        session_id,
        cwd: call.cwd.clone(),
        repo_root,
        repository,
        repository_name,
        branch,
        name: options.name.clone(),
        host: Some(baton_store::host::this_machine()),
        account: crate::usage::account_of(client),
    };
    let settings = PermitSettings {
        mode: options.mode,
        lease_time: Duration::minutes(i64::from(options.lease_minutes.max(1))),
        ask_person: options.ask_seconds > 0,
        path_modes: project.paths.clone(),
        parallel: options.parallel,
        unchecked: None,
    };
    // The store works on a thread of its own: past the budget the client goes on, and the
    // process' exit rolls back whatever the thread had not committed. The running app records
    // the call when it listens; else the hook does it itself.
    let budget = options
        .budget
        .unwrap_or_else(|| crate::link::budget(&db, STORE_BUDGET));
    let (done, result) = mpsc::channel();
    let store_path = db.clone();
    // The payload, shared with the spool (not copied: it may hold a whole file's text).
    let bytes = Arc::new(bytes);
    let installed_event = options.event.clone();
    // A process to deliver the spool is started after the call: it can file the call's items.
    let hand_on = options.deliverer.is_some();
    let own_server = options.own_server.clone();
    // What the spool keeps of a call that goes ahead unchecked.
    let late = Spooling {
        at: Utc::now(),
        event: installed_event.clone(),
        payload: Arc::clone(&bytes),
        session: session.clone(),
        settings: settings.clone(),
    };
    let started = std::time::Instant::now();
    // Set once the running app has the whole call: it records it, whenever the store answers.
    let app_took = Arc::new(AtomicBool::new(false));
    let taken = Arc::clone(&app_took);
    std::thread::spawn(move || {
        let outcome = check_with_app(
            &db,
            installed_event.as_deref(),
            &bytes,
            &session,
            &settings,
            budget,
            &taken,
        )
        .unwrap_or_else(|| {
            check_in_store(
                &db,
                &session,
                &call,
                settings,
                hand_on,
                own_server.as_deref(),
            )
        });
        let _ = done.send(outcome);
    });
    let outcome = result.recv_timeout(budget);
    let took = started.elapsed();
    let answer = match outcome {
        Ok(Ok(record)) => {
            crate::link::note_call(&store_path, took, Utc::now());
            deliver_spool_after(&store_path, options.deliverer.as_deref(), false);
            for warning in &record.warnings {
                notes.push_str(&format!("baton: usage: {warning}\n"));
            }
            match record.asked {
                Some(escalation) => {
                    let wait = StdDuration::from_secs(u64::from(options.ask_seconds));
                    let routed = StdDuration::from_secs(u64::from(options.route_wait));
                    await_person(&store_path, escalation, record.agent_id, wait, routed)
                }
                None => record.answer,
            }
        }
        Ok(Err(why)) => late.keep(&store_path, why, took, writes && project.refuse_unchecked),
        // The app has the call and records it as the store answers: nothing to keep here.
        Err(_) if app_took.load(Ordering::Acquire) => unchecked(
            format!(
                "the running Baton did not answer within {} ms (it records the call when the \
                 store answers)",
                budget.as_millis()
            ),
            writes && project.refuse_unchecked,
        ),
        Err(_) => {
            let answer = late.keep(
                &store_path,
                format!("the store did not answer within {} ms", budget.as_millis()),
                took,
                writes && project.refuse_unchecked,
            );
            // What made this call slow (a far store's first connection, a schema to bring up to
            // date, which this process' exit rolls back every time) is finished by a process of
            // its own with no budget, which then delivers what was kept.
            deliver_spool_after(&store_path, options.deliverer.as_deref(), true);
            answer
        }
    };
    // A write Baton cannot place for sure is unchecked, whatever the store said of the files
    // it could name: the repository's `unchecked` rule decides, and the reply says so.
    let answer = match (unsure, answer) {
        (Some(why), HookAnswer::GoOn) => {
            let why = format!("it cannot tell which file this command changes ({why})");
            match unchecked(why, project.refuse_unchecked) {
                HookAnswer::Failed(note) => {
                    notes.push_str(&format!("baton: {note}\n"));
                    HookAnswer::GoOn
                }
                refused => refused,
            }
        }
        (_, answer) => answer,
    };
    let mut reply = hook_reply(client, &event_name, &answer);
    reply.stderr.insert_str(0, &notes);
    reply
}

/// A call on its way to the store: what the spool keeps of it if it goes ahead unchecked.
struct Spooling {
    at: chrono::DateTime<Utc>,
    event: Option<String>,
    payload: Arc<Vec<u8>>,
    session: SessionRef,
    settings: PermitSettings,
}

impl Spooling {
    /// The answer to the call that could not be checked (`why`, after `waited`): refused when
    /// `refuse` (nothing happens, nothing to keep), else it goes ahead and is kept in the
    /// spool, to be recorded when the store answers.
    fn keep(self, db: &Path, why: String, waited: StdDuration, refuse: bool) -> HookAnswer {
        if refuse {
            return unchecked(why, true);
        }
        let store = match StorePlace::from_anchor(db) {
            Ok(place) => place.location.display(),
            Err(err) => format!("(no store: {err})"),
        };
        let waited_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
        let call = SpooledCall::new(
            store,
            self.at,
            waited_ms,
            why.clone(),
            self.event,
            &self.payload,
            &self.session,
            &self.settings,
        );
        HookAnswer::Failed(match crate::spool::keep(db, &call) {
            Ok(path) => format!(
                "{why}; this call goes ahead unchecked, kept in {} to be recorded when the store \
                 answers",
                path.display()
            ),
            Err(err) => format!("{why}; this call goes ahead unchecked and is not kept: {err}"),
        })
    }
}

/// After a checked call, the spool of calls that went ahead unchecked is delivered by a process
/// of its own (no client waits for it; one at a time, [`crate::spool::DeliveryTurn`]); after a
/// call the store did not answer in time, that process is started even with nothing kept (a
/// write refused unchecked), to finish opening the store.
fn deliver_spool_after(db: &Path, deliverer: Option<&[OsString]>, timed_out: bool) {
    if let Some(command) = deliverer {
        if timed_out || crate::spool::spool_waits(db) {
            start_apart(command);
        }
    }
}

/// Records and decides the call on the store at `db` from this process; its queue items handed
/// on to the spool's delivery when `hand_on` (a delivery process is started after the call).
/// On a store that may be far away it first starts the hooks' own server (`own_server`), if
/// none runs, for the calls that follow.
fn check_in_store(
    db: &Path,
    session: &SessionRef,
    call: &HookCall,
    settings: PermitSettings,
    hand_on: bool,
    own_server: Option<&[OsString]>,
) -> Result<Checked, String> {
    let record = StorePlace::from_anchor(db)
        .inspect(|place| {
            if let Some(command) = own_server.filter(|_| wants_own_server(place)) {
                start_own_server(db, command);
            }
        })
        .and_then(|place| place.open_for_short_process())
        .and_then(|mut store| {
            let mut feed = usage_feed_of(call);
            let (record, items) = store.record_hook_filing_later(
                session,
                call,
                settings,
                Utc::now(),
                feed.as_deref_mut().map(|f| f as &mut dyn UsageFeed),
                &mut |_, _| {},
            )?;
            crate::spool::file_or_hand_on(db, &mut store, items, hand_on)?;
            // This machine's time to the store, every few minutes (one statement more then).
            if let Some(ms) = crate::link::publish_due(db, Utc::now()) {
                let host = baton_store::host::this_machine();
                if store.note_store_link(&host, ms, Utc::now()).is_ok() {
                    crate::link::note_published(db, Utc::now());
                }
            }
            // The call is recorded; a failure to close changes nothing the client is told.
            let _ = store.close_short_process();
            Ok(record)
        })
        .map_err(|err| format!("could not check this call with the store ({err})"))?;
    Ok(Checked {
        agent_id: record.agent_id,
        answer: record.answer,
        asked: record.asked,
        warnings: record.usage_warnings,
    })
}

/// The answer to a call Baton could not check: it goes ahead (fail-open), unless it is a write
/// in a repository that refuses unchecked writes (fail-closed).
fn unchecked(why: String, refuse: bool) -> HookAnswer {
    if refuse {
        HookAnswer::Deny(format!(
            "Baton refused this write because it could not check it: {why}, and this repository \
             refuses writes Baton cannot check ({PROJECT_FILE}: unchecked = \"refuse\"). Try again \
             in a moment; if it keeps happening, ask the person to look at Baton."
        ))
    } else {
        HookAnswer::Failed(format!("{why}; this call goes ahead unchecked"))
    }
}

#[cfg(test)]
#[path = "call_tests.rs"]
mod tests;
