//! The real Claude Code CLI in two worktrees of one repository, each session on its own
//! branch, offline against scripted stand-ins for the Messages API, with Baton's hooks
//! installed in each worktree by `baton hooks install claude-code --project`.
//!
//! Both sessions write `src/app.rs` of their own checkout: neither is refused (warn), no write
//! collision is filed, and the queue has one parallel-edit item naming both branches and the
//! file, there when the second session's write is done (the hook files it).

use std::path::Path;
use std::process::Command as StdCommand;

use baton_core::detect::FindingKind;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::coding_sessions::{run_to_end, RUN_LIMIT};
use baton_tests::model_standin::ModelStandIn;
use baton_tests::peers::{claude_print, SessionPlace};

fn git(dir: &Path, args: &[&str]) {
    let out = StdCommand::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_claude_code_sessions_on_two_branches_are_one_parallel_edit() {
    let place = SessionPlace::new();
    // A real repository beside the place's own: `shop`, with worktrees on two branches.
    let shop = place.root.join("shop");
    std::fs::create_dir_all(shop.join("src")).unwrap();
    git(&shop, &["init", "-q", "-b", "main"]);
    std::fs::write(shop.join("src/app.rs"), "fn main() {}\n").unwrap();
    git(&shop, &["add", "-A"]);
    git(&shop, &["commit", "-q", "-m", "base"]);
    let mut sessions = Vec::new();
    for branch in ["feature-a", "feature-b"] {
        let dir = place.root.join(branch);
        git(
            &shop,
            &["worktree", "add", "-q", "-b", branch, dir.to_str().unwrap()],
        );
        place.install_hooks_in(&dir, "claude-code", "warn", &[]);
        let file = dir.join("src/app.rs");
        let model = ModelStandIn::start(&file.to_string_lossy()).await;
        sessions.push((branch, dir, file, model));
    }

    // Session feature-a writes its file, its turn held open (a live session); then
    // feature-b runs to its end.
    let run = |i: usize| {
        let (branch, dir, _, model) = &sessions[i];
        let prompt = format!("[session {branch}] Write src/app.rs for the {branch} feature.");
        claude_print(dir, &place.home, &model.base_url, &prompt, "acceptEdits")
    };
    sessions[0].3.hold("feature-a");
    let one = run(0).spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, sessions[0].3.wait_for_tool_result("feature-a"))
        .await
        .expect("session feature-a wrote its file");
    run_to_end(run(1), "feature-b").await;
    // Each wrote its own checkout's file: nobody was refused.
    for (branch, _, file, model) in &sessions {
        assert_eq!(std::fs::read_to_string(file).unwrap(), *branch);
        let told = model.seen(branch).tool_results;
        assert!(told.iter().all(|(_, failed)| !failed), "{told:?}");
    }

    let store = Store::open(&place.data.join("baton.sqlite3")).unwrap();
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item.kind, FindingKind::ParallelEdit);
    assert!(
        item.title
            .starts_with("Branches feature-a and feature-b of root:")
            && item.title.contains("both change src/app.rs:"),
        "{}",
        item.title
    );
    drop(store);
    sessions[0].3.release("feature-a");
    let one = tokio::time::timeout(RUN_LIMIT, one.wait_with_output())
        .await
        .expect("session feature-a ends")
        .unwrap();
    assert!(one.status.success(), "{one:?}");
}
