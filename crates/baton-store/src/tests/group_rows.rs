//! A group's rows of one kind in one statement (PostgreSQL, `crate::db`'s rows): the statements
//! a group of polls writes in do not grow with the group, and what it leaves in the ledger is
//! what the same polls leave written one at a time, with or without a write of the group
//! failing (nothing doubled, nothing lost).

use super::ratelimits::{api_call, openai_headers, with};
use super::read_first::{agents, polls_with};
use super::support::{doc, t, task, write_event};
use super::writer::handle;
use crate::db::{Owned, ReadAhead};
use crate::decisions::DecisionFilter;
use crate::{Store, StoreHandle};
use baton_core::decisions::ChainCheck;
use baton_core::detect::{EvidenceRef, Finding, FindingKind, Severity};
use baton_core::protocol::{Event, EventKind, StatusDocument, UsageReport};
use baton_core::task::TaskState;

/// A busy agent's poll (`round` from 1): a task, a write, and three API calls on one shared
/// key whose headers the other agents' calls report too, at times that differ from agent to
/// agent and tie between some (agent `i` calls at `round`·100 + (7·`i` mod 5) s, one of them a
/// 429, one saying only what remains).
fn busy(i: usize, round: u64) -> StatusDocument {
    let first = round * 10;
    let at = i64::try_from(round).unwrap() * 100 + i64::try_from((7 * i) % 5).unwrap();
    let full = openai_headers(&(400 - i).to_string());
    let left = (300 - i).to_string();
    let only_left = [("x-ratelimit-remaining-requests", left.as_str())];
    let mut calls = vec![
        api_call(first + 1, at, "openai", 200, &with(&full)),
        api_call(first + 2, at + 1, "openai", 429, &only_left),
        api_call(first + 3, at + 1, "openai", 200, &with(&full)),
    ];
    for call in &mut calls {
        call.task_id = Some("t1".into());
        call.model = Some("gpt-4o".into());
    }
    calls.push(write_event(first + 4, "t1"));
    let mut polled = doc(
        vec![task("t1", TaskState::Working)],
        calls,
        &(first + 4).to_string(),
    );
    polled.usage = usage(i, round);
    polled
}

/// The usage a busy agent reports: an hour's window that every poll reports again, counting
/// less in round 2 than in round 1 (its minutes and costs go down, never below zero), and a
/// minute's window of its own each round. Keys shared between agents.
fn usage(i: usize, round: u64) -> Vec<UsageReport> {
    let n = u64::try_from(i).unwrap();
    let hour = UsageReport {
        api: "openai".into(),
        key: Some("shared".into()),
        window_start: t(0),
        window_seconds: 3600,
        requests: if round == 2 { 3 + n } else { 40 + n },
        tokens: if round == 2 { 600 + n } else { 9_000 + n },
        rate_limited: u64::from(round == 1),
        model: Some("gpt-4o".into()),
        input_tokens: Some(if round == 2 { 400 } else { 6_000 }),
        output_tokens: Some(if round == 2 { 200 + n } else { 3_000 + n }),
    };
    let minute = UsageReport {
        api: "anthropic".into(),
        key: None,
        window_start: t(i64::try_from(round).unwrap() * 60),
        window_seconds: 60,
        requests: 2 + n,
        tokens: 100 * round + n,
        rate_limited: 0,
        model: None,
        input_tokens: None,
        output_tokens: None,
    };
    vec![hour, minute]
}

/// Every row of the ledger's tables, in words (compared between two stores).
fn ledger(store: &StoreHandle) -> Vec<String> {
    store
        .read_blocking(|s| {
            let mut all = Vec::new();
            for table in [
                "api_minutes",
                "api_limits",
                "api_costs",
                "usage_samples",
                "events",
                "tasks",
            ] {
                let columns = match table {
                    "events" => "agent_id, seq, kind",
                    "tasks" => "agent_id, task_id, state",
                    "usage_samples" => "agent_id, api, key, window_start, requests, tokens",
                    _ => "*",
                };
                let mut rows = s.db().query_map(
                    &format!("SELECT {columns} FROM {table}"),
                    crate::db::params![],
                    |row| {
                        let cells = (0..row.len())
                            .map(|i| row.get::<Owned>(i).map(|c| format!("{c:?}")))
                            .collect::<crate::Result<Vec<_>>>()?;
                        Ok(format!("{table}: {}", cells.join(" | ")))
                    },
                )?;
                rows.sort();
                all.extend(rows);
            }
            Ok(all)
        })
        .unwrap()
}

/// The same polls written one at a time, each in a transaction of its own.
fn one_at_a_time(n: usize, rounds: &[u64], skip: Option<usize>) -> Vec<String> {
    let (_dir, store) = handle();
    let agents = agents(&store, n);
    for &round in rounds {
        for (i, &agent) in agents.iter().enumerate() {
            if skip == Some(i) && round == *rounds.last().unwrap() {
                continue;
            }
            let doc = busy(i, round);
            store
                .write_blocking(move |s| s.ingest(agent, &doc, t(1)).map(|_| ()))
                .unwrap();
        }
    }
    ledger(&store)
}

#[test]
fn a_group_of_polls_writes_in_as_many_statements_whatever_its_size() {
    let (_dir, store) = handle();
    let agents = agents(&store, 32);
    let mut reads = ReadAhead::default();
    Store::ingest_reads(agents[0], &busy(0, 1), &mut reads);
    // The statements a group of the first `n` agents' polls sends, less its plain reads (one
    // each, in one flight; its keyed reads, of one key each, go out together as its writes).
    let writes = |n: usize, round: u64| {
        let before = store.writer_stats();
        for outcome in polls_with(&store, &agents[..n], |i| busy(i, round), None) {
            assert_eq!(outcome.unwrap().new_api_calls, 3);
        }
        let after = store.writer_stats();
        (after.statements - before.statements).saturating_sub((n * reads.plain()) as u64)
    };
    // The first groups of each size prepare their statements' shapes.
    writes(8, 1);
    writes(32, 2);
    let eight = writes(8, 3);
    let all = writes(32, 4);
    match baton_testdb::engine() {
        baton_testdb::Engine::Postgres => {
            // Statements of 256 rows, 128, …, 8, …: one poll's rows of a kind more or less
            // can make a statement more or less (an hour's usage is 60 minutes' rows a poll),
            // not one per poll; a poll writes some ten kinds.
            assert!(
                all <= eight + 6,
                "32 polls in {all} statements, 8 in {eight}"
            );
            assert!(all < 32, "{all} statements for 32 polls");
        }
        baton_testdb::Engine::Sqlite => assert_eq!((all, eight), (0, 0)),
    }
}

#[test]
fn a_group_leaves_the_ledger_that_its_polls_leave_one_at_a_time() {
    let (_dir, store) = handle();
    let agents = agents(&store, 12);
    for round in [1, 2] {
        for outcome in polls_with(&store, &agents, |i| busy(i, round), None) {
            assert_eq!(outcome.unwrap().new_api_calls, 3);
        }
    }
    assert_eq!(ledger(&store), one_at_a_time(12, &[1, 2], None));
}

#[test]
fn a_write_of_the_group_that_fails_is_undone_alone_and_nothing_is_counted_twice() {
    for on_the_server in [true, false] {
        let (_dir, store) = handle();
        let agents = agents(&store, 12);
        for outcome in polls_with(&store, &agents, |i| busy(i, 1), None) {
            outcome.unwrap();
        }
        let outcomes = polls_with(&store, &agents, |i| busy(i, 2), Some((5, on_the_server)));
        for (i, outcome) in outcomes.iter().enumerate() {
            assert_eq!(outcome.is_ok(), i != 5, "write {i}: {outcome:?}");
        }
        assert_eq!(
            ledger(&store),
            one_at_a_time(12, &[1, 2], Some(5)),
            "failing on the server: {on_the_server}"
        );
    }
}

/// Agent `agent` asks for input on its task `t-1` (its event `seq`).
fn asks(agent: i64, seq: u64) -> Finding {
    Finding {
        kind: FindingKind::NeedsApproval,
        severity: Severity::Critical,
        agents: vec![agent],
        resource: None,
        summary: format!("Agent {agent} asks: go ahead?"),
        evidence: vec![EvidenceRef {
            agent_id: agent,
            seq,
        }],
        dedupe_key: format!("needs_approval:{agent}:t-1:{seq}"),
        continues: None,
    }
}

/// Every agent asks for input on its task `t-1` (its event `seq`), and its request is open;
/// then, in one group, every task moves on (the `fails` poll failing as
/// [`super::read_first`]'s polls do): each poll's number of requests settled, and the round
/// trips of that group.
fn ask_then_move_on(
    store: &StoreHandle,
    agents: &[i64],
    seq: u64,
    fails: Option<(usize, bool)>,
) -> (Vec<usize>, u64, u64) {
    let asking = move |_| {
        let ask = Event {
            task_id: Some("t-1".into()),
            ..Event::new(
                seq,
                t(i64::try_from(seq).unwrap()),
                EventKind::NeedsApproval,
            )
        };
        doc(
            vec![task("t-1", TaskState::InputRequired)],
            vec![ask],
            &seq.to_string(),
        )
    };
    for outcome in polls_with(store, agents, asking, None) {
        outcome.unwrap();
    }
    let findings: Vec<Finding> = agents.iter().map(|&a| asks(a, seq)).collect();
    store
        .write_blocking(move |s| s.record_findings(&findings, t(2)).map(|_| ()))
        .unwrap();
    let working = |_| {
        doc(
            vec![task("t-1", TaskState::Working)],
            vec![],
            &seq.to_string(),
        )
    };
    let before = store.writer_stats();
    let settled = polls_with(store, agents, working, fails)
        .iter()
        .map(|o| o.as_ref().map_or(0, |s| s.settled_requests.len()))
        .collect();
    let after = store.writer_stats();
    (
        settled,
        after.round_trips - before.round_trips,
        after.statements - before.statements,
    )
}

#[test]
fn polls_of_one_group_that_settle_requests_chain_their_decisions_reading_the_head_once() {
    for fails in [None, Some((3, true)), Some((3, false))] {
        let (_dir, store) = handle();
        let agents = agents(&store, 8);
        // The first rounds prepare the statements' shapes; the third is measured.
        for round in 1..=2 {
            assert_eq!(ask_then_move_on(&store, &agents, round, None).0, vec![1; 8]);
        }
        let (settled, trips, statements) = ask_then_move_on(&store, &agents, 3, fails);
        let expected: Vec<usize> = (0..8)
            .map(|i| usize::from(fails.map(|f| f.0) != Some(i)))
            .collect();
        assert_eq!(settled, expected, "failing: {fails:?}");
        let (chain, settled_in_log) = store
            .read_blocking(|s| {
                let log = s.decisions(&DecisionFilter::default())?;
                Ok((
                    s.verify_decisions()?,
                    log.iter().filter(|d| d.action == "settled").count(),
                ))
            })
            .unwrap();
        assert!(matches!(chain, ChainCheck::Ok { .. }), "{chain:?}");
        assert_eq!(settled_in_log, 16 + expected.iter().sum::<usize>());
        // Every row of the feed carries the number of a committed transaction (its rows went
        // out before the head moved), and each settled item is in it.
        let (head, feed) = store
            .read_blocking(|s| Ok((s.change_head()?, s.changes_after(0, 100_000)?.changes)))
            .unwrap();
        assert!(feed.iter().all(|c| c.seq <= head), "head {head}: {feed:?}");
        let items_changed = feed
            .iter()
            .filter(|c| c.kind == crate::changes::ChangeKind::EscalationChanged)
            .count();
        assert!(items_changed >= 16 + expected.iter().sum::<usize>());
        // The commit of the write that held the writer, the group's reads, the log's head
        // once, its writes with its end and the commit: not a trip per request settled. And
        // the decisions, the items resolved, their findings closed, each kind's rows in a
        // statement or two: 20 statements (64 when the feed's rows, which each settling poll
        // writes among its other kinds, sent what waited, and each decision, item and
        // finding went as a statement of its own).
        if fails.is_none() && baton_testdb::engine() == baton_testdb::Engine::Postgres {
            assert!(trips <= 5, "{trips} round trips for 8 settling polls");
            assert!(
                statements <= 24,
                "{statements} statements for 8 settling polls"
            );
        }
    }
}
