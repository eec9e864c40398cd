//! The A2A adapter's HTTP side: read the agent card (with `If-None-Match`), list the tasks that
//! changed (`ListTasks` with `statusTimestampAfter` and `pageToken`) or, where the agent cannot
//! list, get the tasks Baton knows one by one, and answer a task that waits for input
//! (`SendMessage` on that task). What the answers mean is baton-core's (`baton_core::a2a`).

use std::collections::{HashMap, HashSet};

use baton_core::a2a::wire::{self, Call, Method};
use baton_core::a2a::{
    is_interrupted, observe, parse_card, parse_task, parse_task_list, A2aCursor, A2aError, A2aTask,
    AgentCard, Interface, ProtocolVersion,
};
use baton_core::agent::AgentConfig;
use baton_core::protocol::{validate, DecisionDelivery};
use baton_core::task::TaskState;
use baton_store::outbox::DeliveryOutcome;
use chrono::Utc;
use serde_json::Value;

use crate::fetch::{FetchError, Fetched, Fetcher};
use crate::shared::Shared;

/// Where the card is, under the agent's base URL.
pub const CARD_PATH: &str = ".well-known/agent-card.json";
/// Most `ListTasks` pages read in one poll (100 tasks each).
const MAX_PAGES: usize = 100;
/// Most tasks followed one by one per poll, where the agent cannot list them.
const MAX_FOLLOWED: usize = 200;

/// The card at `base_url`, or None when the server says it has not changed (304).
pub(crate) async fn read_card(
    fetcher: &Fetcher,
    agent: &AgentConfig,
    etag: Option<&str>,
    token: Option<&str>,
) -> Result<Option<(AgentCard, Option<String>)>, FetchError> {
    let url = format!("{}/{CARD_PATH}", agent.base_url.trim_end_matches('/'));
    let mut request = fetcher
        .client
        .get(&url)
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(etag) = etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = fetcher.exchange(request, &url, agent.timeout_ms).await?;
    match answer.status {
        304 if etag.is_some() => Ok(None),
        200..=299 => match parse_card(&answer.body) {
            Ok(card) => Ok(Some((card, answer.etag))),
            Err(A2aError::NotJson(why)) => {
                Err(A2aError::InvalidCard(format!("at {url} is not JSON: {why}")).into())
            }
            Err(err) => Err(err.into()),
        },
        404 => Err(A2aError::InvalidCard(format!("is not at {url} (HTTP 404)")).into()),
        401 => Err(FetchError::Unauthorized),
        status => Err(A2aError::InvalidCard(format!("at {url} answered HTTP {status}")).into()),
    }
}

/// One call on the agent's interface; the JSON-RPC `result` or the HTTP+JSON body. A failure
/// names the call and its URL, except "unsupported" and "task not found", which callers act on.
pub(crate) async fn call(
    fetcher: &Fetcher,
    interface: &Interface,
    call: &Call<'_>,
    token: Option<&str>,
    timeout_ms: u64,
) -> Result<Value, FetchError> {
    let request = wire::request(interface, call, rand::random::<u32>().into())?;
    let mut builder = match request.method {
        Method::Get => fetcher.client.get(&request.url),
        Method::Post => fetcher.client.post(&request.url),
    }
    .header(reqwest::header::ACCEPT, "application/json");
    if let Some(body) = &request.body {
        builder = builder
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
    }
    if let Some(version) = request.version {
        builder = builder.header(wire::VERSION_HEADER, version);
    }
    if let Some(token) = token {
        builder = builder.bearer_auth(token);
    }
    let answered = match fetcher.exchange(builder, &request.url, timeout_ms).await {
        Ok(answer) => {
            wire::read_answer(interface, answer.status, &answer.body).map_err(FetchError::A2a)
        }
        Err(err) => Err(err),
    };
    answered.map_err(|error| match error {
        // Answers that mean something to the caller, kept as they are.
        FetchError::A2a(A2aError::Unsupported(_) | A2aError::TaskNotFound(_)) => error,
        error => FetchError::A2aCall {
            call: call.name(),
            url: request.url.clone(),
            error: Box::new(error),
        },
    })
}

/// Every task that changed since `after`, page by page. A token seen twice, or more pages than
/// [`MAX_PAGES`], is an agent whose pagination never ends.
async fn list_changed(
    fetcher: &Fetcher,
    interface: &Interface,
    after: Option<&str>,
    token: Option<&str>,
    timeout_ms: u64,
) -> Result<(Vec<A2aTask>, Vec<A2aError>), FetchError> {
    let mut tasks = Vec::new();
    let mut skipped = Vec::new();
    let mut page_token: Option<String> = None;
    let mut seen_tokens = HashSet::new();
    for _ in 0..MAX_PAGES {
        let list = Call::ListTasks {
            after,
            page_token: page_token.as_deref(),
        };
        let answer = call(fetcher, interface, &list, token, timeout_ms).await?;
        let page = parse_task_list(&answer).map_err(|err| FetchError::A2aCall {
            call: list.name(),
            url: interface.url.clone(),
            error: Box::new(err.into()),
        })?;
        tasks.extend(page.tasks);
        skipped.extend(page.skipped);
        match page.next_page_token {
            None => return Ok((tasks, skipped)),
            Some(next) if !seen_tokens.insert(next.clone()) => {
                return Err(A2aError::EndlessPages(format!(
                    "the page token {:?} came back twice",
                    next.chars().take(40).collect::<String>()
                ))
                .into())
            }
            Some(next) => page_token = Some(next),
        }
    }
    Err(A2aError::EndlessPages(format!("still more after {MAX_PAGES} pages")).into())
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
        .map_err(|err| FetchError::Store {
            detail: err.to_string(),
        })?;
    let etag = stored
        .as_ref()
        .and_then(|s| s.etag.as_deref())
        .map(str::to_owned);
    let fetcher = &shared.fetcher;
    let (card, mut lists) = match read_card(fetcher, agent, etag.as_deref(), token).await? {
        Some((card, etag)) => {
            let keep = card.clone();
            let same = stored
                .as_ref()
                .is_some_and(|s| s.card.preferred() == card.preferred());
            shared
                .write(move |s| s.set_a2a_card(id, &keep, etag.as_deref(), Utc::now()))
                .await
                .map_err(|err| FetchError::Store {
                    detail: err.to_string(),
                })?;
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
    if interface.version == ProtocolVersion::V03 {
        lists = Some(false);
    }
    let cursor = A2aCursor::read(cursor.as_deref());
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
    if lists == Some(false) {
        let (followed, unread) = follow_known(fetcher, &interface, &known, token, agent).await?;
        tasks = followed;
        skipped = unread;
    }
    let doc = observe(&card, &tasks, &known, &cursor, Utc::now());
    validate(&doc)?;
    let warning = (!skipped.is_empty()).then(|| {
        let first = skipped[0].to_string();
        match skipped.len() {
            1 => format!("A2A: a task was not read: {first}"),
            n => format!("A2A: {n} tasks were not read; the first: {first}"),
        }
    });
    Ok(Fetched {
        doc,
        warning,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        body_bytes: 0,
        known: None,
    })
}

async fn remember_lists(shared: &Shared, id: i64, lists: bool) {
    if let Err(err) = shared
        .write(move |s| s.set_a2a_lists_tasks(id, lists))
        .await
    {
        tracing::warn!(agent_id = id, error = %err, "cannot note whether the agent lists its tasks");
    }
}

/// `GetTask` on each task Baton knows that has not ended.
async fn follow_known(
    fetcher: &Fetcher,
    interface: &Interface,
    known: &HashMap<String, TaskState>,
    token: Option<&str>,
    agent: &AgentConfig,
) -> Result<(Vec<A2aTask>, Vec<A2aError>), FetchError> {
    let mut open: Vec<&String> = known
        .iter()
        .filter(|(_, state)| !state.is_terminal())
        .map(|(id, _)| id)
        .collect();
    open.sort();
    let mut tasks = Vec::new();
    let mut skipped = Vec::new();
    for task_id in open.into_iter().take(MAX_FOLLOWED) {
        let get = Call::GetTask { id: task_id };
        match call(fetcher, interface, &get, token, agent.timeout_ms).await {
            Ok(value) => match parse_task(&value) {
                Ok(task) => tasks.push(task),
                Err(err) => skipped.push(err),
            },
            Err(FetchError::A2a(err @ A2aError::TaskNotFound(_))) => skipped.push(err),
            Err(err) => return Err(err),
        }
    }
    Ok((tasks, skipped))
}

/// Delivers a decision to an A2A agent: the person's answer as a user message on the task
/// that waits. The message id is the decision's idempotency key, so a message the agent
/// already has (an earlier attempt whose answer was lost) is not sent again.
pub(crate) async fn deliver(
    shared: &Shared,
    agent: &AgentConfig,
    token: Option<&str>,
    idempotency_key: &str,
    body: &str,
) -> Result<DeliveryOutcome, String> {
    let delivery: DecisionDelivery =
        serde_json::from_str(body).map_err(|err| format!("unreadable decision: {err}"))?;
    let Some(task_id) = delivery.task_id.as_deref() else {
        return Ok(DeliveryOutcome::Acknowledged {
            accepted: false,
            note: Some("no A2A task to answer".into()),
        });
    };
    let id = agent.id;
    let card = shared
        .read(move |s| s.a2a_card(id))
        .await
        .map_err(|err| err.to_string())?
        .ok_or("the agent card has not been read yet")?
        .card;
    let interface = card
        .preferred()
        .ok_or_else(|| A2aError::NoUsableInterface.to_string())?;
    let fetcher = &shared.fetcher;
    let get = Call::GetTask { id: task_id };
    let task = call(fetcher, interface, &get, token, agent.timeout_ms)
        .await
        .map_err(|err| err.to_string())?;
    let task = parse_task(&task).map_err(|err| err.to_string())?;
    if task.message_ids.iter().any(|m| m == idempotency_key) {
        return Ok(DeliveryOutcome::Acknowledged {
            accepted: true,
            note: Some("already applied (duplicate)".into()),
        });
    }
    if !is_interrupted(task.state) {
        return Ok(DeliveryOutcome::Acknowledged {
            accepted: false,
            note: Some(format!(
                "the task no longer waits for input (it is {})",
                task.state.as_str().replace('_', " ")
            )),
        });
    }
    let text = answer_text(&delivery);
    let send = Call::SendMessage {
        task_id,
        context_id: task.context_id.as_deref(),
        message_id: idempotency_key,
        text: &text,
    };
    let answer = call(fetcher, interface, &send, token, agent.timeout_ms)
        .await
        .map_err(|err| err.to_string())?;
    let now = parse_task(&answer)
        .map(|t| t.state.as_str().replace('_', " "))
        .unwrap_or_else(|_| "answered".into());
    Ok(DeliveryOutcome::Acknowledged {
        accepted: true,
        note: Some(format!("sent as a message on the task; it is now {now}")),
    })
}

/// What the agent is told: the person's note (their answer), else what they decided.
fn answer_text(delivery: &DecisionDelivery) -> String {
    let note = delivery
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    match (delivery.action.as_str(), note) {
        ("approve", Some(note)) => note.to_owned(),
        ("approve", None) => "approved".to_owned(),
        ("reject", Some(note)) => format!("rejected: {note}"),
        ("reject", None) => "rejected".to_owned(),
        (action, Some(note)) => format!("{action}: {note}"),
        (action, None) => action.to_owned(),
    }
}
