//! A small ntfy server for the routes' tests, written from ntfy's published HTTP API (the
//! documentation of ntfy 2.16: docs/publish.md, "Publish as JSON", "Action buttons",
//! "Updating notifications"; docs/subscribe/api.md, "Subscribe as JSON stream", "Fetch cached
//! messages"; "Authentication", access tokens). No ntfy server can be installed here.
//!
//! What it serves, on 127.0.0.1:
//!
//! * `POST /` with a JSON message (`topic` required; `title`, `message`, `priority`, `tags`,
//!   `click`, `actions`, `sequence_id`): cached and sent to the topic's subscribers; answered
//!   with the message as stored (`id`, `time`, `event: "message"`, and `sequence_id` when it
//!   differs from `id`).
//! * `POST /<topic>` with a plain body (what a phone's `http` action sends): the body is the
//!   message (`X-Sequence-ID` honoured). Unlike ntfy, a body over 4 KiB is kept inline rather
//!   than turned into an attachment, so that a client's own limit on lines is what is tested.
//! * `GET /<topic>/json[?since=<id>|<unix time>|all][&poll=1]`: one JSON object per line, an
//!   `open` event first, then the cached messages after `since`, then live ones (with `poll=1`
//!   the stream ends after the cached ones).
//! * With a token, every request needs `Authorization: Bearer <token>` (401 otherwise).
//!
//! Test hooks: [`NtfyServer::reserve`] makes a topic another user's (403 to this token, as
//! ntfy answers a reserved topic), what each topic received and when ([`NtfyServer::arrived`]),
//! [`NtfyServer::drop_streams`], which ends every open stream as a dropped connection would,
//! [`NtfyServer::refuse_streams`], which keeps streams from opening (503) for as long as the
//! test says, while publishing still works (a phone's answers reach the server while the
//! watcher's network is away), and [`NtfyServer::set_down`], which refuses publishes as a
//! server that is down does.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, mpsc, watch};

/// The running server.
pub struct NtfyServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    state: Arc<Served>,
    task: tokio::task::JoinHandle<()>,
}

struct Served {
    token: Option<String>,
    /// Every message by topic, in order.
    cache: Mutex<HashMap<String, Vec<Value>>>,
    live: broadcast::Sender<Value>,
    /// Bumped to end every open stream.
    drops: watch::Sender<u64>,
    next: Mutex<u64>,
    /// While set, publishing as JSON is refused (503), as a server that is down answers.
    down: AtomicBool,
    /// When each message (by id) arrived.
    arrivals: Mutex<HashMap<String, Instant>>,
    /// Streams are refused while set.
    refusing: AtomicBool,
    /// Stream openings refused so far.
    refused: AtomicU64,
    /// Topics reserved by another user: 403.
    reserved: Mutex<Vec<String>>,
}

fn is_topic(t: &str) -> bool {
    (1..=64).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn error(status: StatusCode, code: u32, text: &str) -> Response {
    let body = json!({"code": code, "http": status.as_u16(), "error": text});
    (status, axum::Json(body)).into_response()
}

impl Served {
    fn allowed(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {token}"))
    }

    /// ntfy's answer to a token that may not use `topic`, if it is reserved.
    fn forbidden(&self, topic: &str) -> Option<Response> {
        let reserved = self.reserved.lock().unwrap().iter().any(|t| t == topic);
        reserved.then(|| error(StatusCode::FORBIDDEN, 40301, "forbidden"))
    }

    /// Stores and sends one message; returns it as stored.
    fn publish(&self, topic: &str, mut fields: Map<String, Value>) -> Value {
        let id = {
            let mut next = self.next.lock().unwrap();
            *next += 1;
            format!("m{:011}", *next)
        };
        let time = chrono::Utc::now().timestamp();
        fields.insert("id".into(), json!(id));
        fields.insert("time".into(), json!(time));
        fields.insert("event".into(), json!("message"));
        fields.insert("topic".into(), json!(topic));
        if fields.get("sequence_id").and_then(Value::as_str) == Some(id.as_str()) {
            fields.remove("sequence_id");
        }
        fields.entry("message").or_insert(json!("triggered"));
        let message = Value::Object(fields);
        self.arrivals.lock().unwrap().insert(id, Instant::now());
        self.cache
            .lock()
            .unwrap()
            .entry(topic.to_owned())
            .or_default()
            .push(message.clone());
        let _ = self.live.send(message.clone());
        message
    }
}

async fn publish_json(State(s): State<Arc<Served>>, headers: HeaderMap, body: Bytes) -> Response {
    if s.down.load(Ordering::SeqCst) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            50301,
            "service unavailable",
        );
    }
    if !s.allowed(&headers) {
        return error(StatusCode::UNAUTHORIZED, 40101, "unauthorized");
    }
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            40024,
            "invalid request: body must be message JSON",
        );
    };
    let topic = match fields.remove("topic") {
        Some(Value::String(t)) if is_topic(&t) => t,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                40009,
                "invalid request: topic invalid",
            )
        }
    };
    if let Some(refused) = s.forbidden(&topic) {
        return refused;
    }
    let known = [
        "message",
        "title",
        "priority",
        "tags",
        "click",
        "actions",
        "sequence_id",
        "icon",
        "attach",
        "filename",
        "markdown",
        "delay",
        "email",
        "call",
    ];
    fields.retain(|k, _| known.contains(&k.as_str()));
    if let Some(actions) = fields.get("actions") {
        let fine = actions.as_array().is_some_and(|list| {
            list.len() <= 3
                && list
                    .iter()
                    .all(|a| a["action"].is_string() && a["label"].is_string())
        });
        if !fine {
            return error(
                StatusCode::BAD_REQUEST,
                40018,
                "invalid request: actions invalid",
            );
        }
    }
    axum::Json(s.publish(&topic, fields)).into_response()
}

async fn publish_plain(
    State(s): State<Arc<Served>>,
    Path(topic): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !s.allowed(&headers) {
        return error(StatusCode::UNAUTHORIZED, 40101, "unauthorized");
    }
    if !is_topic(&topic) {
        return error(StatusCode::NOT_FOUND, 40401, "page not found");
    }
    if let Some(refused) = s.forbidden(&topic) {
        return refused;
    }
    let mut fields = Map::new();
    fields.insert("message".into(), json!(String::from_utf8_lossy(&body)));
    if let Some(sid) = headers.get("x-sequence-id").and_then(|v| v.to_str().ok()) {
        fields.insert("sequence_id".into(), json!(sid));
    }
    axum::Json(s.publish(&topic, fields)).into_response()
}

fn line(value: &Value) -> Bytes {
    let mut text = value.to_string();
    text.push('\n');
    Bytes::from(text)
}

/// The cached messages of `topic` after `since`.
fn cached_after(all: &[Value], since: Option<&str>) -> Vec<Value> {
    match since {
        None => Vec::new(),
        Some("all") => all.to_vec(),
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
            let t: i64 = s.parse().unwrap_or(0);
            all.iter()
                .filter(|m| m["time"].as_i64().unwrap_or(0) >= t)
                .cloned()
                .collect()
        }
        Some(id) => match all.iter().position(|m| m["id"] == id) {
            Some(at) => all[at + 1..].to_vec(),
            None => all.to_vec(),
        },
    }
}

async fn subscribe(
    State(s): State<Arc<Served>>,
    Path(topic): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !s.allowed(&headers) {
        return error(StatusCode::UNAUTHORIZED, 40101, "unauthorized");
    }
    if !is_topic(&topic) {
        return error(StatusCode::NOT_FOUND, 40401, "page not found");
    }
    if let Some(refused) = s.forbidden(&topic) {
        return refused;
    }
    // Subscribed before the switch is read: a stream the test refuses meanwhile is ended.
    let mut drops = s.drops.subscribe();
    if s.refusing.load(Ordering::Acquire) {
        s.refused.fetch_add(1, Ordering::AcqRel);
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            50301,
            "service unavailable (the test refuses streams)",
        );
    }
    let poll = query.get("poll").is_some_and(|p| p == "1");
    // Subscribed before the cache is read: nothing published in between is missed.
    let mut live = s.live.subscribe();
    let cached = cached_after(
        s.cache
            .lock()
            .unwrap()
            .get(&topic)
            .map(Vec::as_slice)
            .unwrap_or_default(),
        query
            .get("since")
            .map(String::as_str)
            .or(poll.then_some("all")),
    );
    let last_cached = cached.last().map(|m| m["id"].clone());
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let open = json!({"id": "open", "time": chrono::Utc::now().timestamp(), "event": "open", "topic": topic});
    tokio::spawn(async move {
        let mut lines = vec![line(&open)];
        lines.extend(cached.iter().map(line));
        for l in lines {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        if poll {
            return;
        }
        let last_cached = last_cached
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_owned);
        loop {
            tokio::select! {
                message = live.recv() => match message {
                    Ok(m) if m["topic"] == topic.as_str() => {
                        // Published before the cache was read: sent with it already (ids grow).
                        let sent = matches!((m["id"].as_str(), last_cached.as_deref()), (Some(id), Some(last)) if id <= last);
                        if !sent && tx.send(line(&m)).await.is_err() { return; }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = drops.changed() => return,
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Response::builder()
        .header("content-type", "application/x-ndjson; charset=utf-8")
        .body(Body::from_stream(body))
        .unwrap()
}

impl NtfyServer {
    /// Starts a server; with `token`, every request must carry it as `Bearer`.
    pub async fn start(token: Option<&str>) -> NtfyServer {
        let state = Arc::new(Served {
            token: token.map(str::to_owned),
            cache: Mutex::default(),
            live: broadcast::channel(1024).0,
            drops: watch::Sender::new(0),
            next: Mutex::new(0),
            down: Default::default(),
            arrivals: Mutex::default(),
            refusing: AtomicBool::new(false),
            refused: AtomicU64::new(0),
            reserved: Mutex::default(),
        });
        let app = Router::new()
            .route("/", post(publish_json).put(publish_json))
            .route("/{topic}", post(publish_plain).put(publish_plain))
            .route("/{topic}/json", get(subscribe))
            .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        NtfyServer { url, state, task }
    }

    /// Every message `topic` received, oldest first.
    pub fn messages(&self, topic: &str) -> Vec<Value> {
        self.state
            .cache
            .lock()
            .unwrap()
            .get(topic)
            .cloned()
            .unwrap_or_default()
    }

    /// Refuses every publish as JSON with 503 while `down` (a route's server down), or takes
    /// them again.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Ends every open stream, as a dropped connection would.
    pub fn drop_streams(&self) {
        self.state.drops.send_modify(|n| *n += 1);
    }

    /// From now on (`true`) every open stream is ended and no stream opens (503) until
    /// called with `false`; publishing goes on meanwhile.
    pub fn refuse_streams(&self, refusing: bool) {
        self.state.refusing.store(refusing, Ordering::Release);
        if refusing {
            self.drop_streams();
        }
    }

    /// Makes `topic` reserved by another user: publishing to it or reading it is refused (403).
    pub fn reserve(&self, topic: &str) {
        self.state.reserved.lock().unwrap().push(topic.to_owned());
    }

    /// Stream openings refused so far by [`NtfyServer::refuse_streams`].
    pub fn streams_refused(&self) -> u64 {
        self.state.refused.load(Ordering::Acquire)
    }

    /// When the message with id `id` arrived.
    pub fn arrived(&self, id: &str) -> Option<Instant> {
        self.state.arrivals.lock().unwrap().get(id).copied()
    }
}

impl Drop for NtfyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
