//! What a detector run writes: nothing when it found nothing new and nothing is due (a quiet
//! fleet's runs take no write lock, which on a shared store every other watcher's and hook's
//! write would wait for), and still the SLA warnings and expiries when they are due; and what
//! it found in short writes, its upkeep in one of its own.

use std::sync::Arc;

use crate::support::*;
use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::{EscalationState, LAPSE_WARNING};
use baton_core::protocol::{parse_status, StatusDocument};
use baton_core::rules::{Rule, RuleKind};
use baton_engine::{Engine, MemoryTokens};
use baton_store::StoreHandle;
use chrono::{DateTime, Duration, Utc};

/// An engine on a store file with reader connections (an in-memory store reads through its
/// writer, whose count of writes the tests read).
fn engine_on_a_file_store() -> (tempfile::TempDir, StoreHandle, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreHandle::open_at(&test_location(dir.path()), 2).unwrap();
    let engine = Engine::new(
        store.clone(),
        Arc::new(MemoryTokens::new(None)),
        test_config(),
    );
    (dir, store, engine)
}

/// Stores agent `name` (never polled) and what it reports: a write of each of `resources` at
/// `at`.
async fn stored_writes(engine: &Engine, name: &str, resources: &[String], at: DateTime<Utc>) {
    let url = format!("http://127.0.0.1:9/{name}");
    let id = store_agent(engine, &draft(name, &url, 60_000, 2_000)).id;
    let doc = writes(name, resources, at);
    engine
        .store()
        .write(move |s| s.ingest(id, &doc, at))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_run_with_nothing_to_write_takes_no_write_and_still_warns_of_and_expires_lapsed_slas() {
    let (_dir, store, engine) = engine_on_a_file_store();
    let writer = store_agent(
        &engine,
        &draft("writer", "http://127.0.0.1:9/w", 60_000, 2_000),
    );
    let editor = store_agent(
        &engine,
        &draft("editor", "http://127.0.0.1:9/e", 60_000, 2_000),
    );
    let finding = Finding::about(
        FindingKind::WriteCollision,
        Severity::Critical,
        vec![writer.id, editor.id],
        "writer and editor both wrote crm://a",
        "write_collision:crm://a",
    );
    let recorded = store
        .write(move |s| s.record_findings(&[finding], Utc::now()))
        .await
        .unwrap();
    let id = recorded.escalations[0];
    let due = store
        .read_blocking(move |s| s.escalation(id))
        .unwrap()
        .due_at;
    let writes = || store.writer_stats().writes;
    let before = Utc::now() - Duration::seconds(1);

    // The first run prunes and compacts (due at a watcher's first run): a write.
    let start = due - LAPSE_WARNING - Duration::seconds(30);
    let (_, sweep) = engine.detect_once(start, before).await.unwrap();
    assert!(sweep.lapsing.is_empty() && sweep.expired.is_empty());
    let after_first = writes();

    // Nothing new, nothing due: no write at all.
    let (found, sweep) = engine
        .detect_once(start + Duration::seconds(1), before)
        .await
        .unwrap();
    assert!(found.is_empty() && sweep.lapsing.is_empty() && sweep.expired.is_empty());
    assert_eq!(writes(), after_first, "a run with nothing to write wrote");

    // Due within the warning: told once, still without a write.
    let soon = due - LAPSE_WARNING + Duration::seconds(5);
    let (_, sweep) = engine.detect_once(soon, before).await.unwrap();
    assert_eq!(sweep.lapsing, [id]);
    let (_, sweep) = engine
        .detect_once(soon + Duration::seconds(1), before)
        .await
        .unwrap();
    assert!(sweep.lapsing.is_empty(), "told twice");
    assert_eq!(writes(), after_first);

    // Lapsed: the run expires it.
    let (_, sweep) = engine.detect_once(due, before).await.unwrap();
    assert_eq!(sweep.expired, [id]);
    assert!(writes() > after_first);
    let escalation = store.read_blocking(move |s| s.escalation(id)).unwrap();
    assert_eq!(escalation.state, EscalationState::Expired);
}

/// What agent `name` reports: a write of each of `resources` at `at`.
fn writes(name: &str, resources: &[String], at: DateTime<Utc>) -> StatusDocument {
    let events: Vec<_> = resources
        .iter()
        .zip(1..)
        .map(|(resource, seq)| {
            serde_json::json!({"seq": seq, "at": at.to_rfc3339(), "kind": "write", "resource": resource})
        })
        .collect();
    let body = serde_json::json!({
        "protocol": "baton/1",
        "agent": {"id": name},
        "events": events,
        "cursor": resources.len().to_string(),
    });
    parse_status(&serde_json::to_vec(&body).unwrap()).unwrap()
}

#[tokio::test]
async fn an_escalation_a_run_opens_due_within_the_warning_is_told_by_that_run() {
    let (_dir, store, engine) = engine_on_a_file_store();
    let before = Utc::now() - Duration::seconds(1);
    // The run before: nothing due, nothing to tell.
    let (_, sweep) = engine.detect_once(Utc::now(), before).await.unwrap();
    assert!(sweep.lapsing.is_empty());
    // Ana has 5 minutes for what happens on crm://a: less than the warning.
    let mut rule = Rule::new(RuleKind::Exception, "crm://a", "ana");
    rule.sla_seconds = Some(300);
    store
        .write(move |s| s.add_rule(&rule, "ana"))
        .await
        .unwrap();
    let now = Utc::now();
    for name in ["writer", "editor"] {
        stored_writes(&engine, name, &["crm://a".to_owned()], now).await;
    }
    let (_, sweep) = engine.detect_once(now, before).await.unwrap();
    assert_eq!(sweep.opened.len(), 1, "{sweep:?}");
    assert_eq!(
        sweep.lapsing, sweep.opened,
        "told in the run that opened it"
    );
    let (_, sweep) = engine
        .detect_once(now + Duration::seconds(1), before)
        .await
        .unwrap();
    assert!(sweep.lapsing.is_empty(), "told twice");
}

#[tokio::test]
async fn a_run_that_found_much_records_it_in_short_writes_and_loses_none() {
    let (_dir, store, engine) = engine_on_a_file_store();
    let before = Utc::now() - Duration::seconds(1);
    engine.detect_once(Utc::now(), before).await.unwrap();
    // Two agents write the same 150 records at once: 150 collisions, each its own finding.
    let records: Vec<String> = (0..150).map(|i| format!("crm://contacts/{i}")).collect();
    let now = Utc::now();
    for name in ["writer", "editor"] {
        stored_writes(&engine, name, &records, now).await;
    }
    let writes_before = store.writer_stats().writes;
    let (found, _) = engine.detect_once(now, before).await.unwrap();
    assert_eq!(found.opened.len(), 150);
    // 64 + 64 + 22, and no upkeep due (the run before did it).
    assert_eq!(
        store.writer_stats().writes - writes_before,
        3,
        "150 findings in slices of 64"
    );
    let open = store.read_blocking(|s| s.open_findings()).unwrap();
    assert_eq!(
        open.iter()
            .filter(|f| f.kind == FindingKind::WriteCollision)
            .count(),
        150
    );
}

#[tokio::test]
async fn a_runs_upkeep_takes_a_write_of_its_own_after_its_findings() {
    let (_dir, store, engine) = engine_on_a_file_store();
    let now = Utc::now();
    for name in ["writer", "editor"] {
        stored_writes(&engine, name, &["crm://a".to_owned()], now).await;
    }
    let writes_before = store.writer_stats().writes;
    // A watcher's first run: a collision to record, and the pruning and compaction due.
    let (found, _) = engine
        .detect_once(now, now - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(found.opened.len(), 1);
    assert_eq!(
        store.writer_stats().writes - writes_before,
        2,
        "the upkeep rode with the findings"
    );
}
