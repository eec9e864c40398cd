//! Writes that read first (`ReadFirst`, a poll's): the writer runs those waiting as one group
//! in a few round trips; a write of the group that fails, on its own or on the server, fails
//! alone and the others stand.

use super::support::{doc, draft, t, task, write_event};
use super::writer::{handle, hold_the_writer};
use crate::db::{params, ReadAhead, ReadRows};
use crate::{IngestSummary, ReadFirst, Store, StoreError, StoreHandle};
use baton_core::protocol::StatusDocument;
use baton_core::task::TaskState;

/// One poll's ingest, as a write that reads first.
pub(super) struct Ingest {
    agent: i64,
    doc: StatusDocument,
    /// Also writes this, and fails after it on its own (`Some(false)`) or on the server
    /// (`Some(true)`: a row whose id is taken).
    fails: Option<bool>,
}

impl ReadFirst for Ingest {
    type Output = IngestSummary;

    fn key(&self) -> i64 {
        self.agent
    }

    fn reads(&self, ahead: &mut ReadAhead) {
        Store::ingest_reads(self.agent, &self.doc, ahead);
    }

    fn write(&self, store: &mut Store, rows: &mut ReadRows) -> crate::Result<IngestSummary> {
        let summary =
            store.ingest_read_ahead(self.agent, &self.doc, &Default::default(), t(1), rows)?;
        match self.fails {
            None => Ok(summary),
            Some(on_the_server) => {
                store.db().execute_later(
                    "INSERT INTO agents SELECT * FROM agents WHERE id = ?1",
                    params![self.agent],
                )?;
                if on_the_server {
                    Ok(summary)
                } else {
                    Err(StoreError::Corrupt("this write fails on its own".into()))
                }
            }
        }
    }
}

/// `n` new agents' ids.
pub(super) fn agents(store: &StoreHandle, n: usize) -> Vec<i64> {
    store
        .write_blocking(move |s| {
            (0..n)
                .map(|i| Ok(s.add_agent(&draft(&format!("Agent {i}")))?.id))
                .collect()
        })
        .unwrap()
}

/// A poll of two events for each of `agents` waiting for the writer (held meanwhile), the
/// `fails` one failing as [`Ingest::fails`] says; each poll's outcome, in order.
fn polls_together(
    store: &StoreHandle,
    agents: &[i64],
    first_seq: u64,
    fails: Option<(usize, bool)>,
) -> Vec<crate::Result<IngestSummary>> {
    let seq = first_seq;
    let two_writes = |_| {
        doc(
            vec![task("t1", TaskState::Working)],
            vec![write_event(seq, "t1"), write_event(seq + 1, "t1")],
            &(seq + 1).to_string(),
        )
    };
    polls_with(store, agents, two_writes, fails)
}

/// A poll of `doc_of(i)` for each agent `i` of `agents`, waiting for the writer together (held
/// meanwhile), the `fails` one failing as [`Ingest::fails`] says; each poll's outcome, in
/// order.
pub(super) fn polls_with(
    store: &StoreHandle,
    agents: &[i64],
    doc_of: impl Fn(usize) -> StatusDocument,
    fails: Option<(usize, bool)>,
) -> Vec<crate::Result<IngestSummary>> {
    let held = hold_the_writer(store);
    let waiting: Vec<_> = agents
        .iter()
        .enumerate()
        .map(|(i, &agent)| {
            let fails = fails.and_then(|(which, server)| (which == i).then_some(server));
            store.writer().submit_read_first(Ingest {
                agent,
                doc: doc_of(i),
                fails,
            })
        })
        .collect();
    held.release();
    waiting
        .into_iter()
        .map(|reply| reply.blocking_recv().unwrap())
        .collect()
}

#[test]
fn polls_waiting_together_are_one_group_in_a_few_round_trips_on_postgres() {
    let (_dir, store) = handle();
    // The first groups prepare their statements (a group's rows of a kind go in statements
    // of a few sizes, which depend on how many it holds); the last only runs them.
    let agents = agents(&store, 40);
    for first_seq in [1, 3] {
        for outcome in polls_together(&store, &agents, first_seq, None) {
            assert_eq!(outcome.unwrap().new_events, 2);
        }
    }
    let before = store.writer_stats();
    let outcomes = polls_together(&store, &agents, 5, None);
    let after = store.writer_stats();
    for outcome in outcomes {
        let summary = outcome.unwrap();
        assert_eq!((summary.new_events, summary.duplicate_events), (2, 0));
        assert!(summary.changed_tasks.is_empty(), "the task is as stored");
    }
    // The write that held the writer commits (one round trip); then the group: its reads in
    // one flight, its writes with the group's end, and the commit. SQLite makes no groups:
    // each write runs alone, as any other.
    let trips = after.round_trips - before.round_trips;
    match baton_testdb::engine() {
        baton_testdb::Engine::Postgres => {
            assert_eq!(after.largest_group, 40, "{after:?}");
            assert!(trips <= 4, "{trips} round trips");
        }
        baton_testdb::Engine::Sqlite => {
            assert_eq!((after.groups, trips), (0, 0), "{after:?}");
        }
    }
    let counts = store
        .read_blocking(|s| {
            s.agents()?
                .iter()
                .map(|a| s.event_seq_summary(a.id))
                .collect::<crate::Result<Vec<_>>>()
        })
        .unwrap();
    assert!(counts.iter().all(|c| *c == (6, 1, 6, 6)), "{counts:?}");
}

#[test]
fn a_write_that_fails_on_the_server_fails_alone_and_its_group_stands() {
    let (_dir, store) = handle();
    let outcomes = polls_together(&store, &agents(&store, 12), 1, Some((5, true)));
    for (i, outcome) in outcomes.iter().enumerate() {
        match (i, outcome) {
            (5, Err(err)) => assert!(
                err.to_string().to_lowercase().contains("duplicate")
                    || err.to_string().contains("UNIQUE"),
                "the write's own error: {err}"
            ),
            (5, Ok(_)) => panic!("the write whose row is refused stands"),
            (_, outcome) => assert_eq!(outcome.as_ref().unwrap().new_events, 2, "write {i}"),
        }
    }
    let events = stored_events(&store);
    assert_eq!(
        events.iter().filter(|(_, n)| *n == 2).count(),
        11,
        "{events:?}"
    );
    assert_eq!(events[5].1, 0, "nothing of the failed write is kept");
}

#[test]
fn a_write_that_fails_on_its_own_is_undone_alone() {
    let (_dir, store) = handle();
    let outcomes = polls_together(&store, &agents(&store, 6), 1, Some((2, false)));
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.is_ok(), i != 2, "write {i}: {outcome:?}");
    }
    let events = stored_events(&store);
    assert_eq!(
        events.iter().map(|e| e.1).collect::<Vec<_>>(),
        [2, 2, 0, 2, 2, 2]
    );
    let agents = store.read_blocking(|s| s.agents()).unwrap();
    assert_eq!(agents.len(), 6);
}

/// Each agent's id and how many events it has stored, by id.
fn stored_events(store: &StoreHandle) -> Vec<(i64, i64)> {
    store
        .read_blocking(|s| {
            let mut agents = s.agents()?;
            agents.sort_by_key(|a| a.id);
            agents
                .iter()
                .map(|a| Ok((a.id, s.event_seq_summary(a.id)?.0)))
                .collect()
        })
        .unwrap()
}
