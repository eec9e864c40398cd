//! The routes' loop (issue 60), run by whoever watches (the app, `baton watch`): each round it
//! reads the routes and the queue, and sorts each route's items by its sending settings
//! ([`route_plan`]): what goes at once has a message of its own, with its buttons ([`items`]:
//! replaced as the item grows, and once more when it is settled elsewhere); many new items at
//! once are one storm message, and what waits goes as the digest ([`batches`]). Each send is
//! claimed in the store first, as the outbox's deliveries are: on a shared store one watcher
//! sends it. A reader per route with a reply topic takes the answers ([`replies`]). The loop
//! judges time by [`clock::NotifyClock`], which a test can move on.

use std::collections::HashMap;
use std::sync::Arc;

use baton_core::agent::AdapterKind;
use baton_core::escalations::Escalation;
use baton_core::notify::policy::STORM_WINDOW;
use baton_core::notify::{NotifyRoute, RouteKind};
use baton_core::views::ChangeEvent;
use baton_store::escalations::EscalationFilter;
use baton_store::notify::StoredRoute;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EngineError;
use crate::shared::Shared;

mod answers;
mod batches;
pub mod clock;
mod desktop;
mod items;
pub mod keys;
pub(crate) mod ntfy;
mod publish;
mod record;
mod replies;
mod route_plan;
pub mod stats;
mod trial;
mod webhook;

pub(crate) use answers::refusal;
pub use desktop::{DesktopAlert, DesktopTaken};
pub(crate) use keys::random_hex;
pub use trial::{test_route, TrialOutcome};

use replies::ReplyReader;

/// The running loop; stopping it stops the reply readers too.
pub(crate) struct NotifyLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl NotifyLoop {
    pub fn spawn(shared: Arc<Shared>) -> NotifyLoop {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut key = keys::LazyAnswerKey::default();
            let mut readers: HashMap<i64, ReplyReader> = HashMap::new();
            let mut changes = shared.bus.subscribe();
            loop {
                if let Err(err) = round(&shared, &mut key, &mut readers).await {
                    tracing::warn!(error = %err, "the routes' round could not run");
                }
                shared.notify.bump(|s| s.rounds += 1);
                let wait = async {
                    let deadline = tokio::time::sleep(shared.config.notify_round);
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
                    () = shared.config.notify_clock.moved() => {}
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

/// One round: every route's sends, as its settings say ([`route_plan`]).
async fn round(
    shared: &Arc<Shared>,
    key: &mut keys::LazyAnswerKey,
    readers: &mut HashMap<i64, ReplyReader>,
) -> Result<(), EngineError> {
    let routes = shared.read(|s| s.routes()).await?;
    if routes.iter().any(|r| r.route.draft.answers()) {
        keep_readers(shared, &key.get(shared).await, &routes, readers);
    } else {
        readers.clear();
    }
    let sending: Vec<NotifyRoute> = routes
        .into_iter()
        .map(|r| r.route)
        .filter(|r| r.draft.kind != RouteKind::Desktop)
        .collect();
    if sending.is_empty() {
        return Ok(());
    }
    let now = shared.config.notify_clock.now();
    let items = shared
        .read(|s| s.escalations(EscalationFilter::default()))
        .await?;
    let awake: Vec<Escalation> = items.iter().filter(|e| e.is_awake(now)).cloned().collect();
    // Which items' agents are coding sessions (their buttons say Allow / Deny).
    let mut asks: HashMap<i64, bool> = HashMap::new();
    for agent in awake.iter().filter_map(|e| e.agent_id) {
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
    for route in &sending {
        // What the route told already (read first: a round with nothing new writes nothing).
        let route_id = route.id;
        let sent = shared.read(move |s| s.notices_sent(route_id)).await?;
        let since = now - STORM_WINDOW;
        let storm = shared.read(move |s| s.open_storm(route_id, since)).await?;
        let plan = route_plan::plan(&route.draft.policy, &awake, &sent, storm.as_ref(), now);
        if route.draft.kind == RouteKind::Webhook {
            webhook::post_new(shared, route, &plan.at_once, claimer, now).await?;
        } else {
            let sends = items::ItemSends {
                route,
                at_once: &plan.at_once,
                sent: &sent,
                asks: &asks,
                claimer,
                now,
            };
            items::send_items(shared, &key.get(shared).await, sends).await?;
        }
        batches::send_storm(shared, route, &plan, claimer, now).await?;
        batches::send_digest(shared, route, &plan, claimer, now).await?;
        if route.draft.kind == RouteKind::Ntfy {
            items::tell_settled(shared, route, &items, claimer, now).await?;
        }
    }
    Ok(())
}
