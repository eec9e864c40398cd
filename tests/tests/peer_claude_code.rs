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
use std::time::Duration;

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationAction;
use baton_core::hooks::short_session_id;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::model_standin::ModelStandIn;
use baton_tests::peers::{claude_print, SessionPlace};
use tokio::process::Command;

const RUN_LIMIT: Duration = Duration::from_secs(120);

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
    model.hold("one");
    let one = session(&repo, &home, &model, "one").spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("one"))
        .await
        .expect("session one wrote the file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "one");

    let two = tokio::time::timeout(RUN_LIMIT, session(&repo, &home, &model, "two").output())
        .await
        .expect("session two ends")
        .unwrap();
    assert!(two.status.success(), "{two:?}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "one",
        "the file keeps session one's content"
    );
    let told = model.seen("two").tool_results;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].1, "the write failed for the model: {told:?}");
    assert!(
        told[0].0.contains("Baton refused this write") && told[0].0.contains("·"),
        "the model read Baton's reason: {told:?}"
    );

    model.release("one");
    let one = tokio::time::timeout(RUN_LIMIT, one.wait_with_output())
        .await
        .expect("session one ends")
        .unwrap();
    assert!(one.status.success(), "{one:?}");

    let store = Store::open(&data.join("baton.sqlite3")).unwrap();
    let agents = store.agents().unwrap();
    assert_eq!(agents.len(), 2, "two sessions: {agents:?}");
    assert!(
        agents.iter().all(|a| a.name.starts_with("repo·")),
        "{agents:?}"
    );
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].kind, FindingKind::WriteCollision);
    assert_eq!(
        items[0].resource.as_deref(),
        Some(place.repo_file("src/app.rs").as_str())
    );
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
    let grant = EscalationAction::GrantLease {
        agent_id: two_agent.id,
    };
    store
        .decide_escalation(items[0].id, &grant, None, "ana", chrono::Utc::now())
        .unwrap();
    drop(store);
    // The app runs now: it answers the hook calls over the store's socket.
    let app = baton_hooks::HookServer::start(
        &baton_store::StorePlace::resolve(Some(&data), None).unwrap(),
    )
    .unwrap()
    .expect("nobody else answers the hook calls");
    let mut again = session(&repo, &home, &model, "two");
    again.args(["--resume", &two_id]);
    let again = tokio::time::timeout(RUN_LIMIT, again.output())
        .await
        .expect("session two ends again")
        .unwrap();
    assert!(again.status.success(), "{again:?}");
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
