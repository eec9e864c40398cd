//! Desktop notifications: the desktop route of issue 60, shown through the desktop's own
//! notification service (org.freedesktop.Notifications on Linux, by notify-rust over zbus).
//! What a notification says and which buttons it has is the engine's
//! ([`Engine::desktop_alert`]); here it is shown, its buttons are heard, and it is closed when
//! its item is settled elsewhere. *Open* (and a click on the notification, where the service
//! shows no buttons) brings the window up on the item; *Approve* / *Deny* (*Allow* / *Deny*)
//! are taken by the engine as the desktop route's person's decision.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baton_core::escalations::{Alert, EscalationState};
use baton_core::notify::desktop::OPEN_ACTION;
use baton_engine::notify::{DesktopAlert, DesktopTaken};
use baton_engine::Engine;
use tauri::AppHandle;
use tokio::sync::Notify;

use crate::open_item::open_escalation;

/// The notifications on screen, by item: each with what closes it.
#[derive(Clone, Default)]
pub struct Shown(Arc<Mutex<HashMap<i64, Arc<Notify>>>>);

impl Shown {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Notify>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The items with a notification on screen.
    pub fn items(&self) -> Vec<i64> {
        self.lock().keys().copied().collect()
    }

    /// Closes item `id`'s notification, if one is on screen.
    pub fn close(&self, id: i64) {
        if let Some(closer) = self.lock().remove(&id) {
            closer.notify_one();
        }
    }
}

/// Closes the notifications of items among `changed` that are no longer open (settled in the
/// app, by `baton decide`, from the phone, or lapsed).
pub async fn close_settled(engine: &Engine, shown: &Shown, changed: &[i64]) {
    let on_screen = shown.items();
    for id in changed.iter().filter(|id| on_screen.contains(id)) {
        let open = engine
            .escalation(*id)
            .await
            .map(|e| e.state == EscalationState::Open)
            .unwrap_or(false);
        if !open {
            tracing::info!(
                escalation = id,
                "settled elsewhere: its notification closes"
            );
            shown.close(*id);
        }
    }
}

/// Shows the notification for `alert` (replacing the item's earlier one), and follows it until
/// a button is pressed, it is dismissed, or its item is settled elsewhere.
pub fn show(app: &AppHandle, engine: &Engine, shown: &Shown, alert: Alert) {
    let (app, engine, shown) = (app.clone(), engine.clone(), shown.clone());
    tauri::async_runtime::spawn(async move {
        let Some(desk) = engine.desktop_alert(&alert).await else {
            return;
        };
        let id = desk.notice.escalation_id;
        shown.close(id);
        let closer = Arc::new(Notify::new());
        shown.lock().insert(id, Arc::clone(&closer));
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Baton")
            .summary(&desk.notice.summary)
            .body(&desk.notice.body);
        for button in &desk.notice.buttons {
            notification.action(button.action, button.label);
        }
        follow_one(&app, &engine, &desk, notification, &closer).await;
        // Gone from the screen (unless a newer one for the item took its place).
        let mut on_screen = shown.lock();
        if on_screen.get(&id).is_some_and(|c| Arc::ptr_eq(c, &closer)) {
            on_screen.remove(&id);
        }
    });
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn follow_one(
    app: &AppHandle,
    engine: &Engine,
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
            Some(OPEN_ACTION) => open_escalation(app, Some(item)),
            Some(action) => {
                match engine.answer_on_desktop(desk, action).await {
                    DesktopTaken::Decided(e) => {
                        tracing::info!(escalation = e.id, action, "decided on the desktop")
                    }
                    // Refused (settled elsewhere first, the route removed): the app shows it.
                    DesktopTaken::Refused(_) => open_escalation(app, Some(item)),
                }
                handle.close_async().await;
                return;
            }
        }
    }
}

/// Elsewhere the notification is shown without following it (no click reaches the app).
#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn follow_one(
    _app: &AppHandle,
    _engine: &Engine,
    _desk: &DesktopAlert,
    notification: notify_rust::Notification,
    _closer: &Notify,
) {
    if let Err(err) = notification.show() {
        tracing::warn!(%err, "could not show a desktop notification");
    }
}
