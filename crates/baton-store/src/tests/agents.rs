use baton_core::agent::{AdapterKind, AgentDraft, AgentHealth, Reachability};
use baton_core::task::TaskState;
use baton_core::ConfigError;

use super::support::*;
use crate::StoreError;

#[test]
fn add_stores_trimmed_name_and_normalised_url() {
    let mut store = fresh_store();
    let mut d = draft("  Researcher  ");
    d.base_url = " http://127.0.0.1:7700/ ".into();
    let added = store.add_agent(&d).unwrap();
    assert_eq!(added.name, "Researcher");
    assert_eq!(added.base_url, "http://127.0.0.1:7700");
    assert_eq!(added.poll_interval_ms, 2_000);
    assert_eq!(added.timeout_ms, 1_500);
    assert_eq!(added.adapter, AdapterKind::Baton);
    assert!(!added.has_token);
    assert_eq!(store.agent(added.id).unwrap(), added);
    assert_eq!(store.agents().unwrap(), vec![added]);
}

#[test]
fn validation_errors_come_through_as_invalid_config() {
    let mut store = fresh_store();
    let mut d = draft("Researcher");
    d.base_url = "ftp://x".into();
    let err = store.add_agent(&d).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::InvalidConfig(ConfigError::BadScheme { .. })
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "invalid_config");
    assert_eq!(err.field(), Some("base_url"));
    assert!(store.agents().unwrap().is_empty());

    let id = store.add_agent(&draft("Researcher")).unwrap().id;
    let mut bad = draft("Researcher");
    bad.timeout_ms = 5_000;
    let err = store.update_agent(id, &bad).unwrap_err();
    assert!(matches!(
        err,
        StoreError::InvalidConfig(ConfigError::TimeoutNotBelowInterval { .. })
    ));
    assert_eq!(store.agent(id).unwrap().timeout_ms, 1_500, "unchanged");
}

#[test]
fn names_are_unique_regardless_of_case_and_spaces() {
    let mut store = fresh_store();
    let first = store.add_agent(&draft("Researcher")).unwrap();
    for name in ["researcher", " RESEARCHER "] {
        let err = store.add_agent(&draft(name)).unwrap_err();
        assert!(
            matches!(&err, StoreError::DuplicateAgentName(n) if n == name.trim()),
            "{err:?}"
        );
        assert_eq!(err.code(), "duplicate_name");
    }
    let umlaut = store.add_agent(&draft("Ärger")).unwrap();
    assert!(matches!(
        store.add_agent(&draft("ärger")),
        Err(StoreError::DuplicateAgentName(_))
    ));
    // Renaming onto another agent's name is refused; keeping one's own name (any case) is not.
    let writer = store.add_agent(&draft("Writer")).unwrap();
    assert!(matches!(
        store.update_agent(writer.id, &draft("RESEARCHER")),
        Err(StoreError::DuplicateAgentName(_))
    ));
    let renamed = store.update_agent(first.id, &draft("RESEARCHER")).unwrap();
    assert_eq!(renamed.name, "RESEARCHER");
    assert_eq!(store.agents().unwrap().len(), 3);
    assert_ne!(umlaut.id, writer.id);
    // Unicode's case, not ASCII's: "İSTANBUL" is "İstanbul" (at another URL, so the name is
    // what clashes).
    let url = |n: u8| format!("http://127.0.0.1:7700/istanbul-{n}");
    store
        .add_agent(&AgentDraft::new("İstanbul", url(1)))
        .unwrap();
    assert!(matches!(
        store.add_agent(&AgentDraft::new("İSTANBUL", url(2))),
        Err(StoreError::DuplicateAgentName(_))
    ));
}

#[test]
fn update_keeps_id_and_token_flag_and_clears_the_cursor_only_when_the_url_moves() {
    let (mut store, id) = store_with_agent();
    store.set_has_token(id, true).unwrap();
    store.ingest(id, &doc(vec![], vec![], "c7"), t(0)).unwrap();

    let mut d = draft("Researcher");
    d.poll_interval_ms = 5_000;
    let updated = store.update_agent(id, &d).unwrap();
    assert_eq!(updated.id, id);
    assert_eq!(updated.poll_interval_ms, 5_000);
    assert!(updated.has_token);
    assert_eq!(store.cursor(id).unwrap().as_deref(), Some("c7"));

    d.base_url = "http://127.0.0.1:7701".into();
    store.update_agent(id, &d).unwrap();
    assert_eq!(store.cursor(id).unwrap(), None);
}

#[test]
fn unknown_ids_are_not_found() {
    let mut store = fresh_store();
    let checks: Vec<StoreError> = vec![
        store.agent(42).unwrap_err(),
        store.agent_row(42).unwrap_err(),
        store.health(42).unwrap_err(),
        store.cursor(42).unwrap_err(),
        store.update_agent(42, &draft("x")).unwrap_err(),
        store.remove_agent(42).unwrap_err(),
        store.set_has_token(42, true).unwrap_err(),
        store
            .record_health(42, &AgentHealth::default())
            .unwrap_err(),
        store
            .ingest(42, &doc(vec![], vec![], "c"), t(0))
            .unwrap_err(),
    ];
    for err in checks {
        assert!(matches!(err, StoreError::AgentNotFound(42)), "{err:?}");
        assert_eq!(err.code(), "not_found");
    }
}

#[test]
fn remove_cascades_to_everything_the_agent_reported() {
    let (mut store, id) = store_with_agent();
    let other = store.add_agent(&draft("Writer")).unwrap().id;
    let d = some_data();
    store.ingest(id, &d, t(0)).unwrap();
    store.ingest(other, &d, t(0)).unwrap();
    assert_eq!(rows(&store, "tasks"), 2);

    store.remove_agent(id).unwrap();
    assert!(matches!(store.agent(id), Err(StoreError::AgentNotFound(_))));
    assert_eq!(rows(&store, "tasks"), 1);
    assert_eq!(rows(&store, "events"), 2);
    assert_eq!(rows(&store, "usage_samples"), 1);
    assert_eq!(store.event_count(id).unwrap(), 0);
    assert!(store.task_cards(Some(id)).unwrap().is_empty());
    assert_eq!(
        store.task_cards(None).unwrap().len(),
        1,
        "the other agent's stay"
    );

    // Ids are never reused (keyring entries are keyed by them).
    store.remove_agent(other).unwrap();
    let again = store.add_agent(&draft("Writer")).unwrap();
    assert!(again.id > other);
}

#[test]
fn health_is_default_until_recorded_and_round_trips() {
    let (mut store, id) = store_with_agent();
    assert_eq!(store.health(id).unwrap(), AgentHealth::default());

    let down = AgentHealth::default()
        .failed(t(1), "timed out after 1.5 s")
        .failed(t(2), "HTTP 503");
    store.record_health(id, &down).unwrap();
    assert_eq!(store.health(id).unwrap(), down);

    let up = down.succeeded(t(3) + chrono::Duration::nanoseconds(123_456_789), 12);
    store.record_health(id, &up).unwrap();
    let back = store.health(id).unwrap();
    assert_eq!(back, up);
    assert_eq!(back.reachability, Reachability::Up);
    assert_eq!(back.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(store.agent_row(id).unwrap().health, up);
}

#[test]
fn cursors_and_healths_are_every_agents_in_one_read() {
    let (mut store, id) = store_with_agent();
    let other = store.add_agent(&draft("Writer")).unwrap().id;
    store.ingest(id, &some_data(), t(1)).unwrap();
    let down = AgentHealth::default().failed(t(2), "HTTP 503");
    store.record_health(other, &down).unwrap();
    let all = store.cursors_and_healths().unwrap();
    assert_eq!(all.len(), 2);
    for agent in [id, other] {
        assert_eq!(
            all[&agent],
            (store.cursor(agent).unwrap(), store.health(agent).unwrap()),
            "as read one by one"
        );
    }
    assert_eq!(all[&id].0.as_deref(), Some("c2"));
    assert_eq!(all[&other], (None, down));
}

#[test]
fn a_health_from_an_earlier_attempt_does_not_overwrite_a_later_one() {
    let (mut store, id) = store_with_agent();
    let later = AgentHealth::default().succeeded(t(10), 5);
    store.record_health(id, &later).unwrap();
    let earlier = AgentHealth::default().failed(t(5), "HTTP 503");
    assert!(!store.record_health_if_newer(id, &earlier).unwrap());
    assert_eq!(store.health(id).unwrap(), later);
    let newest = later.failed(t(20), "timed out after 1.5 s");
    assert!(store.record_health_if_newer(id, &newest).unwrap());
    assert_eq!(store.health(id).unwrap(), newest);
    // An agent that is gone: nothing written, no error (the poller's memory may be late).
    assert!(!store.record_health_if_newer(id + 99, &newest).unwrap());
    assert!(matches!(
        store.record_health(id + 99, &newest),
        Err(StoreError::AgentNotFound(_))
    ));
}

#[test]
fn has_token_round_trips() {
    let (mut store, id) = store_with_agent();
    store.set_has_token(id, true).unwrap();
    assert!(store.agent(id).unwrap().has_token);
    store.set_has_token(id, false).unwrap();
    assert!(!store.agent(id).unwrap().has_token);
}

#[test]
fn agent_rows_carry_remote_info_and_counts_per_column() {
    let (mut store, a) = store_with_agent();
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    let idle = store.add_agent(&draft("Idle")).unwrap().id;
    let tasks_a = vec![
        task("q1", TaskState::Submitted),
        task("w1", TaskState::Working),
        task("w2", TaskState::Working),
        task("h1", TaskState::InputRequired),
        task("h2", TaskState::AuthRequired),
        task("b1", TaskState::Blocked),
        task("d1", TaskState::Completed),
        task("f1", TaskState::Failed),
        task("f2", TaskState::Canceled),
        task("f3", TaskState::Rejected),
    ];
    store.ingest(a, &doc(tasks_a, vec![], "c"), t(0)).unwrap();
    let mut doc_b = doc(vec![task("w1", TaskState::Working)], vec![], "c");
    doc_b.agent.id = "writer-9".into();
    doc_b.agent.state = Some(baton_core::protocol::AgentState::Blocked);
    doc_b.agent.detail = Some("waiting for CRM".into());
    store.ingest(b, &doc_b, t(0)).unwrap();

    let rows = store.agent_rows().unwrap();
    assert_eq!(
        rows.iter().map(|r| r.config.id).collect::<Vec<_>>(),
        vec![a, b, idle]
    );
    let ca = &rows[0].task_counts;
    assert_eq!(
        (
            ca.queued,
            ca.working,
            ca.needs_human,
            ca.blocked,
            ca.done,
            ca.failed
        ),
        (1, 2, 2, 1, 1, 3)
    );
    assert_eq!(rows[0].remote_id.as_deref(), Some("researcher-1"));
    assert_eq!(rows[0].remote_version.as_deref(), Some("0.3.1"));
    assert_eq!(rows[1].task_counts.total(), 1);
    assert_eq!(rows[1].task_counts.working, 1);
    assert_eq!(rows[1].remote_id.as_deref(), Some("writer-9"));
    assert_eq!(
        rows[1].remote_state,
        Some(baton_core::protocol::AgentState::Blocked)
    );
    assert_eq!(rows[1].remote_detail.as_deref(), Some("waiting for CRM"));
    assert_eq!(rows[2].task_counts.total(), 0);
    assert_eq!(rows[2].remote_id, None);
    for row in &rows {
        assert_eq!(store.agent_row(row.config.id).unwrap(), *row);
    }
    let all = store.column_counts(None).unwrap();
    assert_eq!(all.total(), 11);
    assert_eq!(all.working, 3);
    assert_eq!(store.column_counts(Some(idle)).unwrap().total(), 0);
}

#[test]
fn one_url_is_one_agent() {
    let mut store = fresh_store();
    let first = store
        .add_agent(&AgentDraft::new("Researcher", "http://127.0.0.1:7700/"))
        .unwrap();
    // The same URL as stored (trailing slash, pasted card path): refused, naming who has it.
    for url in [
        "http://127.0.0.1:7700",
        "http://127.0.0.1:7700/.well-known/agent-card.json",
    ] {
        let err = store
            .add_agent(&AgentDraft::new("Writer", url))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "agent \"Researcher\" already has the URL http://127.0.0.1:7700"
        );
        assert_eq!(
            (err.code(), err.field()),
            ("duplicate_url", Some("base_url"))
        );
    }
    let writer = store
        .add_agent(&AgentDraft::new("Writer", "http://127.0.0.1:7701"))
        .unwrap();
    assert!(matches!(
        store.update_agent(
            writer.id,
            &AgentDraft::new("Writer", "http://127.0.0.1:7700")
        ),
        Err(StoreError::DuplicateAgentUrl { .. })
    ));
    // An agent keeps its own URL.
    store
        .update_agent(
            first.id,
            &AgentDraft::new("Researcher", "http://127.0.0.1:7700/"),
        )
        .unwrap();
}

#[test]
fn agents_added_together_are_checked_together_and_stored_all_or_none() {
    let mut store = fresh_store();
    let stored = store
        .add_agent(&AgentDraft::new("Researcher", "http://127.0.0.1:7700"))
        .unwrap();
    let head = store.change_head().unwrap();
    let drafts: Vec<AgentDraft> = (0..300)
        .map(|i| {
            AgentDraft::new(
                format!(" Agent {i} "),
                format!("http://127.0.0.1:{}/", 8000 + i),
            )
        })
        .collect();
    let added = store.add_agents(&drafts).unwrap();
    // In the drafts' order, as one would add them one by one: trimmed, normalised.
    assert_eq!(added.len(), 300);
    assert_eq!(added[0].name, "Agent 0");
    assert_eq!(added[299].base_url, "http://127.0.0.1:8299");
    assert!(added.windows(2).all(|w| w[0].id < w[1].id));
    assert!(added[0].id > stored.id);
    let all = store.agents().unwrap();
    assert_eq!(all.len(), 301);
    assert_eq!(&all[1..], &added[..]);
    // One change per agent, in one transaction.
    let read = store.changes_after(head, 1_000).unwrap();
    assert_eq!(read.changes.len(), 300);
    assert!(read.changes.iter().all(|c| c.seq == read.changes[0].seq));

    // A name twice in the batch, or one already stored (ignoring case), a URL twice: refused,
    // and nothing of the batch is stored.
    let twice_named = [
        AgentDraft::new("Editor", "http://127.0.0.1:9000"),
        AgentDraft::new(" editor", "http://127.0.0.1:9001"),
    ];
    assert!(matches!(
        store.add_agents(&twice_named),
        Err(StoreError::DuplicateAgentName(n)) if n == "editor"
    ));
    let stored_name = [
        AgentDraft::new("Editor", "http://127.0.0.1:9000"),
        AgentDraft::new("RESEARCHER", "http://127.0.0.1:9001"),
    ];
    assert!(matches!(
        store.add_agents(&stored_name),
        Err(StoreError::DuplicateAgentName(n)) if n == "RESEARCHER"
    ));
    let twice_polled = [
        AgentDraft::new("Editor", "http://127.0.0.1:9000"),
        AgentDraft::new("Critic", "http://127.0.0.1:9000/"),
    ];
    assert!(matches!(
        store.add_agents(&twice_polled),
        Err(StoreError::DuplicateAgentUrl { name, .. }) if name == "Editor"
    ));
    let bad = [
        AgentDraft::new("Editor", "http://127.0.0.1:9000"),
        AgentDraft::new("Critic", "ftp://x"),
    ];
    assert!(store.add_agents(&bad).is_err());
    assert_eq!(
        store.agents().unwrap().len(),
        301,
        "nothing of a refused batch"
    );
    assert!(store.add_agents(&[]).unwrap().is_empty());
}
