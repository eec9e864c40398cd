//! How the server finds what a poll reads: by the read's key, whatever the fleet's size. A
//! plan that filters the whole fleet's rows for each key runs inside the poll's write, and on
//! a shared store every watcher waits for the store's write lock meanwhile.

use super::support::*;
use crate::db::{params, Param};
use crate::ledger::REPORT_READ;
use crate::{Dialect, Store};

/// How the engine runs `sql` with `values`, in its own words (one line per step). On
/// PostgreSQL without sequential scans: the test is which index, not whether a small table is
/// read whole. No `ANALYZE` first: a store a fleet has just started filling has no statistics
/// yet (without them, PostgreSQL took an index on api and window start over the primary key).
fn plan(store: &Store, sql: &str, values: &[&dyn Param]) -> String {
    let lines = match store.dialect() {
        Dialect::Sqlite => {
            store
                .db()
                .query_map(&format!("EXPLAIN QUERY PLAN {sql}"), values, |row| {
                    row.get::<String>(3)
                })
        }
        Dialect::Postgres => {
            store
                .db()
                .execute_batch("SET enable_seqscan = off")
                .unwrap();
            store
                .db()
                .query_map(&format!("EXPLAIN {sql}"), values, |row| {
                    row.get::<String>(0)
                })
        }
    };
    lines.unwrap().join("\n")
}

#[test]
fn a_polls_usage_windows_are_read_by_their_key_not_among_the_fleets() {
    let mut store = fresh_store();
    let window = "2026-05-01T12:00:00.000000000Z";
    // A fleet on one provider: every agent reports the api's window at `window`, and 25 minutes
    // of its own (so that an api and a window start seem to name about one row, as in a real
    // fleet; the one of them that is `window` itself is already there).
    let mut ids = Vec::new();
    for i in 0..40 {
        let id = store.add_agent(&draft(&format!("Agent {i}"))).unwrap().id;
        let minutes = (0..25).map(|m| format!("2026-05-01T{:02}:{m:02}:00.000000000Z", i % 24));
        for start in std::iter::once(window.to_owned()).chain(minutes) {
            store
                .db()
                .execute(
                    "INSERT INTO usage_samples (agent_id, api, key, window_start, window_seconds,
                                                requests, tokens, rate_limited, reported_at)
                     VALUES (?1, 'openai', 'shared', ?2, 60, 1, 10, 0, ?2)
                     ON CONFLICT DO NOTHING",
                    params![id, start],
                )
                .unwrap();
        }
        ids.push(id);
    }
    let by_key = |plan: &str| match store.dialect() {
        Dialect::Sqlite => {
            plan.contains("PRIMARY KEY (agent_id=? AND api=? AND key=? AND window_start=?)")
        }
        Dialect::Postgres => plan.contains("usage_samples_pkey") && !plan.contains("Filter"),
    };
    let one = plan(
        &store,
        REPORT_READ.single(),
        params![ids[7], "openai", "shared", window],
    );
    assert!(by_key(&one), "one window's read:\n{one}");
    if store.dialect() == Dialect::Postgres {
        // A group's reads in one statement.
        let many = plan(
            &store,
            REPORT_READ.text(2),
            params![ids[7], "openai", "shared", window, ids[9], "openai", "shared", window],
        );
        assert!(by_key(&many), "a group's reads:\n{many}");
    }
}
