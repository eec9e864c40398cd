//! Ownership rules, with every change audited in the decision log in the SAME transaction as
//! the change: action `rule.add` / `rule.update` / `rule.remove`, subject `rule:<id>`, detail
//! `{"before": <rule or null>, "after": <rule or null>}`.
//!
//! The store checks only the shape it needs: a non-blank pattern and owner, non-blank readers,
//! and an SLA that is positive and fits SQLite's INTEGER. **Callers validate the pattern syntax
//! first** (baton-core's rules module owns the pattern language); the store keeps what it is
//! given.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, Row};
use baton_core::rules::{Rule, RuleKind, StoredRule};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::codec::{corrupt, from_sql_int, json_list, parse_json_list, parse_ts, ts};
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::Store;

const COLS: &str =
    "id, kind, pattern, owner, readers, sla_seconds, note, created_at, updated_at, sequence";

/// Kinds in `RuleKind` order, then pattern, owner and id: the order of `baton.toml`.
const ORDER: &str = "ORDER BY CASE kind WHEN 'trigger' THEN 0 WHEN 'data' THEN 1 \
     WHEN 'output' THEN 2 ELSE 3 END, pattern, owner, id";

/// What [`Store::replace_rules`] did. Ids are in the order the changes were made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplaceSummary {
    pub added: Vec<i64>,
    /// Rules whose kind and pattern stayed while owner, readers, SLA or note changed.
    pub updated: Vec<i64>,
    pub removed: Vec<i64>,
    /// Rules identical in the store and the import: they keep their ids and get no entry.
    pub unchanged: usize,
}

fn invalid(field: &'static str, message: &str) -> StoreError {
    StoreError::InvalidRule {
        field,
        message: message.to_owned(),
    }
}

/// The minimal shape the store needs (see the module docs: pattern syntax is checked upstream).
pub(crate) fn validate(rule: &Rule) -> Result<()> {
    if rule.pattern.trim().is_empty() {
        return Err(invalid("pattern", "the pattern must not be empty"));
    }
    if rule.owner.trim().is_empty() {
        return Err(invalid("owner", "the owner must not be empty"));
    }
    if rule.readers.iter().any(|reader| reader.trim().is_empty()) {
        return Err(invalid("readers", "a reader must not be empty"));
    }
    if rule.sequence.iter().any(|agent| agent.trim().is_empty()) {
        return Err(invalid(
            "sequence",
            "an agent in the sequence must not be empty",
        ));
    }
    if let Some(sla) = rule.sla_seconds {
        if sla == 0 || i64::try_from(sla).is_err() {
            return Err(invalid(
                "sla_seconds",
                "the SLA must be at least one second and at most 2^63 - 1",
            ));
        }
    }
    Ok(())
}

pub(crate) fn read_rule(row: &Row<'_>) -> Result<StoredRule> {
    let kind: String = row.get(1)?;
    Ok(StoredRule {
        id: row.get(0)?,
        rule: Rule {
            kind: RuleKind::parse(&kind).ok_or_else(|| corrupt("rule kind", &kind))?,
            pattern: row.get(2)?,
            owner: row.get(3)?,
            readers: parse_json_list(&row.get::<String>(4)?)?,
            sequence: parse_json_list(&row.get::<String>(9)?)?,
            sla_seconds: row
                .get::<Option<i64>>(5)?
                .map(|sla| from_sql_int(sla, "sla_seconds"))
                .transpose()?,
            note: row.get(6)?,
        },
        created_at: parse_ts(&row.get::<String>(7)?)?,
        updated_at: parse_ts(&row.get::<String>(8)?)?,
    })
}

pub(crate) fn rule_in(conn: &Db, id: i64) -> Result<StoredRule> {
    let stmt_sql = &format!("SELECT {COLS} FROM rules WHERE id = ?1");
    let found = conn.query_opt(stmt_sql, params![id], |row| Ok(read_rule(row)))?;
    found.ok_or(StoreError::RuleNotFound(id))?
}

/// Every rule, in their order: the statement (its rows read by [`read_rule`]).
pub(crate) fn all_rules_sql() -> String {
    format!("SELECT {COLS} FROM rules {ORDER}")
}

pub(crate) fn rules_in(conn: &Db) -> Result<Vec<StoredRule>> {
    let stmt_sql = &all_rules_sql();
    let mut rules = Vec::new();
    conn.query_each(stmt_sql, params![], |row| {
        rules.push(read_rule(row)?);
        Ok(())
    })?;
    Ok(rules)
}

/// `sla_seconds` as stored; [`validate`] has bounded it.
fn sla(rule: &Rule) -> Option<i64> {
    rule.sla_seconds.and_then(|sla| i64::try_from(sla).ok())
}

pub(crate) fn insert_in(tx: &Db, rule: &Rule, now: DateTime<Utc>) -> Result<i64> {
    tx.query_row(
        "INSERT INTO rules (kind, pattern, owner, readers, sla_seconds, note, created_at,
                            updated_at, sequence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) RETURNING id",
        params![
            rule.kind.as_str(),
            rule.pattern,
            rule.owner,
            json_list(&rule.readers),
            sla(rule),
            rule.note,
            ts(now),
            json_list(&rule.sequence),
        ],
        |row| row.get(0),
    )
}

pub(crate) fn update_in(tx: &Db, id: i64, rule: &Rule, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE rules SET kind = ?2, pattern = ?3, owner = ?4, readers = ?5, sla_seconds = ?6,
                          note = ?7, updated_at = ?8, sequence = ?9
         WHERE id = ?1",
        params![
            id,
            rule.kind.as_str(),
            rule.pattern,
            rule.owner,
            json_list(&rule.readers),
            sla(rule),
            rule.note,
            ts(now),
            json_list(&rule.sequence),
        ],
    )?;
    Ok(())
}

/// The audit entry of one change, in the change's transaction.
pub(crate) fn audit_in(
    tx: &Db,
    who: &str,
    action: &str,
    id: i64,
    (before, after): (Option<&Rule>, Option<&Rule>),
    at: DateTime<Utc>,
) -> Result<()> {
    let draft = NewDecision::new(who, action, &format!("rule:{id}"))
        .at(at)
        .detail(json!({ "before": before, "after": after }));
    append_decision_in(tx, draft)?;
    changes::record(tx, ChangeKind::Rules, 0, "")
}

pub(crate) fn check_who(who: &str) -> Result<()> {
    if who.trim().is_empty() {
        return Err(invalid("who", "who made the change must be named"));
    }
    Ok(())
}

impl Store {
    /// Every rule, in a stable order: kind (trigger, data, output, exception), pattern, owner, id.
    pub fn rules(&self) -> Result<Vec<StoredRule>> {
        rules_in(&self.db)
    }

    /// One rule; [`StoreError::RuleNotFound`] when there is none with this id.
    pub fn rule(&self, id: i64) -> Result<StoredRule> {
        rule_in(&self.db, id)
    }

    /// Adds a rule and its `rule.add` entry. The caller has validated the pattern syntax.
    pub fn add_rule(&mut self, rule: &Rule, who: &str) -> Result<StoredRule> {
        validate(rule)?;
        check_who(who)?;
        let now = Utc::now();
        let tx = self.write_tx()?;
        let id = insert_in(&tx, rule, now)?;
        audit_in(&tx, who, "rule.add", id, (None, Some(rule)), now)?;
        let stored = rule_in(&tx, id)?;
        tx.commit()?;
        tracing::debug!(id, who, "rule added");
        Ok(stored)
    }

    /// Replaces rule `id` with `rule` and writes its `rule.update` entry. A rule equal to the
    /// stored one changes nothing and writes no entry. The caller has validated the pattern.
    pub fn update_rule(&mut self, id: i64, rule: &Rule, who: &str) -> Result<StoredRule> {
        validate(rule)?;
        check_who(who)?;
        let now = Utc::now();
        let tx = self.write_tx()?;
        let before = rule_in(&tx, id)?;
        if before.rule == *rule {
            return Ok(before);
        }
        update_in(&tx, id, rule, now)?;
        audit_in(
            &tx,
            who,
            "rule.update",
            id,
            (Some(&before.rule), Some(rule)),
            now,
        )?;
        let stored = rule_in(&tx, id)?;
        tx.commit()?;
        tracing::debug!(id, who, "rule updated");
        Ok(stored)
    }

    /// Removes rule `id` and writes its `rule.remove` entry.
    pub fn remove_rule(&mut self, id: i64, who: &str) -> Result<()> {
        check_who(who)?;
        let now = Utc::now();
        let tx = self.write_tx()?;
        let before = rule_in(&tx, id)?;
        tx.execute("DELETE FROM rules WHERE id = ?1", params![id])?;
        audit_in(&tx, who, "rule.remove", id, (Some(&before.rule), None), now)?;
        tx.commit()?;
        tracing::debug!(id, who, "rule removed");
        Ok(())
    }

    /// Makes the stored rules exactly `rules` (importing a whole `baton.toml`), in ONE
    /// transaction: on any error nothing changes. Rules identical to stored ones keep their ids;
    /// a stored rule with the same kind and pattern as an imported one is updated in place (it
    /// keeps its id); the other imported rules are added and the other stored ones removed. Each
    /// addition, update and removal writes its own entry. The caller has validated the patterns.
    pub fn replace_rules(&mut self, rules: &[Rule], who: &str) -> Result<ReplaceSummary> {
        for rule in rules {
            validate(rule)?;
        }
        check_who(who)?;
        let now = Utc::now();
        let tx = self.write_tx()?;
        let mut old: Vec<Option<StoredRule>> = rules_in(&tx)?.into_iter().map(Some).collect();
        let mut summary = ReplaceSummary::default();
        // Take the first still-unmatched stored rule that satisfies `fits`.
        let mut take = |fits: &dyn Fn(&Rule) -> bool| {
            old.iter_mut()
                .find(|slot| slot.as_ref().is_some_and(|stored| fits(&stored.rule)))
                .and_then(Option::take)
        };
        let mut changed = Vec::new();
        for rule in rules {
            if take(&|stored| stored == rule).is_some() {
                summary.unchanged += 1;
            } else {
                changed.push(rule);
            }
        }
        let mut added = Vec::new();
        for rule in changed {
            match take(&|stored| stored.kind == rule.kind && stored.pattern == rule.pattern) {
                Some(before) => {
                    update_in(&tx, before.id, rule, now)?;
                    let change = (Some(&before.rule), Some(rule));
                    audit_in(&tx, who, "rule.update", before.id, change, now)?;
                    summary.updated.push(before.id);
                }
                None => added.push(rule),
            }
        }
        for before in old.into_iter().flatten() {
            tx.execute("DELETE FROM rules WHERE id = ?1", params![before.id])?;
            audit_in(
                &tx,
                who,
                "rule.remove",
                before.id,
                (Some(&before.rule), None),
                now,
            )?;
            summary.removed.push(before.id);
        }
        for rule in added {
            let id = insert_in(&tx, rule, now)?;
            audit_in(&tx, who, "rule.add", id, (None, Some(rule)), now)?;
            summary.added.push(id);
        }
        tx.commit()?;
        tracing::debug!(?summary, who, "rules replaced");
        Ok(summary)
    }
}
