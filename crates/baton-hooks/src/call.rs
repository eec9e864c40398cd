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
    hook_reply, parse_hook_payload, tool_effect, HookAnswer, HookCall, HookClient, HookEvent,
    HookReply, PermitMode, ToolEffect, MAX_PAYLOAD_BYTES,
};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::StorePlace;
use chrono::{Duration, Utc};

use crate::place::{checkout, parent_process_id, Checkout};
use crate::project::{read_project_hooks, ProjectHooks, PROJECT_FILE};
use crate::served::{check_with_app, Checked};
use crate::wait::await_person;

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
    pub lease_minutes: u32,
    /// How long a permission request waits for the person's answer in Baton's queue (0: not
    /// asked there); past it, the client asks in its own dialog.
    pub ask_seconds: u32,
    /// The session's name (`BATON_AGENT_NAME`), else `<repository>·<short id>`.
    pub name: Option<String>,
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
        branch,
        name: options.name.clone(),
    };
    let settings = PermitSettings {
        mode: options.mode,
        lease_time: Duration::minutes(i64::from(options.lease_minutes.max(1))),
        ask_person: options.ask_seconds > 0,
        path_modes: project.paths.clone(),
    };
    // The store works on a thread of its own: past the budget the client goes on, and the
    // process' exit rolls back whatever the thread had not committed. The running app records
    // the call when it listens; else the hook does it itself.
    let budget = store_budget();
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
        Ok(Ok(record)) => match record.asked {
            Some(escalation) => {
                let wait = StdDuration::from_secs(u64::from(options.ask_seconds));
                await_person(&store_path, escalation, record.agent_id, wait)
            }
            None => record.answer,
        },
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
        .and_then(|place| place.open())
        .and_then(|mut store| {
            store.for_short_process()?;
            let record = store.record_hook(session, call, settings, Utc::now())?;
            // The call is recorded; a failure to close changes nothing the client is told.
            let _ = store.close_short_process();
            Ok(record)
        })
        .map_err(|err| format!("could not check this call with the store ({err})"))?;
    Ok(Checked {
        agent_id: record.agent_id,
        answer: record.answer,
        asked: record.asked,
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
mod tests {
    use serde_json::json;

    use super::*;

    fn options(client: HookClient, mode: PermitMode) -> HookOptions {
        HookOptions {
            client,
            event: None,
            mode,
            lease_minutes: 10,
            ask_seconds: 0,
            name: None,
        }
    }

    #[test]
    fn a_refused_write_exits_2_with_the_reason_and_junk_lets_the_client_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/feature/x\n").unwrap();
        let db = dir.path().join("baton.sqlite3");
        let cwd = repo.join("src");
        let write = |session: &str| {
            json!({
                "session_id": session, "cwd": cwd, "hook_event_name": "PreToolUse",
                "tool_name": "Write", "tool_input": {"file_path": "app.rs", "content": "x"}
            })
            .to_string()
        };
        let enforce = options(HookClient::ClaudeCode, PermitMode::Enforce);
        let first = hook(db.clone(), &enforce, &mut write("aaaa1111").as_bytes());
        assert_eq!(
            (first.exit_code, first.stdout.as_str()),
            (0, ""),
            "{first:?}"
        );
        let second = hook(db.clone(), &enforce, &mut write("bbbb2222").as_bytes());
        assert_eq!(second.exit_code, 2, "{second:?}");
        assert!(second.stdout.is_empty());
        assert!(
            second.stderr.contains("\"repo·aaaa1111\""),
            "{}",
            second.stderr
        );
        // The session knows its repository and branch.
        let place = checkout(&cwd).unwrap();
        assert_eq!(
            (place.root, place.branch.as_deref()),
            (repo.clone(), Some("feature/x"))
        );
        // Junk, an empty payload and a huge one: the client goes on, stderr says why.
        for junk in [
            b"{not json".to_vec(),
            Vec::new(),
            vec![b' '; MAX_PAYLOAD_BYTES + 10],
        ] {
            let reply = hook(db.clone(), &enforce, &mut junk.as_slice());
            assert_eq!(reply.exit_code, 1, "{reply:?}");
            assert!(reply.stdout.is_empty());
            assert!(
                reply.stderr.starts_with("baton: the hook payload"),
                "{}",
                reply.stderr
            );
        }
        // Copilot CLI: JSON on stdout, exit 0, the event named by the installed hook.
        let copilot = HookOptions {
            event: Some("preToolUse".into()),
            ..options(HookClient::Copilot, PermitMode::Enforce)
        };
        let payload = json!({"cwd": cwd, "toolName": "edit", "toolArgs": "{\"path\": \"app.rs\"}"});
        let reply = hook(db.clone(), &copilot, &mut payload.to_string().as_bytes());
        assert_eq!(reply.exit_code, 0);
        let answer: serde_json::Value = serde_json::from_str(&reply.stdout).unwrap();
        assert_eq!(answer["permissionDecision"], "deny");
    }

    /// One enforced `Write` of /x by session "s" against the store at `db`: the reply.
    fn unchecked_write(db: PathBuf) -> HookReply {
        let payload = json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "/x"}});
        hook(
            db,
            &options(HookClient::ClaudeCode, PermitMode::Enforce),
            &mut payload.to_string().as_bytes(),
        )
    }

    #[test]
    fn a_store_busy_past_the_budget_lets_the_write_go_ahead_unchecked() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("baton.sqlite3");
        drop(baton_store::Store::open(&db).unwrap());
        // Another process holds the write lock for longer than the budget.
        let holder = rusqlite::Connection::open(&db).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let reply = unchecked_write(db);
        assert_eq!(reply.exit_code, 1, "{reply:?}");
        assert!(
            reply.stderr.contains("did not answer within 500 ms"),
            "{}",
            reply.stderr
        );
        holder.execute_batch("ROLLBACK").unwrap();
    }

    #[test]
    fn a_store_that_cannot_open_lets_the_write_go_ahead_unchecked() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the database file should be.
        let db = dir.path().join("baton.sqlite3");
        std::fs::create_dir_all(&db).unwrap();
        let reply = unchecked_write(db);
        assert_eq!(reply.exit_code, 1, "{reply:?}");
        assert!(
            reply.stderr.contains("goes ahead unchecked"),
            "{}",
            reply.stderr
        );
    }

    #[test]
    fn the_repositorys_own_settings_win_per_path_and_can_refuse_unchecked_writes() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join(".baton")).unwrap();
        std::fs::write(
            repo.join(".baton/hooks.toml"),
            "mode = \"enforce\"\nunchecked = \"refuse\"\n\n[[paths]]\npattern = \"gen/**\"\nmode = \"observe\"\n",
        )
        .unwrap();
        let db = dir.path().join("baton.sqlite3");
        let write = |session: &str, file: &str| {
            json!({
                "session_id": session, "cwd": repo, "hook_event_name": "PreToolUse",
                "tool_name": "Write", "tool_input": {"file_path": file, "content": "x"}
            })
            .to_string()
        };
        // Installed in warn mode; the repository says enforce.
        let warn = options(HookClient::ClaudeCode, PermitMode::Warn);
        for file in ["app.rs", "gen/api.rs"] {
            let first = hook(db.clone(), &warn, &mut write("aaaa1111", file).as_bytes());
            assert_eq!(first.exit_code, 0, "{first:?}");
        }
        let refused = hook(
            db.clone(),
            &warn,
            &mut write("bbbb2222", "app.rs").as_bytes(),
        );
        assert_eq!(refused.exit_code, 2, "{refused:?}");
        // Generated files are only watched.
        let watched = hook(
            db.clone(),
            &warn,
            &mut write("bbbb2222", "gen/api.rs").as_bytes(),
        );
        assert_eq!(watched.exit_code, 0, "{watched:?}");

        // The store busy past the budget: a write is refused, anything else goes ahead.
        let holder = rusqlite::Connection::open(&db).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let busy = hook(
            db.clone(),
            &warn,
            &mut write("cccc3333", "other.rs").as_bytes(),
        );
        assert_eq!(busy.exit_code, 2, "{busy:?}");
        assert!(
            busy.stderr.contains("could not check it")
                && busy.stderr.contains("unchecked = \"refuse\""),
            "{}",
            busy.stderr
        );
        let stop = json!({"session_id": "cccc3333", "cwd": repo, "hook_event_name": "Stop"});
        let stop = hook(db.clone(), &warn, &mut stop.to_string().as_bytes());
        assert_eq!(stop.exit_code, 1, "{stop:?}");
        holder.execute_batch("ROLLBACK").unwrap();

        // A broken file is said, and the installed settings apply (warn: allowed).
        std::fs::write(repo.join(".baton/hooks.toml"), "mode = \"strict\"").unwrap();
        let broken = hook(
            db.clone(),
            &warn,
            &mut write("bbbb2222", "app.rs").as_bytes(),
        );
        assert_eq!(broken.exit_code, 0, "{broken:?}");
        assert!(
            broken
                .stderr
                .contains(".baton/hooks.toml: mode: \"strict\" is not a mode")
                && broken.stderr.contains("the installed settings apply"),
            "{}",
            broken.stderr
        );
    }
}
