//! A small HTTP fixture on 127.0.0.1 whose answer a test switches at will (good document, junk,
//! huge or stalled bodies, redirect loops…), recording when each request arrived and with what.
#![allow(dead_code)]

pub mod git;
pub mod hooks;
pub mod otlp;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use baton_core::agent::{AgentConfig, AgentDraft, AgentHealth};
use baton_core::views::ChangeEvent;
use baton_engine::{Engine, EngineConfig, MemoryTokens, StoreHandle};
use futures_util::stream::{self, StreamExt};
use tokio::sync::broadcast;

pub mod scripted_a2a;

pub const MIB: u64 = 1024 * 1024;

/// What the fixture answers on every path.
#[derive(Debug, Clone)]
pub enum Mode {
    /// 200 with this body (a JSON document, or anything).
    Body(Vec<u8>),
    /// This status with this body.
    Status(u16, Vec<u8>),
    /// 200 and `total` bytes of JSON-ish filler, streamed in 64 KiB chunks; with
    /// `announce` the Content-Length header says how much is coming.
    Huge { total: u64, announce: bool },
    /// 200 and headers at once, then a few bytes, then nothing ever again.
    Stall,
    /// 200, then one byte every 20 ms, forever.
    Trickle,
    /// Content-Length says 4096, the connection dies after these bytes.
    CutOff(Vec<u8>),
    /// 302 to another path, which redirects back, forever.
    RedirectLoop,
    /// 302 to this URL.
    RedirectTo(String),
    /// This status with this `Retry-After` value.
    RetryAfter(u16, String),
    /// 401 unless `Authorization: Bearer {0}`, then the document.
    NeedsToken(String, Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub at: Instant,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
}

#[derive(Debug)]
pub struct State {
    mode: Mutex<Mode>,
    hits: Mutex<Vec<Hit>>,
    /// Body bytes the fixture produced (for the huge modes: how far the client let it get).
    pub produced: AtomicU64,
}

pub struct Fixture {
    pub base_url: String,
    pub addr: SocketAddr,
    pub state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Fixture {
    pub async fn start(mode: Mode) -> Fixture {
        let state = Arc::new(State {
            mode: Mutex::new(mode),
            hits: Mutex::new(Vec::new()),
            produced: AtomicU64::new(0),
        });
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fixture {
            base_url: format!("http://{addr}"),
            addr,
            state,
            task,
        }
    }

    pub fn set(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    pub fn hit_count(&self) -> usize {
        self.state.hits.lock().unwrap().len()
    }

    pub fn produced(&self) -> u64 {
        self.state.produced.load(Ordering::SeqCst)
    }

    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.hits.lock().unwrap().push(Hit {
        at: Instant::now(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        authorization: authorization.clone(),
    });
    let mode = state.mode.lock().unwrap().clone();
    let mut response = respond(&state, mode, &uri, authorization);
    // No keep-alive: once the fixture stops, the next request finds nothing listening.
    response
        .headers_mut()
        .insert(header::CONNECTION, "close".parse().unwrap());
    response
}

fn respond(state: &Arc<State>, mode: Mode, uri: &Uri, authorization: Option<String>) -> Response {
    let json = |body: Vec<u8>| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    };
    match mode {
        Mode::Body(body) => json(body),
        Mode::Status(code, body) => (StatusCode::from_u16(code).unwrap(), body).into_response(),
        Mode::NeedsToken(token, body) => {
            if authorization.as_deref() == Some(&format!("Bearer {token}")) {
                json(body)
            } else {
                StatusCode::UNAUTHORIZED.into_response()
            }
        }
        Mode::RedirectTo(url) => (StatusCode::FOUND, [(header::LOCATION, url)]).into_response(),
        Mode::RetryAfter(code, value) => (
            StatusCode::from_u16(code).unwrap(),
            [(header::RETRY_AFTER, value)],
        )
            .into_response(),
        Mode::RedirectLoop => {
            let next = if uri.path() == "/elsewhere" {
                "/baton/v1/status"
            } else {
                "/elsewhere"
            };
            (StatusCode::FOUND, [(header::LOCATION, next)]).into_response()
        }
        Mode::Huge { total, announce } => {
            const CHUNK: u64 = 64 * 1024;
            let counter = Arc::clone(state);
            let chunks = total.div_ceil(CHUNK);
            let body = stream::iter(0..chunks).map(move |i| {
                let len = CHUNK.min(total - i * CHUNK);
                counter.produced.fetch_add(len, Ordering::SeqCst);
                Ok::<_, Infallible>(Bytes::from(vec![b' '; len as usize]))
            });
            let mut response = Response::new(Body::from_stream(body));
            if announce {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, total.to_string().parse().unwrap());
            }
            response
        }
        Mode::Stall => {
            let body = stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b"{\"pro")) })
                .chain(stream::pending());
            Response::new(Body::from_stream(body))
        }
        Mode::Trickle => {
            let body = stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((Ok::<_, Infallible>(Bytes::from_static(b" ")), ()))
            });
            Response::new(Body::from_stream(body))
        }
        Mode::CutOff(prefix) => {
            // The prefix goes out with the headers; a moment later the connection dies.
            let body =
                stream::once(async move { Ok(Bytes::from(prefix)) }).chain(stream::once(async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err(std::io::Error::other("fixture cuts the connection"))
                }));
            let mut response = Response::new(Body::from_stream(body));
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, "4096".parse().unwrap());
            response
        }
    }
}

/// A valid `baton/1` document with these tasks (id, state) and events `1..=events`; the cursor
/// is `c{events}`.
pub fn doc(agent: &str, tasks: &[(&str, &str)], events: u64) -> Vec<u8> {
    let tasks: Vec<_> = tasks
        .iter()
        .map(|(id, state)| serde_json::json!({"id": id, "title": format!("task {id}"), "state": state}))
        .collect();
    let events_json: Vec<_> = (1..=events)
        .map(|seq| {
            serde_json::json!({"seq": seq, "at": "2026-01-01T00:00:00Z", "kind": "write",
                "resource": format!("crm://contacts/{seq}")})
        })
        .collect();
    let cursor = format!("c{events}");
    serde_json::to_vec(&serde_json::json!({
        "protocol": "baton/1",
        "agent": {"id": agent, "name": "Fixture agent"},
        "tasks": tasks,
        "events": events_json,
        "usage": [],
        "cursor": cursor,
    }))
    .unwrap()
}

pub fn test_config() -> EngineConfig {
    EngineConfig {
        spread_start: false,
        ..EngineConfig::default()
    }
}

/// Where a fresh store is, on the engine the tests run on: in memory, or a PostgreSQL database in
/// this build's schema (a copy of one migrated once for the run).
pub fn fresh_store_url() -> String {
    baton_testdb::migrated_store_url(baton_store::LATEST_VERSION, baton_store::Store::migrate_at)
}

/// Where a test's store is, on the engine the tests run on (`BATON_TEST_STORE`, see
/// `baton-testdb`): a SQLite file in `dir`, or a fresh PostgreSQL database.
pub fn test_location(dir: &std::path::Path) -> baton_store::StoreLocation {
    match baton_testdb::engine() {
        baton_testdb::Engine::Sqlite => {
            baton_store::StoreLocation::Sqlite(dir.join("baton.sqlite3"))
        }
        baton_testdb::Engine::Postgres => {
            baton_store::StoreLocation::parse(&fresh_store_url()).unwrap()
        }
    }
}

/// A store of the test's own: in memory, or a fresh PostgreSQL database.
pub fn test_store() -> StoreHandle {
    let location = baton_store::StoreLocation::parse(&fresh_store_url()).unwrap();
    StoreHandle::open_at(&location, 2).unwrap()
}

pub fn engine_with(config: EngineConfig) -> Engine {
    let store = test_store();
    Engine::new(store, Arc::new(MemoryTokens::new(None)), config)
}

pub fn engine() -> Engine {
    engine_with(test_config())
}

pub fn draft(name: &str, base_url: &str, interval_ms: u64, timeout_ms: u64) -> AgentDraft {
    AgentDraft {
        poll_interval_ms: interval_ms,
        timeout_ms,
        ..AgentDraft::new(name, base_url)
    }
}

/// Stores an agent without starting a poller, so the test drives polls with `poll_once`.
pub fn store_agent(engine: &Engine, draft: &AgentDraft) -> AgentConfig {
    let draft = draft.clone();
    engine
        .store()
        .write_blocking(move |s| s.add_agent(&draft))
        .unwrap()
}

pub fn health(engine: &Engine, id: i64) -> AgentHealth {
    engine.store().read_blocking(move |s| s.health(id)).unwrap()
}

/// Waits (up to `within`) until `check` holds, polling every 10 ms.
pub async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn engine_and_tokens(config: EngineConfig) -> (Engine, Arc<MemoryTokens>) {
    let tokens = Arc::new(MemoryTokens::new(Some(
        "kept in memory for this test".into(),
    )));
    let store = test_store();
    let engine = Engine::new(store, tokens.clone(), config);
    (engine, tokens)
}

/// The next event matching `pick`, skipping others; panics after `within`.
pub async fn next_event<T>(
    rx: &mut broadcast::Receiver<ChangeEvent>,
    within: Duration,
    mut pick: impl FnMut(&ChangeEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("no matching event in time")
            .expect("bus open");
        if let Some(found) = pick(&event) {
            return found;
        }
    }
}
