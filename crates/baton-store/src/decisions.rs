//! The decision log: append-only (SQL triggers refuse UPDATE and DELETE) and hash-chained.
//!
//! Entries are numbered `seq` = 1, 2, 3, … without gaps. Each entry's `hash` is the SHA-256, in
//! lower-case hex, of its `prev_hash` (the previous entry's `hash`; [`GENESIS_HASH`], 64 zeros,
//! for the first) immediately followed by the canonical JSON of its fields:
//!
//! ```text
//! {"action":…,"at":…,"detail":…,"escalation_id":…,"host":…,"reason":…,"seq":…,"subject":…,"who":…}
//! ```
//!
//! keys in that (byte) order, no whitespace, absent values as `null` — except `host` (the machine
//! the entry was made on, schema 20), which is left out when the entry has none, so entries
//! from before it keep their hashes —, `at` exactly as stored
//! (RFC 3339, UTC, nine fractional digits, `Z`) and `detail` as canonical JSON (object keys
//! sorted at every level, no whitespace). [`Store::verify_decisions`] recomputes the chain and
//! names the first entry that does not fit; the JSON Lines export carries every field, so the
//! chain can be checked outside Baton too.

use std::io::Write;

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, Dialect, Row, RowsSql};
pub use baton_core::decisions::{ChainCheck, DecisionEntry, LogTime};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::codec::{parse_ts, ts};
use crate::error::{Result, StoreError};
use crate::Store;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A stored entry's columns, in the order they are read and appended.
macro_rules! decision_columns {
    () => {
        "seq, at, who, action, subject, reason, escalation_id, detail, prev_hash, hash, host"
    };
}

const COLS: &str = decision_columns!();

/// Entries appended (a group's, in the order of their `seq`, in one statement on PostgreSQL: a
/// busy fleet's agents settle their own requests at every poll).
static APPENDED: RowsSql = RowsSql {
    before: concat!("INSERT INTO decisions (", decision_columns!(), ") VALUES"),
    columns: 11,
    after: "",
    key: &[],
    one: None,
    numbered: false,
    anytime: false,
};

/// A decision to append; the log gives it its `seq` and hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub at: DateTime<Utc>,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub reason: Option<String>,
    pub escalation_id: Option<i64>,
    pub detail: Option<Value>,
    /// The machine it is made on; None: this process's ([`crate::host::this_machine`]).
    pub host: Option<String>,
}

impl NewDecision {
    /// A decision taken now on this machine, with no reason, escalation or detail.
    pub fn new(who: &str, action: &str, subject: &str) -> NewDecision {
        NewDecision {
            at: Utc::now(),
            who: who.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            reason: None,
            escalation_id: None,
            detail: None,
            host: None,
        }
    }

    /// Made on machine `host` rather than this process's.
    pub fn host(mut self, host: &str) -> NewDecision {
        self.host = Some(host.to_owned());
        self
    }

    pub fn at(mut self, at: DateTime<Utc>) -> NewDecision {
        self.at = at;
        self
    }

    pub fn reason(mut self, reason: &str) -> NewDecision {
        self.reason = Some(reason.to_owned());
        self
    }

    pub fn escalation(mut self, id: i64) -> NewDecision {
        self.escalation_id = Some(id);
        self
    }

    pub fn detail(mut self, detail: Value) -> NewDecision {
        self.detail = Some(detail);
        self
    }
}

/// Which entries [`Store::decisions`] returns. Every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionFilter {
    /// Exactly this action.
    pub action: Option<String>,
    /// Subjects starting with this text (`rule:` for every rule).
    pub subject_prefix: Option<String>,
    /// Exactly this person.
    pub who: Option<String>,
    /// At most this many: the newest ones.
    pub limit: Option<usize>,
}

/// An entry's columns as stored, before any parsing: what the hash is computed over.
struct StoredEntry {
    seq: i64,
    at: String,
    who: String,
    action: String,
    subject: String,
    reason: Option<String>,
    escalation_id: Option<i64>,
    detail: Option<String>,
    prev_hash: String,
    hash: String,
    host: Option<String>,
}

fn read_stored(row: &Row<'_>) -> Result<StoredEntry> {
    Ok(StoredEntry {
        seq: row.get(0)?,
        at: row.get(1)?,
        who: row.get(2)?,
        action: row.get(3)?,
        subject: row.get(4)?,
        reason: row.get(5)?,
        escalation_id: row.get(6)?,
        detail: row.get(7)?,
        prev_hash: row.get(8)?,
        hash: row.get(9)?,
        host: row.get(10)?,
    })
}

impl StoredEntry {
    fn computed_hash(&self) -> String {
        let json = |text: &str| serde_json::to_string(text).expect("a string always serialises");
        let opt = |text: &Option<String>| text.as_deref().map_or("null".to_owned(), json);
        // `host` only when there is one: the entries from before schema 20 hash as they did.
        let host = self
            .host
            .as_deref()
            .map_or(String::new(), |host| format!(",\"host\":{}", json(host)));
        let canonical = format!(
            "{{\"action\":{},\"at\":{},\"detail\":{},\"escalation_id\":{}{host},\"reason\":{},\"seq\":{},\"subject\":{},\"who\":{}}}",
            json(&self.action),
            json(&self.at),
            self.detail.as_deref().unwrap_or("null"),
            self.escalation_id
                .map_or("null".to_owned(), |id| id.to_string()),
            opt(&self.reason),
            self.seq,
            json(&self.subject),
            json(&self.who),
        );
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(canonical.as_bytes());
        hex::encode(hasher.finalize())
    }

    fn into_entry(self) -> Result<DecisionEntry> {
        let detail = self
            .detail
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|err| StoreError::Corrupt(format!("bad decision detail: {err}")))?;
        let place = baton_core::notify::message::where_decided(detail.as_ref());
        Ok(DecisionEntry {
            seq: self.seq,
            at: LogTime(parse_ts(&self.at)?),
            who: self.who,
            action: self.action,
            subject: self.subject,
            reason: self.reason,
            escalation_id: self.escalation_id,
            detail,
            prev_hash: self.prev_hash,
            hash: self.hash,
            host: self.host,
            place,
        })
    }
}

/// `value` as canonical JSON: object keys sorted at every level, no whitespace.
pub(crate) fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).expect("a key always serialises"));
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Appends `draft` inside the caller's transaction, so a change and its log entry commit (or
/// roll back) together. The transaction should be IMMEDIATE (one writer appends at a time).
pub(crate) fn append_decision_in(tx: &Db, draft: NewDecision) -> Result<DecisionEntry> {
    // A transaction that appended before knows the head (on PostgreSQL: reading it would
    // send what a group of polls holds back, in a round trip of its own).
    let last: Option<(i64, String)> = match tx.known_chain_head() {
        Some(head) => Some(head),
        None => tx.query_opt(
            "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1",
            params![],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?,
    };
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let mut stored = StoredEntry {
        seq,
        at: ts(draft.at),
        who: draft.who,
        action: draft.action,
        subject: draft.subject,
        reason: draft.reason,
        escalation_id: draft.escalation_id,
        detail: draft.detail.as_ref().map(canonical_json),
        prev_hash,
        hash: String::new(),
        host: Some(draft.host.unwrap_or_else(crate::host::this_machine)),
    };
    stored.hash = stored.computed_hash();
    tx.note_chain_head(stored.seq, &stored.hash);
    // Nobody reads its count: on PostgreSQL it goes out with the next statement, in a group
    // with the group's other entries (a refusal, e.g. a role that may not decide, fails that
    // statement and the write with it).
    tx.write_row(
        &APPENDED,
        params![
            stored.seq,
            stored.at,
            stored.who,
            stored.action,
            stored.subject,
            stored.reason,
            stored.escalation_id,
            stored.detail,
            stored.prev_hash,
            stored.hash,
            stored.host,
        ],
    )?;
    changes::record(tx, ChangeKind::Decision, stored.seq, "")?;
    let mut entry = stored.into_entry()?;
    // Hand back the caller's value itself (the stored text is its canonical form).
    entry.detail = draft.detail;
    Ok(entry)
}

impl Store {
    /// Appends one decision to the log, in its own transaction.
    pub fn append_decision(&mut self, draft: NewDecision) -> Result<DecisionEntry> {
        let tx = self.write_tx()?;
        let entry = append_decision_in(&tx, draft)?;
        tx.commit()?;
        Ok(entry)
    }

    /// The entries matching `filter`, oldest first (with a limit: the newest `limit` of them).
    pub fn decisions(&self, filter: &DecisionFilter) -> Result<Vec<DecisionEntry>> {
        let limit = filter
            .limit
            .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let stmt_sql = &format!(
            "SELECT {COLS} FROM decisions
             WHERE (?1 IS NULL OR action = ?1)
               AND (?2 IS NULL OR substr(subject, 1, length(?2)) = ?2)
               AND (?3 IS NULL OR who = ?3)
             ORDER BY seq DESC LIMIT ?4"
        );
        let rows = self.db.query_map(
            stmt_sql,
            params![filter.action, filter.subject_prefix, filter.who, limit],
            read_stored,
        )?;
        let mut entries = rows
            .into_iter()
            .map(StoredEntry::into_entry)
            .collect::<Result<Vec<_>>>()?;
        entries.reverse();
        Ok(entries)
    }

    /// The entry numbered `seq`, if there is one.
    pub fn decision_entry(&self, seq: i64) -> Result<Option<DecisionEntry>> {
        let row = self.db.query_opt(
            &format!("SELECT {COLS} FROM decisions WHERE seq = ?1"),
            params![seq],
            read_stored,
        )?;
        row.map(StoredEntry::into_entry).transpose()
    }

    /// Recomputes the chain from the first entry and reports the first one that does not fit:
    /// a gap in `seq`, a `prev_hash` that is not the previous entry's hash, a `hash` that does
    /// not match the entry's contents, or entries missing at the end.
    pub fn verify_decisions(&self) -> Result<ChainCheck> {
        let stored = self.db.query_map(
            &format!("SELECT {COLS} FROM decisions ORDER BY seq"),
            params![],
            read_stored,
        )?;
        let (mut last_seq, mut expected_prev, mut entries) = (0_i64, GENESIS_HASH.to_owned(), 0);
        for entry in stored {
            let broken = |reason: String| ChainCheck::Broken {
                seq: entry.seq,
                reason,
            };
            if entry.prev_hash != expected_prev {
                return Ok(broken(if last_seq == 0 {
                    "the first entry does not start the chain".to_owned()
                } else {
                    format!("its prev_hash is not the hash of entry {last_seq}")
                }));
            }
            if entry.seq != last_seq + 1 {
                return Ok(broken(format!("entry {} is missing", last_seq + 1)));
            }
            if entry.computed_hash() != entry.hash {
                return Ok(broken("its contents do not match its hash".to_owned()));
            }
            (last_seq, expected_prev) = (entry.seq, entry.hash);
            entries += 1;
        }
        // The highest seq ever used is kept (sqlite_sequence, decisions_head): rows cut from the end
        // show against it.
        let highest: Option<i64> = match self.db.dialect() {
            Dialect::Sqlite => self.db.query_opt(
                "SELECT seq FROM sqlite_sequence WHERE name = 'decisions'",
                params![],
                |row| row.get(0),
            )?,
            Dialect::Postgres => {
                self.db
                    .query_opt("SELECT seq FROM decisions_head", params![], |row| {
                        row.get(0)
                    })?
            }
        };
        if highest.is_some_and(|highest| highest > last_seq) {
            return Ok(ChainCheck::Broken {
                seq: last_seq + 1,
                reason: format!("the entries after {last_seq} are missing"),
            });
        }
        Ok(ChainCheck::Ok { entries })
    }

    /// Writes every entry, oldest first, as JSON Lines (one object per line). Returns how many.
    pub fn export_decisions_jsonl(&self, out: &mut impl Write) -> Result<u64> {
        let mut written = 0;
        self.db.query_each(
            &format!("SELECT {COLS} FROM decisions ORDER BY seq"),
            params![],
            |row| {
                // What was hashed, nothing derived from it.
                let entry = DecisionEntry {
                    place: None,
                    ..read_stored(row)?.into_entry()?
                };
                serde_json::to_writer(&mut *out, &entry).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
                written += 1;
                Ok(())
            },
        )?;
        out.flush()?;
        Ok(written)
    }
}
