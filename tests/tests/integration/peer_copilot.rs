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

use baton_store::Store;
use baton_tests::coding_sessions::{
    end_session_one, grant_file, refusal_in_queue, run_to_end, second_session_refused,
};
use baton_tests::model_standin::ChatStandIn;
use baton_tests::peers::{copilot_print, SessionPlace};

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
    let (one, _, told) = second_session_refused(&model, &file, "", |name| {
        session(&repo, &home, &model, name)
    })
    .await;
    assert!(
        told[0]
            .0
            .starts_with("Denied by preToolUse hook: Baton refused this write")
            && told[0].0.contains("·"),
        "the model read Baton's reason: {told:?}"
    );

    let mut store = Store::open(&data.join("baton.sqlite3")).unwrap();
    let (agents, item) = refusal_in_queue(&store, &place.repo_file("src/app.rs"));

    // The person grants the file to session two from the queue; session two, resumed, writes it.
    let two_id = copilot_session_id(&home, "two");
    let two_agent = agents
        .iter()
        .find(|a| {
            a.name
                .ends_with(&baton_core::hooks::short_session_id(&two_id))
        })
        .expect("session two's agent");
    grant_file(&mut store, item.id, two_agent.id);
    drop(store);
    let mut again = session(&repo, &home, &model, "two");
    again.arg(format!("--resume={two_id}"));
    run_to_end(again, "session two, again").await;
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "two",
        "the granted write went through"
    );
    end_session_one(&model, one).await;
}
