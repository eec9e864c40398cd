//! Real Claude Code on one machine and real Codex on another, each driven offline by its
//! model stand-in, with the shared PostgreSQL store a real network apart: the tests' delay
//! proxy holds every byte half the round trip each way (30 ms: the same city, a VPN to a home
//! server; 100 ms: another continent). Each "machine" is a place of its own (HOME, a data
//! folder whose saved store is the database through the proxy, `BATON_HOST` naming it) with a
//! clone of one origin, hooks installed by `baton hooks install … --mode enforce`; no Baton
//! process runs but the clients' own hook calls (cold processes, the slowest path).
//!
//! On `main` in both clones, the laptop's Claude Code session writes `src/app.rs` and its turn
//! stays open; the dev box's Codex session is refused the same file (its clone keeps the
//! committed content, its model reads who holds it and where), and the queue has one item
//! naming both machines. A Codex session on another branch of the dev box writes the file: the
//! parallel edit is an item, nothing refused. Nothing went ahead unchecked.
//!
//! The store is the run's PostgreSQL server whichever engine the pass tests (this binary runs
//! in the SQLite pass).

use std::path::{Path, PathBuf};
use std::time::Duration;

use baton_core::detect::FindingKind;
use baton_hooks::spool::spool_path;
use baton_store::{Store, StoreLocation};
use baton_testdb::delay::DelayProxy;
use baton_testdb::git::{clone_as, git, origin};
use baton_tests::coding_sessions::{end_session_one, open_items_once, run_to_end, RUN_LIMIT};
use baton_tests::model_standin::{ModelStandIn, ResponsesStandIn};
use baton_tests::peers::{claude_print, debug_baton, CodexPlace, SessionPlace};

/// One machine: a place of its own (HOME, data folder) whose store is `store`, and its clone of
/// the origin at `shop/`.
struct Machine {
    host: &'static str,
    place: SessionPlace,
    clone: PathBuf,
}

impl Machine {
    /// Set up as a person would: `baton store use URL` (which connects, and brings the
    /// database's schema up to date when it is behind), then the clone.
    fn new(origin: &Path, host: &'static str, store: &str) -> Machine {
        let place = SessionPlace::new();
        let used = std::process::Command::new(debug_baton())
            .arg("--data-dir")
            .arg(&place.data)
            .args(["store", "use", store])
            .env("BATON_HOST", host)
            .output()
            .unwrap();
        assert!(used.status.success(), "baton store use: {used:?}");
        let clone = place.root.join("shop");
        clone_as(origin, &clone, "git@git.example.org:acme/shop.git");
        Machine { host, place, clone }
    }

    /// The calls that went ahead unchecked, as the spool keeps them (empty: none).
    fn unchecked(&self) -> String {
        let spool = spool_path(&self.place.data.join("baton.sqlite3"));
        std::fs::read_to_string(spool).unwrap_or_default()
    }

    /// Codex in `dir` (this machine's clone, or another checkout of it), its hooks installed
    /// there in `enforce`, against `model`.
    fn codex(&self, dir: &Path, model: &ResponsesStandIn) -> CodexPlace {
        let codex = CodexPlace {
            dir: dir.to_owned(),
            home: self.place.home.clone(),
            codex_home: self.place.root.join("codex-home"),
        };
        codex.use_model(&model.base_url);
        self.place
            .install_hooks_in(dir, "codex", "enforce", &codex.hooks_env());
        codex
    }
}

async fn claude_code_and_codex_meet_with_the_store(round_trip: Duration) {
    let server = baton_testdb::server();
    let url = server.fresh_database();
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    let proxy = DelayProxy::start(target, round_trip).unwrap();
    let far = proxy.url_through(&url, server.port());
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path(), &[("README.md", "shop\n")]);
    let laptop = Machine::new(&origin, "laptop-a", &far);
    let devbox = Machine::new(&origin, "devbox-b", &far);

    // The laptop: Claude Code on main writes src/app.rs; its turn stays open (a live session
    // holding the file).
    laptop
        .place
        .install_hooks_in(&laptop.clone, "claude-code", "enforce", &[]);
    let laptop_file = laptop.clone.join("src/app.rs");
    let claude = ModelStandIn::start(&laptop_file.to_string_lossy()).await;
    claude.hold("one");
    let mut one = claude_print(
        &laptop.clone,
        &laptop.place.home,
        &claude.base_url,
        "[session one] Write src/app.rs for the main feature.",
        "acceptEdits",
    );
    let one = one.env("BATON_HOST", laptop.host).spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, claude.wait_for_tool_result("one"))
        .await
        .expect("the laptop's session wrote its file");
    assert_eq!(std::fs::read_to_string(&laptop_file).unwrap(), "one");

    // The dev box: Codex on main, the same file of its own clone: refused.
    let codex_model = ResponsesStandIn::start("src/app.rs").await;
    let codex = devbox.codex(&devbox.clone, &codex_model);
    let mut two = codex.session("two", None);
    two.env("BATON_HOST", devbox.host);
    run_to_end(two, "the dev box's session on main").await;
    assert!(
        !devbox.clone.join("src/app.rs").exists(),
        "the patch was applied; the dev box's unchecked calls: {}",
        devbox.unchecked()
    );
    let told = codex_model.seen("two").tool_results;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].0.contains("Baton refused this write") && told[0].0.contains("laptop-a"),
        "the model read who holds the file and where: {told:?}"
    );

    // Another branch on the dev box writes it: a parallel edit, not refused.
    let feature = devbox.place.root.join("shop-feature");
    clone_as(&origin, &feature, "https://git.example.org/acme/shop");
    git(&feature, &["checkout", "-q", "-b", "feature"]);
    let feature_model = ResponsesStandIn::start("src/app.rs").await;
    let codex = devbox.codex(&feature, &feature_model);
    let mut three = codex.session("three", None);
    three.env("BATON_HOST", devbox.host);
    run_to_end(three, "the dev box's session on a branch").await;
    assert_eq!(
        std::fs::read_to_string(feature.join("src/app.rs")).unwrap(),
        "three\n"
    );

    let store = Store::open_at(&StoreLocation::parse(&url).unwrap()).unwrap();
    // The items are filed after the hooks exit, by the delivery they start.
    let items = open_items_once(&store, |items| {
        [FindingKind::WriteCollision, FindingKind::ParallelEdit]
            .iter()
            .all(|kind| items.iter().any(|(k, _)| k == kind))
    });
    end_session_one(&claude, one).await;
    let collision = items
        .iter()
        .find(|(kind, _)| *kind == FindingKind::WriteCollision)
        .unwrap_or_else(|| panic!("the refusal is in the queue: {items:?}"));
    assert!(
        collision.1.contains("on devbox-b tried to write") && collision.1.contains("on laptop-a"),
        "the item names both machines: {}",
        collision.1
    );
    assert!(
        items
            .iter()
            .any(|(kind, title)| *kind == FindingKind::ParallelEdit
                && title.contains("src/app.rs")
                && title.contains("feature")),
        "the other branch's edit is a parallel edit: {items:?}"
    );
    assert_eq!(items.len(), 2, "one item per cause: {items:?}");
    // Nothing went ahead unchecked: no call waits in either machine's spool.
    for machine in [&laptop, &devbox] {
        assert_eq!(
            machine.unchecked(),
            "",
            "{}: calls went ahead unchecked",
            machine.host
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_and_codex_on_two_machines_meet_with_the_store_30_ms_away() {
    claude_code_and_codex_meet_with_the_store(Duration::from_millis(30)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_and_codex_on_two_machines_meet_with_the_store_100_ms_away() {
    claude_code_and_codex_meet_with_the_store(Duration::from_millis(100)).await;
}
