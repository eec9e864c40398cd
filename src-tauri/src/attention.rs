//! Attention: the tray icon shows how many escalations are open (and how many coding sessions
//! wait for a person), and a desktop notification (`baton_desktop`)
//! tells of each new critical escalation, request for approval, and SLA about to lapse.
//! Clicking the tray's "Open escalations" item or a notification brings the window up on that
//! escalation (`crate::open_item`). What deserves an alert is the engine's
//! (`Engine::desktop_alerts`: the desktop route's settings); this module only shows it.

use std::sync::Arc;

use baton_core::views::ChangeEvent;
use baton_engine::Engine;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::AppHandle;

use crate::open_item::open_escalation;

const TRAY_ID: &str = "baton";
const MENU_OPEN: &str = "open-escalations";
const MENU_QUIT: &str = "quit";

/// The most urgent open escalation (soonest due), if any.
async fn most_urgent(engine: &Engine) -> Option<i64> {
    let queue = engine.escalations().await.ok()?;
    queue
        .iter()
        .find(|e| e.state == baton_core::escalations::EscalationState::Open)
        .map(|e| e.id)
}

fn tray_text(open: u64, sessions_waiting: u32) -> String {
    let escalations = match open {
        0 => "Baton: no open escalations".to_owned(),
        1 => "Baton: 1 open escalation".to_owned(),
        n => format!("Baton: {n} open escalations"),
    };
    match sessions_waiting {
        0 => escalations,
        1 => format!("{escalations}; 1 coding session waits for you"),
        n => format!("{escalations}; {n} coding sessions wait for you"),
    }
}

/// The tray's title: open escalations, and coding sessions waiting ("3 · 1"), or nothing.
fn tray_title(open: u64, sessions_waiting: u32) -> Option<String> {
    match (open, sessions_waiting) {
        (0, 0) => None,
        (open, 0) => Some(open.to_string()),
        (open, waiting) => Some(format!("{open} · {waiting}")),
    }
}

/// Builds the tray icon. A desktop without a tray (or without its library) is logged, not fatal.
pub fn setup_tray(app: &AppHandle, engine: &Engine) -> Option<TrayIcon> {
    let build = || -> tauri::Result<TrayIcon> {
        let open = MenuItem::with_id(app, MENU_OPEN, "Open escalations", true, None::<&str>)?;
        let quit = MenuItem::with_id(app, MENU_QUIT, "Quit Baton", true, None::<&str>)?;
        let menu = Menu::with_items(app, &[&open, &quit])?;
        let mut builder = TrayIconBuilder::with_id(TRAY_ID)
            .tooltip(tray_text(0, 0))
            .menu(&menu)
            .show_menu_on_left_click(false);
        if let Some(icon) = app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        let on_menu = engine.clone();
        let on_click = engine.clone();
        builder
            .on_menu_event(move |app, event| match event.id().as_ref() {
                MENU_OPEN => {
                    let (app, engine) = (app.clone(), on_menu.clone());
                    tauri::async_runtime::spawn(async move {
                        open_escalation(&app, most_urgent(&engine).await);
                    });
                }
                MENU_QUIT => app.exit(0),
                _ => {}
            })
            .on_tray_icon_event(move |tray, event| {
                if let TrayIconEvent::Click {
                    button: MouseButton::Left,
                    button_state: MouseButtonState::Up,
                    ..
                } = event
                {
                    let (app, engine) = (tray.app_handle().clone(), on_click.clone());
                    tauri::async_runtime::spawn(async move {
                        open_escalation(&app, most_urgent(&engine).await);
                    });
                }
            })
            .build(app)
    };
    // The Linux tray loads libayatana-appindicator at run time and panics without it.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)) {
        Ok(Ok(tray)) => Some(tray),
        Ok(Err(err)) => {
            tracing::warn!(%err, "no tray icon");
            None
        }
        Err(_) => {
            tracing::warn!("no tray icon: the desktop's tray library could not be loaded");
            None
        }
    }
}

/// Shows the number of open escalations, and of coding sessions waiting for a person, on the
/// tray (tooltip everywhere, title where the desktop shows one).
async fn refresh_tray(app: &AppHandle, engine: &Engine, sessions_waiting: u32) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    match engine.open_escalation_count().await {
        Ok(open) => {
            let _ = tray.set_tooltip(Some(tray_text(open, sessions_waiting)));
            let _ = tray.set_title(tray_title(open, sessions_waiting));
        }
        Err(err) => tracing::warn!(%err, "could not count open escalations"),
    }
}

/// Follows the engine's escalation changes: tray count, and alerts.
pub fn follow(app: AppHandle, engine: Engine) {
    let mut changes = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        let mut sessions_waiting = 0;
        let opens = app.clone();
        let desktop = baton_desktop::Desktop::new(
            engine.clone(),
            Arc::new(move |id: i64| open_escalation(&opens, Some(id))),
        );
        let _digests = desktop.follow_digests();
        refresh_tray(&app, &engine, sessions_waiting).await;
        loop {
            match changes.recv().await {
                Ok(ChangeEvent::Escalations {
                    opened,
                    lapsing,
                    changed,
                }) => {
                    refresh_tray(&app, &engine, sessions_waiting).await;
                    // What the desktop route's settings send (without one, the urgent items).
                    desktop.on_escalations(opened, lapsing, &changed).await;
                }
                Ok(ChangeEvent::SessionsHeard { waiting, .. }) => {
                    if waiting != sessions_waiting {
                        sessions_waiting = waiting;
                        refresh_tray(&app, &engine, sessions_waiting).await;
                    }
                }
                Ok(ChangeEvent::AgentsChanged) | Err(RecvError::Lagged(_)) => {
                    refresh_tray(&app, &engine, sessions_waiting).await;
                }
                Ok(_) => {}
                Err(RecvError::Closed) => break,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_counts_in_words() {
        assert_eq!(tray_text(0, 0), "Baton: no open escalations");
        assert_eq!(tray_text(1, 0), "Baton: 1 open escalation");
        assert_eq!(tray_text(12, 0), "Baton: 12 open escalations");
        assert_eq!(
            tray_text(0, 2),
            "Baton: no open escalations; 2 coding sessions wait for you"
        );
        assert_eq!(tray_title(0, 0), None);
        assert_eq!(tray_title(3, 0).as_deref(), Some("3"));
        assert_eq!(tray_title(3, 1).as_deref(), Some("3 · 1"));
    }
}
