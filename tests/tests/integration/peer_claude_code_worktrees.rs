//! The real Claude Code CLI in two worktrees of one repository, each session on its own
//! branch, offline against scripted stand-ins for the Messages API, with Baton's hooks
//! installed in each worktree by `baton hooks install claude-code --project`.
//!
//! Both sessions write `src/app.rs` of their own checkout while both are live: neither is
//! refused (warn), no write collision is filed, and the queue has one parallel-edit item naming
//! both branches and the file, there when the second session's write is done (the hook files
//! it). A repository whose `.baton/hooks.toml` says `parallel = "enforce"` refuses the second
//! branch's write, and its model reads why. With an engine running, the item says whether the
//! two branches will merge (same lines: "conflicts" with both ranges; distant lines: "merges
//! cleanly"), checked against `git merge` of the branches afterwards. A real Codex session in a
//! third worktree joins the same item.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command as StdCommand;

use baton_core::detect::FindingKind;
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_testdb::git::git;
use baton_tests::coding_sessions::{open_items, run_to_end, twenty_lines, RUN_LIMIT};
use baton_tests::model_standin::ModelStandIn;
use baton_tests::model_standin::ResponsesStandIn;
use baton_tests::peers::{claude_print, debug_baton, CodexPlace, SessionPlace};

/// What became of session feature-b's write and the queue.
struct Outcome {
    /// feature-b's file as it was left.
    file_b: String,
    /// The tool results feature-b's model read: (text, failed).
    told_b: Vec<(String, bool)>,
    /// The open queue items: (kind, title).
    items: Vec<(FindingKind, String)>,
}

/// A repository `shop` with worktrees on branches feature-a and feature-b, Baton's hooks
/// installed in each, and a model stand-in per worktree writing its `src/app.rs`.
struct TwoBranches {
    place: SessionPlace,
    /// (branch, worktree, its src/app.rs, its model).
    sessions: Vec<(&'static str, PathBuf, PathBuf, ModelStandIn)>,
    /// What a session writes, by its branch (else the branch's name).
    contents: HashMap<String, String>,
}

impl TwoBranches {
    async fn new(settings: Option<&str>) -> TwoBranches {
        TwoBranches::writing(settings, "fn main() {}\n", HashMap::new()).await
    }

    /// `src/app.rs` committed as `base`; each session writes what `contents` gives for its
    /// branch, else the branch's name.
    async fn writing(
        settings: Option<&str>,
        base: &str,
        contents: HashMap<String, String>,
    ) -> TwoBranches {
        let place = SessionPlace::new();
        // A real repository beside the place's own: `shop`, with worktrees on two branches.
        let shop = place.root.join("shop");
        std::fs::create_dir_all(shop.join("src")).unwrap();
        git(&shop, &["init", "-q", "-b", "main"]);
        std::fs::write(shop.join("src/app.rs"), base).unwrap();
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
            let model =
                ModelStandIn::start_writing(&file.to_string_lossy(), contents.clone()).await;
            sessions.push((branch, dir, file, model));
        }
        if let Some(text) = settings {
            std::fs::create_dir_all(sessions[1].1.join(".baton")).unwrap();
            std::fs::write(sessions[1].1.join(".baton/hooks.toml"), text).unwrap();
        }
        TwoBranches {
            place,
            sessions,
            contents,
        }
    }

    /// What the session of `branch` writes.
    fn content_of(&self, branch: &str) -> String {
        self.contents
            .get(branch)
            .cloned()
            .unwrap_or_else(|| branch.to_owned())
    }

    /// A Claude Code run in worktree `i`, its prompt tagged `tag` (the stand-in's
    /// conversation, and what it writes).
    fn run(&self, i: usize, tag: &str) -> tokio::process::Command {
        let (branch, dir, _, model) = &self.sessions[i];
        let prompt = format!("[session {tag}] Write src/app.rs for the {branch} feature.");
        claude_print(
            dir,
            &self.place.home,
            &model.base_url,
            &prompt,
            "acceptEdits",
        )
    }

    fn store(&self) -> Store {
        Store::open(&self.place.data.join("baton.sqlite3")).unwrap()
    }

    /// The open queue items: (kind, title).
    fn open_items(&self) -> Vec<(FindingKind, String)> {
        open_items(&self.store())
    }

    /// Session feature-a writes `src/app.rs` and its turn stays open (a live session) while
    /// `meanwhile` runs; then feature-a ends. What `meanwhile` returned, and the open items
    /// it left.
    async fn while_a_is_live<T>(
        &self,
        meanwhile: impl std::future::Future<Output = T>,
    ) -> (T, Vec<(FindingKind, String)>) {
        let model_a = &self.sessions[0].3;
        model_a.hold("feature-a");
        let one = self.run(0, "feature-a").spawn().unwrap();
        tokio::time::timeout(RUN_LIMIT, model_a.wait_for_tool_result("feature-a"))
            .await
            .expect("session feature-a wrote its file");
        let done = meanwhile.await;
        let items = self.open_items();
        model_a.release("feature-a");
        let one = tokio::time::timeout(RUN_LIMIT, one.wait_with_output())
            .await
            .expect("session feature-a ends")
            .unwrap();
        assert!(one.status.success(), "{one:?}");
        // feature-a wrote its own checkout's file.
        assert_eq!(
            std::fs::read_to_string(&self.sessions[0].2).unwrap(),
            self.content_of("feature-a")
        );
        (done, items)
    }

    /// Session feature-a writes `src/app.rs` and stays live; session feature-b writes its own
    /// `src/app.rs` and runs to its end.
    async fn write_one_file(&self) -> Outcome {
        let ((), items) = self
            .while_a_is_live(async {
                run_to_end(self.run(1, "feature-b"), "feature-b").await;
            })
            .await;
        Outcome {
            file_b: std::fs::read_to_string(&self.sessions[1].2).unwrap(),
            told_b: self.sessions[1].3.seen("feature-b").tool_results,
            items,
        }
    }
}

/// Two sessions on two branches write `src/app.rs`; feature-b's `.baton/hooks.toml` is
/// `settings` when given.
async fn two_branches_write_one_file(settings: Option<&str>) -> Outcome {
    TwoBranches::new(settings).await.write_one_file().await
}

/// The one queue item: a parallel edit of src/app.rs naming both branches.
fn one_parallel_edit(items: &[(FindingKind, String)]) {
    assert_eq!(items.len(), 1, "{items:?}");
    let (kind, title) = &items[0];
    assert_eq!(*kind, FindingKind::ParallelEdit);
    assert!(
        title.starts_with("Branches feature-a and feature-b of shop both change")
            && title.contains("both change src/app.rs:"),
        "{title}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_claude_code_sessions_on_two_branches_are_one_parallel_edit() {
    let outcome = two_branches_write_one_file(None).await;
    // Each wrote its own checkout's file: nobody was refused (warn).
    assert_eq!(outcome.file_b, "feature-b");
    assert!(
        outcome.told_b.iter().all(|(_, failed)| !failed),
        "{:?}",
        outcome.told_b
    );
    one_parallel_edit(&outcome.items);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_that_enforces_refuses_the_second_branchs_edit() {
    let outcome = two_branches_write_one_file(Some("parallel = \"enforce\"\n")).await;
    // feature-b's write was refused: its file is as committed, and its model read why.
    assert_eq!(outcome.file_b, "fn main() {}\n");
    assert_eq!(outcome.told_b.len(), 1, "{:?}", outcome.told_b);
    let (reason, failed) = &outcome.told_b[0];
    assert!(*failed, "{reason}");
    assert!(
        reason.contains("Baton refused this write") && reason.contains("branch \"feature-a\""),
        "{reason}"
    );
    one_parallel_edit(&outcome.items);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_told_to_stop_touching_the_file_is_refused_it_at_its_next_write() {
    let two = TwoBranches::new(None).await;
    let outcome = two.write_one_file().await;
    one_parallel_edit(&outcome.items);
    let store = two.store();
    let item = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()[0]
        .id;
    let session_b = store
        .agents()
        .unwrap()
        .into_iter()
        .find(|a| a.name.starts_with("feature-b·"))
        .expect("feature-b's session is an agent")
        .name;
    drop(store);
    // The person stops feature-b from the command line, as the item's button does.
    let decide = StdCommand::new(debug_baton())
        .arg("--data-dir")
        .arg(&two.place.data)
        .args(["decide", &item.to_string(), "stop-touching", &session_b])
        .args(["--note", "feature-a rewrites the parser", "--who", "ana"])
        .output()
        .unwrap();
    assert!(decide.status.success(), "{decide:?}");

    // The agent started again in feature-b's worktree (a new session of the branch) tries the
    // file: refused, the person's words read by its model, the file as it was.
    run_to_end(two.run(1, "feature-b-again"), "feature-b again").await;
    let told = two.sessions[1].3.seen("feature-b-again").tool_results;
    assert_eq!(told.len(), 1, "{told:?}");
    let (reason, failed) = &told[0];
    assert!(*failed, "{reason}");
    assert!(
        reason.contains(
            "ana decided in Baton that the branch \"feature-b\" stops changing src/app.rs"
        ) && reason.contains("(feature-a rewrites the parser)"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read_to_string(&two.sessions[1].2).unwrap(),
        "feature-b"
    );
    // Decided: no new item for the refused try.
    let open = two.open_items();
    assert!(open.is_empty(), "{open:?}");
}

/// Two Claude Code sessions on feature-a and feature-b make the parallel edit of `src/app.rs`;
/// then a Codex session in a third worktree (branch feature-c) of the repository writes the
/// file too, while feature-a's session is live: Codex's hook calls name the same repository and
/// their branch, and it joins that same item, which names all three branches (one cause, one
/// item). The person then lets them all go on from the command line. (Codex reads a
/// worktree's project hooks from the main checkout: installed in the worktree alone, they
/// never ran.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_codex_session_in_a_third_worktree_joins_the_parallel_edit() {
    let two = TwoBranches::new(None).await;
    let shop = two.place.root.join("shop");
    let codex = CodexPlace {
        dir: two.place.root.join("feature-c"),
        home: two.place.home.clone(),
        codex_home: two.place.root.join("codex-home"),
    };
    git(
        &shop,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature-c",
            codex.dir.to_str().unwrap(),
        ],
    );
    let model_c = ResponsesStandIn::start("src/app.rs").await;
    codex.use_model(&model_c.base_url);
    // Codex reads a worktree's hooks from the main checkout: install says so and puts them there.
    let said = two
        .place
        .install_hooks_in(&codex.dir, "codex", "warn", &codex.hooks_env());
    assert!(said.contains("main checkout"), "{said}");

    // feature-a writes its file and stays live; meanwhile feature-b writes its own (the item),
    // then Codex on feature-c writes its own.
    let (first, items) = two
        .while_a_is_live(async {
            run_to_end(two.run(1, "feature-b"), "feature-b").await;
            let made = two.open_items();
            one_parallel_edit(&made);
            let first = open_parallel_item(&two.store());
            run_to_end(codex.session("feature-c", None), "codex on feature-c").await;
            first
        })
        .await;
    assert_eq!(
        std::fs::read_to_string(codex.dir.join("src/app.rs")).unwrap(),
        "feature-c\n",
        "Codex wrote its own checkout's file (warn): {:?}",
        model_c.seen("feature-c")
    );
    assert_eq!(items.len(), 1, "{items:?}");
    let (kind, title) = &items[0];
    assert_eq!(*kind, FindingKind::ParallelEdit);
    assert!(
        title.starts_with("Branches feature-a, feature-b and feature-c of shop change src/app.rs:"),
        "{title}"
    );
    // The same item, now with the three branches, each of them changing the file.
    let store = two.store();
    let item = store.escalation(first).unwrap();
    let parallel = item.parallel.expect("a parallel edit's branches");
    assert_eq!(parallel.branches, ["feature-a", "feature-b", "feature-c"]);
    assert_eq!(parallel.files.len(), 1);
    assert_eq!(parallel.files[0].branches, parallel.branches);
    assert_eq!(item.agents.len(), 3, "{:?}", item.agents);
    drop(store);

    // "Let them all go on", as the item's button says it, from the command line.
    let decide = StdCommand::new(debug_baton())
        .arg("--data-dir")
        .arg(&two.place.data)
        .args([
            "decide",
            &first.to_string(),
            "let-all-go-on",
            "--who",
            "ana",
        ])
        .output()
        .unwrap();
    assert!(decide.status.success(), "{decide:?}");
    let store = two.store();
    let decided = store.escalation(first).unwrap();
    assert_eq!(decided.decision.unwrap().action, "let_both_go_on");
    assert!(two.open_items().is_empty());
}

/// The id of the one open parallel-edit item.
fn open_parallel_item(store: &Store) -> i64 {
    let items: Vec<i64> = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == FindingKind::ParallelEdit)
        .map(|e| e.id)
        .collect();
    assert_eq!(items.len(), 1, "{items:?}");
    items[0]
}

/// The two sessions change line 2 of one file, then lines 2 and 18: a running engine asks git
/// once the writes pause, and the item says "conflicts" with both line ranges, then "merges
/// cleanly" — what `git merge` of the two branches then really does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_engine_forecasts_the_merge_of_the_two_branches() {
    use baton_engine::{Engine, EngineConfig, MemoryTokens};
    for (line_b, forecast, merges) in [
        (
            2,
            "conflicts in src/app.rs (feature-a line 2; feature-b line 2)",
            false,
        ),
        (18, "merges cleanly", true),
    ] {
        let contents = HashMap::from([
            ("feature-a".to_owned(), twenty_lines(Some((2, "A")))),
            ("feature-b".to_owned(), twenty_lines(Some((line_b, "B")))),
        ]);
        let two = TwoBranches::writing(None, &twenty_lines(None), contents).await;
        let location = baton_store::StoreLocation::Sqlite(two.place.data.join("baton.sqlite3"));
        let engine = Engine::new(
            baton_store::StoreHandle::open_at(&location, 1).unwrap(),
            std::sync::Arc::new(MemoryTokens::new(None)),
            EngineConfig::default(),
        );
        engine.start_all().await.unwrap();
        one_parallel_edit(&two.write_one_file().await.items);

        // The engine asks git beside the hooks, once the writes paused: wait for its answer.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let title = loop {
            let items = two.open_items();
            let title = items
                .first()
                .map(|(_, title)| title.clone())
                .unwrap_or_default();
            if title.ends_with(forecast) || std::time::Instant::now() > deadline {
                break title;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        engine.shutdown().await;
        assert!(title.ends_with(forecast), "{title}");

        // What git really does with the two branches, committed.
        for (_, dir, _, _) in &two.sessions {
            git(dir, &["commit", "-q", "-am", "the session's change"]);
        }
        let merged = StdCommand::new("git")
            .arg("-C")
            .arg(&two.sessions[0].1)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(["merge", "-q", "--no-edit", "feature-b"])
            .output()
            .unwrap();
        assert_eq!(merged.status.success(), merges, "{merged:?}");
    }
}
