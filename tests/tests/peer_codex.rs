//! The real Codex CLI (`@openai/codex`, installed by `scripts/setup.sh --test` into
//! `.peers-node/`), offline against a scripted stand-in for the Responses API, with Baton's hooks
//! installed (and trusted in Codex's config) by `baton hooks install codex --project`.
//!
//! Two sessions in one repository: session one adds `src/app.rs` with `apply_patch` and its turn
//! stays open (the stand-in holds its last answer); session two's patch of the same file is
//! refused by the hook: the file keeps session one's content, the model read Baton's reason, and
//! the queue has the item. The person grants the file to session two from the queue (the
//! store's decision, as the app makes it) and session two, resumed, writes it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use baton_core::hooks::short_session_id;
use baton_store::Store;
use baton_tests::coding_sessions::{
    end_session_one, grant_file, refusal_in_queue, run_to_end, second_session_refused,
};
use baton_tests::model_standin::{ResponsesStandIn, CODEX_MODEL};
use baton_tests::peers::{node_peer, SessionPlace};
use tokio::process::Command;

struct Place {
    repo: PathBuf,
    home: PathBuf,
    codex_home: PathBuf,
}

/// `codex exec [resume ID] "[session NAME] …"` in the repository, isolated (its own HOME and
/// CODEX_HOME), against the stand-in; `--json` prints the thread's id.
fn session(place: &Place, name: &str, resume: Option<&str>) -> Command {
    let mut cmd = Command::new(node_peer("codex", "BATON_CODEX_BIN", "@openai/codex"));
    cmd.current_dir(&place.repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &place.home)
        .env("CODEX_HOME", &place.codex_home)
        .env("STANDIN_KEY", "sk-test")
        .arg("exec");
    if let Some(id) = resume {
        cmd.args(["resume", id]);
    }
    cmd.args([
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        "--json",
        "-m",
        CODEX_MODEL,
        &format!("[session {name}] Write src/app.rs for the {name} feature."),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    cmd
}

/// The thread id in `codex exec --json`'s output.
fn thread_id(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|event| event["thread_id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no thread id in {}", String::from_utf8_lossy(stdout)))
}

fn write_provider(codex_home: &Path, base_url: &str) {
    std::fs::create_dir_all(codex_home).unwrap();
    std::fs::write(
        codex_home.join("config.toml"),
        format!(
            "model_provider = \"standin\"\n\n[model_providers.standin]\nname = \"standin\"\n\
             base_url = \"{base_url}\"\nwire_api = \"responses\"\nenv_key = \"STANDIN_KEY\"\n\
             request_max_retries = 0\nstream_max_retries = 0\n"
        ),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_codex_session_is_refused_the_file_the_first_is_writing() {
    let dirs = SessionPlace::new();
    let place = Place {
        repo: dirs.repo.clone(),
        home: dirs.home.clone(),
        codex_home: dirs.root.join("codex-home"),
    };
    let data = dirs.data.clone();
    let file = place.repo.join("src/app.rs");
    let model = ResponsesStandIn::start("src/app.rs").await;
    write_provider(&place.codex_home, &model.base_url);
    dirs.install_hooks("codex", "enforce", &[("CODEX_HOME", &place.codex_home)]);

    let (one, two, told) =
        second_session_refused(&model, &file, "\n", |name| session(&place, name, None)).await;
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
    run_to_end(session(&place, "two", Some(&two_id)), "session two, again").await;
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
