//! Coding sessions' usage and windows in the store: a response counted once whatever lines or
//! reads it came in, per turn and model, priced; the windows of an account with their burn rate
//! and forecast; a pause decided from the queue refusing each tool call with its reason.

use baton_core::escalations::EscalationAction;
use baton_core::hooks::{parse_hook_payload, HookAnswer, HookClient, PermitMode};
use baton_core::usage::{window_finding, TokenUse, UsageRecord, WindowReading, WindowSettings};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::support::{fresh_store, t};
use crate::coding_usage::{UsageCursor, UsageFeed, UsageRead};
use crate::sessions::{HookRecord, PermitSettings, SessionRef};
use crate::Store;

/// Hands the store what a record file would have held past its cursor (the store itself never
/// reads files: baton-hooks' feed does, tested there and with the real clients).
struct Lines(Vec<(u64, UsageRead)>);

impl UsageFeed for Lines {
    fn read(&mut self, _client: HookClient, cursor: Option<&UsageCursor>) -> UsageRead {
        let from = cursor.map_or(0, |c| c.read_to);
        let at = self.0.iter().position(|(start, _)| *start == from);
        at.map(|i| self.0.remove(i).1).unwrap_or_default()
    }
}

fn record(key: &str, at: i64, input: u64, output: u64) -> UsageRecord {
    UsageRecord {
        key: key.into(),
        at: Some(t(at)),
        model: Some("claude-sonnet-4-5".into()),
        tokens: TokenUse {
            input,
            output,
            cache_read: 1000,
            cache_write: 10,
        },
    }
}

fn window(used: f64, at: i64) -> WindowReading {
    WindowReading {
        window: "five_hour".into(),
        used_percent: used,
        window_minutes: Some(300),
        resets_at: Some(t(3 * 3600)),
        at: Some(t(at)),
    }
}

fn read(
    from: u64,
    to: u64,
    records: Vec<UsageRecord>,
    windows: Vec<WindowReading>,
) -> (u64, UsageRead) {
    (
        from,
        UsageRead {
            cursor: Some(UsageCursor {
                path: "/t.jsonl".into(),
                file_key: "1:2".into(),
                read_to: to,
                model: None,
            }),
            records,
            windows,
            warnings: Vec::new(),
        },
    )
}

/// A Claude Code session of the account `~/.claude`.
fn session(id: &str) -> SessionRef {
    SessionRef {
        account: Some("~/.claude".into()),
        ..super::sessions::session(id)
    }
}

fn hook(store: &mut Store, who: &str, at: i64, payload: Value, feed: &mut Lines) -> HookRecord {
    let call =
        parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap();
    let settings = PermitSettings::in_mode(PermitMode::Enforce);
    store
        .record_hook_reading(&session(who), &call, settings, t(at), Some(feed))
        .unwrap()
}

fn prompt() -> Value {
    json!({"hook_event_name": "UserPromptSubmit", "prompt": "go"})
}

fn tool() -> Value {
    json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}})
}

#[test]
fn a_response_counts_once_per_key_in_the_turn_it_was_read_in() {
    let mut store = fresh_store();
    let mut feed = Lines(vec![
        // msg_1 written over two lines, the second read by the next call.
        read(0, 100, vec![record("msg_1", 10, 100, 5)], vec![]),
        read(
            100,
            250,
            vec![record("msg_1", 11, 100, 21), record("msg_2", 12, 50, 7)],
            vec![],
        ),
        read(250, 300, vec![record("msg_3", 70, 10, 1)], vec![]),
        read(300, 350, vec![record("msg_4", 85, 1, 1)], vec![]),
    ]);
    let first = hook(&mut store, "s1", 0, prompt(), &mut feed);
    hook(&mut store, "s1", 20, tool(), &mut feed);
    // A new turn: what is read at its prompt belongs to the turn that ended.
    hook(&mut store, "s1", 80, prompt(), &mut feed);
    hook(&mut store, "s1", 90, tool(), &mut feed);
    let id = first.agent_id;
    let tokens = |input: u64, output: u64, n: u64| TokenUse {
        input,
        output,
        cache_read: 1000 * n,
        cache_write: 10 * n,
    };
    assert_eq!(
        store.turn_usage(id).unwrap(),
        // Read at the first prompt: before any turn (0); msg_1's second line only raised it.
        vec![
            (0, tokens(100, 21, 1)),
            (1, tokens(60, 8, 2)),
            (2, tokens(1, 1, 1))
        ]
    );
    let usage = store
        .session_usage(id, HookClient::ClaudeCode, t(100))
        .unwrap()
        .expect("usage read");
    assert_eq!(usage.today, tokens(161, 30, 4));
    assert_eq!(usage.models.len(), 1);
    let usd = usage.usd.expect("claude-sonnet-4* has a default price");
    // 161 × 0.003 + 30 × 0.015 + 4000 × 0.0003 + 40 × 0.00375, per 1,000.
    let expected = (161.0 * 0.003 + 30.0 * 0.015 + 4000.0 * 0.0003 + 40.0 * 0.003 * 1.25) / 1000.0;
    assert!((usd - expected).abs() < 1e-12, "{usd} vs {expected}");
    // The session's row on the Agents view carries it.
    let row = store
        .agent_rows()
        .unwrap()
        .into_iter()
        .find(|r| r.config.id == id)
        .unwrap();
    assert!(row.session.unwrap().usage.is_some());
}

#[test]
fn the_windows_of_an_account_forecast_a_fast_climb_and_a_pause_stops_each_tool_call() {
    let mut store = fresh_store();
    let mut feed = Lines(vec![
        read(0, 10, vec![record("a1", 0, 100, 10)], vec![window(40.0, 0)]),
        read(
            10,
            20,
            vec![record("a2", 300, 100, 10)],
            vec![window(55.0, 300)],
        ),
        read(
            20,
            30,
            vec![record("a3", 600, 100, 10)],
            vec![window(70.0, 600)],
        ),
    ]);
    let mut other = Lines(vec![read(
        0,
        10,
        vec![record("b1", 610, 5000, 500)],
        vec![],
    )]);
    let one = hook(&mut store, "one", 0, prompt(), &mut feed);
    hook(&mut store, "one", 300, tool(), &mut feed);
    hook(&mut store, "one", 600, tool(), &mut feed);
    let two = hook(&mut store, "two", 610, prompt(), &mut other);
    let now: DateTime<Utc> = t(610);
    let windows = store.usage_windows(now).unwrap();
    assert_eq!(windows.len(), 1);
    let w = &windows[0];
    assert_eq!(
        (w.client.as_str(), w.account.as_str()),
        ("claude-code", "~/.claude")
    );
    assert_eq!(w.used_percent, 70.0);
    // 30 points over the 10 min since the first reading: 3 a minute, out in 10 min.
    let burn = w.burn_per_hour.unwrap();
    assert!((burn - 30.0 / (610.0 / 60.0) * 60.0).abs() < 1e-6, "{burn}");
    assert!(w.runs_out_at.unwrap() < now + Duration::minutes(11));
    assert_eq!(
        w.sessions[0].agent_id, two.agent_id,
        "the session that burned most first"
    );
    assert_eq!(w.sessions[1].agent_id, one.agent_id);
    let finding = window_finding(w, "Claude Code", &WindowSettings::default(), now).unwrap();
    store.record_findings(&[finding], now).unwrap();
    let item = super::sessions::open_escalations(&store)
        .into_iter()
        .next()
        .expect("the window's item");
    store
        .decide_escalation(
            item.id,
            &EscalationAction::PauseSessions,
            Some("lunch"),
            "ana",
            now,
        )
        .unwrap();
    // Both sessions of the account are told to wait, each at its next tool call.
    for who in ["one", "two"] {
        let answer = hook(&mut store, who, 620, tool(), &mut Lines(Vec::new())).answer;
        let HookAnswer::Deny(reason) = answer else {
            panic!("{who} was not paused: {answer:?}");
        };
        assert!(
            reason.contains("wait until it resets at 15:00 UTC (lunch)")
                && reason.contains("ana decided in Baton"),
            "{reason}"
        );
    }
    // The window reset: the pause is over.
    let after = hook(
        &mut store,
        "one",
        3 * 3600 + 1,
        tool(),
        &mut Lines(Vec::new()),
    );
    assert_eq!(after.answer, HookAnswer::GoOn);
}
