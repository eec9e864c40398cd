//! What the server's own upkeep may take from the writers. On a shared store autovacuum's pass
//! over the tables every poll grows runs beside the backends that hold the store's write lock;
//! the schema spreads it out on those tables (migration 26) rather than asking every team to
//! tune its server.

use super::support::*;
use crate::db::params;
use crate::Dialect;

/// The tables a busy fleet grows with every poll (`agents` and the one-row heads are not among
/// them: small, and rewritten all the time).
const GROWING: &[&str] = &[
    "agent_days",
    "agent_history",
    "api_costs",
    "api_minutes",
    "changes",
    "escalations",
    "event_minutes",
    "events",
    "findings",
    "task_history",
    "tasks",
    "usage_samples",
];

#[test]
fn autovacuum_passes_gently_over_the_tables_every_poll_grows() {
    let store = fresh_store();
    if store.dialect() != Dialect::Postgres {
        return; // SQLite has no autovacuum of that kind (its migration 26 changes nothing).
    }
    let gentle: Vec<String> = store
        .db()
        .query_map(
            "SELECT c.relname FROM pg_class c
              WHERE c.relnamespace = to_regnamespace(current_schema())::oid AND c.relkind = 'r'
                AND 'autovacuum_vacuum_cost_delay=10' = ANY (c.reloptions)
              ORDER BY c.relname",
            params![],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(gentle, GROWING);
}
