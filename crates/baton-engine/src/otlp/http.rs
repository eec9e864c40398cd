//! The receiver's HTTP side: `POST /v1/traces`, `/v1/logs`, `/v1/metrics` as the OTLP/HTTP
//! specification says. Spans and the coding clients' log events are answered once stored. Every body is bounded before it is unzipped ([`MAX_BODY`], read within
//! [`BODY_TIME`]) and after ([`MAX_UNZIPPED`]: a gzip bomb is refused 413 once that much came
//! out); what cannot be read is answered 400 (the sender does not send it again), a full
//! queue 429 and a store that does not answer 503, both with `Retry-After`.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use futures_util::StreamExt;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::sync::{mpsc, oneshot};

use super::decode::{self, Encoding, Unreadable};
use super::stats::OtlpStats;
use super::writer::Batch;
use crate::shared::Shared;

/// Largest body taken, as sent (zipped or not).
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Largest body once unzipped.
pub const MAX_UNZIPPED: usize = 16 * 1024 * 1024;
/// How long a body may take to arrive.
pub const BODY_TIME: Duration = Duration::from_secs(10);
/// How long a request waits for its spans to be stored before it is answered 503.
const STORE_TIME: Duration = Duration::from_secs(30);
/// `Retry-After` of a 429 (the queue is full) and of a 503 (the store is away), in seconds.
const RETRY_QUEUE_FULL: u32 = 1;
const RETRY_STORE_AWAY: u32 = 5;

pub(crate) struct HttpState {
    pub shared: Arc<Shared>,
    pub queue: mpsc::Sender<Batch>,
    pub stats: Arc<OtlpStats>,
    /// Asked of every request when the receiver listens off loopback.
    pub token: Option<String>,
}

#[derive(Clone, Copy)]
enum Signal {
    Traces,
    Logs,
    Metrics,
}

pub(crate) fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/logs", post(logs))
        .route("/v1/metrics", post(metrics))
        .with_state(state)
}

async fn traces(state: State<Arc<HttpState>>, headers: HeaderMap, body: Body) -> Response {
    export(state.0, Signal::Traces, headers, body).await
}

async fn logs(state: State<Arc<HttpState>>, headers: HeaderMap, body: Body) -> Response {
    export(state.0, Signal::Logs, headers, body).await
}

async fn metrics(state: State<Arc<HttpState>>, headers: HeaderMap, body: Body) -> Response {
    export(state.0, Signal::Metrics, headers, body).await
}

/// A refusal: its status, the words, and a `Retry-After` when the sender should try again.
struct Refusal {
    status: StatusCode,
    message: String,
    retry_after: Option<u32>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    fn retry(status: StatusCode, message: impl Into<String>, after: u32) -> Refusal {
        Refusal {
            retry_after: Some(after),
            ..Refusal::new(status, message)
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.message).into_response();
        if let Some(after) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(after));
        }
        response
    }
}

async fn export(state: Arc<HttpState>, signal: Signal, headers: HeaderMap, body: Body) -> Response {
    state.stats.request();
    match take(&state, signal, &headers, body).await {
        Ok(response) => response,
        Err(refusal) => {
            let counted = match refusal.status {
                StatusCode::BAD_REQUEST => OtlpStats::unreadable,
                StatusCode::PAYLOAD_TOO_LARGE => OtlpStats::too_large,
                StatusCode::TOO_MANY_REQUESTS => OtlpStats::throttled,
                StatusCode::SERVICE_UNAVAILABLE => OtlpStats::unavailable,
                StatusCode::UNAUTHORIZED => OtlpStats::unauthorized,
                _ => |_: &OtlpStats| {},
            };
            counted(&state.stats);
            tracing::debug!(status = %refusal.status, message = %refusal.message, "OTLP request refused");
            refusal.into_response()
        }
    }
}

async fn take(
    state: &HttpState,
    signal: Signal,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    if let Some(token) = &state.token {
        let expected = format!("Bearer {token}");
        let given = headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        if given != Some(expected.as_bytes()) {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "this receiver asks for its bearer token (`baton otlp token`)",
            ));
        }
    }
    let encoding = encoding(headers)?;
    let zipped = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("" | "identity") => false,
        Some("gzip") => true,
        Some(other) => {
            return Err(Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Content-Encoding {other} is not taken (gzip is)"),
            ))
        }
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large(MAX_BODY, "sent"));
    }
    let sent = read_body(body).await?;
    let stats = Arc::clone(&state.stats);
    // Unzipping and decoding are work for a thread of their own, not the runtime's.
    let decoded = tokio::task::spawn_blocking(move || {
        let body = if zipped { gunzip(&sent)? } else { sent };
        decoded(signal, &body, encoding, &stats)
    })
    .await
    .map_err(|err| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()))??;
    let Decoded::Received {
        spans,
        client_events,
        refused,
    } = decoded
    else {
        return Ok(answer(signal, encoding, 0));
    };
    if state.shared.store_health.down().is_some() {
        return Err(Refusal::retry(
            StatusCode::SERVICE_UNAVAILABLE,
            "the store does not answer",
            RETRY_STORE_AWAY,
        ));
    }
    if !spans.is_empty() || !client_events.is_empty() {
        let (reply, stored) = oneshot::channel();
        state
            .queue
            .try_send(Batch {
                spans,
                client_events,
                reply,
            })
            .map_err(|err| match err {
                mpsc::error::TrySendError::Full(_) => Refusal::retry(
                    StatusCode::TOO_MANY_REQUESTS,
                    "the store is behind: send again later",
                    RETRY_QUEUE_FULL,
                ),
                mpsc::error::TrySendError::Closed(_) => Refusal::retry(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the receiver is stopping",
                    RETRY_STORE_AWAY,
                ),
            })?;
        let unavailable = |message: String| {
            Refusal::retry(StatusCode::SERVICE_UNAVAILABLE, message, RETRY_STORE_AWAY)
        };
        match tokio::time::timeout(STORE_TIME, stored).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(message))) => return Err(unavailable(format!("not stored: {message}"))),
            Ok(Err(_)) => return Err(unavailable("the receiver is stopping".into())),
            Err(_) => return Err(unavailable("the store took too long".into())),
        }
    }
    Ok(answer(signal, encoding, refused))
}

enum Decoded {
    /// What goes to the store: spans (and how many were refused), coding clients' events.
    Received {
        spans: Vec<baton_core::otel::SpanFacts>,
        client_events: Vec<baton_core::otel::ClientEvent>,
        refused: i64,
    },
    Counted,
}

fn decoded(
    signal: Signal,
    body: &[u8],
    encoding: Encoding,
    stats: &OtlpStats,
) -> Result<Decoded, Refusal> {
    let unreadable = |err: Unreadable| Refusal::new(StatusCode::BAD_REQUEST, err.0);
    match signal {
        Signal::Traces => {
            let (spans, refused) = decode::spans(body, encoding).map_err(unreadable)?;
            stats.spans(spans.len(), refused);
            Ok(Decoded::Received {
                spans,
                client_events: Vec::new(),
                refused,
            })
        }
        Signal::Logs => {
            let (client_events, records) =
                decode::log_records(body, encoding).map_err(unreadable)?;
            stats.log_records(records);
            Ok(Decoded::Received {
                spans: Vec::new(),
                client_events,
                refused: 0,
            })
        }
        Signal::Metrics => {
            stats.data_points(decode::data_points(body, encoding).map_err(unreadable)?);
            Ok(Decoded::Counted)
        }
    }
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, Refusal> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = given
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type \"{given}\" is not taken: application/x-protobuf or application/json"
            ),
        )),
    }
}

fn too_large(limit: usize, what: &str) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the body is larger than {} {what}",
            baton_core::agent::human_bytes(limit as u64)
        ),
    )
}

/// The body, at most [`MAX_BODY`], within [`BODY_TIME`].
async fn read_body(body: Body) -> Result<Vec<u8>, Refusal> {
    let mut stream = body.into_data_stream();
    let mut taken = Vec::new();
    let reading = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| {
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    format!("the body broke off: {err}"),
                )
            })?;
            if taken.len() + chunk.len() > MAX_BODY {
                return Err(too_large(MAX_BODY, "sent"));
            }
            taken.extend_from_slice(&chunk);
        }
        Ok(())
    };
    match tokio::time::timeout(BODY_TIME, reading).await {
        Ok(Ok(())) => Ok(taken),
        Ok(Err(refusal)) => Err(refusal),
        Err(_) => Err(Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body took longer than {} s", BODY_TIME.as_secs()),
        )),
    }
}

/// A gzip body unzipped, at most [`MAX_UNZIPPED`] of it.
fn gunzip(zipped: &[u8]) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_UNZIPPED).unwrap_or(u64::MAX) + 1;
    flate2::read::GzDecoder::new(zipped)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|err| Refusal::new(StatusCode::BAD_REQUEST, format!("not gzip: {err}")))?;
    if out.len() > MAX_UNZIPPED {
        return Err(too_large(MAX_UNZIPPED, "unzipped"));
    }
    Ok(out)
}

/// 200 with the signal's `Export*ServiceResponse`, in the request's encoding; `refused` spans
/// are told as partial success.
fn answer(signal: Signal, encoding: Encoding, refused: i64) -> Response {
    let body = match signal {
        Signal::Traces => {
            let response = ExportTraceServiceResponse {
                partial_success: (refused > 0).then(|| ExportTracePartialSuccess {
                    rejected_spans: refused,
                    error_message: format!(
                        "{refused} span(s) refused: without a valid trace or span id, or past {} in one request",
                        baton_core::otel::MAX_SPANS_PER_REQUEST
                    ),
                }),
            };
            encode(&response, encoding)
        }
        Signal::Logs => encode(&ExportLogsServiceResponse::default(), encoding),
        Signal::Metrics => encode(&ExportMetricsServiceResponse::default(), encoding),
    };
    let content_type = match encoding {
        Encoding::Protobuf => "application/x-protobuf",
        Encoding::Json => "application/json",
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn encode<T: Message + serde::Serialize>(message: &T, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Protobuf => message.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(message).unwrap_or_else(|_| b"{}".to_vec()),
    }
}
