//! Handoff schemas (the JSON Schema a handoff's payload must satisfy, by handoff type) and the
//! dead-letter list (handoffs that failed theirs, kept whole). Schema changes are audited in the
//! decision log (`handoff_schema.set` / `handoff_schema.remove`, subject `handoff:<type>`).

use crate::db::{params, Db};
use baton_core::detect::handoff::{compile_schema, DeadLetter, SchemaViolation};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::codec::parse_json;
use crate::codec::{from_sql_int, parse_ts, to_sql_int, ts};
use crate::decisions::{append_decision_in, NewDecision};
use crate::error::{Result, StoreError};
use crate::rules::check_who;
use crate::Store;

/// Most dead letters one read returns (the newest).
pub const DEAD_LETTER_LIMIT: usize = 1_000;

impl Store {
    /// Sets the schema of `handoff_type` (checked: it must compile), audited.
    pub fn set_handoff_schema(
        &mut self,
        handoff_type: &str,
        schema: &Value,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        check_who(who)?;
        let tx = self.write_tx()?;
        set_handoff_schema_in(&tx, handoff_type, schema, who, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes the schema of `handoff_type` (its handoffs are no longer checked), audited.
    pub fn remove_handoff_schema(
        &mut self,
        handoff_type: &str,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        check_who(who)?;
        let tx = self.write_tx()?;
        if !remove_handoff_schema_in(&tx, handoff_type, who, now)? {
            return Err(StoreError::HandoffSchemaNotFound(
                handoff_type.trim().to_owned(),
            ));
        }
        tx.commit()?;
        Ok(())
    }

    /// Every schema, by handoff type.
    pub fn handoff_schemas(&self) -> Result<Vec<(String, Value)>> {
        let stmt_sql = "SELECT handoff_type, schema FROM handoff_schemas ORDER BY handoff_type";
        let mut all = Vec::new();
        self.db.query_each(stmt_sql, params![], |row| {
            let text: String = row.get(1)?;
            all.push((row.get(0)?, parse_json(&text, "handoff schema")?));
            Ok(())
        })?;
        Ok(all)
    }

    /// Keeps the dead letters (a handoff already kept is not kept twice); returns how many are new.
    pub fn record_dead_letters(
        &mut self,
        letters: &[DeadLetter],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        if letters.is_empty() {
            return Ok(0);
        }
        let tx = self.write_tx()?;
        let mut added = 0;
        for l in letters {
            added += tx.execute(
                "INSERT INTO dead_letters (agent_id, seq, at, handoff_type, receiver, payload,
                                           errors, recorded_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM agents WHERE id = ?1)
                 ON CONFLICT (agent_id, seq) DO NOTHING",
                params![
                    l.agent_id,
                    to_sql_int(l.seq, "seq")?,
                    ts(l.at),
                    l.handoff_type,
                    l.receiver,
                    l.payload.as_ref().map(|p| serde_json::to_string(p).expect("a JSON value always serialises")),
                    serde_json::to_string(&l.violations).expect("violations always serialise"),
                    ts(now),
                ],
            )?;
        }
        tx.commit()?;
        Ok(added)
    }

    /// The dead-letter list, newest first (at most [`DEAD_LETTER_LIMIT`]).
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        let stmt_sql =
            "SELECT agent_id, seq, at, handoff_type, receiver, payload, errors FROM dead_letters
             ORDER BY id DESC LIMIT ?1";
        let mut all = Vec::new();
        self.db.query_each(
            stmt_sql,
            params![i64::try_from(DEAD_LETTER_LIMIT).unwrap_or(i64::MAX)],
            |row| {
                let payload: Option<String> = row.get(5)?;
                let errors: String = row.get(6)?;
                all.push(DeadLetter {
                    agent_id: row.get(0)?,
                    seq: from_sql_int(row.get(1)?, "seq")?,
                    at: parse_ts(&row.get::<String>(2)?)?,
                    handoff_type: row.get(3)?,
                    receiver: row.get(4)?,
                    payload: payload
                        .as_deref()
                        .map(|p| parse_json(p, "dead letter payload"))
                        .transpose()?,
                    violations: parse_json::<Vec<SchemaViolation>>(&errors, "dead letter errors")?,
                });
                Ok(())
            },
        )?;
        Ok(all)
    }
}

/// Sets `handoff_type`'s schema in `tx` (it must compile) with its audit entry; nothing when it
/// is already that schema. True when it changed.
pub(crate) fn set_handoff_schema_in(
    tx: &Db,
    handoff_type: &str,
    schema: &Value,
    who: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    compile_schema(handoff_type, schema)
        .map_err(|err| StoreError::InvalidSchema(err.to_string()))?;
    let name = handoff_type.trim();
    let before: Option<String> = tx.query_opt(
        "SELECT schema FROM handoff_schemas WHERE handoff_type = ?1",
        params![name],
        |row| row.get(0),
    )?;
    let before: Option<Value> = before
        .as_deref()
        .map(|t| parse_json(t, "handoff schema"))
        .transpose()?;
    if before.as_ref() == Some(schema) {
        return Ok(false);
    }
    let text = serde_json::to_string(schema).expect("a JSON value always serialises");
    tx.execute(
        "INSERT INTO handoff_schemas (handoff_type, schema, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (handoff_type) DO UPDATE SET schema = ?2, updated_at = ?3",
        params![name, text, ts(now)],
    )?;
    append_decision_in(
        tx,
        NewDecision::new(who, "handoff_schema.set", &format!("handoff:{name}"))
            .at(now)
            .detail(json!({ "before": before, "after": schema })),
    )?;
    Ok(true)
}

/// Removes `handoff_type`'s schema in `tx` with its audit entry. False when there was none.
pub(crate) fn remove_handoff_schema_in(
    tx: &Db,
    handoff_type: &str,
    who: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let name = handoff_type.trim();
    let removed = tx.execute(
        "DELETE FROM handoff_schemas WHERE handoff_type = ?1",
        params![name],
    )?;
    if removed == 0 {
        return Ok(false);
    }
    append_decision_in(
        tx,
        NewDecision::new(who, "handoff_schema.remove", &format!("handoff:{name}")).at(now),
    )?;
    Ok(true)
}
