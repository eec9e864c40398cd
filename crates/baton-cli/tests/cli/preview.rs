//! `baton preview` over real HTTP: the real binary, its token, its errors, its change events,
//! every command the UI calls (the names read from `ui/src/lib/backend.ts`), and the answers the
//! UI's tests replay (`ui/src/test/recorded/`) still reading as their commands' types.

use crate::common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use baton_commands::{Commands, Place};
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// One `baton preview` child, stopped when dropped.
struct Preview {
    child: Child,
    /// The preview's HOME: installing hooks writes the user's own client settings there
    /// (Claude Code's telemetry), never into the home of whoever runs the tests.
    _home: tempfile::TempDir,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Preview {
    /// Starts `baton preview ARGS` and reads the URL it prints first.
    fn start(args: &[&str]) -> Preview {
        let home = tempfile::tempdir().expect("a home");
        let mut child = common::baton_command()
            .arg("preview")
            .args(args)
            .env("HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start baton preview");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the preview prints its URL");
        let url = line.trim();
        let (base, token) = url
            .split_once("/?token=")
            .unwrap_or_else(|| panic!("not a preview URL: {url:?}"));
        assert!(base.starts_with("http://127.0.0.1:"), "{url}");
        assert_eq!(token.len(), 32, "{url}");
        Preview {
            child,
            _home: home,
            base: base.to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// `POST /api/invoke/NAME` with `args` and the given token header (None: no header).
    async fn invoke_as(&self, token: Option<&str>, name: &str, args: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/api/invoke/{name}", self.base))
            .json(args);
        if let Some(token) = token {
            request = request.header("x-baton-token", token);
        }
        let response = request.send().await.expect("the preview answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    async fn invoke(&self, name: &str, args: Value) -> (u16, Value) {
        self.invoke_as(Some(&self.token.clone()), name, &args).await
    }

    /// `name`'s answer once `ready` holds for it: what the demo fleet shows after its first
    /// polls (their timing is the machine's), asked again every 100 ms for up to 30 s.
    async fn once(&self, name: &str, args: Value, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = self.invoke(name, args.clone()).await;
            assert_eq!(status, 200, "{name} {args} answered {status}: {body}");
            if ready(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{name} not ready in 30 s: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Preview {
    /// SIGTERM, so the preview removes its temporary store; SIGKILL if it is still there 10 s on.
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid, which we have not waited for yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every command `ui/src/lib/backend.ts` calls: the names in its `call<…>("name"` lines.
fn backend_commands() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("ui/src/lib/backend.ts")).unwrap();
    let mut names = BTreeSet::new();
    for piece in text.split("call<").skip(1) {
        let after = piece.split_once(">(\"").map(|(_, rest)| rest);
        if let Some(name) = after.and_then(|rest| rest.split('"').next()) {
            names.insert(name.to_owned());
        }
    }
    assert!(names.len() > 40, "read only {names:?} from backend.ts");
    names
}

/// The commands the app serves that no view calls yet (`baton schema` and `baton dead-letters`
/// do the same on the command line).
const NO_VIEW_YET: &[&str] = &[
    "dead_letters",
    "handoff_schemas",
    "set_handoff_schema",
    "remove_handoff_schema",
];

/// Every command the table answers.
fn table_commands() -> BTreeSet<String> {
    baton_commands::table::NAMES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn the_shell_the_table_and_backend_ts_name_the_same_commands() {
    let declared: BTreeSet<String> = baton_commands::names::COMMANDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let table = table_commands();
    assert_eq!(declared, table);
    let mut served = backend_commands();
    served.extend(NO_VIEW_YET.iter().map(|s| s.to_string()));
    assert_eq!(
        served, declared,
        "backend.ts calls a command the table lacks, or the reverse"
    );
    assert!(
        NO_VIEW_YET.iter().all(|c| !backend_commands().contains(*c)),
        "a view calls one of NO_VIEW_YET now: take it off the list"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_wants_its_token_and_answers_as_the_table_does() {
    let preview = Preview::start(&["--empty"]);
    // No token, a wrong one: 401, with the error's shape.
    for token in [None, Some("0123456789abcdef0123456789abcdef")] {
        let (status, body) = preview.invoke_as(token, "list_agents", &json!({})).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["code"], "unauthorized");
    }
    let events = preview
        .http
        .get(format!("{}/api/events?token=wrong", preview.base))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 401);

    // The same answer as the table's, in this process, on a store of its own.
    let (status, scenarios) = preview.invoke("scenarios", json!({})).await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("baton.sqlite3");
    let place = baton_store::StorePlace {
        anchor: anchor.clone(),
        location: baton_store::StoreLocation::Sqlite(anchor),
        source: baton_store::PlaceSource::DataFolder,
    };
    let store = place.open_handle(2).unwrap();
    let engine = Engine::new(
        store,
        std::sync::Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    let commands = Commands::new(
        engine,
        Place {
            store: place,
            exe: std::env::current_exe().unwrap(),
            watching: Default::default(),
        },
    );
    assert_eq!(
        commands.invoke("scenarios", json!({})).await.unwrap(),
        scenarios
    );
    let (_, agents) = preview.invoke("list_agents", json!({})).await;
    assert_eq!(
        agents,
        commands.invoke("list_agents", Value::Null).await.unwrap()
    );
    assert_eq!(agents, json!([]), "--empty starts with no agent");

    // An unknown command, bad arguments, a body that is not JSON, a command's own error.
    let (status, body) = preview.invoke("launch_rockets", json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("unknown_command"))
    );
    assert!(body["message"].as_str().unwrap().contains("launch_rockets"));
    let (status, body) = preview
        .invoke("task_events", json!({"agentId": "one"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_args")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("task_events"),
        "{body}"
    );
    let (status, body) = preview.invoke("task_events", json!({"agentId": 1})).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("taskId"),
        "{body}"
    );
    let raw = preview
        .http
        .post(format!("{}/api/invoke/list_agents", preview.base))
        .header("x-baton-token", &preview.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let (status, body) = preview.invoke("remove_agent", json!({"id": 99})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, body) = preview
        .invoke("set_retention_days", json!({"days": 0}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_setting");
    assert_eq!(body["field"], "retention_days");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_events_stream_once_the_demo_fleet_starts() {
    let preview = Preview::start(&["--empty"]);
    let mut events = preview
        .http
        .get(format!(
            "{}/api/events?token={}",
            preview.base, preview.token
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let (status, added) = preview.invoke("start_demo_fleet", json!({})).await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added.as_array().map(Vec::len), Some(5));
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("event: baton://change\ndata: {\"type\":") {
        assert!(Instant::now() < deadline, "no change event in 20 s: {seen}");
        let chunk = tokio::time::timeout(Duration::from_secs(20), events.chunk())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = seen.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let change: baton_core::views::ChangeEvent = serde_json::from_str(data).unwrap();
    let _ = change;
}

/// The id of the first item of `list` whose `key` is `value`.
fn id_where(list: &Value, key: &str, value: &str) -> i64 {
    list.as_array()
        .and_then(|l| l.iter().find(|x| x[key] == value))
        .and_then(|x| x["id"].as_i64())
        .unwrap_or_else(|| panic!("no {key} = {value} in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_the_ui_calls_answers_in_a_demo_preview() {
    let preview = Preview::start(&[]);
    let project = tempfile::tempdir().unwrap();
    let mut called = BTreeSet::new();
    let mut call = async |name: &str, args: Value| -> Value {
        called.insert(name.to_owned());
        let (status, body) = preview.invoke(name, args.clone()).await;
        // baton-hook is built beside `baton` by a workspace build, not by `-p baton-cli` alone.
        let no_hook_program = name == "install_hooks"
            && body["code"] == "invalid"
            && body["message"]
                .as_str()
                .unwrap_or("")
                .contains("baton-hook");
        assert!(
            status == 200 || no_hook_program,
            "{name} {args} answered {status}: {body}"
        );
        body
    };
    let draft = |name: &str, adapter: &str| {
        json!({"name": name, "base_url": format!("http://127.0.0.1:9/{name}"),
               "poll_interval_ms": 2000, "timeout_ms": 1500, "adapter": adapter})
    };
    let agents = call("list_agents", json!({})).await;
    let researcher = id_where(
        &Value::Array(
            agents
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["config"].clone())
                .collect(),
        ),
        "name",
        "Researcher (demo)",
    );
    let probe = call(
        "add_agent",
        json!({"draft": draft("probe", "baton"), "token": null}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    call(
        "update_agent",
        json!({"id": probe, "draft": draft("probe", "baton"), "token": null, "clearToken": false}),
    )
    .await;
    call(
        "test_connection",
        json!({"draft": draft("probe", "baton"), "token": null, "agentId": null}),
    )
    .await;
    let a2a = call(
        "add_agent",
        json!({"draft": draft("echo", "a2a"), "token": null}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    call("follow_task", json!({"agentId": a2a, "taskId": "t-1"})).await;
    call("list_tasks", json!({"agentId": null})).await;
    call(
        "task_events",
        json!({"agentId": researcher, "taskId": "none"}),
    )
    .await;
    call("start_demo_fleet", json!({})).await;
    call("scenarios", json!({})).await;
    call("start_scenario", json!({"name": "stall"})).await;
    call("secrets_status", json!({})).await;
    let folder = project.path().to_string_lossy().into_owned();
    call(
        "install_hooks",
        json!({"client": "claude-code", "project": folder, "mode": "warn"}),
    )
    .await;
    assert!(call("coding_clients", json!({})).await.is_array());

    // The demo agents declare what they own in their status documents: the map's clash is
    // there once each has been polled.
    preview
        .once("ownership_map", json!({}), |map| {
            map["conflicts"].as_array().is_some_and(|c| !c.is_empty())
        })
        .await;
    let map = call("ownership_map", json!({})).await;
    let rule = json!({"kind": "data", "pattern": "crm://probe/*", "owner": "Researcher (demo)"});
    let map_after = call("add_rule", json!({"rule": rule})).await;
    let rule_id = id_where(&map_after["rules"], "pattern", "crm://probe/*");
    let noted = json!({"kind": "data", "pattern": "crm://probe/*", "owner": "Researcher (demo)", "note": "probe"});
    call("update_rule", json!({"id": rule_id, "rule": noted})).await;
    call("check_rule", json!({"rule": noted, "editing": rule_id})).await;
    call("remove_rule", json!({"id": rule_id})).await;
    let declares = json!({"triggers": [], "reads": [], "writes": ["crm://probe/x"], "outputs": []});
    call(
        "set_declaration",
        json!({"agentId": probe, "declares": declares}),
    )
    .await;
    call(
        "predeploy_check",
        json!({"agent": "newbie", "declares": declares}),
    )
    .await;
    let conflict = &map["conflicts"][0];
    let (one, other) = (&conflict["claims"][0], &conflict["claims"][1]);
    let dispute = json!({"agent": one["agent"], "kind": conflict["kind"], "pattern": one["pattern"],
                         "other": {"side": "agent", "name": other["agent"], "pattern": other["pattern"]}});
    call(
        "resolve_conflict",
        json!({"dispute": dispute, "resolution": {"action": "give_ownership", "owner": one["agent"]}}),
    )
    .await;
    call("decision_log", json!({"subjectPrefix": null})).await;
    call("verify_decisions", json!({})).await;

    let queue = call("escalations", json!({})).await;
    let escalation = queue[0]["id"]
        .as_i64()
        .expect("the sessions' clash is escalated");
    call("escalation_timeline", json!({"id": escalation})).await;
    // Each item's parallel edit: the worktree's session and main's meet on the cart and the
    // README (git's forecast may not be asked yet); null for the other kinds.
    let mut parallel = Vec::new();
    for item in queue.as_array().unwrap() {
        let edit = call("parallel_edit", json!({"id": item["id"]})).await;
        assert_eq!(edit.is_null(), item["kind"] != "parallel_edit", "{item}");
        if !edit.is_null() {
            parallel.push(edit);
        }
    }
    assert_eq!(parallel.len(), 1, "one parallel edit: {queue}");
    let pairs = parallel[0]["pairs"]
        .as_array()
        .expect("its pairs of branches");
    assert_eq!(pairs.len(), 1, "{}", parallel[0]);
    assert_eq!(
        (&pairs[0]["branch_a"], &pairs[0]["branch_b"]),
        (&json!("feature-coupons"), &json!("main"))
    );
    assert_eq!(pairs[0]["files"], json!(["README.md", "src/cart.ts"]));
    let files: Vec<&Value> = parallel[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["branches"])
        .collect();
    assert_eq!(files, [&json!(["feature-coupons", "main"]); 2]);
    let (status, body) = preview
        .invoke("parallel_edit", json!({"id": 999_999}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    call(
        "decide_escalation",
        json!({"id": escalation, "action": {"action": "snooze", "minutes": 30}, "note": null}),
    )
    .await;
    call("dead_letters", json!({})).await;
    call("handoff_schemas", json!({})).await;
    call(
        "set_handoff_schema",
        json!({"handoffType": "probe", "schema": {"type": "object"}}),
    )
    .await;
    call("remove_handoff_schema", json!({"handoffType": "probe"})).await;
    call("detect_windows", json!({"agentId": researcher})).await;
    call(
        "set_detect_windows",
        json!({"agentId": researcher, "windows": {"stall_seconds": 90}}),
    )
    .await;

    call("rate_limits", json!({})).await;
    let api = json!({"api": "openai", "key": null, "metric": "requests"});
    let with = |extra: Value| {
        let mut args = api.clone();
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    call("usage_series", with(json!({"hours": 1}))).await;
    call("usage_heatmap", api.clone()).await;
    call(
        "set_quota",
        with(json!({"limit": 100, "windowSeconds": 60})),
    )
    .await;
    call("remove_quota", api.clone()).await;
    call(
        "set_pressure_limits",
        json!({"api": "openai", "limits": {"share_percent": 70, "horizon_minutes": 30}}),
    )
    .await;

    let now = chrono::Utc::now();
    let hour_ago = now - chrono::Duration::hours(1);
    call(
        "fleet_timeline",
        json!({"from": hour_ago, "to": now, "buckets": 60, "agentIds": [researcher]}),
    )
    .await;
    call("replay_at", json!({"at": now})).await;
    call("readiness", json!({})).await;
    let thresholds = json!({"days": 7, "approval_percent": 85, "max_failure_percent": 10, "poll_health_percent": 95});
    call(
        "set_readiness_thresholds",
        json!({"thresholds": thresholds}),
    )
    .await;
    let costs = call("agent_costs", json!({})).await;
    assert!(
        costs[0]["days"][0]["usd"].as_f64().unwrap_or(0.0) > 0.0,
        "the demo's week of usage is priced: {costs}"
    );
    call(
        "task_cost",
        json!({"agentId": researcher, "taskId": "none"}),
    )
    .await;
    call("prices", json!({})).await;
    let price = json!({"api": "openai", "model": "gpt-probe", "input_per_1k": 0.001, "output_per_1k": 0.002, "default": false});
    call("set_price", json!({"price": price})).await;
    call(
        "remove_price",
        json!({"api": "openai", "model": "gpt-probe"}),
    )
    .await;
    call(
        "set_daily_budget",
        json!({"agentId": researcher, "usd": 5.0}),
    )
    .await;
    call("retention_days", json!({})).await;
    call("set_retention_days", json!({"days": 30})).await;
    call("remove_agent", json!({"id": probe})).await;

    // The preview's own store, in its temporary data folder; another one is connected to and
    // saved for that folder (not used until a next start), and a URL that is no store refused.
    let overview = call("store_overview", json!({})).await;
    assert_eq!(overview["engine"], "sqlite", "{overview}");
    assert_eq!(overview["saved_choice"], false, "{overview}");
    assert!(overview["events"].as_u64().unwrap() > 0, "{overview}");
    let other = project.path().join("other.sqlite3");
    let chosen = call(
        "choose_store",
        json!({"url": other.to_string_lossy(), "password": null}),
    )
    .await;
    assert_eq!(
        chosen["location"],
        other.to_string_lossy().as_ref(),
        "{chosen}"
    );
    assert_eq!(chosen["events"], 0, "{chosen}");
    let (status, body) = preview
        .invoke(
            "choose_store",
            json!({"url": "mysql://db/baton", "password": null}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("invalid_store"), Some("store"))
    );

    // Where the preview stands: watching (it polls the demo), nobody sharing its store; a
    // choice to only view is saved for its data folder (from a next start).
    let here = call("presence", json!({})).await;
    assert_eq!(
        (
            &here["watching"],
            &here["watching_saved"],
            &here["watchers"]
        ),
        (&json!(true), &Value::Null, &json!([])),
        "{here}"
    );
    assert!(!here["person"].as_str().unwrap().is_empty(), "{here}");
    let viewer = call("set_watching", json!({"watching": false})).await;
    assert_eq!(
        (&viewer["watching"], &viewer["watching_saved"]),
        (&json!(true), &json!(false)),
        "{viewer}"
    );
    call("set_watching", json!({"watching": null})).await;
    // The preview opened its store: nothing about it is too new.
    assert_eq!(call("store_too_new", json!({})).await, Value::Null);

    // Settings → Notifications: a route to a server that takes the test message, its token
    // kept apart (the route shows only where), tested, listed, removed.
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_url = format!("http://{}", server.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut conn, _)) = server.accept().await {
            let mut buf = vec![0u8; 64 * 1024];
            let _ = conn.read(&mut buf).await;
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .await;
        }
    });
    // The Add form starts from the defaults: warnings in the digest, notes never.
    let defaults = call("default_route_policy", json!({})).await;
    assert_eq!(
        (&defaults["warnings"], &defaults["notes"]),
        (&json!("digest"), &json!("never")),
        "{defaults}"
    );
    let route = json!({"name": "phone", "kind": "ntfy", "server": server_url});
    let added = call("add_route", json!({"route": route, "token": null})).await;
    assert_eq!(added["policy"], defaults, "{added}");
    assert_eq!(added["kind"], "ntfy", "{added}");
    let listed = call("notify_routes", json!({})).await;
    assert_eq!(listed[0]["name"], "phone", "{listed}");
    let tested = call("test_route", json!({"name": "phone", "waitSeconds": null})).await;
    assert_eq!(tested, "The server took the test message.");
    // What it sends: warnings at once, quiet hours at night; a wrong value refused in words.
    let mut policy = listed[0]["policy"].clone();
    policy["warnings"] = json!("now");
    policy["quiet_hours"] = json!("22:00-07:00");
    let changed = call(
        "set_route_policy",
        json!({"name": "phone", "policy": policy}),
    )
    .await;
    assert_eq!(changed["policy"]["warnings"], "now", "{changed}");
    assert_eq!(changed["policy"]["quiet_hours"], "22:00-07:00", "{changed}");
    policy["quiet_hours"] = json!("late");
    let (status, body) = preview
        .invoke(
            "set_route_policy",
            json!({"name": "phone", "policy": policy}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_route", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("is not quiet hours"),
        "{body}"
    );
    call("remove_route", json!({"name": "phone"})).await;

    let sessions = call("list_agents", json!({})).await;
    let sessions = sessions
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["session"].is_null())
        .count();
    assert_eq!(sessions, 3, "the demo's three coding sessions");
    assert_eq!(called, table_commands(), "every command the table answers");
}

/// Reads `answer` as `T` and writes it back: the same JSON, so no field was renamed, added or
/// dropped since it was recorded.
fn round_trip<T: DeserializeOwned + Serialize>(command: &str, answer: &Value) {
    let typed: T = serde_json::from_value(answer.clone())
        .unwrap_or_else(|err| panic!("a recorded {command} answer no longer reads: {err}"));
    let again = serde_json::to_value(&typed).unwrap();
    assert_eq!(&again, answer, "a recorded {command} answer changed shape");
}

#[test]
fn the_recorded_answers_still_read_as_their_commands_types() {
    use baton_core::cost::{AgentCost, Price};
    use baton_core::escalations::Escalation;
    use baton_core::hooks::ParallelEditView;
    use baton_core::ratelimit::view::{ApiLedger, UsageHeatmap, UsageSeries};
    use baton_core::readiness::Readiness;
    use baton_core::rules::OwnershipMap;
    use baton_core::views::{AgentRow, ConnectionReport, ScenarioInfo, SecretsStatus, TaskCard};

    let dir = repo().join("ui/src/test/recorded");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let command = path.file_stem().unwrap().to_string_lossy().into_owned();
        let recorded: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if command == "recorded" {
            assert!(recorded["recorded_at"].is_string());
            continue;
        }
        files += 1;
        assert!(
            baton_commands::names::COMMANDS.contains(&command.as_str()),
            "{command}.json names no command"
        );
        for call in recorded.as_array().unwrap() {
            assert!(call["args"].is_object(), "{command}: {call}");
            let Some(answer) = call.get("answer") else {
                let error: baton_core::views::ErrorPayload =
                    serde_json::from_value(call["error"].clone()).unwrap();
                assert!(!error.code.is_empty());
                continue;
            };
            match command.as_str() {
                "list_agents" => round_trip::<Vec<AgentRow>>(&command, answer),
                "list_tasks" => round_trip::<Vec<TaskCard>>(&command, answer),
                "rate_limits" => round_trip::<Vec<ApiLedger>>(&command, answer),
                "usage_series" => round_trip::<UsageSeries>(&command, answer),
                "usage_heatmap" => round_trip::<UsageHeatmap>(&command, answer),
                "escalations" => round_trip::<Vec<Escalation>>(&command, answer),
                "parallel_edit" => round_trip::<Option<ParallelEditView>>(&command, answer),
                "ownership_map" => round_trip::<OwnershipMap>(&command, answer),
                "readiness" => round_trip::<Vec<Readiness>>(&command, answer),
                "agent_costs" => round_trip::<Vec<AgentCost>>(&command, answer),
                "prices" => round_trip::<Vec<Price>>(&command, answer),
                "scenarios" => round_trip::<Vec<ScenarioInfo>>(&command, answer),
                "secrets_status" => round_trip::<SecretsStatus>(&command, answer),
                "test_connection" => round_trip::<ConnectionReport>(&command, answer),
                "set_quota" => round_trip::<()>(&command, answer),
                "remove_quota" => round_trip::<bool>(&command, answer),
                other => panic!("{other}.json is recorded, but this test does not know its type"),
            }
        }
    }
    assert!(files >= 10, "only {files} recordings in {}", dir.display());
}
