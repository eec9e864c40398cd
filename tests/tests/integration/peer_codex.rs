//! The real Codex CLI (`@openai/codex`, installed by `scripts/setup.sh --test` into
//! `.peers-node/`), offline against a scripted stand-in for the Responses API, with Baton's hooks
//! installed (and trusted in Codex's config) by `baton hooks install codex --project`.
//!
//! Two sessions in one repository: session one adds `src/app.rs` with `apply_patch` and its turn
//! stays open (the stand-in holds its last answer); session two's patch of the same file is
//! refused by the hook: the file keeps session one's content, the model read Baton's reason, and
//! the queue has the item. The person grants the file to session two from the queue (the
//! store's decision, as the app makes it) and session two, resumed, writes it.

use baton_core::hooks::short_session_id;
use baton_store::Store;
use baton_tests::coding_sessions::{
    end_session_one, grant_file, refusal_in_queue, run_to_end, second_session_refused,
};
use baton_tests::model_standin::ResponsesStandIn;
use baton_tests::peers::{thread_id, CodexPlace, SessionPlace};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_codex_session_is_refused_the_file_the_first_is_writing() {
    let dirs = SessionPlace::new();
    let place = CodexPlace {
        dir: dirs.repo.clone(),
        home: dirs.home.clone(),
        codex_home: dirs.root.join("codex-home"),
    };
    let data = dirs.data.clone();
    let file = place.dir.join("src/app.rs");
    let model = ResponsesStandIn::start("src/app.rs").await;
    place.use_model(&model.base_url);
    dirs.install_hooks("codex", "enforce", &place.hooks_env());

    let (one, two, told) =
        second_session_refused(&model, &file, "\n", |name| place.session(name, None)).await;
    assert!(
        told[0].0.contains("Baton refused this write") && told[0].0.contains("repo·"),
        "the model read Baton's reason: {told:?}"
    );

    let mut store = Store::open(&data.join("baton.sqlite3")).unwrap();
    let (agents, item) = refusal_in_queue(&store, &dirs.repo_file("src/app.rs"));

    // The person grants the file to session two from the queue; session two, resumed, writes it.
    let two_id = thread_id(&two.stdout);
    let two_agent = agents
        .iter()
        .find(|a| a.name == format!("repo·{}", short_session_id(&two_id)))
        .unwrap_or_else(|| panic!("session two's agent among {agents:?}"));
    grant_file(&mut store, item.id, two_agent.id);
    drop(store);
    run_to_end(place.session("two", Some(&two_id)), "session two, again").await;
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "two\n",
        "the granted write went through: {:?}",
        model.seen("two")
    );

    end_session_one(&model, one).await;
    // Both turns ended (Stop): no lease is left.
    let store = Store::open(&data.join("baton.sqlite3")).unwrap();
    assert!(store
        .leases(chrono::Utc::now(), chrono::Duration::minutes(10))
        .unwrap()
        .is_empty());
}
