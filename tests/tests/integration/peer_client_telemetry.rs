//! Issue 61, point 2, with the real clients: Claude Code, Codex and Gemini CLI (offline, on the
//! stand-in models), their hooks AND their telemetry set up by `baton hooks install` alone,
//! `baton watch` running with its OTLP receiver on this store. Claude Code's own figures join
//! its session: each response once (the transcript and the telemetry name it by its request
//! id), the session's cost what Claude Code itself says it cost (`total_cost_usd`); a 429 the
//! stand-in answered (Claude Code told to give up at once) is a refusal in that session's
//! rate-limit ledger; Codex's and Gemini
//! CLI's tool calls show on their sessions' timelines; `baton hooks status` says telemetry
//! arrives.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::hooks::{short_session_id, HookClient};
use baton_core::protocol::EventKind;
use baton_store::Store;
use baton_tests::coding_sessions::run_to_end;
use baton_tests::model_standin::{GeminiStandIn, ModelStandIn, ResponsesStandIn};
use baton_tests::peers::{
    claude_print, debug_baton, gemini_print, gemini_user_settings, thread_id, CodexPlace,
    SessionPlace,
};

/// `baton ARGS` on the place's store; its stdout (exit 0 required).
fn baton(data: &Path, args: &[&str], home: &Path) -> String {
    let out = Command::new(debug_baton())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("HOME", home)
        .output()
        .expect("run baton");
    assert!(out.status.success(), "baton {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `baton watch` on the place's store, killed when dropped.
struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn watch(place: &SessionPlace, port: u16) -> Watch {
    let log = std::fs::File::create(place.root.join("watch.log")).unwrap();
    let child = Command::new(debug_baton())
        .arg("--data-dir")
        .arg(&place.data)
        .arg("watch")
        .env("HOME", &place.home)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start baton watch");
    let until = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "the receiver never listened: {}",
            std::fs::read_to_string(place.root.join("watch.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Watch(child)
}

/// Waits (up to a minute) until `ready` holds of the store, then gives it.
async fn store_when(data: &Path, what: &str, ready: impl Fn(&Store) -> bool) -> Store {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(store) = Store::open(&data.join("baton.sqlite3")) {
            if ready(&store) {
                return store;
            }
        }
        if Instant::now() >= until {
            let store = Store::open(&data.join("baton.sqlite3")).unwrap();
            let agents = store.agents().unwrap();
            let usage: Vec<_> = agents
                .iter()
                .map(|a| store.session_usage(a.id, HookClient::ClaudeCode, chrono::Utc::now()))
                .collect();
            let log = std::fs::read_to_string(data.parent().unwrap().join("watch.log"))
                .unwrap_or_default();
            panic!("never: {what}\n{agents:?}\n{usage:?}\nwatch: {log}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn session_agent(store: &Store, id: &str) -> Option<i64> {
    let name = format!("repo·{}", short_session_id(id));
    let agents = store.agents().ok()?;
    agents.into_iter().find(|a| a.name == name).map(|a| a.id)
}

/// The lines of the session's events (every turn).
fn lines(store: &Store, agent_id: i64) -> Vec<String> {
    (1..=3)
        .flat_map(|turn| {
            store
                .task_events(agent_id, &format!("turn-{turn}"), 200)
                .unwrap_or_default()
        })
        .filter(|e| e.kind == EventKind::State || e.kind == EventKind::ApiCall)
        .filter_map(|e| e.raw["message"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_own_telemetry_joins_their_sessions_through_hooks_install_alone() {
    let place = SessionPlace::new();
    let port = baton_tests::free_port();
    baton(
        &place.data,
        &["otlp", "set", "--listen", &format!("127.0.0.1:{port}")],
        &place.home,
    );
    gemini_user_settings(&place.home);
    let codex_place = CodexPlace {
        dir: place.repo.clone(),
        home: place.home.clone(),
        codex_home: place.root.join("codex-home"),
    };
    let codex = ResponsesStandIn::start("src/codex.rs").await;
    codex_place.use_model(&codex.base_url);
    for (client, env) in [
        ("claude-code", Vec::new()),
        ("codex", codex_place.hooks_env().to_vec()),
        ("gemini", Vec::new()),
    ] {
        let said = place.install_hooks_with_telemetry(client, "warn", &env);
        assert!(!said.contains("not turned on"), "{client}: {said}");
    }
    // Claude Code reads its telemetry settings from the user's settings only.
    let settings = std::fs::read_to_string(place.home.join(".claude/settings.json")).unwrap();
    assert!(
        settings.contains(&format!("http://127.0.0.1:{port}/v1/logs")),
        "{settings}"
    );
    let _watch = watch(&place, port);

    // Claude Code: one session writes; another's request is refused 429 with no retries left
    // (Claude Code tells only a 429 it gave up on: one it retried with success is silent).
    let claude = ModelStandIn::start(&place.repo.join("src/app.rs").to_string_lossy()).await;
    let out = run_to_end(
        claude_print(
            &place.repo,
            &place.home,
            &claude.base_url,
            "[session one] Write src/app.rs for the one feature.",
            "acceptEdits",
        ),
        "one",
    )
    .await;
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let claude_id = answer["session_id"].as_str().unwrap().to_owned();
    let claude_cost = answer["total_cost_usd"]
        .as_f64()
        .expect("Claude Code's cost");
    assert!(claude_cost > 0.0, "{answer}");
    claude.refuse_next(1);
    let mut refused = claude_print(
        &place.repo,
        &place.home,
        &claude.base_url,
        "[session two] Write src/app.rs for the two feature.",
        "acceptEdits",
    );
    refused.env("CLAUDE_CODE_MAX_RETRIES", "0");
    let refused = refused.output().await.unwrap();
    let refused_id = serde_json::from_slice::<serde_json::Value>(&refused.stdout)
        .ok()
        .and_then(|a| a["session_id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("the refused session's id: {refused:?}"));

    let codex_out = run_to_end(codex_place.session("three", None), "three").await;
    let codex_id = thread_id(&codex_out.stdout);

    let gemini = GeminiStandIn::start(&place.repo.join("src/gemini.rs").to_string_lossy()).await;
    let gemini_out = run_to_end(
        gemini_print(&place.repo, &place.home, &gemini.base_url, "four"),
        "four",
    )
    .await;
    let gemini_answer: serde_json::Value = serde_json::from_slice(&gemini_out.stdout).unwrap();
    let gemini_id = gemini_answer["session_id"].as_str().unwrap().to_owned();

    // Claude Code's session: each response once, priced as Claude Code priced it.
    let store = store_when(&place.data, "Claude Code's own prices", |store| {
        session_agent(store, &claude_id)
            .and_then(|id| {
                store
                    .session_usage(id, HookClient::ClaudeCode, chrono::Utc::now())
                    .ok()?
            })
            .is_some_and(|u| u.models.iter().all(|m| m.client_priced))
    })
    .await;
    let claude_agent = session_agent(&store, &claude_id).unwrap();
    let usage = store
        .session_usage(claude_agent, HookClient::ClaudeCode, chrono::Utc::now())
        .unwrap()
        .unwrap();
    let [input, output, cache_read, cache_write] = claude.seen("one").reported;
    assert_eq!(
        usage.today,
        baton_core::usage::TokenUse {
            input,
            output,
            cache_read,
            cache_write
        },
        "each response once"
    );
    let usd = usage.usd.expect("a cost");
    assert!(
        (usd - claude_cost).abs() < 1e-9,
        "Baton says ${usd}, Claude Code ${claude_cost}"
    );
    // The 429: a refusal in the refused session's ledger of Anthropic's API.
    let store = store_when(&place.data, "the 429 told", |store| {
        session_agent(store, &refused_id).is_some_and(|agent| {
            lines(store, agent)
                .iter()
                .any(|l| l.starts_with("API error 429"))
        })
    })
    .await;
    let refused_agent = session_agent(&store, &refused_id).unwrap();
    let now = chrono::Utc::now().timestamp();
    let limited: u64 = store
        .rate_limited_apis()
        .unwrap()
        .iter()
        .filter(|k| k.api == "anthropic")
        .flat_map(|k| {
            store
                .api_minutes(&k.api, k.key.as_deref(), now - 3600, now + 60)
                .unwrap()
        })
        .filter(|m| m.agent_id == refused_agent)
        .map(|m| m.rate_limited)
        .sum();
    assert_eq!(limited, 1, "the stand-in's one 429");
    // The session that wrote: its model calls and tool on its timeline.
    let claude_lines = lines(&store, claude_agent);
    assert!(
        claude_lines
            .iter()
            .any(|l| l.starts_with("tool Write done")),
        "{claude_lines:?}"
    );

    // Codex's and Gemini CLI's tool calls on their timelines.
    for (id, tool, client) in [
        (&codex_id, "tool apply_patch done", HookClient::Codex),
        (&gemini_id, "tool write_file done", HookClient::Gemini),
    ] {
        let store = store_when(&place.data, tool, |store| {
            session_agent(store, id)
                .is_some_and(|agent| lines(store, agent).iter().any(|l| l.starts_with(tool)))
        })
        .await;
        assert!(store.client_telemetry_last(client).unwrap().is_some());
    }
    // Codex's tokens: what its stand-in reported, each response once (from its rollout file:
    // its telemetry names no response, so it adds none).
    let store = Store::open(&place.data.join("baton.sqlite3")).unwrap();
    let codex_agent = session_agent(&store, &codex_id).unwrap();
    let codex_usage = store
        .session_usage(codex_agent, HookClient::Codex, chrono::Utc::now())
        .unwrap()
        .unwrap();
    let [input, output, cache_read, cache_write] = codex.seen("three").reported;
    assert_eq!(
        codex_usage.today,
        baton_core::usage::TokenUse {
            input,
            output,
            cache_read,
            cache_write
        }
    );
    // No agent of its own for Gemini CLI's spans: four sessions, nothing else.
    let store = Store::open(&place.data.join("baton.sqlite3")).unwrap();
    assert_eq!(store.agents().unwrap().len(), 4, "{:?}", store.agents());

    let status = baton(
        &place.data,
        &[
            "hooks",
            "status",
            "claude-code",
            "--project",
            place.repo.to_str().unwrap(),
        ],
        &place.home,
    );
    assert!(status.contains("telemetry goes to Baton"), "{status}");
    assert!(status.contains("telemetry last arrived"), "{status}");
}
