//! One poll of an A2A agent: the card (304 when unchanged), the tasks that changed
//! (`ListTasks`), and every task Baton knows to wait for a person read again with `GetTask`
//! whatever the list says (a question answered outside A2A, through LangGraph's own API, leaves
//! the task's status time as it was, so a list by time never shows it). An agent that cannot
//! list (A2A 0.3, or `ListTasks` unsupported) has each task Baton follows read with `GetTask`.
//! Zone-less timestamps are read in the server's zone, learned from its `Date` header
//! (`baton_core::a2a::clock`). The result is a `baton/1` document for ingest.

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

use super::{call, list_changed, read_card};
use crate::fetch::{FetchError, Fetched, Fetcher};
use crate::shared::Shared;

/// Most tasks read one by one per poll (followed tasks, or waiting ones the list left out).
const MAX_FOLLOWED: usize = 200;
/// How long a task Baton saw end is read again on each poll (at least once whatever the
/// interval), and how many such tasks at most.
const RECHECK_SECONDS: i64 = 10;
const MAX_RECHECK: usize = 50;

fn store_failed(err: impl std::fmt::Display) -> FetchError {
    FetchError::Store {
        detail: err.to_string(),
    }
}

/// One poll of an A2A agent, as a `baton/1` document for ingest.
pub(crate) async fn poll(
    shared: &Shared,
    agent: &AgentConfig,
    cursor: Option<String>,
    token: Option<&str>,
) -> Result<Fetched, FetchError> {
    let started = std::time::Instant::now();
    let id = agent.id;
    let (stored, known) = shared
        .read(move |s| Ok((s.a2a_card(id)?, s.task_states(id)?)))
        .await
        .map_err(store_failed)?;
    let etag = stored
        .as_ref()
        .and_then(|s| s.etag.as_deref())
        .map(str::to_owned);
    let fetcher = &shared.fetcher;
    let read = read_card(fetcher, agent, etag.as_deref(), token).await?;
    let server_now = read.server_now;
    let (card, mut lists) = match read.fresh {
        Some((card, etag)) => {
            let keep = card.clone();
            let same = stored
                .as_ref()
                .is_some_and(|s| s.card.preferred() == card.preferred());
            shared
                .write(move |s| s.set_a2a_card(id, &keep, etag.as_deref(), Utc::now()))
                .await
                .map_err(store_failed)?;
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
        remember_lists(shared, id, false).await;
        lists = Some(false);
    }
    let mut cursor = A2aCursor::read(cursor.as_deref());
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
                    remember_lists(shared, id, true).await;
                }
                lists = Some(true);
            }
            Err(FetchError::A2a(A2aError::Unsupported(why))) => {
                tracing::info!(agent_id = id, %why, "the agent cannot list its tasks; following known ones");
                remember_lists(shared, id, false).await;
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
    let forgotten = forget_gone(shared, id, read.gone).await;

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

async fn remember_lists(shared: &Shared, id: i64, lists: bool) {
    if let Err(err) = shared
        .write(move |s| s.set_a2a_lists_tasks(id, lists))
        .await
    {
        tracing::warn!(agent_id = id, error = %err, "cannot note whether the agent lists its tasks");
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

/// Stops following tasks the server no longer knows (it restarted, or forgot them): their
/// rows go, their events stay. Returns the ids forgotten.
async fn forget_gone(shared: &Shared, id: i64, gone: Vec<String>) -> Vec<String> {
    if gone.is_empty() {
        return gone;
    }
    let forget = gone.clone();
    let forgotten = shared
        .write(move |s| {
            let mut done = Vec::new();
            for task in &forget {
                if s.unfollow_task(id, task)? {
                    done.push(task.clone());
                }
            }
            Ok(done)
        })
        .await;
    match forgotten {
        Ok(done) => done,
        Err(err) => {
            tracing::warn!(agent_id = id, error = %err, "cannot stop following tasks the agent forgot");
            Vec::new()
        }
    }
}
