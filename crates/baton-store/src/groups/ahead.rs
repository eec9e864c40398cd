//! What filing reads of the queue before it files: a few flights for a whole run of new
//! findings rather than a round trip per finding on PostgreSQL (`read_before_filing`), the
//! ids of the items it may open, taken ahead (`next_item_ids_sql`), and the events the
//! evidence of those items' first findings names.

use baton_core::detect::FindingKind;
use baton_core::escalations::{Group, GROUP_WINDOW, MAX_OPEN_PER_SCOPE};
use chrono::{DateTime, Utc};

use super::filing::{Filing, Item, NewFinding};
use crate::codec::{parse_json, ts};
use crate::db::{params, Columns, Db, ReadAhead};
use crate::error::Result;
use crate::evidence::{evidence_read, evidence_reads};

/// The newest item of a group (`?1`) that took a finding since `?2` and has not expired; and
/// whether it is open.
pub(super) const TAKING_SQL: &str = "SELECT id, state = 'open' FROM escalations
      WHERE group_key = ?1 AND last_seen_at >= ?2 AND state != 'expired'
      ORDER BY id DESC LIMIT 1";

/// The open grouped items of a kind (`?1`) under a scope (`?2`) fresh since `?3`, newest first.
pub(super) const CROWDED_SQL: &str =
    "SELECT e.id FROM escalations e JOIN findings f ON f.id = e.finding_id
      WHERE e.state = 'open' AND e.group_key IS NOT NULL AND f.kind = ?1
        AND e.scope IS NOT DISTINCT FROM ?2 AND e.last_seen_at >= ?3
      ORDER BY e.id DESC LIMIT ?4";

/// An item as filing counts into it (`?1`): count, scope, resources, its lead finding and agents.
pub(super) const ITEM_SQL: &str = "SELECT e.occurrences, e.scope, e.resources, f.id, f.agents
      FROM escalations e JOIN findings f ON f.id = e.finding_id WHERE e.id = ?1";

/// Reads what filing `new` will ask of the queue, in a few flights rather than a round trip per
/// finding (PostgreSQL): the taking item of each group, the crowded items of each kind and
/// scope that may open one, then the items they name. What filing then changes it keeps up to
/// date in `filing` itself, as if each had been read when first asked.
pub(super) fn read_before_filing(
    tx: &Db,
    filing: &mut Filing,
    new: &[(i64, NewFinding)],
    groups: &[Option<Group>],
    now: DateTime<Utc>,
) -> Result<()> {
    let since = ts(now - GROUP_WINDOW);
    let mut keys: Vec<&str> = Vec::new();
    for group in groups.iter().flatten() {
        if !filing.taking.contains_key(&group.key) && !keys.contains(&group.key.as_str()) {
            keys.push(&group.key);
        }
    }
    let mut ahead = ReadAhead::default();
    for key in &keys {
        ahead.read(TAKING_SQL, params![*key, since]);
    }
    let mut rows = tx.read_ahead(&ahead)?;
    for key in keys {
        let found = match rows.take()?.first() {
            Some(row) => Some((row.get(0)?, row.get(1)?)),
            None => None,
        };
        filing.taking.insert(key.to_owned(), found);
    }
    let mut scopes: Vec<(FindingKind, Option<String>)> = Vec::new();
    for ((_, f), group) in new.iter().zip(groups) {
        let Some(group) = group else { continue };
        let at = (f.kind, group.scope.clone());
        if filing.taking.get(&group.key) == Some(&None)
            && !filing.crowded.contains_key(&at)
            && !scopes.contains(&at)
        {
            scopes.push(at);
        }
    }
    let mut ahead = ReadAhead::default();
    for (kind, scope) in &scopes {
        ahead.read(
            CROWDED_SQL,
            params![kind.as_str(), scope, since, MAX_OPEN_PER_SCOPE as i64],
        );
    }
    let mut rows = tx.read_ahead(&ahead)?;
    for at in scopes {
        let open = rows
            .take()?
            .iter()
            .map(|row| row.get::<i64>(0))
            .collect::<Result<Vec<i64>>>()?;
        filing.crowded.insert(at, open);
    }
    let mut items: Vec<i64> = filing
        .taking
        .values()
        .flatten()
        .map(|(item, _)| *item)
        .chain(
            filing
                .crowded
                .values()
                .filter(|open| open.len() >= MAX_OPEN_PER_SCOPE)
                .filter_map(|open| open.first().copied()),
        )
        .filter(|item| !filing.items.contains_key(item))
        .collect();
    items.sort_unstable();
    items.dedup();
    // At most one item opens per finding never grouped and per group with no taking item:
    // its first finding's, whose evidence names the task of an item of one agent.
    let mut opening: Vec<Option<&str>> = Vec::new();
    let mut openers: Vec<&(i64, NewFinding)> = Vec::new();
    for (finding, group) in new.iter().zip(groups) {
        let opens = match group {
            None => {
                opening.push(None);
                true
            }
            Some(g) if filing.taking.get(&g.key) == Some(&None) => {
                let first = !opening.contains(&Some(g.key.as_str()));
                if first {
                    opening.push(Some(&g.key));
                }
                first
            }
            Some(_) => false,
        };
        if opens && finding.1.agents.len() == 1 && !filing.evidence.contains_key(&finding.0) {
            openers.push(finding);
        }
    }
    let mut ahead = ReadAhead::default();
    for item in &items {
        ahead.read(ITEM_SQL, params![*item]);
    }
    for (_, f) in &openers {
        evidence_reads(&f.evidence, &mut ahead)?;
    }
    // Ids left from an earlier filing of this write are dropped when more are wanted: on
    // SQLite the next ones start after the highest stored, which they are not.
    let wanted = match filing.item_ids.len() >= opening.len() {
        true => 0,
        false => opening.len(),
    };
    if wanted > 0 {
        ahead.read(next_item_ids_sql(tx), params![wanted as i64]);
    }
    let mut rows = tx.read_ahead(&ahead)?;
    for item in items {
        if let Some(row) = rows.take()?.first() {
            filing.items.insert(item, item_of(row)?);
        }
    }
    for (id, f) in openers {
        filing
            .evidence
            .insert(*id, evidence_read(&mut rows, &f.evidence)?);
    }
    if wanted > 0 {
        filing.item_ids.clear();
        for row in rows.take()? {
            filing.item_ids.push(row.get(0)?);
        }
        // Taken from the end: the lowest first.
        filing.item_ids.sort_unstable_by(|a, b| b.cmp(a));
    }
    Ok(())
}

/// The next `?1` ids of `escalations`, taken ahead so that opening items costs no round trip
/// each (their inserts name their ids and go out with the write): on PostgreSQL from the
/// table's sequence; on SQLite after the highest ever given (the writer is the only one).
fn next_item_ids_sql(tx: &Db) -> &'static str {
    match tx.dialect() {
        crate::Dialect::Postgres => {
            "SELECT nextval(pg_get_serial_sequence('escalations', 'id'))
               FROM generate_series(1, ?1)"
        }
        crate::Dialect::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'escalations'), 0),
                        coalesce((SELECT max(id) FROM escalations), 0)) + i
               FROM n ORDER BY i"
        }
    }
}

/// An item from a row of [`ITEM_SQL`].
pub(super) fn item_of(row: &impl Columns) -> Result<Item> {
    Ok(Item {
        occurrences: row.column(0)?,
        scope: row.column(1)?,
        resources: parse_json(&row.column::<String>(2)?, "escalation resources")?,
        lead: row.column(3)?,
        agents: parse_json(&row.column::<String>(4)?, "finding agents")?,
    })
}
