//! The real Gemini CLI (`@google/gemini-cli`, installed by `scripts/setup.sh --test` into
//! `.peers-node/`), offline against a scripted stand-in for Google's Gemini API
//! (`GOOGLE_GEMINI_BASE_URL`), with Baton's hooks installed by `baton hooks install gemini
//! --project --mode enforce`, which also trusts the repository in Gemini CLI's trusted folders
//! (it runs no project hooks otherwise, and refuses to start headless in an untrusted folder).
//!
//! Two sessions in one repository: session one writes `src/app.rs` and its turn stays open (the
//! stand-in holds its last answer); session two's `write_file` of the same file is refused by the
//! hook: the file keeps session one's content, the model read Baton's reason as the tool's error,
//! and the queue has the item. Both sessions are on the Agents view with their turns. What
//! Gemini CLI recorded of each session's usage (its session file) adds up to what the stand-in
//! reported.

use baton_core::hooks::HookClient;
use baton_core::task::TaskState;
use baton_core::usage::{GeminiTranscript, TokenUse};
use baton_store::Store;
use baton_tests::coding_sessions::{
    end_session_one, refusal_in_queue, second_session_refused, sessions_shown, stored_usage,
};
use baton_tests::model_standin::GeminiStandIn;
use baton_tests::peers::{gemini_print, gemini_user_settings, SessionPlace};
use baton_tests::samples::{keep_file, keep_payloads, usage_read, Recorder};
use serde_json::Value;

/// What Gemini's API reported, as billed: input not cached (the tools' part of the prompt
/// included), output with thinking, cache read.
fn billed(reported: &[Value]) -> TokenUse {
    let mut sum = TokenUse::default();
    for usage in reported {
        let count = |key: &str| usage[key].as_u64().unwrap_or(0);
        sum.add(TokenUse {
            input: count("promptTokenCount") - count("cachedContentTokenCount")
                + count("toolUsePromptTokenCount"),
            output: count("candidatesTokenCount") + count("thoughtsTokenCount"),
            cache_read: count("cachedContentTokenCount"),
            cache_write: 0,
        });
    }
    sum
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_gemini_session_is_refused_the_file_the_first_is_writing() {
    let place = SessionPlace::new();
    let (repo, home, data) = (place.repo.clone(), place.home.clone(), place.data.clone());
    let file = std::fs::canonicalize(&repo).unwrap().join("src/app.rs");
    gemini_user_settings(&home);
    let installed = place.install_hooks("gemini", "enforce", &[]);
    assert!(installed.contains("trusted"), "{installed}");
    let recorder = Recorder::install(&repo.join(".gemini/settings.json"), &place.root);

    let model = GeminiStandIn::start(&file.to_string_lossy()).await;
    let (one, two, told) = second_session_refused(&model, &file, "", |name| {
        gemini_print(&repo, &home, &model.base_url, name)
    })
    .await;
    println!("the model read: {told:?}");
    let (reason, error) = &told[0];
    assert!(
        reason.starts_with("Tool execution blocked: Baton refused this write")
            && reason.contains("src/app.rs")
            && *error,
        "the model read Baton's reason as the tool's error: {told:?}"
    );

    let store = Store::open(&data.join("baton.sqlite3")).unwrap();
    refusal_in_queue(&store, &place.repo_file("src/app.rs"));
    // Session two's turn ended (AfterAgent); session one's is still open.
    let shown = sessions_shown(&store, "gemini", None);
    let two_id = serde_json::from_slice::<serde_json::Value>(&two.stdout).unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(shown[1].0.session_id, two_id, "{shown:?}");
    assert_eq!(shown[1].1[0].state, TaskState::Completed, "{shown:?}");
    assert!(shown[0].0.turn_open, "{shown:?}");
    assert_eq!(
        shown[0].0.leases.len(),
        1,
        "session one holds the file: {shown:?}"
    );
    drop(store);

    end_session_one(&model, one).await;
    let store = Store::open(&data.join("baton.sqlite3")).unwrap();
    let shown = sessions_shown(&store, "gemini", Some(TaskState::Completed));
    assert!(
        shown
            .iter()
            .all(|(s, _)| s.ended_at.is_some() && s.leases.is_empty()),
        "both sessions ended (SessionEnd), their files let go: {shown:?}"
    );

    // Every payload Gemini CLI sent reads; one of each kind is kept as a sample.
    let payloads = recorder.payloads(HookClient::Gemini);
    let kinds = keep_payloads(
        "crates/baton-core/src/hooks/tests/gemini-0.61.0",
        &payloads,
        |p| match p["tool_name"].as_str() {
            Some(tool) => format!("{}.{tool}", p["hook_event_name"].as_str().unwrap_or("")),
            None => p["hook_event_name"].as_str().unwrap_or("").to_owned(),
        },
    );
    for kind in [
        "SessionStart",
        "BeforeAgent",
        "BeforeTool.write_file",
        "AfterTool.write_file",
        "AfterAgent",
        "SessionEnd",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }

    // Each session's file (the prompt's payload names it) holds what the stand-in reported.
    for name in ["one", "two"] {
        let transcript = payloads
            .iter()
            .find(|(_, p)| {
                p["hook_event_name"] == "BeforeAgent"
                    && p["prompt"]
                        .as_str()
                        .unwrap_or("")
                        .contains(&format!("[session {name}]"))
            })
            .and_then(|(_, p)| p["transcript_path"].as_str())
            .unwrap_or_else(|| panic!("session {name}'s transcript"))
            .to_owned();
        let bytes = std::fs::read(&transcript).unwrap();
        let (read, skipped) = usage_read(&GeminiTranscript, &bytes);
        let reported = model.seen(name).usage;
        assert_eq!(reported.len(), 2, "two answers: {reported:?}");
        assert_eq!(read, billed(&reported), "session {name}: {transcript}");
        // And Baton, reading that file in the session's hook calls, counted the same.
        let session = payloads
            .iter()
            .find(|(_, p)| p["transcript_path"].as_str() == Some(transcript.as_str()))
            .and_then(|(_, p)| p["session_id"].as_str())
            .unwrap_or_else(|| panic!("session {name}'s id"));
        let stored = stored_usage(&store, HookClient::Gemini, session);
        assert_eq!(stored, billed(&reported), "session {name} in Baton's store");
        assert!(skipped.is_empty(), "{skipped:?}");
        keep_file(
            "crates/baton-core/src/usage/samples/gemini-0.61.0",
            &format!("session-{name}.jsonl"),
            &bytes,
        );
    }
}
