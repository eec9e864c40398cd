//! Decide from anywhere with the real Claude Code CLI (issue 60): a session asks permission to
//! run a `Bash` command (`--permission-mode default`); Baton's PermissionRequest hook puts the
//! request in the queue and waits; the engine (as the app or `baton watch` runs it) sends it to
//! the route's ntfy topic with **Allow** / **Deny**; the test posts a button's body to the reply
//! topic as the phone would; the session carries on (Allow: the command ran) or does not (Deny),
//! and the decision log says "approve by ana via ntfy".

use std::time::Duration;

use baton_core::escalations::EscalationState;
use baton_store::decisions::DecisionFilter;
use baton_tests::coding_sessions::RUN_LIMIT;
use baton_tests::engine::wait_for;
use baton_tests::model_standin::ModelStandIn;
use baton_tests::ntfy_server::NtfyServer;
use baton_tests::peers::{claude_print, SessionPlace};
use serde_json::Value;

use crate::notify_ntfy::{engine_with_route, futures_executor_block, messages_of, post};

/// Runs one session whose `Bash` call asks for permission and answers it with button `button`
/// of its message (0: Allow, 1: Deny); returns the item's message and what the model was told.
async fn ask_and_tap(
    place: &SessionPlace,
    server: &NtfyServer,
    name: &str,
    command: &str,
    button: usize,
) -> (Value, Vec<(String, bool)>) {
    ask_and_tap_after(place, server, name, command, button, Duration::ZERO).await
}

/// [`ask_and_tap`], the button tapped once the message is `after` old (by its `time`).
async fn ask_and_tap_after(
    place: &SessionPlace,
    server: &NtfyServer,
    name: &str,
    command: &str,
    button: usize,
    after: Duration,
) -> (Value, Vec<(String, bool)>) {
    let before = messages_of(server, "needs_approval").len();
    let model = ModelStandIn::start_bash(command).await;
    let prompt = format!("[session {name}] Run the step.");
    let mut claude = claude_print(
        &place.repo,
        &place.home,
        &model.base_url,
        &prompt,
        "default",
    );
    let run = claude.spawn().unwrap();
    let message = wait_for("the permission request's message", RUN_LIMIT, || {
        messages_of(server, "needs_approval").get(before).cloned()
    })
    .await;
    let sent_at = message["time"].as_i64().unwrap();
    let age = i64::try_from(after.as_secs()).unwrap();
    wait_for("the message to be old enough", RUN_LIMIT, || {
        (chrono::Utc::now().timestamp() >= sent_at + age).then_some(())
    })
    .await;
    let body = message["actions"][button]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    post(server, body).await;
    let out = tokio::time::timeout(RUN_LIMIT, run.wait_with_output())
        .await
        .expect("the session ends")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (message, model.seen(name).tool_results)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_request_is_answered_from_the_phone() {
    let place = SessionPlace::new();
    place.install_hooks("claude-code", "warn", &[]);
    let server = NtfyServer::start(Some(crate::notify_ntfy::TOKEN)).await;
    let db = place.data.join("baton.sqlite3");
    let (engine, _) = engine_with_route(db.to_str().unwrap(), &server).await;

    // Allowed from the phone: the command runs.
    let (message, told) =
        ask_and_tap(&place, &server, "allowed", "echo allowed > allowed.txt", 0).await;
    let labels: Vec<&str> = message["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Allow", "Deny"], "{message}");
    assert!(
        message["title"].as_str().unwrap().contains("echo allowed"),
        "the phone shows the command: {message}"
    );
    assert_eq!(
        std::fs::read_to_string(place.repo.join("allowed.txt"))
            .ok()
            .as_deref(),
        Some("allowed\n"),
        "the allowed command ran: {told:?}"
    );

    // Denied from the phone: it does not run, and the model is told.
    let (_, told) = ask_and_tap(&place, &server, "denied", "echo denied > denied.txt", 1).await;
    assert!(!place.repo.join("denied.txt").exists(), "{told:?}");
    assert!(
        told.iter().any(|(_, error)| *error),
        "the model was told it was refused: {told:?}"
    );

    // The repository gives a person 1 s in Baton's queue; with a route that can answer, the
    // request waits for the phone instead (up to the client's own limit): tapped well after
    // that second, the command still runs.
    std::fs::create_dir_all(place.repo.join(".baton")).unwrap();
    std::fs::write(place.repo.join(".baton/hooks.toml"), "ask_seconds = 1\n").unwrap();
    let (message, told) = ask_and_tap_after(
        &place,
        &server,
        "late",
        "echo late > late.txt",
        0,
        Duration::from_secs(4),
    )
    .await;
    assert!(
        message["title"].as_str().unwrap().contains("echo late"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(place.repo.join("late.txt"))
            .ok()
            .as_deref(),
        Some("late\n"),
        "the hook waited for the phone past the repository's 1 s: {told:?}"
    );

    // The log: by the route's person, via ntfy.
    let log = engine
        .read(|s| s.decisions(&DecisionFilter::default()))
        .await
        .unwrap();
    let via: Vec<(&str, &str)> = log
        .iter()
        .filter(|d| {
            d.detail
                .as_ref()
                .is_some_and(|x| x["via"]["kind"] == "ntfy")
        })
        .map(|d| (d.action.as_str(), d.who.as_str()))
        .collect();
    assert_eq!(
        via,
        [("approve", "ana"), ("reject", "ana"), ("approve", "ana")]
    );
    wait_for("both items settled", Duration::from_secs(10), || {
        let items = futures_executor_block(engine.escalations());
        let settled = items
            .iter()
            .filter(|e| e.state == EscalationState::Resolved)
            .count();
        (settled == 3).then_some(())
    })
    .await;
    engine.shutdown().await;
}
