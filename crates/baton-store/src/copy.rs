//! `baton store copy`: every table of one store into another, empty, one (SQLite into
//! PostgreSQL when a person outgrows one machine, or back), in one transaction of the target:
//! all of it lands, or none. Rows keep their ids; the history the target's own triggers would
//! write as rows arrive is replaced by the source's; PostgreSQL's id sequences are moved past
//! the copied ids. The decision log's chain is verified on the target after the copy, and each
//! table's row count compared.

use crate::db::{as_params, params, Dialect, Kind, Owned, Value};
use crate::error::{Result, StoreError};
use crate::{ChainCheck, Store};

/// Tables in an order their references allow (a row's referenced rows come first).
/// `findings.escalation_id` points at a later table: it is copied after `escalations`.
pub(crate) const ORDER: &[&str] = &[
    "texts",
    "agents",
    "agent_history",
    "tasks",
    "task_history",
    "events",
    "event_minutes",
    "usage_samples",
    "rules",
    "findings",
    "decisions",
    "escalations",
    "outbox",
    "manifests",
    "handoff_schemas",
    "dead_letters",
    "api_minutes",
    "api_limits",
    "api_quotas",
    "api_settings",
    "header_issues",
    "api_budgets",
    "a2a_cards",
    "sessions",
    "subagents",
    "otel_agents",
    "leases",
    "lease_exemptions",
    "parallel_edits",
    "parallel_edit_branches",
    "parallel_edit_pairs",
    "parallel_choices",
    "session_usage",
    "usage_sources",
    "usage_windows",
    "usage_window_samples",
    "agent_days",
    "api_costs",
    "prices",
    "agent_budgets",
    "baton_settings",
    "unchecked_calls",
    "store_links",
    "notify_routes",
    "notify_batches",
    "notify_sent",
    "notify_answers",
];

/// Tables that are the engine's own or say who runs now: not copied.
/// The change feed is what happened in the source, for the source's readers.
pub(crate) const NOT_COPIED: &[&str] = &[
    "watchers",
    "decisions_head",
    "watcher_runs",
    "watch_leases",
    "changes",
    "changes_head",
];

/// Tables the target's triggers write into as rows arrive: emptied before the source's rows.
const WRITTEN_BY_TRIGGERS: &[&str] = &["agent_history", "task_history"];

/// Columns that are ids PostgreSQL draws from a sequence: moved past the copied ones.
const IDENTITIES: &[(&str, &str)] = &[
    ("texts", "id"),
    ("agents", "id"),
    ("agent_history", "version"),
    ("task_history", "version"),
    ("rules", "id"),
    ("findings", "id"),
    ("escalations", "id"),
    ("outbox", "id"),
    ("dead_letters", "id"),
    ("notify_routes", "id"),
    ("notify_batches", "id"),
];

/// How far a copy has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyProgress<'a> {
    pub table: &'a str,
    pub copied: u64,
    pub total: u64,
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Each table with the rows copied.
    pub tables: Vec<(String, u64)>,
    /// The decision log's entries, verified on the target.
    pub decisions: u64,
}

/// Copies `from` into `to`, which must be empty; `progress` hears of each few thousand rows.
pub fn copy_store(
    from: &Store,
    to: &mut Store,
    mut progress: impl FnMut(CopyProgress<'_>),
) -> Result<CopyReport> {
    let source = from.db().columns()?;
    let target = to.db().columns()?;
    let (from_version, to_version) = (from.schema_version()?, to.schema_version()?);
    if from_version != to_version {
        return Err(StoreError::InvalidLocation(format!(
            "the stores are at schema versions {from_version} and {to_version}: open both with \
             this Baton first (`baton store migrate`)"
        )));
    }
    for (table, _) in &source {
        if !ORDER.contains(&table.as_str()) && !NOT_COPIED.contains(&table.as_str()) {
            return Err(StoreError::Corrupt(format!(
                "table {table} is not one Baton knows how to copy"
            )));
        }
    }
    let occupied: i64 = to.db().query_row(
        "SELECT (SELECT count(*) FROM agents) + (SELECT count(*) FROM decisions)
              + (SELECT count(*) FROM rules)",
        params![],
        |row| row.get(0),
    )?;
    if occupied > 0 {
        return Err(StoreError::InvalidLocation(
            "the store to copy into is not empty (it has agents, rules or decisions): copy into \
             a new database"
                .into(),
        ));
    }
    let mut report = CopyReport {
        tables: Vec::new(),
        decisions: 0,
    };
    to.all_or_nothing(|to| -> Result<()> {
        for &table in ORDER {
            let columns = match target.iter().find(|(t, _)| t == table) {
                Some((_, columns)) => columns.clone(),
                None => continue,
            };
            if !source.iter().any(|(t, _)| t == table) {
                continue;
            }
            if WRITTEN_BY_TRIGGERS.contains(&table) {
                to.db()
                    .execute(&format!("DELETE FROM {table}"), params![])?;
            }
            let copied = copy_table(from, to, table, &columns, &mut progress)?;
            report.tables.push((table.to_owned(), copied));
        }
        link_findings(from, to)?;
        if to.dialect() == Dialect::Postgres {
            for (table, column) in IDENTITIES {
                to.db().query_row(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                                       coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
                    ),
                    params![],
                    |_| Ok(()),
                )?;
            }
        }
        Ok(())
    })?;
    for (table, copied) in &report.tables {
        let there: i64 =
            to.db()
                .query_row(&format!("SELECT count(*) FROM {table}"), params![], |row| {
                    row.get(0)
                })?;
        if u64::try_from(there).ok() != Some(*copied) {
            return Err(StoreError::Corrupt(format!(
                "{table}: {copied} rows copied but {there} in the target"
            )));
        }
    }
    match to.verify_decisions()? {
        ChainCheck::Ok { entries } => report.decisions = entries,
        ChainCheck::Broken { seq, reason } => {
            return Err(StoreError::Corrupt(format!(
                "the decision log's chain does not verify after the copy: entry {seq}: {reason}"
            )))
        }
    }
    Ok(report)
}

/// Each finding's escalation, once escalations are copied (findings come first: escalations
/// point at them too).
fn link_findings(from: &Store, to: &Store) -> Result<()> {
    let links: Vec<(i64, i64)> = from.db().query_map(
        "SELECT id, escalation_id FROM findings WHERE escalation_id IS NOT NULL",
        params![],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    for (id, escalation) in links {
        to.db().execute(
            "UPDATE findings SET escalation_id = ?2 WHERE id = ?1",
            params![id, escalation],
        )?;
    }
    Ok(())
}

/// Rows read from the source per round.
const PAGE: i64 = 5_000;

/// One table, page by page in its own order (`rowid`-free: by every column of its key, as
/// the first column orders most tables well enough and the rest break ties).
fn copy_table(
    from: &Store,
    to: &Store,
    table: &str,
    columns: &[(String, Kind)],
    progress: &mut impl FnMut(CopyProgress<'_>),
) -> Result<u64> {
    let total: i64 =
        from.db()
            .query_row(&format!("SELECT count(*) FROM {table}"), params![], |row| {
                row.get(0)
            })?;
    let total = u64::try_from(total).unwrap_or(0);
    let names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    let list = names.join(", ");
    // findings first without their escalation, which is copied after (see ORDER).
    let deferred = (table == "findings").then_some("escalation_id");
    let insert_columns: Vec<&str> = names
        .iter()
        .copied()
        .filter(|c| Some(*c) != deferred)
        .collect();
    let placeholders: Vec<String> = (1..=insert_columns.len())
        .map(|i| format!("?{i}"))
        .collect();
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        insert_columns.join(", "),
        placeholders.join(", ")
    );
    let order: Vec<String> = (1..=names.len()).map(|i| i.to_string()).collect();
    let select = format!(
        "SELECT {list} FROM {table} ORDER BY {} LIMIT ?1 OFFSET ?2",
        order.join(", ")
    );
    let mut copied = 0u64;
    let mut offset = 0i64;
    loop {
        let rows: Vec<Vec<Owned>> = from.db().query_map(&select, params![PAGE, offset], |row| {
            (0..names.len()).map(|i| row.get::<Owned>(i)).collect()
        })?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let values: Vec<Value> = row
                .iter()
                .zip(columns)
                .filter(|(_, (name, _))| Some(name.as_str()) != deferred)
                .map(|(value, (_, kind))| value.value(*kind))
                .collect();
            to.db().execute(&insert, &as_params(&values))?;
        }
        copied += rows.len() as u64;
        offset += PAGE;
        progress(CopyProgress {
            table,
            copied,
            total,
        });
    }
    Ok(copied)
}
