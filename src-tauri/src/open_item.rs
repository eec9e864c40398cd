//! Bringing the window up on one escalation: the tray's "Open escalations" and a desktop
//! notification's Open both do it (the UI listens to [`OPEN_ESCALATION_EVENT`]).

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

/// The event the UI listens to (`ui/src/lib/backend.ts`): `{ "id": <escalation id> }`.
pub const OPEN_ESCALATION_EVENT: &str = "baton://open-escalation";

#[derive(Debug, Clone, Copy, Serialize)]
struct OpenEscalation {
    id: Option<i64>,
}

/// Shows the window and asks the UI to open escalation `id` (the queue when None).
pub(crate) fn open_escalation(app: &AppHandle, id: Option<i64>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    if let Err(err) = app.emit(OPEN_ESCALATION_EVENT, OpenEscalation { id }) {
        tracing::warn!(%err, "could not ask the UI to open an escalation");
    }
}
