//! The preview's HTTP server: the commands' table over HTTP for a browser, on loopback only.
//!
//! * `POST /api/invoke/{command}` with the JSON arguments (camelCase keys, as the app's IPC
//!   takes them) and the token in the `x-baton-token` header: the command's JSON answer, or
//!   `{code, message, field}` with 404 (`unknown_command`, `not_found`), 500 (Baton's own
//!   failure) or 400 (anything else wrong with the request).
//! * `GET /api/events?token=…`: server-sent events, one per engine change, named as the shell
//!   names its events (`baton://change`), the payload as JSON.
//! * Anything else: the UI's built files (`ui/dist`), `index.html` for a path that is no file.
//!
//! A request to `/api` without the right token is refused with 401.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_commands::{CommandError, Commands};
use baton_core::views::{ChangeEvent, ErrorPayload};
use futures_util::Stream;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

/// The header that carries the token on a command.
pub const TOKEN_HEADER: &str = "x-baton-token";
/// The event name of a change, as the desktop shell emits it (`ui/src/lib/backend.ts`).
pub const CHANGE_EVENT: &str = "baton://change";

struct Served {
    commands: Commands,
    token: String,
    /// The UI's built files, when there are any.
    ui: Option<PathBuf>,
    /// Turns true when the server stops: the event streams end then (or they would hold the
    /// server open forever).
    stopping: watch::Receiver<bool>,
}

/// The router of one preview: its commands, its token, the UI folder it serves, and the signal
/// that ends its event streams.
pub fn router(
    commands: Commands,
    token: String,
    ui: Option<PathBuf>,
    stopping: watch::Receiver<bool>,
) -> Router {
    let served = Arc::new(Served {
        commands,
        token,
        ui,
        stopping,
    });
    Router::new()
        .route("/api/invoke/{command}", post(invoke))
        .route("/api/events", get(events))
        .fallback(get(ui_file))
        .with_state(served)
}

/// Serves `router` on `listener` until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(stop)
        .await
}

/// Refuses any address but a loopback one: the preview has no other protection than its token.
pub fn check_loopback(addr: &SocketAddr) -> Result<(), String> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "baton preview serves on loopback only (127.0.0.1 or ::1), not {}",
            addr.ip()
        ))
    }
}

fn refused(status: StatusCode, code: &str, message: &str) -> Response {
    let payload = ErrorPayload {
        code: code.to_owned(),
        message: message.to_owned(),
        field: None,
    };
    (status, Json(payload)).into_response()
}

fn unauthorized() -> Response {
    refused(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "this preview wants its token: open the URL `baton preview` printed",
    )
}

/// The HTTP status of a command's error.
fn status_of(err: &CommandError) -> StatusCode {
    match err.payload().code.as_str() {
        "unknown_command" | "not_found" => StatusCode::NOT_FOUND,
        _ if err.is_internal() => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn invoke(
    State(served): State<Arc<Served>>,
    UrlPath(command): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = headers.get(TOKEN_HEADER).and_then(|t| t.to_str().ok());
    if token != Some(served.token.as_str()) {
        return unauthorized();
    }
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(args) => args,
            Err(err) => {
                let err = CommandError::InvalidArgs {
                    command,
                    message: format!("the body is not JSON: {err}"),
                };
                return (status_of(&err), Json(err.payload())).into_response();
            }
        }
    };
    match served.commands.invoke(&command, args).await {
        Ok(answer) => Json(answer).into_response(),
        Err(err) => (status_of(&err), Json(err.payload())).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    token: Option<String>,
}

async fn events(State(served): State<Arc<Served>>, Query(query): Query<EventsQuery>) -> Response {
    if query.token.as_deref() != Some(served.token.as_str()) {
        return unauthorized();
    }
    let changes = served.commands.engine().subscribe();
    let mut stopping = served.stopping.clone();
    let stopped = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    Sse::new(change_stream(changes).take_until(stopped))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Every change as a `baton://change` event; when the browser fell behind, one
/// `agents_changed` asks it to reload everything (as the shell does).
fn change_stream(
    changes: tokio::sync::broadcast::Receiver<ChangeEvent>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(changes, |mut changes| async move {
        let change = match changes.recv().await {
            Ok(change) => change,
            Err(RecvError::Lagged(_)) => ChangeEvent::AgentsChanged,
            Err(RecvError::Closed) => return None,
        };
        let event = Event::default()
            .event(CHANGE_EVENT)
            .json_data(&change)
            .unwrap_or_else(|_| Event::default().event(CHANGE_EVENT).data("{}"));
        Some((Ok(event), changes))
    })
}

/// A file of the built UI (`index.html` for `/` and for paths that are no file), or 404 when
/// the UI is not built.
async fn ui_file(State(served): State<Arc<Served>>, uri: Uri) -> Response {
    let Some(root) = served.ui.as_deref() else {
        return (
            StatusCode::NOT_FOUND,
            "The UI is not built: run `npm --prefix ui run build` (or `make preview`), or use \
             `npm --prefix ui run dev` with BATON_PREVIEW_URL set to this preview's URL.",
        )
            .into_response();
    };
    let file = ui_path(root, uri.path()).filter(|p| p.is_file());
    let file = file.unwrap_or_else(|| root.join("index.html"));
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [(header::CONTENT_TYPE, content_type(&file))],
            Body::from(bytes),
        )
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The file under `root` a URL path names, or None for a path that would leave it.
fn ui_path(root: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = Path::new(url_path.trim_start_matches('/'));
    let mut path = root.to_path_buf();
    for part in relative.components() {
        match part {
            Component::Normal(name) => path.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(path)
}

/// The content type of the files a Vite build writes. (Serving them by hand keeps tower-http's
/// `fs` feature, and a second build of reqwest's tree, out of the workspace.)
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_path_never_leaves_the_ui_folder() {
        let root = Path::new("/srv/ui");
        assert_eq!(
            ui_path(root, "/assets/index.js"),
            Some(PathBuf::from("/srv/ui/assets/index.js"))
        );
        assert_eq!(ui_path(root, "/"), Some(PathBuf::from("/srv/ui")));
        assert_eq!(ui_path(root, "/../etc/passwd"), None);
        assert_eq!(ui_path(root, "/assets/../../x"), None);
        assert_eq!(
            content_type(Path::new("a/index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("a/b.bin")),
            "application/octet-stream"
        );
    }

    #[test]
    fn only_loopback_addresses_are_served() {
        assert!(check_loopback(&"127.0.0.1:0".parse().unwrap()).is_ok());
        assert!(check_loopback(&"[::1]:8080".parse().unwrap()).is_ok());
        let refused = check_loopback(&"0.0.0.0:8080".parse().unwrap()).unwrap_err();
        assert!(refused.contains("loopback only"), "{refused}");
        assert!(check_loopback(&"192.168.1.2:80".parse().unwrap()).is_err());
    }
}
