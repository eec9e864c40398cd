//! One GET of an agent's status endpoint: timeout over the whole request, a body cap enforced
//! while streaming, a redirect limit, and every failure told in words a person understands
//! ("timed out after 1.5 s", "body over 4 MiB", "HTTP 401: check the agent's token").

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use baton_core::agent::AgentConfig;
use baton_core::protocol::{parse_status, parse_status_after, KnownTasks, StatusDocument};

mod error;
pub(crate) use error::without_a2a_prefix;
pub use error::{FetchError, RETRY_AFTER_CAP_MS};

/// A status document fetched and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub doc: StatusDocument,
    /// Something the poll could not read, though the rest was usable (an A2A task with an
    /// unknown state): shown on the agent's row while the poll counts as a success.
    pub warning: Option<String>,
    /// From sending the request to the last byte of the body.
    pub latency_ms: u64,
    pub body_bytes: u64,
    /// Set when the answer was read against the tasks of the agent's last stored answer
    /// (`fetch_status` with `known`): `doc.tasks` then holds only the new or changed tasks,
    /// and this every task of the answer, to remember once it is stored.
    pub known: Option<KnownTasks>,
    /// The digest of the answer's bytes (`baton/1` only), for the next poll to compare with.
    pub answer: Option<AnswerDigest>,
    /// The answer was byte for byte the one of the agent's last quiet poll (the digest given to
    /// `fetch_status`): it was not parsed (`doc` holds the agent's id only), and its poll is
    /// quiet as that one was.
    pub same_as_quiet: bool,
}

/// The digest and length of an answer's bytes: two answers with the same are the same answer.
/// (SipHash with fixed keys: an agent can only make Baton miss a change of its own.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerDigest {
    hash: u64,
    len: usize,
}

impl AnswerDigest {
    pub fn of(body: &[u8]) -> AnswerDigest {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        body.hash(&mut hasher);
        AnswerDigest {
            hash: hasher.finish(),
            len: body.len(),
        }
    }
}

/// An answer read whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchanged {
    pub status: u16,
    pub etag: Option<String>,
    /// The server's clock, from its `Date` header.
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    pub body: Vec<u8>,
    pub latency_ms: u64,
}

/// Why the redirect policy stopped: another origin (its serialisation).
#[derive(Debug, thiserror::Error)]
#[error("redirect to another origin {0}")]
struct OtherOrigin(String);

/// Why the redirect policy stopped: one redirect too many.
#[derive(Debug, thiserror::Error)]
#[error("too many redirects")]
struct TooMany;

/// The HTTP side of polling. One per engine: it holds the connection pool.
#[derive(Debug, Clone)]
pub struct Fetcher {
    pub(crate) client: reqwest::Client,
    body_cap_bytes: u64,
    max_redirects: usize,
    /// Status URLs parsed already: a poll asks the URL its last poll asked (the cursor moves
    /// only with new events), and parsing it (IDNA included) was a twentieth of a static
    /// fleet's polling.
    parsed_urls: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, reqwest::Url>>>,
}

/// How many parsed status URLs a fetcher keeps before it starts over (a few per agent).
const PARSED_URLS_KEPT: usize = 8_192;

impl Fetcher {
    pub fn new(body_cap_bytes: u64, max_redirects: usize) -> Fetcher {
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let origin = attempt.url().origin();
            let first = attempt.previous().first().map(reqwest::Url::origin);
            if first.is_some_and(|first| first != origin) {
                let to = origin.ascii_serialization();
                attempt.error(OtherOrigin(to))
            } else if attempt.previous().len() > max_redirects {
                attempt.error(TooMany)
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .redirect(policy)
            .user_agent(concat!("baton/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client's TLS backend (rustls, bundled roots) always initialises");
        Fetcher {
            client,
            body_cap_bytes,
            max_redirects,
            parsed_urls: Default::default(),
        }
    }

    /// `url` parsed, from the ones parsed before when it is one of them; None when it does not
    /// parse (the request then goes out as text, for reqwest to say why it cannot).
    fn parsed(&self, url: &str) -> Option<reqwest::Url> {
        let mut parsed = self.parsed_urls.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = parsed.get(url) {
            return Some(found.clone());
        }
        let new = reqwest::Url::parse(url).ok()?;
        if parsed.len() >= PARSED_URLS_KEPT {
            parsed.clear();
        }
        parsed.insert(url.to_owned(), new.clone());
        Some(new)
    }

    pub fn body_cap_bytes(&self) -> u64 {
        self.body_cap_bytes
    }

    /// GETs `agent.status_url(cursor)` (with `Authorization: Bearer` when `token` is given) and
    /// parses the answer. The agent's `timeout_ms` bounds the whole request, body included.
    /// With `known` (the tasks of the agent's last stored answer), tasks whose text is
    /// unchanged are not parsed again (see [`Fetched::known`]). With `quiet`, the digest of the
    /// agent's last quiet answer, an answer with the same bytes is not parsed at all (see
    /// [`Fetched::same_as_quiet`]).
    pub async fn fetch_status(
        &self,
        agent: &AgentConfig,
        cursor: Option<&str>,
        token: Option<&str>,
        known: Option<&KnownTasks>,
        quiet: Option<AnswerDigest>,
    ) -> Result<Fetched, FetchError> {
        let url = agent.status_url(cursor);
        let timeout = Duration::from_millis(agent.timeout_ms);
        let started = Instant::now();
        let body = tokio::time::timeout(timeout, self.get_body(&url, token, agent.timeout_ms))
            .await
            .map_err(|_| FetchError::TimedOut {
                after_ms: agent.timeout_ms,
            })??;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let answer = AnswerDigest::of(&body);
        if quiet == Some(answer) {
            return Ok(Fetched {
                doc: StatusDocument::new(baton_core::protocol::AgentInfo::new(&agent.name)),
                warning: None,
                latency_ms,
                body_bytes: body.len() as u64,
                known: None,
                answer: Some(answer),
                same_as_quiet: true,
            });
        }
        let (doc, known) = match known {
            None => (parse_body(&body)?, None),
            Some(known) => {
                let (doc, all) = parse_body_after(&body, known)?;
                (doc, Some(all))
            }
        };
        Ok(Fetched {
            doc,
            warning: None,
            latency_ms,
            body_bytes: body.len() as u64,
            known,
            answer: Some(answer),
            same_as_quiet: false,
        })
    }

    /// Sends `request`: its answer whatever the status, but a 401 (the token) is an error.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        timeout_ms: u64,
    ) -> Result<reqwest::Response, FetchError> {
        let response = request
            .send()
            .await
            .map_err(|err| self.explain(&err, url, timeout_ms, 0))?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(FetchError::Unauthorized);
        }
        Ok(response)
    }

    async fn get_body(
        &self,
        url: &str,
        token: Option<&str>,
        timeout_ms: u64,
    ) -> Result<Vec<u8>, FetchError> {
        let request = match self.parsed(url) {
            Some(parsed) => self.client.get(parsed),
            None => self.client.get(url),
        };
        let mut request = request
            .timeout(Duration::from_millis(timeout_ms))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = self.send(request, url, timeout_ms).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::of_status(&response));
        }
        self.read_body(response, url, timeout_ms).await
    }

    /// Reads a response's body, refusing it as soon as it is over the cap (announced or
    /// streamed).
    async fn read_body(
        &self,
        response: reqwest::Response,
        url: &str,
        timeout_ms: u64,
    ) -> Result<Vec<u8>, FetchError> {
        self.read_body_capped(response, url, timeout_ms, self.body_cap_bytes)
            .await
    }

    /// Reads a body of at most `cap` bytes, stopping (and failing) as soon as it is over.
    pub(crate) async fn read_body_capped(
        &self,
        mut response: reqwest::Response,
        url: &str,
        timeout_ms: u64,
        cap: u64,
    ) -> Result<Vec<u8>, FetchError> {
        let announced = response.content_length();
        if announced.is_some_and(|len| len > cap) {
            return Err(FetchError::BodyTooLarge { cap_bytes: cap });
        }
        let mut body = Vec::with_capacity(announced.unwrap_or(16 * 1024).min(cap) as usize);
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|err| self.explain(&err, url, timeout_ms, body.len() as u64))?;
            let Some(chunk) = chunk else { break };
            if body.len() as u64 + chunk.len() as u64 > cap {
                return Err(FetchError::BodyTooLarge { cap_bytes: cap });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Sends `request` and reads the answer's status, ETag and body (capped while streaming)
    /// whatever the status, so a caller can read an error body; only a 401 is an error here.
    /// Bounded by `timeout_ms` as a whole.
    pub(crate) async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        timeout_ms: u64,
    ) -> Result<Exchanged, FetchError> {
        let started = Instant::now();
        let read = async {
            let request = request.timeout(Duration::from_millis(timeout_ms));
            let response = self.send(request, url, timeout_ms).await?;
            let status = response.status();
            let etag = response
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let date = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
                .map(|at| at.with_timezone(&chrono::Utc));
            let body = self.read_body(response, url, timeout_ms).await?;
            Ok::<_, FetchError>((status.as_u16(), etag, date, body))
        };
        let (status, etag, date, body) =
            tokio::time::timeout(Duration::from_millis(timeout_ms), read)
                .await
                .map_err(|_| FetchError::TimedOut {
                    after_ms: timeout_ms,
                })??;
        Ok(Exchanged {
            status,
            etag,
            date,
            body,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Turns a reqwest error into words.
    pub(crate) fn explain(
        &self,
        err: &reqwest::Error,
        url: &str,
        timeout_ms: u64,
        received: u64,
    ) -> FetchError {
        if err.is_timeout() {
            return FetchError::TimedOut {
                after_ms: timeout_ms,
            };
        }
        if err.is_redirect() {
            if let Some(OtherOrigin(to)) = chain(err).find_map(|e| e.downcast_ref::<OtherOrigin>())
            {
                return FetchError::RedirectedElsewhere { to: to.clone() };
            }
            return FetchError::TooManyRedirects {
                max: self.max_redirects,
            };
        }
        let io_kind = chain(err)
            .find_map(|e| e.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind);
        if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
            return FetchError::ConnectionRefused;
        }
        if err.is_connect() {
            if chain(err).any(|e| e.to_string().starts_with("dns error")) {
                let host = err
                    .url()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .or_else(|| {
                        reqwest::Url::parse(url)
                            .ok()
                            .and_then(|u| u.host_str().map(str::to_owned))
                    })
                    .unwrap_or_default();
                return FetchError::UnresolvedHost { host };
            }
            return FetchError::Connect {
                detail: innermost(err),
            };
        }
        if err.is_body() || err.is_decode() {
            return FetchError::BodyCut { received };
        }
        // hyper's words for a connection that ended before the response did.
        if chain(err).any(|e| e.to_string() == "connection closed before message completed") {
            return FetchError::ClosedEarly;
        }
        FetchError::Request {
            detail: innermost(err),
        }
    }
}

/// The body without a leading byte-order mark, once it is known to be UTF-8.
fn utf8_body(body: &[u8]) -> Result<&[u8], FetchError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match std::str::from_utf8(body) {
        Ok(_) => Ok(body),
        Err(err) => Err(FetchError::NotUtf8 {
            at: err.valid_up_to(),
        }),
    }
}

/// Checks the body is UTF-8 (a leading byte-order mark is allowed) and parses it.
pub fn parse_body(body: &[u8]) -> Result<StatusDocument, FetchError> {
    Ok(parse_status(utf8_body(body)?)?)
}

/// [`parse_body`], parsing only the tasks not in `known` (see `parse_status_after`).
pub fn parse_body_after(
    body: &[u8],
    known: &KnownTasks,
) -> Result<(StatusDocument, KnownTasks), FetchError> {
    Ok(parse_status_after(utf8_body(body)?, known)?)
}

fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e: &&'a (dyn StdError + 'static)| (*e).source())
}

/// The message of the deepest cause: reqwest's own outer message repeats the URL.
fn innermost(err: &reqwest::Error) -> String {
    chain(err)
        .last()
        .map(|e| e.to_string())
        .unwrap_or_else(|| err.to_string())
}

#[cfg(test)]
mod tests;
