//! The routes' loop (issue 60), run by whoever watches (the app, `baton watch`): each round it
//! reads the routes and the queue, and for each ntfy route sends each item that goes to the
//! phone ([`baton_core::notify::message::wants_notice`]) as one message with its buttons, each
//! button carrying a signed single-use answer ([`baton_core::notify::answer`]); an item that
//! grew replaces its message (same sequence id), one settled elsewhere is told so, without
//! buttons. Each send is claimed in the store first, as the outbox's deliveries are: on a
//! shared store one watcher sends it. A reader per route with a reply topic takes the answers
//! ([`replies`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use baton_core::agent::AdapterKind;
use baton_core::escalations::{Escalation, EscalationState};
use baton_core::notify::answer::{sign_answer, AnswerClaim, ANSWER_TTL};
use baton_core::notify::message::{
    buttons, open_message, settled_message, wants_notice, NtfyAction,
};
use baton_core::notify::{NotifyRoute, RouteKind};
use baton_core::views::ChangeEvent;
use baton_store::escalations::EscalationFilter;
use baton_store::notify::sent::{Notice, NoticeClaim};
use baton_store::notify::StoredRoute;
use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EngineError;
use crate::shared::Shared;

mod answers;
mod desktop;
pub mod keys;
pub(crate) mod ntfy;
mod record;
mod replies;
pub mod stats;
mod trial;
mod webhook;

pub use desktop::{DesktopAlert, DesktopTaken};
pub use trial::{test_route, TrialOutcome};

use replies::ReplyReader;

/// Longest pause between rounds (a retry due, an item another process opened).
const ROUND: Duration = Duration::from_secs(2);
/// How long a watcher holds a send it claimed (longer than a publish may take).
const CLAIM_MS: i64 = 30_000;

/// The running loop; stopping it stops the reply readers too.
pub(crate) struct NotifyLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl NotifyLoop {
    pub fn spawn(shared: Arc<Shared>) -> NotifyLoop {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let key = Arc::new(keys::answer_key(&shared).await);
            let mut readers: HashMap<i64, ReplyReader> = HashMap::new();
            let mut changes = shared.bus.subscribe();
            loop {
                if let Err(err) = round(&shared, &key, &mut readers).await {
                    tracing::warn!(error = %err, "the routes' round could not run");
                }
                shared.notify.bump(|s| s.rounds += 1);
                let wait = async {
                    let deadline = tokio::time::sleep(ROUND);
                    tokio::pin!(deadline);
                    loop {
                        tokio::select! {
                            () = &mut deadline => return,
                            change = changes.recv() => match change {
                                Ok(ChangeEvent::Escalations { .. }) | Err(_) => return,
                                Ok(_) => {}
                            },
                        }
                    }
                };
                tokio::select! {
                    () = wait => {}
                    _ = stopped.wait_for(|s| *s) => break,
                }
            }
            readers.clear();
        });
        NotifyLoop { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts, restarts (changed) and stops the reply readers to match `routes`.
fn keep_readers(
    shared: &Arc<Shared>,
    key: &Arc<Vec<u8>>,
    routes: &[StoredRoute],
    readers: &mut HashMap<i64, ReplyReader>,
) {
    readers.retain(|id, reader| {
        routes
            .iter()
            .any(|r| r.route.id == *id && r.route == reader.route && r.route.draft.answers())
    });
    for stored in routes.iter().filter(|r| r.route.draft.answers()) {
        readers.entry(stored.route.id).or_insert_with(|| {
            ReplyReader::spawn(
                Arc::clone(shared),
                stored.route.clone(),
                stored.reply_since.clone(),
                Arc::clone(key),
            )
        });
    }
}

/// One round: every ntfy route's sends.
async fn round(
    shared: &Arc<Shared>,
    key: &Arc<Vec<u8>>,
    readers: &mut HashMap<i64, ReplyReader>,
) -> Result<(), EngineError> {
    let routes = shared.read(|s| s.routes()).await?;
    keep_readers(shared, key, &routes, readers);
    let (ntfy, hooks): (Vec<NotifyRoute>, Vec<NotifyRoute>) = routes
        .into_iter()
        .map(|r| r.route)
        .filter(|r| r.draft.kind != RouteKind::Desktop)
        .partition(|r| r.draft.kind == RouteKind::Ntfy);
    if ntfy.is_empty() && hooks.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let items = shared
        .read(|s| s.escalations(EscalationFilter::default()))
        .await?;
    let wanted: Vec<Escalation> = items
        .iter()
        .filter(|e| wants_notice(e, now))
        .cloned()
        .collect();
    // Which items' agents are coding sessions (their buttons say Allow / Deny).
    let mut asks: HashMap<i64, bool> = HashMap::new();
    for agent in wanted.iter().filter_map(|e| e.agent_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = asks.entry(agent) {
            let session = shared
                .read(move |s| s.agent(agent))
                .await
                .map(|a| a.adapter == AdapterKind::Session);
            slot.insert(session.unwrap_or(false));
        }
    }
    // Sharing the store: nothing is sent before this watcher has its number (a claim by 0
    // would be every such watcher's own).
    let claimer = match (&shared.config.sharing, shared.sharing.watcher_id()) {
        (Some(_), None) => return Ok(()),
        (_, id) => id.unwrap_or(0),
    };
    for route in &hooks {
        webhook::post_new(shared, route, &wanted, claimer, now).await?;
    }
    for route in &ntfy {
        // What the route told already (read first: a round with nothing new writes nothing).
        let route_id = route.id;
        let sent = shared.read(move |s| s.notices_sent(route_id)).await?;
        let due = |e: &Escalation| match sent.iter().find(|row| row.escalation_id == e.id) {
            None => true,
            Some(row) => {
                !row.settled_sent
                    && row.sent_occurrences < e.occurrences
                    && (row.attempts == 0 || row.next_attempt_at <= now)
            }
        };
        for e in wanted.iter().filter(|e| due(e)) {
            let notice = Notice::Open {
                occurrences: e.occurrences,
            };
            let (route_id, item) = (route.id, e.id);
            let claim = shared
                .write(move |s| s.claim_notice(route_id, item, notice, claimer, CLAIM_MS, now))
                .await?;
            if let Some(claim) = claim {
                let session = e
                    .agent_id
                    .and_then(|a| asks.get(&a).copied())
                    .unwrap_or(false);
                send_open(shared, key, route, e, session, claim).await?;
            }
        }
        let told = shared.read(move |s| s.notices_unsettled(route_id)).await?;
        for id in told
            .into_iter()
            .filter(|id| !wanted.iter().any(|e| e.id == *id))
        {
            let e = match items.iter().find(|e| e.id == id) {
                Some(e) => e.clone(),
                None => match shared.read(move |s| s.escalation(id)).await {
                    Ok(e) => e,
                    Err(_) => continue,
                },
            };
            if e.state == EscalationState::Open {
                continue;
            }
            let claim = shared
                .write(move |s| {
                    s.claim_notice(route_id, id, Notice::Settled, claimer, CLAIM_MS, now)
                })
                .await?;
            if let Some(claim) = claim {
                let message = settled_message(topic(route), &e);
                send(shared, route, claim, &message, Notice::Settled).await?;
            }
        }
    }
    Ok(())
}

fn topic(route: &NotifyRoute) -> &str {
    route.draft.topic.as_deref().unwrap_or_default()
}

/// Sends an open item's message, with a signed answer on each of its buttons.
async fn send_open(
    shared: &Shared,
    key: &[u8],
    route: &NotifyRoute,
    e: &Escalation,
    session: bool,
    claim: NoticeClaim,
) -> Result<(), EngineError> {
    let expires_at = Utc::now() + ANSWER_TTL;
    let reply_url = match (&route.draft.server, &route.draft.reply_topic) {
        (Some(server), Some(reply)) => Some(format!("{server}/{reply}")),
        _ => None,
    };
    let actions = match &reply_url {
        Some(url) => buttons(e, session)
            .into_iter()
            .map(|(action, label)| {
                let token = sign_answer(
                    key,
                    &AnswerClaim {
                        route_id: route.id,
                        escalation_id: e.id,
                        action,
                        expires_at,
                        nonce: keys::random_hex(),
                    },
                );
                NtfyAction::answer(label, url, token)
            })
            .collect(),
        None => Vec::new(),
    };
    let message = open_message(topic(route), e, actions);
    let notice = Notice::Open {
        occurrences: e.occurrences,
    };
    send(shared, route, claim, &message, notice).await
}

/// Publishes `message` and records how it went (the claim ends with it).
async fn send(
    shared: &Shared,
    route: &NotifyRoute,
    claim: NoticeClaim,
    message: &baton_core::notify::message::NtfyMessage,
    notice: Notice,
) -> Result<(), EngineError> {
    let server = route.draft.server.clone().unwrap_or_default();
    let published = match keys::route_token(shared, route).await {
        Ok(token) => ntfy::publish(&shared.notify_client, &server, token.as_deref(), message).await,
        Err(err) => Err(err),
    };
    record::finish(shared, route, claim, published, notice).await
}
