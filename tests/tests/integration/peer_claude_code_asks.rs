//! The real Claude Code CLI asks for permission to run a command (`--permission-mode default`,
//! a `Bash` call it may not run on its own): Baton's PermissionRequest hook, installed by `baton
//! hooks install claude-code --project`, puts the request in Baton's queue and waits; the
//! person's decision (the store's, as the app makes it) goes back to the session: "allow" runs
//! the command, "refuse" with a note stops it and the model reads the note.

use std::path::Path;
use std::time::Duration;

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationAction;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::coding_sessions::RUN_LIMIT;
use baton_tests::model_standin::ModelStandIn;
use baton_tests::peers::{claude_print, SessionPlace};
use tokio::process::Command;

/// `claude -p "[session NAME] …"` in `repo`, in the default permission mode.
fn session(repo: &Path, home: &Path, model: &ModelStandIn, name: &str) -> Command {
    claude_print(
        repo,
        home,
        &model.base_url,
        &format!("[session {name}] Run the step."),
        "default",
    )
}

/// Waits for the open permission request in the queue; returns its id.
async fn asked(db: &Path) -> i64 {
    tokio::time::timeout(RUN_LIMIT, async {
        loop {
            let store = Store::open(db).unwrap();
            let open = store
                .escalations(EscalationFilter {
                    open: true,
                    closed: 0,
                })
                .unwrap();
            if let Some(item) = open.iter().find(|e| e.kind == FindingKind::NeedsApproval) {
                return item.id;
            }
            drop(store);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the permission request reached the queue")
}

/// Runs one session whose `Bash` call asks for permission, and decides it with `action`.
async fn ask_and_decide(
    dir: &Path,
    name: &str,
    command: &str,
    action: EscalationAction,
    note: Option<&str>,
) -> Vec<(String, bool)> {
    let (repo, home, db) = (
        dir.join("repo"),
        dir.join("home"),
        dir.join("data/baton.sqlite3"),
    );
    // As the app does while it runs: the hook asks in the queue only then.
    Store::open(&db)
        .unwrap()
        .note_watcher("engine", chrono::Utc::now())
        .unwrap();
    let model = ModelStandIn::start_bash(command).await;
    let run = session(&repo, &home, &model, name).spawn().unwrap();
    let id = asked(&db).await;
    Store::open(&db)
        .unwrap()
        .decide_escalation(id, &action, note, "ana", chrono::Utc::now())
        .unwrap();
    let out = tokio::time::timeout(RUN_LIMIT, run.wait_with_output())
        .await
        .expect("the session ends")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    model.seen(name).tool_results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sessions_permission_request_is_answered_from_batons_queue() {
    let place = SessionPlace::new();
    // The default mode (warn): permission requests are asked in Baton's queue all the same.
    place.install_hooks("claude-code", "warn", &[]);

    // Allowed in Baton: the command runs.
    let told = ask_and_decide(
        &place.root,
        "allowed",
        "echo allowed > allowed.txt",
        EscalationAction::Approve,
        None,
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(place.repo.join("allowed.txt"))
            .ok()
            .as_deref(),
        Some("allowed\n"),
        "the allowed command ran: {told:?}"
    );
    assert!(told.iter().all(|(_, error)| !error), "{told:?}");

    // Refused in Baton with a note: the command does not run and the model reads why.
    let told = ask_and_decide(
        &place.root,
        "refused",
        "echo refused > refused.txt",
        EscalationAction::Reject,
        Some("use the staging database"),
    )
    .await;
    assert!(!place.repo.join("refused.txt").exists(), "{told:?}");
    assert!(
        told.iter()
            .any(|(text, error)| *error && text.contains("use the staging database")),
        "the model read the person's note: {told:?}"
    );
}
