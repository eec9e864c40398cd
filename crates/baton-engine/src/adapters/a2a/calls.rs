//! The A2A calls Baton makes: the agent card (with `If-None-Match`), one call on the card's
//! interface, and the tasks that changed, page by page.

use std::collections::HashSet;

use baton_core::a2a::wire::{self, Call, Method};
use baton_core::a2a::{parse_card, parse_task_list, A2aError, A2aTask, AgentCard, Interface};
use baton_core::agent::AgentConfig;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::fetch::{FetchError, Fetcher};

/// Where the card is, under the agent's base URL.
const CARD_PATH: &str = ".well-known/agent-card.json";
/// Most `ListTasks` pages read in one poll (100 tasks each).
const MAX_PAGES: usize = 100;

/// One read of the agent card.
pub(super) struct CardRead {
    /// The card and its ETag; None when the server says it has not changed (304).
    pub fresh: Option<(AgentCard, Option<String>)>,
    /// The server's clock (its `Date` header).
    pub server_now: Option<DateTime<Utc>>,
}

/// The card at `base_url`.
pub(super) async fn read_card(
    fetcher: &Fetcher,
    agent: &AgentConfig,
    etag: Option<&str>,
    token: Option<&str>,
) -> Result<CardRead, FetchError> {
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
    let read = |fresh| CardRead {
        fresh,
        server_now: answer.date,
    };
    match answer.status {
        304 if etag.is_some() => Ok(read(None)),
        200..=299 => match parse_card(&answer.body) {
            Ok(card) => Ok(read(Some((card, answer.etag.clone())))),
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
pub(super) async fn call(
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
pub(super) async fn list_changed(
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
