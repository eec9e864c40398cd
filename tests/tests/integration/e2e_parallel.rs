//! A parallel edit of three branches in the real app under Xvfb: a repository with worktrees on
//! feature-a, feature-b and feature-c, a coding session in each writing `src/app.rs` (recorded in
//! the store as `baton hook` records them; feature-a and feature-b change line 2, feature-c line
//! 18). The queue has one item naming the three branches; once the app's engine has asked git,
//! "Will it conflict?" says one pair of three conflicts, with its two sides, and the two others
//! merge cleanly; the item offers Files to / Stop per branch and "Let them all go on", which
//! settles it. Screenshot: target/e2e-screenshots/parallel-three-branches.png.

use std::path::Path;
use std::time::Duration;

use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
use baton_store::sessions::{PermitSettings, SessionRef};
use baton_store::Store;
use baton_testdb::git::git;
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::coding_sessions::twenty_lines;
use chrono::Utc;
use serde_json::json;

const LONG: Duration = Duration::from_secs(60);

/// The session `id` in the checkout `dir` on `branch` writes its `src/app.rs` (its PreToolUse,
/// the file, its PostToolUse), in warn.
fn write(store: &mut Store, id: &str, dir: &Path, branch: &str, repository: &str, text: &str) {
    let root = dir.to_string_lossy().into_owned();
    let session = SessionRef {
        client: HookClient::ClaudeCode,
        session_id: id.into(),
        cwd: Some(root.clone()),
        repo_root: Some(root),
        repository: Some(repository.into()),
        repository_name: Some("shop".into()),
        branch: Some(branch.into()),
        name: None,
        host: None,
        account: None,
    };
    let settings = PermitSettings::in_mode(PermitMode::Warn);
    let file = dir.join("src/app.rs");
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            std::fs::write(&file, text).unwrap();
        }
        let payload = json!({"hook_event_name": event, "tool_name": "Write",
                             "tool_input": {"file_path": file, "content": text}});
        let call = parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None)
            .unwrap();
        store
            .record_hook(&session, &call, settings.clone(), Utc::now())
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_branches_are_one_item_and_git_says_which_pair_conflicts() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("baton.sqlite3");
    let work = tempfile::tempdir().unwrap();
    let shop = work.path().join("shop");
    std::fs::create_dir_all(shop.join("src")).unwrap();
    git(&shop, &["init", "-q", "-b", "main"]);
    std::fs::write(shop.join("src/app.rs"), twenty_lines(None)).unwrap();
    git(&shop, &["add", "-A"]);
    git(&shop, &["commit", "-q", "-m", "base"]);
    let repository = "root:e2e-parallel";
    {
        let mut store = Store::open(&db).unwrap();
        for (i, (branch, line, text)) in [
            ("feature-a", 2, "A"),
            ("feature-b", 2, "B"),
            ("feature-c", 18, "C"),
        ]
        .into_iter()
        .enumerate()
        {
            let dir = work.path().join(format!("shop-{branch}"));
            let add = ["worktree", "add", "-q", "-b", branch, dir.to_str().unwrap()];
            git(&shop, &add);
            let id = format!("{i}{i}{i}{i}aaaa-{branch}");
            let text = twenty_lines(Some((line, text)));
            write(&mut store, &id, &dir, branch, repository, &text);
        }
    }
    let app = RunningApp::launch_in(data).await;
    let result = drive(&app, &db).await;
    app.finish("parallel", result).await;
}

async fn drive(app: &RunningApp, db: &Path) -> Result<(), String> {
    let session = app.session();
    session
        .wait_for("[data-testid=nav-escalations]", LONG)
        .await?;
    session.show_view_by_key("5").await?;
    let row = "[data-testid=escalation-row][data-kind=parallel_edit][data-state=open]";
    session.wait_for(row, LONG).await?;
    let rows = session.find_all(row).await?;
    if rows.len() != 1 {
        return Err(format!("{} parallel-edit items, not one", rows.len()));
    }
    session.click_first(row, LONG).await?;
    // Once the app's engine has asked git: one pair of three conflicts.
    let verdict = session
        .wait_for(
            "[data-testid=parallel-forecast][data-verdict=conflicts] [data-testid=parallel-verdict]",
            LONG,
        )
        .await?;
    let said = session.text(&verdict).await?;
    if said != "1 of 3 pairs conflict" {
        return Err(format!("the verdict says {said:?}"));
    }
    session
        .wait_for(
            "[data-testid=parallel-pair][data-pair='feature-a feature-b'][data-verdict=conflicts] [data-testid=parallel-hunk]",
            LONG,
        )
        .await?;
    for pair in ["feature-a feature-c", "feature-b feature-c"] {
        let css = format!("[data-testid=parallel-pair][data-pair='{pair}'][data-verdict=clean]");
        session.wait_for(&css, LONG).await?;
    }
    let all = "[data-testid=escalation-action][data-action=let_both_go_on]";
    let button = session.wait_for(all, LONG).await?;
    let label = session.text(&button).await?;
    if label != "Let them all go on" {
        return Err(format!("the button says {label:?}"));
    }
    let stops = session
        .find_all("[data-testid=escalation-action][data-action=stop_touching]")
        .await?;
    if stops.len() != 3 {
        return Err(format!("{} Stop buttons, not one per branch", stops.len()));
    }
    app.screenshot("parallel-three-branches")?;

    session.click_first(all, LONG).await?;
    session
        .wait_for(
            "[data-testid=escalation-row][data-kind=parallel_edit][data-state=resolved]",
            LONG,
        )
        .await?;
    let store = Store::open(db).map_err(|e| e.to_string())?;
    let decided = store
        .decisions(&Default::default())
        .map_err(|e| e.to_string())?;
    if !decided.iter().any(|d| d.action == "let_both_go_on") {
        return Err(format!("no decision to let them all go on: {decided:?}"));
    }
    Ok(())
}
