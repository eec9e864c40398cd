//! Desktop notifications: the desktop route of issue 60, shown through the desktop's own
//! notification service (org.freedesktop.Notifications on Linux, by notify-rust over zbus).
//! Which items pop up is the engine's ([`Engine::desktop_alerts`]: the desktop route's
//! settings), and what a notification says and which buttons it has too
//! ([`Engine::desktop_alert`]); here it is shown, its buttons are heard, and it is closed when
//! its item is settled elsewhere. Past the storm threshold the new items are one notification
//! ("14 new items in 10 min", `desktop_batch`), replaced in place as the storm grows; what the
//! route sends in the digest is one notification a period ([`Desktop::follow_digests`]).
//! *Approve* / *Deny* (*Allow* / *Deny*) are taken by the engine as the desktop route's
//! person's decision; *Open* (and a click on the notification, where the
//! service shows no buttons) is the opener's: the app brings its window up on the item,
//! `baton watch --desktop` says how to see it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baton_core::escalations::{Alert, EscalationState};
use baton_core::notify::desktop::OPEN_ACTION;
use baton_core::notify::desktop_batch::StormAlert;
use baton_engine::notify::{DesktopAlert, DesktopTaken};
use baton_engine::Engine;
use tokio::sync::Notify;

/// What *Open* does with an item (the app: its window on the item).
pub type Opener = Arc<dyn Fn(i64) + Send + Sync>;

/// The desktop's notifications of one engine's queue.
#[derive(Clone)]
pub struct Desktop {
    engine: Engine,
    shown: Shown,
    storm: StormShown,
    open: Opener,
}

/// The storm's notification on screen (one at a time, replaced as the storm grows).
#[derive(Clone, Default)]
struct StormShown(Arc<tokio::sync::Mutex<Option<StormOnScreen>>>);

/// The id the notification service gave the storm's notification, and what stops following
/// it once a newer count replaces it.
// Read only where notifications are followed (XDG).
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
struct StormOnScreen {
    id: u32,
    following: Arc<Notify>,
}

/// The notifications on screen, by item: each with what closes it.
#[derive(Clone, Default)]
struct Shown(Arc<Mutex<HashMap<i64, Arc<Notify>>>>);

impl Shown {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Notify>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn items(&self) -> Vec<i64> {
        self.lock().keys().copied().collect()
    }

    fn close(&self, id: i64) {
        if let Some(closer) = self.lock().remove(&id) {
            closer.notify_one();
        }
    }
}

impl Desktop {
    pub fn new(engine: Engine, open: Opener) -> Desktop {
        Desktop {
            engine,
            shown: Shown::default(),
            storm: StormShown::default(),
            open,
        }
    }

    /// What a change of the queue shows: a notification for each item just `opened` or about
    /// to lapse (`lapsing`) that the engine alerts on, and the notifications of items among
    /// `changed` that are no longer open (settled in the app, by `baton decide`, from the
    /// phone, or lapsed) closed.
    pub async fn on_escalations(&self, opened: Vec<i64>, lapsing: Vec<i64>, changed: &[i64]) {
        self.close_settled(changed).await;
        if opened.is_empty() && lapsing.is_empty() {
            return;
        }
        match self.engine.desktop_alerts(opened, lapsing).await {
            Ok(alerts) => {
                for alert in alerts.each {
                    tracing::info!(escalation = alert.escalation_id, summary = %alert.summary, "alert");
                    self.show(alert);
                }
                if let Some(storm) = alerts.storm {
                    tracing::info!(items = storm.count, summary = %storm.summary, "storm");
                    self.show_storm(storm);
                }
            }
            Err(err) => tracing::warn!(%err, "could not read the queue's alerts"),
        }
    }

    async fn close_settled(&self, changed: &[i64]) {
        let on_screen = self.shown.items();
        for id in changed.iter().filter(|id| on_screen.contains(id)) {
            let open = self
                .engine
                .escalation(*id)
                .await
                .map(|e| e.state == EscalationState::Open)
                .unwrap_or(false);
            if !open {
                tracing::info!(
                    escalation = id,
                    "settled elsewhere: its notification closes"
                );
                self.shown.close(*id);
            }
        }
    }

    /// Shows the notification for `alert` (replacing the item's earlier one), and follows it
    /// until a button is pressed, it is dismissed, or its item is settled elsewhere.
    pub fn show(&self, alert: Alert) {
        let desktop = self.clone();
        tokio::spawn(async move {
            let Some(desk) = desktop.engine.desktop_alert(&alert).await else {
                return;
            };
            let id = desk.notice.escalation_id;
            desktop.shown.close(id);
            let closer = Arc::new(Notify::new());
            desktop.shown.lock().insert(id, Arc::clone(&closer));
            let mut notification = notify_rust::Notification::new();
            notification
                .appname("Baton")
                .summary(&desk.notice.summary)
                .body(&desk.notice.body);
            for button in &desk.notice.buttons {
                notification.action(button.action, button.label);
            }
            follow_one(&desktop, &desk, notification, &closer).await;
            // Gone from the screen (unless a newer one for the item took its place).
            let mut on_screen = desktop.shown.lock();
            if on_screen.get(&id).is_some_and(|c| Arc::ptr_eq(c, &closer)) {
                on_screen.remove(&id);
            }
        });
    }
}

/// How often a desktop looks whether its digest is due (periods are a minute or longer).
const DIGEST_LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl Desktop {
    /// Shows the desktop route's digest whenever one is due ([`Engine::desktop_digest`]),
    /// for as long as the process runs; what it told is kept in memory, and what was due
    /// before it started counts as told ([`Engine::desktop_digest_told`]).
    pub fn follow_digests(&self) -> tokio::task::JoinHandle<()> {
        let desktop = self.clone();
        tokio::spawn(async move {
            let mut told = match desktop.engine.desktop_digest_told().await {
                Ok(told) => told,
                Err(err) => {
                    tracing::warn!(%err, "could not read the queue's digest");
                    Default::default()
                }
            };
            let mut every = tokio::time::interval(DIGEST_LOOK_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                match desktop.engine.desktop_digest(&mut told).await {
                    Ok(Some(digest)) => {
                        tracing::info!(items = digest.items.len(), summary = %digest.summary, "digest");
                        told.extend(digest.items.iter().copied());
                        desktop.show_batch(&digest.summary, &digest.body, digest.items[0]);
                    }
                    Ok(None) => {}
                    Err(err) => tracing::warn!(%err, "could not read the queue's digest"),
                }
            }
        })
    }

    /// Shows a notification standing for several items (a digest), with *Open*, which opens
    /// `first`.
    fn show_batch(&self, summary: &str, body: &str, first: i64) {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Baton")
            .summary(summary)
            .body(body)
            .action(OPEN_ACTION, "Open");
        let desktop = self.clone();
        tokio::spawn(async move { follow_batch(&desktop, notification, first).await });
    }

    /// Shows the storm's notification, in place of the storm's last one while that is on
    /// screen; a click on it opens the storm's newest item.
    pub fn show_storm(&self, storm: StormAlert) {
        let desktop = self.clone();
        tokio::spawn(async move {
            let mut notification = notify_rust::Notification::new();
            notification
                .appname("Baton")
                .summary(&storm.summary)
                .body(&storm.body)
                .action(OPEN_ACTION, "Open");
            follow_storm(&desktop, &storm, notification).await;
        });
    }
}

/// Once the notification `handle` is answered or closed: whether it was *Open* (or a click).
#[cfg(all(unix, not(target_os = "macos")))]
async fn opened(handle: &notify_rust::NotificationHandle) -> bool {
    use notify_rust::NotificationResponse;
    let mut clicked = false;
    handle
        .wait_for_action_async(|response| {
            clicked = matches!(response, NotificationResponse::Default)
                || matches!(response, NotificationResponse::Action(a) if a == OPEN_ACTION);
        })
        .await;
    clicked
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn follow_batch(desktop: &Desktop, notification: notify_rust::Notification, first: i64) {
    match notification.show_async().await {
        Ok(handle) if opened(&handle).await => (desktop.open)(first),
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, "could not show a desktop notification"),
    }
}

/// Elsewhere it is shown without following it (no click reaches Baton).
#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn follow_batch(_desktop: &Desktop, notification: notify_rust::Notification, _first: i64) {
    if let Err(err) = notification.show() {
        tracing::warn!(%err, "could not show a desktop notification");
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn follow_storm(
    desktop: &Desktop,
    storm: &StormAlert,
    mut notification: notify_rust::Notification,
) {
    notification.timeout(notify_rust::Timeout::Never);
    let stop = Arc::new(Notify::new());
    let handle = {
        // One storm notification at a time: the next update waits for this one's id.
        let mut on_screen = desktop.storm.0.lock().await;
        if let Some(shown) = on_screen.take() {
            notification.id(shown.id);
            shown.following.notify_one();
        }
        match notification.show_async().await {
            Ok(handle) => {
                *on_screen = Some(StormOnScreen {
                    id: handle.id(),
                    following: Arc::clone(&stop),
                });
                handle
            }
            Err(err) => {
                tracing::warn!(%err, "could not show the storm's desktop notification");
                return;
            }
        }
    };
    tokio::select! {
        clicked = opened(&handle) => if clicked {
            (desktop.open)(storm.newest);
        },
        // Replaced by a newer count: that one is followed now.
        () = stop.notified() => return,
    }
    // Gone from the screen: the storm's next update shows a new one.
    let mut on_screen = desktop.storm.0.lock().await;
    if on_screen
        .as_ref()
        .is_some_and(|shown| Arc::ptr_eq(&shown.following, &stop))
    {
        *on_screen = None;
    }
}

/// Elsewhere the storm's notification is shown without following it (no click reaches Baton).
#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn follow_storm(
    _desktop: &Desktop,
    _storm: &StormAlert,
    notification: notify_rust::Notification,
) {
    if let Err(err) = notification.show() {
        tracing::warn!(%err, "could not show the storm's desktop notification");
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn follow_one(
    desktop: &Desktop,
    desk: &DesktopAlert,
    mut notification: notify_rust::Notification,
    closer: &Notify,
) {
    use notify_rust::{NotificationResponse, Timeout};
    // It stays until it is answered or its item is settled: an agent may be waiting.
    notification.timeout(Timeout::Never);
    let handle = match notification.show_async().await {
        Ok(handle) => handle,
        Err(err) => {
            tracing::warn!(%err, "could not show a desktop notification");
            return;
        }
    };
    loop {
        let mut pressed: Option<String> = None;
        tokio::select! {
            () = handle.wait_for_action_async(|response| {
                pressed = match response {
                    NotificationResponse::Default => Some(OPEN_ACTION.to_owned()),
                    NotificationResponse::Action(action) => Some(action.clone()),
                    _ => None,
                };
            }) => {}
            () = closer.notified() => {
                handle.close_async().await;
                return;
            }
        }
        let item = desk.notice.escalation_id;
        match pressed.as_deref() {
            // Dismissed by the person, or closed by the service.
            None => return,
            // Opened: the notification stays (its buttons still answer) until decided.
            Some(OPEN_ACTION) => (desktop.open)(item),
            Some(action) => {
                match desktop.engine.answer_on_desktop(desk, action).await {
                    DesktopTaken::Decided(e) => {
                        tracing::info!(escalation = e.id, action, "decided on the desktop")
                    }
                    // Refused (settled elsewhere first, the route removed): the item says why.
                    DesktopTaken::Refused(_) => (desktop.open)(item),
                }
                handle.close_async().await;
                return;
            }
        }
    }
}

/// Elsewhere the notification is shown without following it (no click reaches Baton).
#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn follow_one(
    _desktop: &Desktop,
    _desk: &DesktopAlert,
    notification: notify_rust::Notification,
    _closer: &Notify,
) {
    if let Err(err) = notification.show() {
        tracing::warn!(%err, "could not show a desktop notification");
    }
}
