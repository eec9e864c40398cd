//! One hook call (`baton-hook <client>`, `baton hook <client>`), what a coding agent's hooks
//! run: one payload on stdin, one short transaction in the store, one reply in the client's
//! format; stdout carries nothing but that reply.
//!
//! Fail-open: when the payload cannot be read, or the store does not answer within
//! [`STORE_BUDGET`] (500 ms), the client goes on (the reply says why on stderr) and nothing is refused.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use baton_core::hooks::{
    hook_reply, parse_hook_payload, repository_label, tool_effect, HookAnswer, HookCall,
    HookClient, HookEvent, HookReply, ParallelMode, PermitMode, ToolEffect, MAX_PAYLOAD_BYTES,
};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::StorePlace;
use chrono::{Duration, Utc};

use crate::place::{checkout, parent_process_id, Checkout};
use crate::project::{read_project_hooks, ProjectHooks, PROJECT_FILE};
use crate::served::{check_with_app, Checked};
use crate::usage::usage_feed_of;
use crate::wait::await_person;
use baton_store::coding_usage::UsageFeed;

/// How long the hook waits for the store before letting the client go on unchecked
/// (`BATON_HOOK_BUDGET_MS` sets another).
pub const STORE_BUDGET: StdDuration = StdDuration::from_millis(500);

/// The budget in force: [`STORE_BUDGET`] unless `BATON_HOOK_BUDGET_MS` names another.
pub fn store_budget() -> StdDuration {
    std::env::var("BATON_HOOK_BUDGET_MS")
        .ok()
        .and_then(|ms| ms.trim().parse::<u64>().ok())
        .map_or(STORE_BUDGET, StdDuration::from_millis)
}

/// How long a permission request waits for the person's answer in Baton's queue, by default.
pub const ASK_SECONDS: u32 = 60;

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
    /// The session's name (`BATON_AGENT_NAME`), else `<repository>·<short id>`.
    pub name: Option<String>,
    /// How long the call waits for the store before the client goes on unchecked
    /// ([`store_budget`]).
    pub budget: StdDuration,
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
    let budget = options.budget;
    let (done, result) = mpsc::channel();
    let store_path = db.clone();
    let installed_event = options.event.clone();
    std::thread::spawn(move || {
        let outcome = check_with_app(
            &db,
            installed_event.as_deref(),
            &bytes,
            &session,
            &settings,
            budget,
        )
        .unwrap_or_else(|| check_in_store(&db, &session, &call, settings));
        let _ = done.send(outcome);
    });
    let answer = match result.recv_timeout(budget) {
        Ok(Ok(record)) => {
            for warning in &record.warnings {
                notes.push_str(&format!("baton: usage: {warning}\n"));
            }
            match record.asked {
                Some(escalation) => {
                    let wait = StdDuration::from_secs(u64::from(options.ask_seconds));
                    await_person(&store_path, escalation, record.agent_id, wait)
                }
                None => record.answer,
            }
        }
        Ok(Err(why)) => unchecked(why, writes && project.refuse_unchecked),
        Err(_) => unchecked(
            format!("the store did not answer within {} ms", budget.as_millis()),
            writes && project.refuse_unchecked,
        ),
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

/// Records and decides the call on the store at `db` from this process.
fn check_in_store(
    db: &Path,
    session: &SessionRef,
    call: &HookCall,
    settings: PermitSettings,
) -> Result<Checked, String> {
    let record = StorePlace::from_anchor(db)
        .and_then(|place| place.open_for_short_process())
        .and_then(|mut store| {
            let mut feed = usage_feed_of(call);
            let record = store.record_hook_reading(
                session,
                call,
                settings,
                Utc::now(),
                feed.as_deref_mut().map(|f| f as &mut dyn UsageFeed),
            )?;
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
