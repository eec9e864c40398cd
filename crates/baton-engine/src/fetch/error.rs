//! Why a poll failed ([`FetchError`]), in the words the agent's row shows.

use baton_core::agent::{human_bytes, human_duration_ms};
use baton_core::ProtocolError;
use thiserror::Error;

/// Why one poll failed. `Display` is what the agent's row shows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    /// The whole request (connect, headers and body) took longer than the agent's timeout.
    #[error("timed out after {}", human_duration_ms(*after_ms))]
    TimedOut { after_ms: u64 },
    #[error("body over {}", human_bytes(*cap_bytes))]
    BodyTooLarge { cap_bytes: u64 },
    #[error("HTTP 401: check the agent's token")]
    Unauthorized,
    /// Another status than 2xx; `retry_after_ms` is the pause the agent asked for with
    /// `Retry-After` (at most [`RETRY_AFTER_CAP_MS`]).
    #[error("HTTP {status}{}{}",
        reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default(),
        retry_after_ms.map(|ms| format!(" (asks to wait {}: Retry-After)", human_duration_ms(ms))).unwrap_or_default())]
    Status {
        status: u16,
        reason: Option<String>,
        retry_after_ms: Option<u64>,
    },
    #[error("connection refused")]
    ConnectionRefused,
    /// A coding session reports through its hooks; nothing polls it.
    #[error("a coding session is not polled: it reports through its hooks (`baton hook`)")]
    NotPolled,
    #[error("could not resolve host {host}")]
    UnresolvedHost { host: String },
    #[error("too many redirects (over {max})")]
    TooManyRedirects { max: usize },
    /// A redirect to another scheme, host or port: not followed (that origin's answer is not
    /// the agent's, and it would receive the agent's token).
    #[error("redirected to another origin ({to}): Baton follows redirects only on the agent's own scheme, host and port")]
    RedirectedElsewhere { to: String },
    #[error("body is not UTF-8 (byte {at})")]
    NotUtf8 { at: usize },
    /// The connection ended before the body the server announced was complete.
    #[error("connection closed mid-body after {received} bytes")]
    BodyCut { received: u64 },
    /// The body arrived but is not a usable `baton/1` document ("not JSON at line 1 col 1", …).
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// An A2A agent's answer Baton cannot use ("A2A: unknown task state …").
    #[error("A2A: {0}")]
    A2a(#[from] baton_core::a2a::A2aError),
    /// A call on the interface an A2A agent's card names failed: says which call and where,
    /// since that URL need not be the one the person typed ("ListTasks at http://…: HTTP 404").
    #[error("A2A {call} at {url}: {}", without_a2a_prefix(error))]
    A2aCall {
        call: &'static str,
        url: String,
        error: Box<FetchError>,
    },
    /// The server closed the connection before its answer's headers were complete.
    #[error("connection closed before an answer arrived")]
    ClosedEarly,
    #[error("could not connect: {detail}")]
    Connect { detail: String },
    #[error("request failed: {detail}")]
    Request { detail: String },
}

/// The longest pause an agent's `Retry-After` gets: past it Baton polls anyway (the row says
/// the agent is down, and a person would rather know sooner).
pub const RETRY_AFTER_CAP_MS: u64 = 5 * 60 * 1_000;

impl FetchError {
    /// The error for a response with another status than 2xx, with its `Retry-After`.
    pub(crate) fn of_status(response: &reqwest::Response) -> FetchError {
        let status = response.status();
        let now = chrono::Utc::now();
        let retry_after_ms = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| baton_core::ratelimit::parse_retry_after(value, now))
            .map(|at| {
                u64::try_from((at - now).num_milliseconds())
                    .unwrap_or(0)
                    .min(RETRY_AFTER_CAP_MS)
            });
        FetchError::Status {
            status: status.as_u16(),
            reason: status
                .canonical_reason()
                .filter(|r| r.len() <= 32)
                .map(str::to_owned),
            retry_after_ms,
        }
    }

    /// The pause the agent asked for, if it did (`Retry-After` on an error status).
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            FetchError::Status { retry_after_ms, .. } => *retry_after_ms,
            FetchError::A2aCall { error, .. } => error.retry_after_ms(),
            _ => None,
        }
    }
}

/// An error's words without the "A2A: " its message starts with, where the protocol is named
/// before it already ("A2A: A2A: …" otherwise).
pub(crate) fn without_a2a_prefix(error: &FetchError) -> String {
    match error {
        FetchError::A2a(inner) => inner.to_string(),
        other => other.to_string(),
    }
}
