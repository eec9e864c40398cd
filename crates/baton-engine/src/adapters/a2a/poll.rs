//! One poll of an A2A agent: the card (304 when unchanged), the tasks that changed
//! (`ListTasks`), and every task Baton knows to wait for a person read again with `GetTask`
//! whatever the list says (a question answered outside A2A, through LangGraph's own API, leaves
//! the task's status time as it was, so a list by time never shows it). An agent that cannot
//! list (A2A 0.3, or `ListTasks` unsupported) has each task Baton follows read with `GetTask`.
//! Zone-less timestamps are read in the server's zone, learned from its `Date` header
//! (`baton_core::a2a::clock`). The result is a `baton/1` document for ingest; what the poll
//! learnt about the agent (its card, whether it lists tasks, tasks it forgot) goes back as
//! [`Note`]s for the poller to keep.

use std::collections::{HashMap, HashSet};

use baton_core::a2a::wire::Call;
use baton_core::a2a::{
    describe_offset, is_interrupted, learn_zone_offset, observe, parse_task, A2aCursor, A2aError,
    A2aTask, Interface, ProtocolVersion,
};
use baton_core::agent::AgentConfig;
use baton_core::protocol::validate;
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use super::calls::{call, list_changed, read_card};
use crate::adapters::adapter::{Before, Note, Observed};
use crate::fetch::{FetchError, Fetched, Fetcher};

/// Most tasks read one by one per poll (followed tasks, or waiting ones the list left out).
const MAX_FOLLOWED: usize = 200;
/// How long a task Baton saw end is read again on each poll (at least once whatever the
/// interval), and how many such tasks at most.
const RECHECK_SECONDS: i64 = 10;
const MAX_RECHECK: usize = 50;

/// One poll of an A2A agent, as a `baton/1` document for ingest, and what to keep besides (the
/// card when it changed, whether the agent lists its tasks, tasks it forgot).
pub(super) async fn poll(fetcher: &Fetcher, before: Before<'_>) -> Observed {
    let mut notes = Vec::new();
    let fetched = read(fetcher, before, &mut notes).await;
    Observed { fetched, notes }
}

async fn read(
    fetcher: &Fetcher,
    before: Before<'_>,
    notes: &mut Vec<Note>,
) -> Result<Fetched, FetchError> {
    let started = std::time::Instant::now();
    let Before {
        agent,
        token,
        cursor,
        kept,
        ..
    } = before;
    let (stored, known) = (kept.card, kept.task_states);
    let etag = stored
        .as_ref()
        .and_then(|s| s.etag.as_deref())
        .map(str::to_owned);
    let read = read_card(fetcher, agent, etag.as_deref(), token).await?;
    let server_now = read.server_now;
    let (card, mut lists) = match read.fresh {
        Some((card, etag)) => {
            let same = stored
                .as_ref()
                .is_some_and(|s| s.card.preferred() == card.preferred());
            notes.push(Note::CardRead {
                card: card.clone(),
                etag,
                at: Utc::now(),
            });
            let lists = if same {
                stored.and_then(|s| s.lists_tasks)
            } else {
                None
            };
            (card, lists)
        }
        None => match stored {
            Some(stored) => (stored.card, stored.lists_tasks),
            None => {
                return Err(A2aError::InvalidCard(
                    "was answered with 304 Not Modified before Baton had read it".into(),
                )
                .into())
            }
        },
    };
    let interface = card
        .preferred()
        .cloned()
        .ok_or(A2aError::NoUsableInterface)?;
    // 0.3 has no list: said once, so the app offers to follow tasks by id.
    if interface.version == ProtocolVersion::V03 && lists != Some(false) {
        notes.push(Note::ListsTasks(false));
        lists = Some(false);
    }
    let mut cursor = A2aCursor::read(cursor);
    let after = cursor.after_param();
    let mut tasks = Vec::new();
    let mut skipped = Vec::new();
    if lists != Some(false) {
        match list_changed(
            fetcher,
            &interface,
            after.as_deref(),
            token,
            agent.timeout_ms,
        )
        .await
        {
            Ok((listed, unread)) => {
                tasks = listed;
                skipped = unread;
                if lists.is_none() {
                    notes.push(Note::ListsTasks(true));
                }
                lists = Some(true);
            }
            Err(FetchError::A2a(A2aError::Unsupported(why))) => {
                tracing::info!(agent_id = agent.id, %why, "the agent cannot list its tasks; following known ones");
                notes.push(Note::ListsTasks(false));
                lists = Some(false);
            }
            Err(err) => return Err(err),
        }
    }
    // Tasks read one by one: every open one where the agent cannot list, else the waiting
    // ones the list left out; and the ones that ended lately (see `A2aCursor::recheck`).
    let listed: HashSet<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    let one_by_one: Vec<&String> = {
        let mut ids: Vec<&String> = known
            .iter()
            .filter(|(task, state)| {
                let again = cursor.recheck.contains_key(task.as_str());
                if lists == Some(false) {
                    !state.is_terminal() || again
                } else {
                    (is_interrupted(**state) || again) && !listed.contains(task.as_str())
                }
            })
            .map(|(task, _)| task)
            .collect();
        ids.sort();
        ids
    };
    let read = read_each(fetcher, &interface, &one_by_one, token, agent).await?;
    tasks.extend(read.tasks);
    skipped.extend(read.skipped);
    let forgotten = read.gone;
    if !forgotten.is_empty() {
        notes.push(Note::Forgotten(forgotten.clone()));
    }

    let zone = learn_zone_offset(&tasks, server_now, cursor.zone_minutes);
    if let Some(offset) = zone {
        for task in &mut tasks {
            task.shift_zoneless(offset);
        }
    }
    cursor.zone_minutes = zone;
    let now = Utc::now();
    remember_ended(&mut cursor, &tasks, &known, now);
    let mut doc = observe(&card, &tasks, &known, &cursor, now);
    // Said on every poll once learnt (the offset is only ever learnt from zone-less times), so
    // the row does not flip with each poll's tasks.
    if let Some(offset) = zone {
        let note = format!(
            "Task times without a zone are read as {} (the server's clock, from its Date header).",
            describe_offset(offset)
        );
        doc.agent.detail = Some(match doc.agent.detail.take() {
            Some(detail) => format!("{detail} {note}"),
            None => note,
        });
    }
    validate(&doc)?;
    let mut warnings = Vec::new();
    if let Some(first) = skipped.first() {
        warnings.push(match skipped.len() {
            1 => format!("a task was not read: {first}"),
            n => format!("{n} tasks were not read; the first: {first}"),
        });
    }
    if !forgotten.is_empty() {
        warnings.push(format!(
            "the agent no longer knows task {}; Baton stopped following it",
            forgotten.join(", ")
        ));
    }
    Ok(Fetched {
        doc,
        warning: (!warnings.is_empty()).then(|| format!("A2A: {}", warnings.join("; "))),
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        body_bytes: 0,
        known: None,
        answer: None,
        same_as_quiet: false,
    })
}

/// Notes the tasks that ended in this poll, to read them once more (`A2aCursor::recheck`), and
/// forgets the ones read again long enough.
fn remember_ended(
    cursor: &mut A2aCursor,
    tasks: &[A2aTask],
    known: &HashMap<String, TaskState>,
    now: DateTime<Utc>,
) {
    cursor
        .recheck
        .retain(|_, ended| now - *ended <= chrono::Duration::seconds(RECHECK_SECONDS));
    for task in tasks {
        // Ended since the last poll: open before, or new and changed just now (not the
        // history a first poll reads).
        let just_ended = match known.get(&task.id) {
            Some(state) => !state.is_terminal(),
            None => task
                .timestamp
                .is_some_and(|at| now - at <= chrono::Duration::minutes(1)),
        };
        if task.state.is_terminal() && just_ended {
            cursor.recheck.entry(task.id.clone()).or_insert(now);
        }
    }
    while cursor.recheck.len() > MAX_RECHECK {
        let oldest = cursor
            .recheck
            .iter()
            .min_by_key(|(_, at)| **at)
            .map(|(id, _)| id.clone());
        match oldest {
            Some(id) => cursor.recheck.remove(&id),
            None => break,
        };
    }
}

/// What [`read_each`] read.
struct ReadEach {
    tasks: Vec<A2aTask>,
    skipped: Vec<A2aError>,
    /// Tasks the server says it does not know.
    gone: Vec<String>,
}

/// `GetTask` on each of `ids` (at most [`MAX_FOLLOWED`]).
async fn read_each(
    fetcher: &Fetcher,
    interface: &Interface,
    ids: &[&String],
    token: Option<&str>,
    agent: &AgentConfig,
) -> Result<ReadEach, FetchError> {
    let mut read = ReadEach {
        tasks: Vec::new(),
        skipped: Vec::new(),
        gone: Vec::new(),
    };
    for task_id in ids.iter().take(MAX_FOLLOWED) {
        let get = Call::GetTask { id: task_id };
        match call(fetcher, interface, &get, token, agent.timeout_ms).await {
            Ok(value) => match parse_task(&value) {
                Ok(task) => read.tasks.push(task),
                Err(err) => read.skipped.push(err),
            },
            Err(FetchError::A2a(A2aError::TaskNotFound(_))) => read.gone.push((*task_id).clone()),
            Err(err) => return Err(err),
        }
    }
    Ok(read)
}
