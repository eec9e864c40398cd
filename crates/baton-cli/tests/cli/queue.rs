//! The escalation queue from the terminal: `baton escalations`, `baton escalation show` and
//! `baton decide` against a scripted baton-sim agent over HTTP.

use baton_sim::{Scenario, SimFleet};

use crate::common::Sandbox;
use crate::{agent_toml, run_async};

/// The needs-approval scenario (a Publisher that asks a person) on ephemeral ports, and a
/// sandbox with a baton.toml naming its agents: (sandbox, fleet, the file's path).
async fn asking_publisher() -> (Sandbox, SimFleet, String) {
    played(Scenario::NeedsApproval).await
}

/// `scenario` on ephemeral ports, and a sandbox with a baton.toml naming its agents.
async fn played(scenario: Scenario) -> (Sandbox, SimFleet, String) {
    let sandbox = Sandbox::new();
    let fleet = SimFleet::start_scenario(scenario, 0, 100)
        .await
        .expect("start the scenario");
    let config: String = fleet
        .agents()
        .iter()
        .map(|a| agent_toml(&a.name, &a.base_url, 500, 400, ""))
        .collect();
    let config = sandbox.write("baton.toml", &config);
    let config = config.to_str().expect("utf-8 path").to_owned();
    (sandbox, fleet, config)
}

/// Polls the fleet with `baton watch` until an escalation is open; its JSON.
async fn first_open_escalation(sandbox: &Sandbox, config: &str) -> serde_json::Value {
    for _ in 0..6 {
        run_async(sandbox.baton(&["watch", "--config", config, "--duration", "2"]))
            .await
            .expect_code(0);
        let listed = sandbox.run(&["escalations", "--json"]);
        listed.expect_code(0);
        let items: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout)
            .unwrap_or_else(|e| panic!("escalations --json: {e}\n{}", listed.all()));
        if let Some(first) = items.into_iter().next() {
            return first;
        }
    }
    panic!("no escalation opened in 12 s of watching");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_is_listed_shown_answered_and_delivered_from_the_terminal() {
    let (sandbox, fleet, config) = asking_publisher().await;
    let agents = fleet.agents();
    let config = config.as_str();

    let item = first_open_escalation(&sandbox, config).await;
    assert_eq!(item["kind"], "needs_approval", "{item:#}");
    let id = item["id"].as_i64().expect("an id").to_string();

    let table = sandbox.run(&["escalations"]);
    table.expect_code(0);
    let line = table
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{id} ")))
        .unwrap_or_else(|| panic!("no row for escalation {id}\n{}", table.all()));
    for word in [
        "open",
        "critical",
        "Publisher",
        "Publisher asks: Publish the launch post",
    ] {
        assert!(line.contains(word), "{word:?} in {line}");
    }

    let shown = sandbox.run(&["escalation", "show", &id]);
    shown.expect_code(0);
    for text in [
        "· open · critical · needs_approval",
        "task: publish-launch of Publisher",
        "resource: cms://posts/launch",
        "Evidence",
        "asks for approval: Publish the launch post now?",
        &format!("baton decide {id} <action>"),
    ] {
        assert!(shown.stdout.contains(text), "{text:?}\n{}", shown.all());
    }

    // What is not right is refused with exit 2, and nothing is decided.
    for (args, says) in [
        (vec!["decide", "9999", "approve"], "9999"),
        (vec!["decide", &id, "snooze", "9d"], "7 days"),
        (
            vec!["decide", &id, "give", "Nobody"],
            "no agent named Nobody",
        ),
        (
            vec!["decide", &id, "answer", "x", "--note", "y"],
            "leave out --note",
        ),
        (vec!["decide", &id, "dismiss"], "--reason"),
    ] {
        let run = sandbox.run(&args);
        run.expect_code(2);
        assert!(
            run.stderr.contains(says),
            "{args:?}: {says:?}\n{}",
            run.all()
        );
    }
    assert_eq!(
        fleet.decisions(1).len() + fleet.decisions(0).len(),
        0,
        "nothing was sent"
    );

    let answer = "Yes, publish it; the price is announced at 9.";
    let decided =
        run_async(sandbox.baton(&["decide", &id, "answer", answer, "--who", "alice"])).await;
    decided.expect_code(0);
    assert!(
        decided
            .stdout
            .contains(&format!("escalation {id}: approve by alice (resolved)")),
        "{}",
        decided.all()
    );
    decided.expect_stdout("delivered to Publisher");
    let publisher = agents
        .iter()
        .position(|a| a.name == "Publisher")
        .expect("a Publisher");
    let received = fleet.decisions(publisher);
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0].action, "approve");
    assert_eq!(received[0].note.as_deref(), Some(answer));
    assert_eq!(received[0].decided_by, "alice");
    assert_eq!(received[0].escalation_id, Some(format!("esc-{id}")));

    // Decided once: a second decision is refused, and the queue says so.
    let again = sandbox.run(&["decide", &id, "approve"]);
    again.expect_code(2);
    again.expect_stderr("already resolved");
    let open = sandbox.run(&["escalations"]);
    open.expect_code(0);
    assert_eq!(open.stdout, "No open escalations.\n", "{}", open.all());
    let all = sandbox.run(&["escalations", "--all"]);
    all.expect_code(0);
    all.expect_stdout("resolved");

    // The decision log has it, as the app's would.
    let log = sandbox.run(&["decisions", "export"]);
    log.expect_code(0);
    let entry = log
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
        .find(|e| e["action"] == "approve")
        .unwrap_or_else(|| panic!("no approve entry\n{}", log.all()));
    assert_eq!(entry["who"], "alice", "{entry:#}");
    assert_eq!(entry["reason"], answer, "{entry:#}");
    assert_eq!(entry["subject"], format!("escalation:{id}"), "{entry:#}");
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_the_agent_cannot_take_yet_is_left_to_watch_which_delivers_it() {
    let (sandbox, fleet, config) = asking_publisher().await;
    let agents = fleet.agents();
    let config = config.as_str();
    let id = first_open_escalation(&sandbox, config).await["id"]
        .as_i64()
        .expect("an id")
        .to_string();
    let publisher = agents
        .iter()
        .position(|a| a.name == "Publisher")
        .expect("a Publisher");

    fleet.stop_agent(publisher).await;
    let decided = run_async(sandbox.baton(&["decide", &id, "approve", "--wait", "1"])).await;
    decided.expect_code(0);
    decided.expect_stdout("not delivered to Publisher after");
    decided.expect_stdout("keeps trying");
    let shown = sandbox.run(&["escalation", "show", &id]);
    shown.expect_stdout("not delivered to Publisher");

    fleet.restart_agent(publisher).await.expect("restart");
    // The failed attempts spaced the next one out (full jitter from 1 s, doubling): watch until
    // it comes, a few seconds at a time.
    for _ in 0..6 {
        run_async(sandbox.baton(&["watch", "--duration", "3"]))
            .await
            .expect_code(0);
        if !fleet.decisions(publisher).is_empty() {
            break;
        }
    }
    let received = fleet.decisions(publisher);
    assert_eq!(
        received.len(),
        1,
        "delivered once by watch's relay: {received:#?}"
    );
    assert_eq!(received[0].action, "approve");
    let shown = sandbox.run(&["escalation", "show", &id]);
    shown.expect_stdout("delivered to Publisher");
    fleet.shutdown().await;
}

#[test]
fn tasks_of_an_a2a_agent_are_followed_and_unfollowed_by_name() {
    let sandbox = Sandbox::new();
    {
        let mut store = sandbox.open_store_result().expect("store");
        let mut a2a = baton_core::agent::AgentDraft::new("Planner", "http://127.0.0.1:9");
        a2a.adapter = baton_core::agent::AdapterKind::A2a;
        store.add_agent(&a2a).expect("an A2A agent");
        let plain = baton_core::agent::AgentDraft::new("Writer", "http://127.0.0.1:10");
        store.add_agent(&plain).expect("a baton/1 agent");
    }
    let follow = sandbox.run(&["follow", "planner", "task-42"]);
    follow.expect_code(0);
    assert_eq!(
        follow.stdout,
        "Planner: following task task-42; it shows from the next poll\n",
        "{}",
        follow.all()
    );
    let again = sandbox.run(&["follow", "Planner", "task-42"]);
    again.expect_code(0);
    again.expect_stdout("already known");
    let counted = |sandbox: &Sandbox| {
        let rows = sandbox.rows();
        rows.iter()
            .find(|r| r.config.name == "Planner")
            .map(|r| r.task_counts.total())
    };
    assert_eq!(counted(&sandbox), Some(1));

    let unfollow = sandbox.run(&["unfollow", "Planner", "task-42"]);
    unfollow.expect_code(0);
    unfollow.expect_stdout("forgotten");
    assert_eq!(counted(&sandbox), Some(0));
    let gone = sandbox.run(&["unfollow", "Planner", "task-42"]);
    gone.expect_code(2);
    gone.expect_stderr("has no task task-42");

    let not_a2a = sandbox.run(&["follow", "Writer", "t-1"]);
    not_a2a.expect_code(2);
    not_a2a.expect_stderr("does not speak A2A");
    let nobody = sandbox.run(&["follow", "Nobody", "t-1"]);
    nobody.expect_code(2);
    nobody.expect_stderr("no agent named Nobody");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_a_log_of_real_changes_as_text_or_json_lines() {
    let (sandbox, fleet, config) = asking_publisher().await;
    let config = config.as_str();

    let json =
        run_async(sandbox.baton(&["watch", "--config", config, "--duration", "4", "--json"])).await;
    json.expect_code(0);
    let lines: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for line in &lines {
        let at = line["at"].as_str().expect("a time");
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok(),
            "RFC 3339: {line}"
        );
        assert!(
            line["kind"].is_string() && line["message"].is_string(),
            "{line}"
        );
    }
    let kinds: Vec<&str> = lines.iter().filter_map(|l| l["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"watching"), "{kinds:?}");
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "agent_up" && l["agent"] == "Publisher"),
        "{}",
        json.all()
    );
    assert!(kinds.contains(&"finding"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "escalation_opened").count(),
        1,
        "one line for the question, however often it is polled: {kinds:?}"
    );

    // Text: the time first, then the agent's name (not its number).
    let text = run_async(sandbox.baton(&["watch", "--duration", "2"])).await;
    text.expect_code(0);
    for line in text.stdout.lines() {
        let (time, _) = line.split_once(' ').unwrap_or((line, ""));
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok(),
            "a time first: {line}"
        );
        assert!(
            !line.contains("agent 1:") && !line.contains("agent 2:"),
            "{line}"
        );
    }
    assert!(
        text.stdout.lines().any(|l| l.ends_with(" Publisher up")),
        "{}",
        text.all()
    );
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_is_broken_from_the_terminal_by_cancelling_one_task() {
    let (sandbox, fleet, config) = played(Scenario::Deadlock).await;
    let item = first_open_escalation(&sandbox, &config).await;
    assert_eq!(item["kind"], "deadlock", "{item}");
    let id = item["id"].as_i64().expect("an id").to_string();
    // A task that is not in the knot is refused, naming why.
    let wrong = sandbox.run(&["decide", &id, "cancel", "Editor", "draft-guide"]);
    wrong.expect_code(2);
    wrong.expect_stderr("is not one of this deadlock's");
    let decided = run_async(sandbox.baton(&[
        "decide",
        &id,
        "cancel",
        "Writer",
        "draft-guide",
        "--wait",
        "5",
    ]))
    .await;
    decided.expect_code(0);
    decided.expect_stdout("delivered to Writer");
    let writer = fleet
        .agents()
        .iter()
        .position(|a| a.name == "Writer")
        .expect("a Writer");
    let received = fleet.decisions(writer);
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(
        (received[0].action.as_str(), received[0].task_id.as_deref()),
        ("reject", Some("draft-guide"))
    );
    let editor = 1 - writer;
    assert!(fleet.decisions(editor).is_empty(), "the editor is not told");
    fleet.shutdown().await;
}
