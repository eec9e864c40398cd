//! ntfy over HTTP: publish a message as JSON (`POST /` on the server) and open a topic's JSON
//! stream (`GET /<topic>/json?since=…`), with the route's access token as `Bearer`. Failures are
//! told in words a person acts on (the server's name not found, TLS refused, 401, 403, …).

use std::error::Error as StdError;
use std::time::Duration;

use baton_core::notify::message::NtfyMessage;

/// How long one publish may take.
pub(crate) const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening a stream may take (the stream itself stays open).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client of the routes (no redirects: a route's server is named exactly).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("baton/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// A failed exchange in words.
pub(crate) fn explain(err: &reqwest::Error) -> String {
    let mut chain = String::new();
    // The innermost cause says what TLS refused ("invalid peer certificate: UnknownIssuer");
    // the outer ones only that connecting failed.
    let mut innermost = String::new();
    let mut source: Option<&dyn StdError> = Some(err);
    while let Some(e) = source {
        innermost = e.to_string();
        chain.push_str(&innermost.to_lowercase());
        chain.push(' ');
        source = e.source();
    }
    if chain.contains("dns error") || chain.contains("failed to lookup") {
        "the server's name was not found (DNS)".into()
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        format!("TLS failed: {innermost}")
    } else if err.is_timeout() {
        "the server did not answer in time".into()
    } else if err.is_connect() {
        "cannot connect to the server (refused or unreachable)".into()
    } else {
        err.to_string()
    }
}

/// A refusal by the server in words.
pub(crate) fn status_words(status: reqwest::StatusCode, body: &str) -> String {
    let said = baton_core::notify::message::clean_text(body, 200);
    let what = match status.as_u16() {
        401 => "HTTP 401: the server wants an access token, or the route's token is wrong",
        403 => {
            "HTTP 403: the token may not use this topic (reserved by another user, or read-only)"
        }
        404 => "HTTP 404: no ntfy server at this URL",
        413 => "HTTP 413: the message is too large for the server",
        429 => "HTTP 429: the server's rate limit was reached",
        _ => "",
    };
    match what {
        "" => format!("HTTP {}: {said}", status.as_u16()),
        what if said.is_empty() => what.to_owned(),
        what => format!("{what} ({said})"),
    }
}

/// Publishes `message` on `server`.
pub(crate) async fn publish(
    client: &reqwest::Client,
    server: &str,
    token: Option<&str>,
    message: &NtfyMessage,
) -> Result<(), String> {
    let mut request = client
        .post(format!("{server}/"))
        .timeout(PUBLISH_TIMEOUT)
        .json(message);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.map_err(|err| explain(&err))?;
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    let body = answer.text().await.unwrap_or_default();
    Err(status_words(status, &body))
}

/// The topic an ntfy route's messages go to.
pub(crate) fn topic(route: &baton_core::notify::NotifyRoute) -> &str {
    route.draft.topic.as_deref().unwrap_or_default()
}

/// Opens `topic`'s JSON stream on `server`, from after message `since` (`all`: every cached
/// message).
pub(crate) async fn open_stream(
    client: &reqwest::Client,
    server: &str,
    topic: &str,
    since: &str,
    token: Option<&str>,
) -> Result<reqwest::Response, String> {
    let mut request = client
        .get(format!("{server}/{topic}/json"))
        .query(&[("since", since)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.map_err(|err| explain(&err))?;
    let status = answer.status();
    if status.is_success() {
        return Ok(answer);
    }
    let body = answer.text().await.unwrap_or_default();
    Err(status_words(status, &body))
}
