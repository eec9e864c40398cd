//! The real GitHub Copilot CLI (`@github/copilot`, installed by `scripts/setup.sh --test` into
//! `.peers-node/`), offline against a scripted stand-in for the Chat Completions API (its BYOK
//! mode), with Baton's hooks installed by `baton hooks install copilot --project`, which also
//! trusts the repository in Copilot's config (it reads no repository hooks otherwise).
//!
//! Two sessions in one repository: session one creates `src/app.rs` and its turn stays open
//! (the stand-in holds its last answer); session two tries to edit the same file and is refused
//! by the hook: the file keeps session one's content, the model read Baton's reason as the
//! tool's result, and the queue has the item. The person grants the file to session two from
//! the queue (the store's decision, as the app makes it), and session two, resumed, writes it.

use std::path::Path;
use std::time::Duration;

use baton_core::detect::FindingKind;
use baton_core::escalations::EscalationAction;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::model_standin::ChatStandIn;
use baton_tests::peers::{copilot_print, SessionPlace};

const RUN_LIMIT: Duration = Duration::from_secs(120);

fn session(repo: &Path, home: &Path, model: &ChatStandIn, name: &str) -> tokio::process::Command {
    copilot_print(
        repo,
        home,
        &model.base_url,
        &format!("[session {name}] Write src/app.rs for the {name} feature."),
    )
}

/// The id of the Copilot session whose prompt named `name` (from its own session store).
fn copilot_session_id(home: &Path, name: &str) -> String {
    let states = home.join(".copilot/session-state");
    let marker = format!("[session {name}]");
    std::fs::read_dir(&states)
        .unwrap_or_else(|e| panic!("{}: {e}", states.display()))
        .filter_map(Result::ok)
        .find(|entry| {
            std::fs::read_to_string(entry.path().join("events.jsonl"))
                .is_ok_and(|events| events.contains(&marker))
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .unwrap_or_else(|| panic!("no Copilot session of {name} in {}", states.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_copilot_session_is_refused_the_file_the_first_is_writing() {
    let place = SessionPlace::new();
    let (repo, home, data) = (place.repo.clone(), place.home.clone(), place.data.clone());
    let file = std::fs::canonicalize(&repo).unwrap().join("src/app.rs");
    let installed = place.install_hooks("copilot", "enforce", &[]);
    assert!(installed.contains("trusted"), "{installed}");

    let model = ChatStandIn::start(&file.to_string_lossy()).await;
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
    assert!(
        told[0]
            .0
            .starts_with("Denied by preToolUse hook: Baton refused this write")
            && told[0].0.contains("·"),
        "the model read Baton's reason: {told:?}"
    );

    let mut store = Store::open(&data.join("baton.sqlite3")).unwrap();
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

    // The person grants the file to session two from the queue; session two, resumed, writes it.
    let two_id = copilot_session_id(&home, "two");
    let two_agent = agents
        .iter()
        .find(|a| {
            a.name
                .ends_with(&baton_core::hooks::short_session_id(&two_id))
        })
        .expect("session two's agent");
    let grant = EscalationAction::GrantLease {
        agent_id: two_agent.id,
    };
    store
        .decide_escalation(items[0].id, &grant, None, "ana", chrono::Utc::now())
        .unwrap();
    drop(store);
    let mut again = session(&repo, &home, &model, "two");
    again.arg(format!("--resume={two_id}"));
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
    model.release("one");
    let one = tokio::time::timeout(RUN_LIMIT, one.wait_with_output())
        .await
        .expect("session one ends")
        .unwrap();
    assert!(one.status.success(), "{one:?}");
}
