//! The real Claude Code CLI (`@anthropic-ai/claude-code`, installed by `scripts/setup.sh --test`
//! into `.peers-node/`), offline against a scripted stand-in for the Messages API, with Baton's
//! hooks installed by `baton hooks install claude-code --project`.
//!
//! Two sessions in one repository: session one writes `src/app.rs` and its turn stays open (the
//! stand-in holds its last answer); session two tries to write the same file and is refused by
//! the hook: the file keeps session one's content, the model read Baton's reason, and the queue
//! has the item. When session one's turn ends, its lease goes. Then, with session one holding
//! the file again, the person grants it to session two from the queue (the store's decision, as
//! the app makes it), and session two, resumed, writes it.

use std::path::Path;

use baton_core::hooks::short_session_id;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::coding_sessions::{
    end_session_one, grant_file, refusal_in_queue, run_to_end, second_session_refused, RUN_LIMIT,
};
use baton_tests::model_standin::ModelStandIn;
use baton_tests::peers::{claude_print, SessionPlace};
use tokio::process::Command;

/// Two background subagents of one session writing one file (issue 58).
mod subagents;

/// `claude -p "[session NAME] …"` in `repo`, isolated (its own HOME), against the stand-in.
fn session(repo: &Path, home: &Path, model: &ModelStandIn, name: &str) -> Command {
    claude_print(
        repo,
        home,
        &model.base_url,
        &format!("[session {name}] Write src/app.rs for the {name} feature."),
        "acceptEdits",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_claude_code_session_is_refused_the_file_the_first_is_writing() {
    let place = SessionPlace::new();
    let (repo, home, data) = (place.repo.clone(), place.home.clone(), place.data.clone());
    let file = repo.join("src/app.rs");
    place.install_hooks("claude-code", "enforce", &[]);

    let model = ModelStandIn::start(&file.to_string_lossy()).await;
    let (one, two, told) = second_session_refused(&model, &file, "", |name| {
        session(&repo, &home, &model, name)
    })
    .await;
    assert!(told[0].1, "the write failed for the model: {told:?}");
    assert!(
        told[0].0.contains("Baton refused this write") && told[0].0.contains("·"),
        "the model read Baton's reason: {told:?}"
    );
    end_session_one(&model, one).await;

    let store = Store::open(&data.join("baton.sqlite3")).unwrap();
    refusal_in_queue(&store, &place.repo_file("src/app.rs"));
    // Session one's turn ended: its lease went with it.
    assert!(store
        .leases(chrono::Utc::now(), chrono::Duration::minutes(10))
        .unwrap()
        .is_empty());

    // Session one holds the file again (a new session of it, whose turn stays open).
    drop(store);
    model.hold("one");
    let one = session(&repo, &home, &model, "one").spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_results("one", 2))
        .await
        .expect("session one wrote the file again");
    // The person grants the file to session two from the queue; session two, resumed, writes it.
    let mut store = Store::open(&data.join("baton.sqlite3")).unwrap();
    let two_out: serde_json::Value = serde_json::from_slice(&two.stdout).unwrap();
    let two_id = two_out["session_id"]
        .as_str()
        .expect("session two's id")
        .to_owned();
    let two_agent = store
        .agents()
        .unwrap()
        .into_iter()
        .find(|a| a.name == format!("repo·{}", short_session_id(&two_id)))
        .expect("session two's agent");
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    grant_file(&mut store, items[0].id, two_agent.id);
    drop(store);
    // The app runs now: it answers the hook calls over the store's socket.
    let app = baton_hooks::HookServer::start(
        &baton_store::StorePlace::resolve(Some(&data), None).unwrap(),
    )
    .unwrap()
    .expect("nobody else answers the hook calls");
    let mut again = session(&repo, &home, &model, "two");
    again.args(["--resume", &two_id]);
    run_to_end(again, "session two, again").await;
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "two",
        "the granted write went through"
    );
    assert!(
        app.recorded() > 0,
        "session two's calls went through the app"
    );
    model.release("one");
    let _ = tokio::time::timeout(RUN_LIMIT, one.wait_with_output()).await;
}
