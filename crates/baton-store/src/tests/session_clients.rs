//! Sessions of the five clients (schema 23): a store from before keeps its sessions whole, and
//! takes Gemini CLI's and OpenCode's; a name that is no client is refused by the store itself.

use baton_core::hooks::{parse_hook_payload, HookAnswer, HookClient};
use baton_core::task::TaskState;
use serde_json::json;

use super::machines::enforce;
use super::parallel_edits::on_branch;
use super::support::{store_from_version, t};
use crate::db::params;

/// A Claude Code session as a store of version 21 or 22 holds it, every column set.
const BEFORE_23: &str = "
    INSERT INTO agents (id, name, name_key, base_url, poll_interval_ms, timeout_ms, adapter,
                        created_at)
    VALUES (1, 'shop·aaaa1111', 'shop·aaaa1111', 'session://claude-code/aaaa1111', 1000, 500,
            'session', '2026-05-01T12:00:00.000000000Z');
    INSERT INTO sessions (agent_id, client, session_id, cwd, repo_root, branch, prompt,
                          last_tool, turns, turn_open, started_at, last_seen_at, ended_at,
                          repository, base_drift, host, account, reported_cost_usd)
    VALUES (1, 'claude-code', 'aaaa1111', '/work/shop', '/work/shop', 'main', 'Fix the cart',
            'Write /work/shop/src/app.rs', 2, 1, '2026-05-01T12:00:00.000000000Z',
            '2026-05-01T12:05:00.000000000Z', NULL, 'github.com/acme/shop', NULL, 'laptop-a',
            '~/.claude', 1.25);";

#[test]
fn a_store_from_before_keeps_its_sessions_and_takes_gemini_and_opencode_ones() {
    let dir = tempfile::tempdir().unwrap();
    // Version 22, the one before Gemini CLI's and OpenCode's sessions.
    // PostgreSQL's agent ids come from a sequence that the row given its id did not move.
    let sequence = "SELECT setval(pg_get_serial_sequence('agents', 'id'), 1);";
    let mut store = store_from_version(dir.path(), 22, BEFORE_23, sequence);
    assert_eq!(store.schema_version().unwrap(), crate::LATEST_VERSION);
    let kept = store.agent_rows().unwrap().remove(0).session.unwrap();
    assert_eq!(
        (kept.client.as_str(), kept.session_id.as_str()),
        ("claude-code", "aaaa1111")
    );
    assert_eq!(kept.prompt.as_deref(), Some("Fix the cart"));
    assert_eq!(
        kept.last_tool.as_deref(),
        Some("Write /work/shop/src/app.rs")
    );
    assert_eq!(kept.repository.as_deref(), Some("github.com/acme/shop"));
    assert_eq!(kept.host.as_deref(), Some("laptop-a"));
    assert!(kept.turn_open);
    // What schema 21 added to a session (its account, its cost as the client said) is kept.
    let (account, cost): (Option<String>, Option<f64>) = store
        .db()
        .query_row(
            "SELECT account, reported_cost_usd FROM sessions WHERE agent_id = 1",
            params![],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!((account.as_deref(), cost), (Some("~/.claude"), Some(1.25)));

    // A Gemini CLI session's prompt and an OpenCode session's: each its own agent and turn.
    let prompts = [
        (
            HookClient::Gemini,
            "gggg2222",
            json!({"session_id": "gggg2222", "hook_event_name": "BeforeAgent", "prompt": "Add tests"}),
        ),
        (
            HookClient::OpenCode,
            "ses_oooo3333",
            json!({"hook": "chat.message", "input": {"sessionID": "ses_oooo3333"},
                   "output": {"parts": [{"type": "text", "text": "Tidy up"}]}}),
        ),
    ];
    for (at, (client, id, payload)) in (1..).zip(prompts) {
        let mut session = on_branch(id, "main");
        session.client = client;
        let call = parse_hook_payload(client, payload.to_string().as_bytes(), None).unwrap();
        let record = store
            .record_hook(&session, &call, enforce(), t(at))
            .unwrap();
        assert_eq!(record.answer, HookAnswer::GoOn);
    }
    let rows = store.agent_rows().unwrap();
    let clients: Vec<(String, Option<String>)> = rows
        .iter()
        .filter_map(|row| row.session.as_ref())
        .map(|s| (s.client.clone(), s.prompt.clone()))
        .collect();
    assert!(
        clients.contains(&("gemini".into(), Some("Add tests".into()))),
        "{clients:?}"
    );
    assert!(
        clients.contains(&("opencode".into(), Some("Tidy up".into()))),
        "{clients:?}"
    );
    for row in rows.iter().filter(|row| row.config.id != 1) {
        let turns = store.task_cards(Some(row.config.id)).unwrap();
        assert_eq!(turns.len(), 1, "{turns:?}");
        assert_eq!(turns[0].state, TaskState::Working);
    }

    // The store itself refuses a client it does not know.
    store
        .db()
        .execute(
            "INSERT INTO agents (id, name, name_key, base_url, poll_interval_ms, timeout_ms,
                                 adapter, created_at)
             VALUES (50, 'x', 'x', 'session://emacs/x', 1000, 500, 'session',
                     '2026-05-01T12:00:00.000000000Z')",
            params![],
        )
        .unwrap();
    let refused = store
        .db()
        .execute(
            "INSERT INTO sessions (agent_id, client, session_id, started_at, last_seen_at)
             VALUES (50, 'emacs', 'x', '2026-05-01T12:00:00Z', '2026-05-01T12:00:00Z')",
            params![],
        )
        .unwrap_err()
        .to_string()
        .to_lowercase();
    assert!(refused.contains("check"), "{refused}");
}
