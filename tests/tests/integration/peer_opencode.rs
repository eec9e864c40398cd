//! The real OpenCode (`opencode-ai`, installed by `scripts/setup.sh --test` into `.peers-node/`),
//! offline against a scripted stand-in for the Chat Completions API (a custom
//! `@ai-sdk/openai-compatible` provider in the project's `opencode.json`), with Baton's plugin
//! installed by `baton hooks install opencode --project --mode enforce`
//! (`.opencode/plugin/baton.js`).
//!
//! Two sessions in one repository: session one writes `src/app.rs` and its turn stays open (the
//! stand-in holds its last answer); session two's `write` of the same file is refused (the
//! plugin throws in `tool.execute.before`): the file keeps session one's content, the model read
//! Baton's reason as the tool's error, and the queue has the item. Both sessions are on the
//! Agents view with their turns, ended by `session.idle`. What OpenCode recorded of each
//! session's usage (its messages, in its database) adds up to what the stand-in reported.

use baton_core::hooks::HookClient;
use baton_core::task::TaskState;
use baton_core::usage::{OpenCodeMessages, TokenUse};
use baton_store::Store;
use baton_tests::coding_sessions::{
    end_session_one, refusal_in_queue, second_session_refused, sessions_shown, stored_usage,
};
use baton_tests::model_standin::{ChatStandIn, ChatTools};
use baton_tests::peers::opencode_messages;
use baton_tests::peers::{opencode_config, opencode_run, SessionPlace};
use baton_tests::samples::{keep_file, keep_payloads, usage_read, Recorder};
use serde_json::Value;

/// What the Chat Completions API reported, as billed: input not cached, output (reasoning
/// within it), cache read.
fn billed(reported: &[Value]) -> TokenUse {
    let mut sum = TokenUse::default();
    for usage in reported {
        let cached = usage["prompt_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or(0);
        sum.add(TokenUse {
            input: usage["prompt_tokens"].as_u64().unwrap() - cached,
            output: usage["completion_tokens"].as_u64().unwrap(),
            cache_read: cached,
            cache_write: 0,
        });
    }
    sum
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_opencode_session_is_refused_the_file_the_first_is_writing() {
    let place = SessionPlace::new();
    let (repo, home, data) = (place.repo.clone(), place.home.clone(), place.data.clone());
    let file = std::fs::canonicalize(&repo).unwrap().join("src/app.rs");
    let installed = place.install_hooks("opencode", "enforce", &[]);
    assert!(
        installed.contains(".opencode/plugin/baton.js"),
        "{installed}"
    );
    let recorder = Recorder::install(&repo.join(".opencode/plugin/baton.js"), &place.root);

    let model = ChatStandIn::start_with(&file.to_string_lossy(), ChatTools::OpenCode).await;
    opencode_config(&repo, &model.base_url);
    let (one, _, told) =
        second_session_refused(&model, &file, "", |name| opencode_run(&repo, &home, name)).await;
    println!("the model read: {told:?}");
    let (reason, _) = &told[0];
    assert!(
        reason.contains("Baton refused this write") && reason.contains("src/app.rs"),
        "the model read Baton's reason as the tool's error: {told:?}"
    );

    let store = Store::open(&data.join("baton.sqlite3")).unwrap();
    refusal_in_queue(&store, &place.repo_file("src/app.rs"));
    // Session two's turn ended (session.idle); session one's is still open, the file held.
    let shown = sessions_shown(&store, "opencode", None);
    assert_eq!(shown[1].1[0].state, TaskState::Completed, "{shown:?}");
    assert!(!shown[1].0.turn_open, "{shown:?}");
    assert!(shown[0].0.turn_open, "{shown:?}");
    assert_eq!(
        shown[0].0.leases.len(),
        1,
        "session one holds the file: {shown:?}"
    );
    assert!(
        shown.iter().all(|(s, _)| s.session_id.starts_with("ses_")),
        "{shown:?}"
    );
    drop(store);

    end_session_one(&model, one).await;
    let store = Store::open(&data.join("baton.sqlite3")).unwrap();
    let shown = sessions_shown(&store, "opencode", Some(TaskState::Completed));
    assert!(
        shown.iter().all(|(s, _)| s.leases.is_empty()),
        "both turns ended, their files let go: {shown:?}"
    );

    // Every call Baton's plugin handed over reads; one of each kind is kept as a sample.
    let payloads = recorder.payloads(HookClient::OpenCode);
    let kinds = keep_payloads(
        "crates/baton-core/src/hooks/tests/opencode-1.18.33",
        &payloads,
        |p| {
            let hook = p["hook"].as_str().unwrap_or("");
            match (p["event"]["type"].as_str(), p["input"]["tool"].as_str()) {
                (Some(event), _) => format!("{hook}.{event}"),
                (None, Some(tool)) => format!("{hook}.{tool}"),
                (None, None) => hook.to_owned(),
            }
        },
    );
    for kind in [
        "event.session.created",
        "chat.message",
        "tool.execute.before.write",
        "tool.execute.after.write",
        "event.session.idle",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }

    // Each session's messages (the prompt's call names the session) hold what was reported.
    for name in ["one", "two"] {
        let session = payloads
            .iter()
            .find(|(_, p)| {
                p["hook"] == "chat.message" && p.to_string().contains(&format!("[session {name}]"))
            })
            .and_then(|(_, p)| p["input"]["sessionID"].as_str())
            .unwrap_or_else(|| panic!("session {name}'s id"))
            .to_owned();
        let lines = opencode_messages(&home, &session).join("\n") + "\n";
        let (read, skipped) = usage_read(&OpenCodeMessages, lines.as_bytes());
        let reported = model.seen(name).usage;
        assert_eq!(reported.len(), 2, "two answers: {reported:?}");
        assert_eq!(read, billed(&reported), "session {name}: {lines}");
        // And Baton, from the finished responses the plugin handed it, counted the same.
        let stored = stored_usage(&store, HookClient::OpenCode, &session);
        assert_eq!(stored, billed(&reported), "session {name} in Baton's store");
        assert!(skipped.is_empty(), "{skipped:?}");
        keep_file(
            "crates/baton-core/src/usage/samples/opencode-1.18.33",
            &format!("session-{name}.jsonl"),
            lines.as_bytes(),
        );
    }
}
