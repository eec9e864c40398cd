//! Which of the tasks a poller is about to send are stored as reported already: a poller's
//! first write (it just started, or took the agent over from another watcher) leaves them out,
//! so that 500 agents taken at once do not compare 100,000 tasks under the store's write lock.
//! A task whose text's digest is the one stored with it (`tasks.reported_digest`, written with
//! the row by the poll that read the text) is settled by that; the others are read and
//! compared field by field.

use std::collections::{HashMap, HashSet};

use baton_core::protocol::Task;
use chrono::Utc;

use super::stored::{stored_tasks_reads, StoredTask, StoredTasks};
use crate::db::{params, ReadAhead, RowsSql};
use crate::error::Result;
use crate::Store;

/// The digests an agent's tasks were last reported in (`Store::reported_digests_of`): for
/// several agents in one statement on PostgreSQL.
static REPORTED_DIGESTS: RowsSql = RowsSql {
    before: "SELECT v.column1, x.* FROM (VALUES",
    columns: 1,
    after: ") AS v, LATERAL (SELECT task_id, reported_digest FROM tasks
              WHERE agent_id = v.column2 AND reported_digest IS NOT NULL OFFSET 0) AS x",
    key: &[],
    one: Some(
        "SELECT task_id, reported_digest FROM tasks
          WHERE agent_id = ?1 AND reported_digest IS NOT NULL",
    ),
    numbered: true,
    anytime: false,
};

impl Store {
    /// The digest of the text each task of agent `agent_id` was last reported in, by task id,
    /// for the tasks whose row a poll wrote from that text (see `upsert_task_known`).
    pub fn reported_digests(&self, agent_id: i64) -> Result<HashMap<String, u64>> {
        Ok(self
            .reported_digests_of(&[agent_id])?
            .remove(&agent_id)
            .unwrap_or_default())
    }

    /// [`Store::reported_digests`] of each of `agents` that has any, in one read (on
    /// PostgreSQL a statement per 256 agents): a watcher taking 500 agents over reads them
    /// for all their first writes at once.
    pub fn reported_digests_of(
        &self,
        agents: &[i64],
    ) -> Result<HashMap<i64, HashMap<String, u64>>> {
        let mut ahead = ReadAhead::default();
        for agent_id in agents {
            ahead.read_keyed(&REPORTED_DIGESTS, params![agent_id]);
        }
        let mut rows = self.db.read_ahead(&ahead)?;
        let mut found = HashMap::new();
        for &agent_id in agents {
            let mut digests = HashMap::new();
            for row in rows.take()? {
                let digest: i64 = row.get(1)?;
                digests.insert(row.get(0)?, digest as u64);
            }
            if !digests.is_empty() {
                found.insert(agent_id, digests);
            }
        }
        Ok(found)
    }

    /// Those of `tasks` (reported by agent `agent_id`) stored exactly as an ingest would store
    /// them now: a poll need not send them. A poller that has not stored a poll of the agent
    /// yet (it just started, or took the agent over from another watcher) asks this through a
    /// reader, so that its first write compares and writes only what changed, rather than read
    /// every task of the agent under the store's write lock. `texts` holds the digest of the
    /// text each task was reported in, by id: a task whose stored digest is its text's is
    /// stored as reported (the row was written from that very text), and only the others are
    /// read and compared field by field (at a takeover, the few that changed since the last
    /// stored poll).
    pub fn tasks_stored_as_reported(
        &self,
        agent_id: i64,
        tasks: &[Task],
        texts: &HashMap<String, u64>,
    ) -> Result<StoredAsReported> {
        let mut found = StoredAsReported::default();
        if tasks.is_empty() {
            return Ok(found);
        }
        let kept = match texts.is_empty() {
            true => HashMap::new(),
            false => self.reported_digests(agent_id)?,
        };
        let unsettled: Vec<&Task> = tasks
            .iter()
            .filter(|task| {
                let same = StoredAsReported::settled_by_digest(&kept, texts, &task.id);
                if same {
                    found.ids.insert(task.id.clone());
                }
                !same
            })
            .collect();
        found.compared = unsettled.len();
        if unsettled.is_empty() {
            return Ok(found);
        }
        let ids: Vec<&str> = unsettled.iter().map(|t| t.id.as_str()).collect();
        let mut ahead = ReadAhead::default();
        stored_tasks_reads(agent_id, &ids, &mut ahead);
        let stored = StoredTasks::read(&mut self.db.read_ahead(&ahead)?)?;
        let now = Utc::now();
        for task in unsettled {
            let previous = stored.0.get(&task.id);
            if previous.is_some_and(|p| *p == StoredTask::of(task, previous, now)) {
                found.ids.insert(task.id.clone());
            }
        }
        Ok(found)
    }
}

/// Which reported tasks are stored as reported ([`Store::tasks_stored_as_reported`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StoredAsReported {
    /// Their ids.
    pub ids: HashSet<String>,
    /// How many of the tasks asked about were read and compared field by field (their text's
    /// digest was not the one stored with them: changed, new, or written without one).
    pub compared: usize,
}

impl StoredAsReported {
    /// Whether task `task_id` is stored as reported by its text alone: the digest of the text
    /// it was reported in (`reported`, by task id) is the one stored with it (`stored`, as
    /// [`Store::reported_digests`] reads them). A task missing from either is not settled so.
    /// The one rule the store's read ([`Store::tasks_stored_as_reported`]) and a poller's first
    /// write (the digests read at a takeover) settle tasks by.
    pub fn settled_by_digest(
        stored: &HashMap<String, u64>,
        reported: &HashMap<String, u64>,
        task_id: &str,
    ) -> bool {
        stored
            .get(task_id)
            .is_some_and(|digest| reported.get(task_id) == Some(digest))
    }
}
