//! The HTTP face of one simulated agent: `GET /baton/v1/status` and `POST /baton/v1/decisions`
//! on its own listener, which can be closed and opened again while the script state lives on.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::protocol::{DecisionAck, DecisionDelivery};
use chrono::Utc;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::agent::SimAgent;
use crate::answer::TaskTexts;
use crate::faults::{DecisionStats, Fault, FaultPlan};

/// What one agent's server and the fleet handle share.
#[derive(Debug)]
pub(crate) struct AgentShared {
    agent: Mutex<SimAgent>,
    token: Mutex<Option<String>>,
    polls: AtomicU64,
    max_events: usize,
    faults: Mutex<Option<FaultPlan>>,
    stats: Mutex<DecisionStats>,
    /// When status requests arrived, in ms since `created` (for benchmarks: poll lateness), the
    /// port they came from (a poller's connection: tests tell two pollers apart by it), and the
    /// cursor they asked from (`since`, when it was a number).
    arrivals: Mutex<Vec<Arrival>>,
    created: Instant,
    /// The size of the last status answer: the next one is written into a buffer that large
    /// (a busy agent's answer of 200 tasks otherwise grows its buffer a dozen times).
    last_answer_bytes: AtomicU64,
    /// The JSON of each task as last answered (locked only while `agent` is).
    task_texts: Mutex<TaskTexts>,
}

/// One status request as it arrived.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    ms: u32,
    port: u16,
    since: Option<u64>,
}

/// Arrival times kept per agent; past it the older half is dropped (about 4.5 h at 1 poll/s).
const KEPT_ARRIVALS: usize = 16_384;

/// Locks a mutex, carrying on with the data if a panicking holder poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AgentShared {
    pub(crate) fn new(agent: SimAgent, max_events: usize) -> AgentShared {
        AgentShared {
            agent: Mutex::new(agent),
            token: Mutex::new(None),
            polls: AtomicU64::new(0),
            max_events,
            faults: Mutex::new(None),
            stats: Mutex::new(DecisionStats::default()),
            arrivals: Mutex::new(Vec::new()),
            created: Instant::now(),
            last_answer_bytes: AtomicU64::new(0),
            task_texts: Mutex::new(TaskTexts::default()),
        }
    }

    /// Notes that a status request asking from cursor `since` arrived now from `port`.
    fn record_arrival(&self, port: u16, since: Option<u64>) {
        let ms = u32::try_from(self.created.elapsed().as_millis()).unwrap_or(u32::MAX);
        let mut arrivals = lock(&self.arrivals);
        if arrivals.len() >= KEPT_ARRIVALS {
            arrivals.drain(..KEPT_ARRIVALS / 2);
        }
        arrivals.push(Arrival { ms, port, since });
    }

    /// When the kept status requests arrived, oldest first.
    pub(crate) fn poll_arrivals(&self) -> Vec<Instant> {
        self.poll_sources().into_iter().map(|(at, _)| at).collect()
    }

    /// When the kept status requests arrived and from which port, oldest first.
    pub(crate) fn poll_sources(&self) -> Vec<(Instant, u16)> {
        lock(&self.arrivals)
            .iter()
            .map(|a| (self.at(a), a.port))
            .collect()
    }

    /// The cursor each kept status request asked from (None: none, or not a number), oldest
    /// first.
    pub(crate) fn poll_cursors(&self) -> Vec<(Instant, Option<u64>)> {
        lock(&self.arrivals)
            .iter()
            .map(|a| (self.at(a), a.since))
            .collect()
    }

    /// Each kept status request's port and the cursor it asked from, oldest first (read
    /// together: [`Shared::poll_sources`] and [`Shared::poll_cursors`] in one).
    pub(crate) fn poll_requests(&self) -> Vec<(u16, Option<u64>)> {
        lock(&self.arrivals)
            .iter()
            .map(|a| (a.port, a.since))
            .collect()
    }

    fn at(&self, arrival: &Arrival) -> Instant {
        self.created + Duration::from_millis(u64::from(arrival.ms))
    }

    pub(crate) fn agent(&self) -> MutexGuard<'_, SimAgent> {
        lock(&self.agent)
    }

    pub(crate) fn set_token(&self, token: Option<String>) {
        *lock(&self.token) = token;
    }

    pub(crate) fn set_faults(&self, plan: Option<FaultPlan>) {
        *lock(&self.faults) = plan;
    }

    pub(crate) fn decision_stats(&self) -> DecisionStats {
        *lock(&self.stats)
    }

    pub(crate) fn poll_count(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// True when no token is set, or the request carries `Authorization: Bearer <token>`.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let token = lock(&self.token);
        let Some(token) = token.as_deref() else {
            return true;
        };
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| given.trim() == token)
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn unauthorized() -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
    response
}

async fn status(
    State(shared): State<Arc<AgentShared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    shared.polls.fetch_add(1, Ordering::Relaxed);
    let since = query
        .into_iter()
        .find(|(k, _)| k == "since")
        .map(|(_, v)| v);
    let cursor = since.as_deref().and_then(|s| s.trim().parse().ok());
    shared.record_arrival(peer.port(), cursor);
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    let hint = shared.last_answer_bytes.load(Ordering::Relaxed) as usize;
    let mut body = Vec::with_capacity(hint + hint / 8 + 256);
    let written = shared.agent().write_answer(
        since.as_deref(),
        shared.max_events,
        &mut lock(&shared.task_texts),
        &mut body,
    );
    if let Err(err) = written {
        return error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string());
    }
    shared
        .last_answer_bytes
        .store(body.len() as u64, Ordering::Relaxed);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn decisions(
    State(shared): State<Arc<AgentShared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        return error(StatusCode::BAD_REQUEST, "missing Idempotency-Key header");
    };
    let decision: DecisionDelivery = match serde_json::from_slice(&body) {
        Ok(decision) => decision,
        Err(err) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("body is not a DecisionDelivery: {err}"),
            )
        }
    };
    let fault = lock(&shared.faults)
        .as_mut()
        .map_or(Fault::None, FaultPlan::draw);
    {
        let mut stats = lock(&shared.stats);
        stats.requests += 1;
        stats.faults += u64::from(fault != Fault::None);
    }
    if fault == Fault::Refuse {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "injected fault: refused");
    }
    let duplicate = shared
        .agent()
        .obeying()
        .apply_decision(key, decision, Utc::now());
    lock(&shared.stats).duplicates += u64::from(duplicate);
    match fault {
        Fault::ApplyThenFail => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "injected fault: applied, then failed",
            )
        }
        Fault::ApplyThenHold(hold) => tokio::time::sleep(hold).await,
        Fault::None | Fault::Refuse => {}
    }
    Json(DecisionAck {
        accepted: true,
        duplicate,
    })
    .into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not found: this agent serves GET /baton/v1/status and POST /baton/v1/decisions",
    )
}

fn router(shared: Arc<AgentShared>) -> Router {
    Router::new()
        .route("/baton/v1/status", get(status))
        .route("/baton/v1/decisions", post(decisions))
        .fallback(not_found)
        .with_state(shared)
}

/// A running listener. Dropping it starts a graceful shutdown; [`Running::stop`] also waits.
#[derive(Debug)]
pub(crate) struct Running {
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// Serves one agent on `listener` until stopped.
pub(crate) fn serve(listener: TcpListener, shared: Arc<AgentShared>) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let signal = async move {
            let _ = rx.await;
        };
        let app = router(shared).into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await;
        if let Err(err) = result {
            tracing::warn!(%err, "simulated agent server ended");
        }
    });
    Running {
        shutdown: Some(tx),
        task,
    }
}

impl Running {
    /// Closes the listener (new connections are refused) and ends open connections: gracefully
    /// within a second, then by force.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let graceful = tokio::time::timeout(Duration::from_secs(1), &mut self.task).await;
        if graceful.is_err() {
            self.task.abort();
            let _ = (&mut self.task).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Dropping the sender wakes the shutdown signal; the listener closes on its own.
        self.shutdown.take();
    }
}
