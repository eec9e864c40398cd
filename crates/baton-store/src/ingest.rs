//! One poll's status document into the store, in ONE transaction: the cursor, the agent's
//! self-description (and its declared manifest), tasks, events and usage commit together or not
//! at all.

use std::collections::{BTreeMap, HashMap};

use crate::changes::{self, ChangeKind};
use crate::db::{params, Db, ReadAhead, ReadRows, RowsSql};
use baton_core::protocol::{EventKind, StatusDocument};
use baton_core::views::TaskCard;
use chrono::{DateTime, Utc};

use crate::a2a::{open_requests, open_requests_read, settle_requests_in};
use crate::codec::{agent_state_str, ts};
use crate::costs::record_report_cost;
use crate::error::{Result, StoreError};
use crate::events::{insert_events_known, stored_events_reads, Inserted, StoredEvents};
use crate::ledger::{spread_report, stored_report, stored_report_read};
use crate::manifests::{store_agent_declares, stored_declares, stored_declares_read};
use crate::poll_calls::PollCalls;
use crate::tasks::{sort_cards, stored_tasks_reads, upsert_task_known, StoredTasks};
use crate::usage::upsert_usage;
use crate::Store;
use baton_core::a2a::is_interrupted;

/// What a poll says about its agent (a group's agents in one statement on PostgreSQL).
static AGENT_POLLED: RowsSql = RowsSql {
    before: "UPDATE agents
                SET cursor = v.column2, remote_id = v.column3, remote_name = v.column4,
                    remote_version = v.column5, remote_state = v.column6,
                    remote_detail = v.column7, last_ingest_at = v.column8
               FROM (VALUES",
    columns: 8,
    after: ") AS v WHERE agents.id = v.column1",
    key: &[0],
    one: Some(
        "UPDATE agents
                SET cursor = ?2, remote_id = ?3, remote_name = ?4, remote_version = ?5,
                    remote_state = ?6, remote_detail = ?7, last_ingest_at = ?8
              WHERE id = ?1",
    ),
    numbered: false,
    anytime: false,
};

/// The agent an ingest starts from: its name, the id it reported, its highest `seq` (a
/// group's agents in one statement on PostgreSQL).
static AGENT_READ: RowsSql = RowsSql {
    before: "SELECT v.column1, x.* FROM (VALUES",
    columns: 1,
    after: ") AS v, LATERAL (
                SELECT a.name, a.remote_id,
                       (SELECT max(e.seq) FROM events e WHERE e.agent_id = a.id)
                  FROM agents a WHERE a.id = v.column2 OFFSET 0) AS x",
    key: &[],
    one: Some(
        "SELECT name, remote_id, (SELECT max(seq) FROM events WHERE agent_id = ?1)
           FROM agents WHERE id = ?1",
    ),
    numbered: true,
    anytime: false,
};

/// What one ingest changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestSummary {
    /// Tasks inserted, or whose stored fields changed, as [`Store::task_cards`] returns them
    /// (and in its order).
    pub changed_tasks: Vec<TaskCard>,
    /// Events stored for the first time.
    pub new_events: u32,
    /// Events already stored under the same (agent, seq): re-delivered, ignored.
    pub duplicate_events: u32,
    /// Usage windows inserted or whose numbers changed.
    pub new_usage: u32,
    /// New `api_call` events (counted in the rate-limit ledger).
    pub new_api_calls: u32,
    /// The document's `agent.declares` differed from the agent's stored manifest (source
    /// `agent`) and replaced it.
    pub manifest_changed: bool,
    /// Needs-approval escalations settled because their task left `input_required` or
    /// `auth_required` (the agent got its answer elsewhere, or moved on).
    pub settled_requests: Vec<i64>,
    /// How far ahead of Baton's the agent's clock was, when some event's time was more than
    /// [`baton_core::protocol::FUTURE_SKEW`] ahead (the most of them); those events are kept at the time received.
    pub clock_ahead: Option<chrono::Duration>,
    /// Events under a `seq` stored before with other content: not stored.
    pub reused_seqs: u32,
    /// New events whose `seq` is below the highest one stored before this poll.
    pub backward_seqs: u32,
}

impl IngestSummary {
    /// What a person should know about this poll's events, in words for the agent's row: a
    /// clock ahead, numbers used again or going back (an agent that started its count over).
    pub fn warning(&self) -> Option<String> {
        let mut said = Vec::new();
        if let Some(ahead) = self.clock_ahead {
            said.push(format!(
                "the agent's clock is {} ahead: its event times are read as the time Baton received them",
                baton_core::agent::human_span(ahead)
            ));
        }
        if self.reused_seqs > 0 {
            said.push(format!(
                "{} event(s) came with a seq already used for another event and were not stored: \
                 did the agent restart without its counter?",
                self.reused_seqs
            ));
        }
        if self.backward_seqs > 0 {
            said.push(format!(
                "{} event(s) came with a seq below one already stored (seq must only grow)",
                self.backward_seqs
            ));
        }
        (!said.is_empty()).then(|| said.join("; "))
    }

    /// True when the ingest changed no task, event, usage row or manifest.
    pub fn is_empty(&self) -> bool {
        self.changed_tasks.is_empty()
            && self.new_events == 0
            && self.new_usage == 0
            && !self.manifest_changed
    }
}

impl Store {
    /// Stores one status document polled from agent `agent_id` at `seen_at`.
    ///
    /// The document is stored as given; callers normally pass what
    /// `baton_core::protocol::parse_status` accepted. On any error nothing of the document is
    /// kept (not even the cursor), and earlier data is untouched.
    pub fn ingest(
        &mut self,
        agent_id: i64,
        doc: &StatusDocument,
        seen_at: DateTime<Utc>,
    ) -> Result<IngestSummary> {
        let tx = self.write_tx()?;
        let mut ahead = ReadAhead::default();
        Store::ingest_reads(agent_id, doc, &mut ahead);
        let mut rows = tx.read_ahead(&ahead)?;
        let summary = ingest_known(&tx, agent_id, doc, &HashMap::new(), seen_at, &mut rows)?;
        tx.commit()?;
        Ok(summary)
    }

    /// Lists what an ingest of `doc` reads before it writes, in order: the agent (its name, the
    /// id it reported, its highest `seq`), the stored tasks the document names, what is stored
    /// under its events' `seq`s, its stored manifest (when it declares one), and each usage
    /// window's stored report. Take them with [`Store::ingest_read_ahead`].
    pub fn ingest_reads(agent_id: i64, doc: &StatusDocument, ahead: &mut ReadAhead) {
        Store::agent_reads(agent_id, ahead);
        let ids: Vec<&str> = doc.tasks.iter().map(|t| t.id.as_str()).collect();
        stored_tasks_reads(agent_id, &ids, ahead);
        open_requests_read(agent_id, &moving_on(doc), ahead);
        stored_events_reads(agent_id, &doc.events, ahead);
        if doc.agent.declares.is_some() {
            stored_declares_read(agent_id, ahead);
        }
        for report in &doc.usage {
            stored_report_read(agent_id, report, ahead);
        }
    }

    /// [`Store::ingest`] inside a write that read ahead (a [`crate::ReadFirst`] write, in the
    /// writer's transaction): `rows` hold what [`Store::ingest_reads`] listed. Its writes go
    /// out with the transaction's next statement; when it fails, undoing what it wrote is the
    /// caller's ([`crate::db::Db::mark`]). `reported_digests` holds, by task id, the digest of
    /// the text each task of `doc` was read from, kept with each task written
    /// ([`Store::reported_digests`]).
    pub fn ingest_read_ahead(
        &mut self,
        agent_id: i64,
        doc: &StatusDocument,
        reported_digests: &HashMap<String, u64>,
        seen_at: DateTime<Utc>,
        rows: &mut ReadRows,
    ) -> Result<IngestSummary> {
        ingest_known(&self.db, agent_id, doc, reported_digests, seen_at, rows)
    }

    /// Lists the read of an agent as an ingest starts from (see [`Store::agent_read`]).
    pub fn agent_reads(agent_id: i64, ahead: &mut ReadAhead) {
        ahead.read_keyed(&AGENT_READ, params![agent_id]);
    }

    /// The agent [`Store::agent_reads`] read: its name, the id it last reported, its highest
    /// stored `seq`; [`StoreError::AgentNotFound`] when it is gone.
    pub fn agent_read(
        agent_id: i64,
        rows: &mut ReadRows,
    ) -> Result<(String, Option<String>, Option<i64>)> {
        let found = rows.take()?;
        let row = found.first().ok_or(StoreError::AgentNotFound(agent_id))?;
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    }
}

/// The tasks of `doc` that may have moved on from waiting for a person (their requests for
/// input are then settled): those not waiting now.
fn moving_on(doc: &StatusDocument) -> Vec<&str> {
    doc.tasks
        .iter()
        .filter(|t| !is_interrupted(t.state))
        .map(|t| t.id.as_str())
        .collect()
}

/// One ingest with its reads made (see [`Store::ingest_reads`]).
pub(crate) fn ingest_known(
    tx: &Db,
    agent_id: i64,
    doc: &StatusDocument,
    reported_digests: &HashMap<String, u64>,
    seen_at: DateTime<Utc>,
    rows: &mut ReadRows,
) -> Result<IngestSummary> {
    let (agent_name, previous_remote_id, highest_before) = Store::agent_read(agent_id, rows)?;
    let tasks = StoredTasks::read(rows)?;
    let open_requests = open_requests(rows)?;
    let events = StoredEvents::read(rows)?;
    let declared = match doc.agent.declares {
        Some(_) => stored_declares(rows)?,
        None => None,
    };
    if previous_remote_id
        .as_deref()
        .is_some_and(|previous| previous != doc.agent.id)
    {
        tracing::warn!(
            agent_id,
            previous = previous_remote_id.as_deref().unwrap_or_default(),
            now = %doc.agent.id,
            "the agent at this endpoint reports a different id than before"
        );
    }
    let seen = ts(seen_at);
    tx.write_row(
        &AGENT_POLLED,
        params![
            agent_id,
            doc.cursor,
            doc.agent.id,
            doc.agent.name,
            doc.agent.version,
            doc.agent.state.map(agent_state_str),
            doc.agent.detail,
            seen,
        ],
    )?;

    // Keyed by task id: a document naming a task twice (parse_status refuses that) would
    // otherwise report it twice; the last one wins, as in the table.
    let mut changed: BTreeMap<&str, TaskCard> = BTreeMap::new();
    let mut summary = IngestSummary::default();
    for task in &doc.tasks {
        let digest = reported_digests.get(&task.id).copied();
        if let Some((card, was)) =
            upsert_task_known(tx, agent_id, &agent_name, task, digest, seen_at, &tasks)?
        {
            changed.insert(task.id.as_str(), card);
            // The agent stopped waiting for a person: its request for input is settled.
            if was.is_some_and(is_interrupted) && !is_interrupted(task.state) {
                summary.settled_requests.extend(settle_requests_in(
                    tx,
                    &open_requests,
                    &agent_name,
                    &task.id,
                    task.state,
                    seen_at,
                )?);
            }
        }
    }

    let stored = insert_events_known(tx, agent_id, &doc.events, seen_at, &events)?;
    let mut api_calls = Vec::new();
    for (event, inserted) in doc.events.iter().zip(stored) {
        match inserted {
            Inserted::New { ahead } => {
                summary.new_events += 1;
                if let Some(ahead) = ahead {
                    summary.clock_ahead = summary.clock_ahead.max(Some(ahead));
                }
                if highest_before.is_some_and(|h| i64::try_from(event.seq).is_ok_and(|s| s < h)) {
                    summary.backward_seqs += 1;
                }
                if event.kind == EventKind::ApiCall {
                    api_calls.push(event);
                    summary.new_api_calls += 1;
                }
            }
            Inserted::Again => summary.duplicate_events += 1,
            Inserted::Reused => {
                summary.duplicate_events += 1;
                summary.reused_seqs += 1;
            }
        }
    }
    // Summed per row, then each kind in one block (a group sends a kind's rows together).
    let mut calls = PollCalls::default();
    for event in api_calls {
        calls.add(tx, event)?;
    }
    calls.write(tx, agent_id)?;
    note_counter(tx, agent_id, &summary, seen_at)?;
    let mut reported = Vec::new();
    for report in &doc.usage {
        let previous = stored_report(rows, report)?;
        if upsert_usage(tx, agent_id, report, previous.as_ref(), seen_at)? {
            reported.push((report, previous));
            summary.new_usage += 1;
        }
    }
    for (report, previous) in &reported {
        spread_report(tx, agent_id, previous.as_ref(), report)?;
    }
    for (report, previous) in &reported {
        record_report_cost(tx, agent_id, previous.as_ref(), report)?;
    }
    // An absent `declares` says nothing: a manifest declared earlier stays.
    if let Some(declares) = &doc.agent.declares {
        summary.manifest_changed = store_agent_declares(tx, agent_id, declares, seen_at, declared)?;
    }

    if changed.len() > changes::TASKS_NAMED {
        changes::record(tx, ChangeKind::Task, agent_id, "")?;
    } else {
        for task_id in changed.keys() {
            changes::record(tx, ChangeKind::Task, agent_id, task_id)?;
        }
    }
    if summary.new_events > 0 || summary.new_usage > 0 {
        changes::record(tx, ChangeKind::Events, agent_id, "")?;
    }

    #[cfg(test)]
    crate::tests::support::maybe_fail_before_commit()?;

    summary.changed_tasks = changed.into_values().collect();
    sort_cards(&mut summary.changed_tasks);
    tracing::debug!(
        agent_id,
        changed_tasks = summary.changed_tasks.len(),
        new_events = summary.new_events,
        duplicate_events = summary.duplicate_events,
        new_usage = summary.new_usage,
        manifest_changed = summary.manifest_changed,
        "ingested"
    );
    Ok(summary)
}

/// A poll's new events all in order: the agent's counter episode, if any, is over (a group's
/// agents in one statement on PostgreSQL).
static COUNTER_IN_ORDER: RowsSql = RowsSql {
    before: "UPDATE agents SET counter_over = 1 FROM (VALUES",
    columns: 1,
    after: ") AS v WHERE agents.id = v.column1
               AND agents.counter_since IS NOT NULL AND agents.counter_over = 0",
    key: &[0],
    one: Some(
        "UPDATE agents SET counter_over = 1
              WHERE id = ?1 AND counter_since IS NOT NULL AND counter_over = 0",
    ),
    numbered: false,
    anytime: false,
};

/// Keeps the agent's counter episode (schema version 11): events out of order start one or add to
/// it; a poll whose new events were all in order ends it. The detectors read it.
fn note_counter(
    conn: &Db,
    agent_id: i64,
    summary: &IngestSummary,
    seen_at: DateTime<Utc>,
) -> Result<()> {
    if summary.reused_seqs > 0 || summary.backward_seqs > 0 {
        // SET reads the row as it was: a new episode when there was none or it was over.
        conn.execute_later(
            "UPDATE agents SET
                counter_since = CASE WHEN counter_since IS NULL OR counter_over = 1
                                     THEN ?2 ELSE counter_since END,
                counter_reused = CASE WHEN counter_since IS NULL OR counter_over = 1
                                      THEN ?3 ELSE counter_reused + ?3 END,
                counter_backward = CASE WHEN counter_since IS NULL OR counter_over = 1
                                        THEN ?4 ELSE counter_backward + ?4 END,
                counter_last_at = ?2, counter_over = 0
              WHERE id = ?1",
            params![
                agent_id,
                ts(seen_at),
                summary.reused_seqs,
                summary.backward_seqs
            ],
        )?;
    } else if summary.new_events > 0 {
        conn.write_row(&COUNTER_IN_ORDER, params![agent_id])?;
    }
    Ok(())
}
