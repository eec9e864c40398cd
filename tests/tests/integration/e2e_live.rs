//! Live in the real app (issues 33 and 35), under Xvfb through tauri-driver:
//!
//! - an app on a throwaway PostgreSQL with watching off (a viewer; its data folder's choice)
//!   says which store it is on, who you are, that it only views and which watcher polls which
//!   agent (a real `baton watch` on "another machine"); a decision made with `baton decide` in
//!   another process, then a write collision filed by the real `baton-hook` (two sessions, the
//!   second refused in `enforce`), show in its queue at once;
//! - an app watching its own SQLite store shows a collision filed through its hook socket at
//!   once (it used to wait 15–43 s for something else to wake the view).
//!
//! Each wait prints the time it took, measured from the moment the other process returned;
//! the bound is a few seconds (a loaded machine must not flake), which a view that waited for a
//! refresh of seconds would miss. Screenshots: target/e2e-screenshots/live-*.png.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::agent::AgentDraft;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_store::{watching, Store, StoreLocation, StorePlace};
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::coding_sessions::hook_write;
use baton_tests::peers::debug_baton;
use baton_tests::webdriver::Session;

const LONG: Duration = Duration::from_secs(30);
/// Within this of the other process's return, or the change was not live.
const LIVE: Duration = Duration::from_millis(2_500);

/// Waits until `css` matches; how long it took from `since` (printed, and bounded by [`LIVE`]).
async fn seen_within(
    session: &Session,
    css: &str,
    since: Instant,
    what: &str,
) -> Result<Duration, String> {
    let deadline = Instant::now() + LONG;
    loop {
        if !session.find_all(css).await?.is_empty() {
            let took = since.elapsed();
            println!(
                "{what}: on screen {} ms after it was written",
                took.as_millis()
            );
            if took > LIVE {
                return Err(format!(
                    "{what}: on screen after {took:?}, not within {LIVE:?}"
                ));
            }
            return Ok(took);
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: not on screen within {LONG:?} ({css})"));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the page's text of `css` (as a person reads it: `innerText`) says `needle`.
async fn shown(session: &Session, css: &str, needle: &str) -> Result<(), String> {
    let deadline = Instant::now() + LONG;
    loop {
        let text = session
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
                vec![serde_json::json!(css)],
            )
            .await?;
        if text.as_str().is_some_and(|t| t.contains(needle)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{css} never said {needle:?} within {LONG:?}: {text}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A git repository with one commit, where the coding sessions work.
fn repository(dir: &Path) {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/app.rs"), "fn main() {}\n").unwrap();
    git(&["init", "-q", "-b", "main"]);
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "start",
    ]);
}

const COLLISION: &str = "[data-testid=escalation-row][data-kind=write_collision][data-state=open]";

/// Two sessions write `src/app.rs` in a new repository `repo` through the real `baton-hook` in
/// `enforce` mode (`env`: where it writes): the first takes the file, the second is refused.
/// The write collision must reach the app's queue within [`LIVE`] of the second's return, with
/// the sessions named (their agents told as new); then the screenshot `shot`.
async fn collision_shown(
    app: &RunningApp,
    env: &[(&str, &str)],
    repo: &Path,
    shot: &str,
) -> Result<(), String> {
    repository(repo);
    let first = hook_write(env, repo, "aaaa1111-live", "src/app.rs")?;
    let second = hook_write(env, repo, "bbbb2222-live", "src/app.rs")?;
    let refused = Instant::now();
    if (first, second) != (0, 2) {
        return Err(format!(
            "the hook answered {first} then {second}, not allowed then refused"
        ));
    }
    let session = app.session();
    seen_within(session, COLLISION, refused, "a hook call's write collision").await?;
    shown(
        session,
        "[data-testid=escalation-list]",
        "shop·aaaa1111 · shop·bbbb2222",
    )
    .await?;
    app.screenshot(shot)
}

/// A `baton watch` of its own data folder on `url`, named `name` (killed when dropped).
struct Watcher(Child);

impl Watcher {
    fn start(url: &str, name: &str, data: &Path) -> Watcher {
        let child = Command::new(debug_baton())
            .arg("--data-dir")
            .arg(data)
            .args(["--store", url, "watch", "--name", name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start baton watch");
        Watcher(child)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_on_a_shared_store_shows_a_cli_decision_and_a_hook_made_collision_at_once() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let url = baton_testdb::server().fresh_database();
    let location = StoreLocation::parse(&url).unwrap();
    // What is there before the app starts: an agent that asks a person.
    let item = {
        let mut store = Store::open_at(&location).unwrap();
        let agent = store
            .add_agent(&AgentDraft::new(
                "Publisher",
                "http://127.0.0.1:9/publisher",
            ))
            .unwrap()
            .id;
        let ask = Finding::about(
            FindingKind::NeedsApproval,
            Severity::Warning,
            vec![agent],
            "Publisher asks: may I send the newsletter?",
            "live-ask",
        );
        store
            .record_findings(&[ask], chrono::Utc::now())
            .unwrap()
            .escalations[0]
    };
    let others = tempfile::tempdir().unwrap();
    let _watcher = Watcher::start(&url, "build-box", &others.path().join("watcher"));
    // The app's data folder uses the store and only views it.
    let data = tempfile::tempdir().unwrap();
    StorePlace::choose(data.path(), Some(&location)).unwrap();
    watching::save_choice(data.path(), Some(false)).unwrap();
    let app =
        RunningApp::launch_with(data, &[("BATON_USER", "ana"), ("BATON_HOST", "laptop-a")]).await;
    let result = drive_viewer(&app, &url, item, others.path()).await;
    app.finish("live-viewer", result).await;
}

async fn drive_viewer(app: &RunningApp, url: &str, item: i64, others: &Path) -> Result<(), String> {
    let session = app.session();
    // The sidebar, then the store dialog: where the app stands.
    let says = [
        ("[data-testid=store-line]", "127.0.0.1:"),
        ("[data-testid=presence-who]", "ana on laptop-a"),
        ("[data-testid=presence-mode]", "Viewing only"),
        ("[data-testid=presence-pollers]", "Polled by build-box (1)"),
    ];
    for (css, text) in says {
        session.wait_for_text(css, text, LONG).await?;
    }
    session
        .click_first("[data-testid=store-line]", LONG)
        .await?;
    let says = [
        ("[data-testid=presence-does]", "Views only"),
        ("[data-testid=watchers]", "build-box · live"),
        ("[data-testid=watchers]", "polls Publisher + the detectors"),
    ];
    for (css, text) in says {
        session.wait_for_text(css, text, LONG).await?;
    }
    app.screenshot("live-viewer-store")?;
    session.keys("\u{e00c}").await?; // Escape closes the dialog.

    session
        .click_first("[data-testid=nav-escalations]", LONG)
        .await?;
    let row = |state: &str| {
        format!("[data-testid=escalation-row][data-id=\"{item}\"][data-state={state}]")
    };
    session.wait_for(&row("open"), LONG).await?;
    app.screenshot("live-viewer-queue")?;

    // (a) `baton decide` in another process.
    let out = Command::new(debug_baton())
        .arg("--data-dir")
        .arg(others.join("cli"))
        .args([
            "--store",
            url,
            "decide",
            &item.to_string(),
            "approve",
            "--who",
            "bo",
            "--wait",
            "0",
        ])
        .output()
        .map_err(|e| e.to_string())?;
    let decided = Instant::now();
    if !out.status.success() {
        return Err(format!("baton decide: {out:?}"));
    }
    seen_within(
        session,
        &row("resolved"),
        decided,
        "a decision made with baton decide",
    )
    .await?;
    app.screenshot("live-viewer-decided")?;

    // (b) a write collision filed by the real baton-hook on another data folder.
    let hook_data = others.join("hooks").display().to_string();
    let env = [("BATON_DATA_DIR", hook_data.as_str()), ("BATON_STORE", url)];
    collision_shown(app, &env, &others.join("shop"), "live-viewer-collision").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_made_collision_reaches_the_queue_of_an_app_watching_its_store_at_once() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().display().to_string();
    let app = RunningApp::launch_in(data).await;
    let result = drive_watching(&app, &data_dir).await;
    app.finish("live-watching", result).await;
}

async fn drive_watching(app: &RunningApp, data_dir: &str) -> Result<(), String> {
    let session = app.session();
    session
        .wait_for_text("[data-testid=presence-mode]", "Watching the agents", LONG)
        .await?;
    session
        .click_first("[data-testid=nav-escalations]", LONG)
        .await?;
    session
        .wait_for("[data-testid=escalation-queue]", LONG)
        .await?;
    // The hook calls go to the app (its socket beside the store), as in a person's setup.
    let hooks = tempfile::tempdir().unwrap();
    let env = [("BATON_DATA_DIR", data_dir)];
    let repo = hooks.path().join("shop");
    collision_shown(app, &env, &repo, "live-watching-collision").await
}
