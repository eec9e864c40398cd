//! Agent manifests: what an agent declares it triggers on, reads, writes and outputs to. One per
//! (agent, source): what the agent itself declares (`agent.declares` in its status document) and
//! what the user typed in Baton. Rows go with their agent.
//!
//! The store keeps the four lists as given; callers check the patterns first (baton-core's
//! `validate_manifest`). The manifest's `agent` name is not stored: on reading, it is the agent's
//! current name in Baton.

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, ReadAhead, ReadRows, Row, RowsSql};
use baton_core::protocol::Declares;
use baton_core::rules::manifest::AgentManifest;
pub use baton_core::rules::manifest::ManifestSource;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::codec::{corrupt, parse_ts, ts};
use crate::error::{Result, StoreError};
use crate::Store;

/// A manifest as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredManifest {
    pub agent_id: i64,
    pub source: ManifestSource,
    /// `agent` is the agent's current name in Baton.
    pub manifest: AgentManifest,
    pub updated_at: DateTime<Utc>,
}

/// The four lists of a manifest, stored as JSON without the agent's name.
fn encode(declares: &Declares) -> String {
    serde_json::to_string(declares).expect("lists of strings always serialise")
}

pub(crate) fn decode_lists(declares: &str) -> Result<Declares> {
    serde_json::from_str(declares)
        .map_err(|err| StoreError::Corrupt(format!("bad manifest {declares:?}: {err}")))
}

pub(crate) fn upsert(
    conn: &Db,
    agent_id: i64,
    source: ManifestSource,
    declares: &Declares,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.execute_later(
        "INSERT INTO manifests (agent_id, source, declares, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (agent_id, source)
         DO UPDATE SET declares = excluded.declares, updated_at = excluded.updated_at",
        params![agent_id, source.as_str(), encode(declares), ts(at)],
    )?;
    changes::record(conn, ChangeKind::Declarations, agent_id, "")
}

/// Lists the read of the manifest an agent declared in its last status document.
pub(crate) fn stored_declares_read(agent_id: i64, ahead: &mut ReadAhead) {
    ahead.read_keyed(
        &DECLARES_READ,
        params![agent_id, ManifestSource::Agent.as_str()],
    );
}

/// An agent's manifest of one source (a group's agents in one statement on PostgreSQL).
static DECLARES_READ: RowsSql = RowsSql {
    before: "SELECT v.column1, x.declares FROM (VALUES",
    columns: 2,
    after: ") AS v, LATERAL (
                SELECT m.declares FROM manifests m
                 WHERE m.agent_id = v.column2 AND m.source = v.column3 OFFSET 0) AS x",
    key: &[],
    one: Some("SELECT declares FROM manifests WHERE agent_id = ?1 AND source = ?2"),
    numbered: true,
    anytime: false,
};

/// The manifest [`stored_declares_read`] read.
pub(crate) fn stored_declares(rows: &mut ReadRows) -> Result<Option<String>> {
    rows.take()?.first().map(|row| row.get(0)).transpose()
}

/// Stores what the agent declares in its status document (`agent.declares`) as its manifest of
/// source `agent`, inside the caller's transaction, unless the stored one already says the same.
/// Returns whether the stored manifest changed (`updated_at` moves only then).
///
/// `stored` is the stored manifest as [`stored_declares_read`] read it ahead.
pub(crate) fn store_agent_declares(
    conn: &Db,
    agent_id: i64,
    declares: &Declares,
    at: DateTime<Utc>,
    stored: Option<String>,
) -> Result<bool> {
    // A stored row that no longer decodes is replaced rather than failing the whole poll.
    if stored.is_some_and(|stored| decode_lists(&stored).is_ok_and(|lists| lists == *declares)) {
        return Ok(false);
    }
    upsert(conn, agent_id, ManifestSource::Agent, declares, at)?;
    Ok(true)
}

impl Store {
    /// Stores (or replaces) what agent `agent_id` declares according to `source`. The
    /// manifest's `agent` field is ignored: the row belongs to `agent_id`.
    pub fn set_manifest(
        &mut self,
        agent_id: i64,
        source: ManifestSource,
        manifest: &AgentManifest,
    ) -> Result<()> {
        self.require_agent(agent_id)?;
        upsert(&self.db, agent_id, source, &manifest.declares, Utc::now())
    }

    /// Forgets one manifest. Returns whether there was one.
    pub fn remove_manifest(&mut self, agent_id: i64, source: ManifestSource) -> Result<bool> {
        let tx = self.write_tx()?;
        let removed = tx.execute(
            "DELETE FROM manifests WHERE agent_id = ?1 AND source = ?2",
            params![agent_id, source.as_str()],
        )?;
        if removed > 0 {
            changes::record(&tx, ChangeKind::Declarations, agent_id, "")?;
        }
        tx.commit()?;
        Ok(removed > 0)
    }

    /// One manifest, if stored.
    pub fn manifest(
        &self,
        agent_id: i64,
        source: ManifestSource,
    ) -> Result<Option<StoredManifest>> {
        let found = self.db.query_opt(
            &format!("{SELECT} WHERE m.agent_id = ?1 AND m.source = ?2"),
            params![agent_id, source.as_str()],
            read_row,
        )?;
        found.map(decode).transpose()
    }

    /// Every manifest, by agent id, then source (`agent` before `user`).
    pub fn manifests(&self) -> Result<Vec<StoredManifest>> {
        let rows = self.db.query_map(
            &format!("{SELECT} ORDER BY m.agent_id, m.source"),
            params![],
            read_row,
        )?;
        rows.into_iter().map(decode).collect()
    }
}

const SELECT: &str = "SELECT m.agent_id, m.source, a.name, m.declares, m.updated_at
     FROM manifests m JOIN agents a ON a.id = m.agent_id";

type RawRow = (i64, String, String, String, String);

fn read_row(row: &Row<'_>) -> Result<RawRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn decode((agent_id, source, name, declares, updated_at): RawRow) -> Result<StoredManifest> {
    let declares = decode_lists(&declares)?;
    Ok(StoredManifest {
        agent_id,
        source: ManifestSource::parse(&source)
            .ok_or_else(|| corrupt("manifest source", &source))?,
        manifest: AgentManifest {
            agent: name,
            declares,
        },
        updated_at: parse_ts(&updated_at)?,
    })
}
