//! Issue 34, real clients end to end: two Claude Code sessions and one Codex session (the real
//! CLIs in `.peers-node/`, offline against the stand-ins of `baton_tests::model_standin`, whose
//! answers report usage, and Codex's its account's windows in `x-codex-*` headers, climbing
//! fast), with Baton's hooks installed by `baton hooks install … --project`.
//!
//! Baton's usage per session (read from the transcripts and the rollout file by the hook calls,
//! and by `baton usage` before it answers) equals the sum of what the stand-ins reported; the
//! windows show the last figures Codex recorded; the fast climb opens a usage-window finding
//! (as the detector loop files it) naming the session; "Pause the sessions" from the queue makes
//! the Codex session's next tool call answer, in Codex's own format, that it must wait until
//! the window resets, and the model reads it.
//!
//! `BATON_RECORD_USAGE_SAMPLES=1` keeps the usage lines of the files the clients wrote in
//! `crates/baton-core/src/usage/tests/` (the parsers' samples; `make usage-samples`).

use std::path::Path;

use baton_core::hooks::{short_session_id, HookClient};
use baton_core::usage::{parser_for, TokenUse};
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use baton_tests::coding_sessions::run_to_end;
use baton_tests::model_standin::{ModelStandIn, ResponsesStandIn, WindowClimb, CLAUDE_MODEL};
use baton_tests::peers::{claude_print, debug_baton, thread_id, CodexPlace, SessionPlace};

fn reported([input, output, cache_read, cache_write]: [u64; 4]) -> TokenUse {
    TokenUse {
        input,
        output,
        cache_read,
        cache_write,
    }
}

/// `baton usage --json` on the place's store.
fn baton_usage(data: &Path) -> serde_json::Value {
    let out = std::process::Command::new(debug_baton())
        .arg("--data-dir")
        .arg(data)
        .args(["usage", "--json"])
        .output()
        .expect("run baton usage");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("baton usage --json")
}

/// The tokens `baton usage --json` gives the session named `name`, all models together.
fn tokens_of(report: &serde_json::Value, name: &str) -> TokenUse {
    let session = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no usage of {name} in {report:#}"));
    let mut sum = TokenUse::default();
    for model in session["usage"]["models"].as_array().unwrap() {
        sum.add(serde_json::from_value(model["tokens"].clone()).unwrap());
    }
    sum
}

/// Keeps the lines of what a real client wrote that its usage parser reads (the rest holds the
/// client's own prompts and instructions, not Baton's to copy), as the parsers' samples; only
/// when asked.
fn keep_sample(from: &Path, client: HookClient, client_version: &str, name: &str) {
    if std::env::var_os("BATON_RECORD_USAGE_SAMPLES").is_none() {
        return;
    }
    let parser = parser_for(client).unwrap();
    let text = std::fs::read(from).unwrap();
    let kept: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|line| parser.wants(line))
        .collect();
    let dir = baton_tests::workspace_root()
        .join("crates/baton-core/src/usage/tests")
        .join(client_version);
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = kept.join(&b"\n"[..]);
    out.push(b'\n');
    std::fs::write(dir.join(name), out).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_per_session_is_what_the_models_reported_and_a_window_running_out_pauses_its_sessions(
) {
    let place = SessionPlace::new();
    let data = place.data.clone();
    place.install_hooks("claude-code", "warn", &[]);
    let claude = ModelStandIn::start(&place.repo.join("src/app.rs").to_string_lossy()).await;
    let mut claude_ids = Vec::new();
    for name in ["one", "two"] {
        let prompt = format!("[session {name}] Write src/app.rs for the {name} feature.");
        let out = run_to_end(
            claude_print(
                &place.repo,
                &place.home,
                &claude.base_url,
                &prompt,
                "acceptEdits",
            ),
            name,
        )
        .await;
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        claude_ids.push(answer["session_id"].as_str().unwrap().to_owned());
    }

    // Codex, in the same repository, on an account whose primary window climbs 12 points an
    // answer from 60 %.
    let codex_place = CodexPlace {
        dir: place.repo.clone(),
        home: place.home.clone(),
        codex_home: place.root.join("codex-home"),
    };
    let climb = WindowClimb {
        start: 60.0,
        step: 12.0,
        ..WindowClimb::default()
    };
    let codex = ResponsesStandIn::start_climbing("src/codex.rs", climb).await;
    codex_place.use_model(&codex.base_url);
    place.install_hooks("codex", "warn", &codex_place.hooks_env());
    let out = run_to_end(codex_place.session("three", None), "three").await;
    let three = thread_id(&out.stdout);

    // Usage per session: what each one's answers reported, every response once.
    let report = baton_usage(&data);
    for (name, id) in [
        ("one", &claude_ids[0]),
        ("two", &claude_ids[1]),
        ("three", &three),
    ] {
        let seen = if name == "three" {
            codex.seen(name)
        } else {
            claude.seen(name)
        };
        assert!(seen.requests >= 2, "{name}: {seen:?}");
        let agent = format!("repo·{}", short_session_id(id));
        assert_eq!(
            tokens_of(&report, &agent),
            reported(seen.reported),
            "{name}"
        );
    }
    let models: Vec<&str> = report["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["usage"]["models"].as_array().unwrap())
        .filter_map(|m| m["model"].as_str())
        .collect();
    assert!(models.contains(&CLAUDE_MODEL), "{models:?}");
    assert!(models.contains(&"gpt-5.5"), "{models:?}");

    // The windows: Codex's account, the last figures it recorded (two answers: 84 %).
    let windows = report["windows"].as_array().unwrap();
    let primary = windows
        .iter()
        .find(|w| w["client"] == "codex" && w["window"] == "primary")
        .unwrap_or_else(|| panic!("no primary window in {windows:?}"));
    let (last, _) = climb.after(codex.seen("three").requests);
    assert_eq!(primary["used_percent"].as_f64(), Some(last), "{primary:#}");
    assert!(windows
        .iter()
        .any(|w| w["client"] == "codex" && w["window"] == "secondary"));

    // The climb is fast: run out within 30 min. The detector loop's finding, filed as it files
    // it; its item names the session.
    let mut store = Store::open(&data.join("baton.sqlite3")).unwrap();
    let now = chrono::Utc::now();
    let findings = store.usage_window_findings(now).unwrap();
    assert_eq!(findings.len(), 1, "{findings:?} from {windows:?}");
    store.record_findings(&findings, now).unwrap();
    let items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    let item = items
        .iter()
        .find(|e| e.kind == baton_core::detect::FindingKind::UsageWindow)
        .expect("the window's item");
    let codex_agent = store
        .agents()
        .unwrap()
        .into_iter()
        .find(|a| a.name == format!("repo·{}", short_session_id(&three)))
        .unwrap();
    assert!(item.agents.contains(&codex_agent.id), "{item:?}");
    assert!(
        item.title.contains("Codex's primary (5 h) window"),
        "{}",
        item.title
    );

    // Paused from the queue: the Codex session, resumed, is told at its next tool call.
    store
        .decide_escalation(
            item.id,
            &baton_core::escalations::EscalationAction::PauseSessions,
            None,
            "ana",
            chrono::Utc::now(),
        )
        .unwrap();
    drop(store);
    let before = codex.seen("three").tool_results.len();
    run_to_end(codex_place.session("three", Some(&three)), "three, paused").await;
    let told = codex.seen("three").tool_results;
    let reason = &told[before..];
    assert!(
        reason
            .iter()
            .any(|(text, _)| text.contains("Baton paused this session")
                && text.contains("wait until it resets at")),
        "the model read why it must wait: {reason:?}"
    );
    assert!(
        !place.repo.join("src/codex.rs").exists()
            || std::fs::read_to_string(place.repo.join("src/codex.rs")).unwrap() == "three\n",
        "the paused call did not run"
    );

    // The samples the parsers' tests read.
    let transcript = place
        .home
        .join(".claude/projects")
        .read_dir()
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path()
        .join(format!("{}.jsonl", claude_ids[0]));
    keep_sample(
        &transcript,
        HookClient::ClaudeCode,
        "claude-code-2.1.328",
        "transcript.jsonl",
    );
    let rollouts = walk(&codex_place.codex_home.join("sessions"));
    keep_sample(
        &rollouts[0],
        HookClient::Codex,
        "codex-0.169.0",
        "rollout.jsonl",
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("rollout-"))
        {
            found.push(path);
        }
    }
    found.sort();
    found
}
