//! Agents heard through OpenTelemetry (issue 61): what an export request's GenAI spans say
//! ([`baton_core::otel::AgentSpans`]) into the store, in ONE transaction: each agent (added by
//! its first spans, adapter `otlp`), then its runs and calls as a `baton/1` document, ingested
//! as a poll's is (tasks, events, the rate-limit ledger, costs, the change feed).
//!
//! An agent is found by the name its spans give (`otel_agents.source_key`), never by the
//! agents' own names: a span naming an agent Baton polls makes an agent of its own beside it
//! (`name·2`), so no sender can write as a polled agent.

use std::collections::{HashMap, HashSet};

use baton_core::agent::{AdapterKind, MAX_NAME_LEN};
use baton_core::otel::{AgentSpans, OtlpSettings, UNNAMED_AGENT};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use crate::agents::{add_heard_agent, name_key};
use crate::changes::{self, ChangeKind};
use crate::codec::ts;
use crate::db::{params, Db, ReadAhead};
use crate::error::Result;
use crate::ingest::{ingest_known, IngestSummary};
use crate::Store;

/// What one agent's spans stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SpansStored {
    pub agent_id: i64,
    /// The agent's name in Baton.
    pub name: String,
    /// The agent was added by these spans.
    pub added: bool,
    pub summary: IngestSummary,
}

impl Store {
    /// Stores what one export request's spans say, at `now`: all of it, or (on an error)
    /// nothing.
    pub fn record_spans(
        &mut self,
        agents: &[AgentSpans],
        now: DateTime<Utc>,
    ) -> Result<Vec<SpansStored>> {
        let tx = self.write_tx()?;
        let mut stored = Vec::with_capacity(agents.len());
        for spans in agents {
            let (agent_id, name, added) = otel_agent(&tx, spans, now)?;
            let (highest, settled) = agent_state(&tx, agent_id, spans)?;
            let first_seq = u64::try_from(highest).unwrap_or(0).saturating_add(1);
            let doc = spans.status_document(first_seq, &|id| settled.contains(id), now);
            let mut ahead = ReadAhead::default();
            Store::ingest_reads(agent_id, &doc, &mut ahead);
            let mut rows = tx.read_ahead(&ahead)?;
            let summary = ingest_known(&tx, agent_id, &doc, &HashMap::new(), now, &mut rows)?;
            stored.push(SpansStored {
                agent_id,
                name,
                added,
                summary,
            });
        }
        tx.commit()?;
        Ok(stored)
    }

    /// Where the OTLP receiver listens (the defaults until set).
    pub fn otlp_settings(&self) -> Result<OtlpSettings> {
        Ok(crate::named_settings::get(&self.db, crate::named_settings::OTLP)?.unwrap_or_default())
    }

    /// Sets where the OTLP receiver listens (checked); true when it changed.
    pub fn set_otlp_settings(
        &mut self,
        settings: &OtlpSettings,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        crate::named_settings::check_otlp_settings(settings)?;
        crate::named_settings::set(&self.db, crate::named_settings::OTLP, settings, now)
    }

    /// The agents heard through OpenTelemetry: (agent id, the name their spans give, the
    /// service, when its last spans arrived), by agent id.
    pub fn otel_agents(&self) -> Result<Vec<OtelAgent>> {
        self.db.query_map(
            "SELECT o.agent_id, a.remote_id, o.service, o.last_span_at
               FROM otel_agents o JOIN agents a ON a.id = o.agent_id ORDER BY o.agent_id",
            params![],
            |row| {
                Ok(OtelAgent {
                    agent_id: row.get(0)?,
                    source_name: row.get::<Option<String>>(1)?.unwrap_or_default(),
                    service: row.get(2)?,
                    last_span_at: row.get(3)?,
                })
            },
        )
    }
}

/// An agent heard through OpenTelemetry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtelAgent {
    pub agent_id: i64,
    /// The name its spans give.
    pub source_name: String,
    pub service: Option<String>,
    /// When its last spans arrived (RFC 3339).
    pub last_span_at: String,
}

/// The name an agent heard through OpenTelemetry is added under: the spans' name without
/// control characters, at most [`MAX_NAME_LEN`] characters.
fn agent_name(spans: &AgentSpans) -> String {
    let clean: String = spans
        .agent
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_LEN)
        .collect();
    match clean.trim() {
        "" => UNNAMED_AGENT.to_owned(),
        name => name.to_owned(),
    }
}

/// The spans' agent (id, name, whether added now): found by the name the spans give, else
/// added; up at `now`.
fn otel_agent(tx: &Db, spans: &AgentSpans, now: DateTime<Utc>) -> Result<(i64, String, bool)> {
    let key = name_key(&agent_name(spans));
    let found: Option<(i64, String)> = tx.query_opt(
        "SELECT o.agent_id, a.name FROM otel_agents o JOIN agents a ON a.id = o.agent_id
          WHERE o.source_key = ?1",
        params![key],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let (agent_id, name, added) = match found {
        Some((agent_id, name)) => (agent_id, name, false),
        None => {
            let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
            let url = format!("otlp://agent/{encoded}");
            let (agent_id, name) =
                add_heard_agent(tx, &agent_name(spans), &url, AdapterKind::Otlp, now)?;
            tx.execute_later(
                "INSERT INTO otel_agents (agent_id, source_key, service, first_span_at,
                                          last_span_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![agent_id, key, spans.service, ts(now)],
            )?;
            changes::record(tx, ChangeKind::Agent, agent_id, "")?;
            tracing::debug!(
                agent_id,
                name,
                "an agent heard through OpenTelemetry joined"
            );
            (agent_id, name, true)
        }
    };
    tx.execute_later(
        "UPDATE otel_agents SET last_span_at = ?2, service = coalesce(?3, service)
          WHERE agent_id = ?1",
        params![agent_id, ts(now), spans.service],
    )?;
    // Heard from: its last spans are its last success.
    tx.execute_later(
        "UPDATE agents SET reachability = 'up', last_success_at = ?2, last_attempt_at = ?2
          WHERE id = ?1",
        params![agent_id, ts(now)],
    )?;
    Ok((agent_id, name, added))
}

/// The agent's highest stored `seq` (0: none), and which of the spans' tasks are settled.
fn agent_state(tx: &Db, agent_id: i64, spans: &AgentSpans) -> Result<(i64, HashSet<String>)> {
    let highest: i64 = tx.query_row(
        "SELECT coalesce(max(seq), 0) FROM events WHERE agent_id = ?1",
        params![agent_id],
        |row| row.get(0),
    )?;
    let mut settled = HashSet::new();
    for (id, task) in &spans.tasks {
        if task.state != TaskState::Working {
            continue;
        }
        let state: Option<String> = tx.query_opt(
            "SELECT state FROM tasks WHERE agent_id = ?1 AND task_id = ?2",
            params![agent_id, id],
            |row| row.get(0),
        )?;
        if state
            .as_deref()
            .and_then(TaskState::parse)
            .is_some_and(TaskState::is_terminal)
        {
            settled.insert(id.clone());
        }
    }
    Ok((highest, settled))
}
