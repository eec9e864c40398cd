//! A route's reply stream: Baton's own outbound connection to `GET /<reply topic>/json`, read
//! line by line (one JSON message per line), each message's text taken as an answer
//! ([`super::answers`]). The id of the last message read is kept in the store, and a dropped
//! stream is opened again from it (`since=`), with growing pauses while the server is away,
//! so nothing posted meanwhile is missed, and nothing is taken twice (each answer's nonce is
//! taken once). Lines past [`MAX_LINE`] bytes are refused unread; junk is refused and logged.
//! Each failure to open the stream is recorded on the route in the store (the app, `baton
//! notify list` and `baton status` show it), and the run of failures ends when it opens.

use std::sync::Arc;
use std::time::Duration;

use baton_core::notify::NotifyRoute;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::task::JoinHandle;

use super::answers::take_answer;
use super::keys::route_token;
use super::ntfy::open_stream;
use crate::shared::Shared;

/// Longest line read from a reply stream; longer ones are skipped to their end.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// One line of ntfy's JSON stream (unknown fields ignored).
#[derive(Debug, Deserialize)]
struct StreamLine {
    id: Option<String>,
    event: Option<String>,
    message: Option<String>,
}

/// The running reader of one route's replies.
pub(crate) struct ReplyReader {
    /// The route as it was when the reader started (a change restarts it).
    pub route: NotifyRoute,
    task: JoinHandle<()>,
}

impl ReplyReader {
    pub fn spawn(
        shared: Arc<Shared>,
        route: NotifyRoute,
        since: Option<String>,
        key: Arc<Vec<u8>>,
    ) -> ReplyReader {
        let reading = route.clone();
        let task = tokio::spawn(async move { read_replies(&shared, &reading, since, &key).await });
        ReplyReader { route, task }
    }
}

impl Drop for ReplyReader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Splits a stream of bytes into lines of at most [`MAX_LINE`] bytes; longer lines are dropped
/// whole (and counted).
#[derive(Default)]
struct Lines {
    buffer: Vec<u8>,
    skipping: bool,
}

impl Lines {
    /// Feeds `chunk`; calls `line` for each whole line, `too_long` for each line dropped.
    fn feed(&mut self, chunk: &[u8], mut line: impl FnMut(&[u8]), mut too_long: impl FnMut()) {
        for part in chunk.split_inclusive(|b| *b == b'\n') {
            let ends = part.ends_with(b"\n");
            let body = if ends { &part[..part.len() - 1] } else { part };
            if !self.skipping {
                if self.buffer.len() + body.len() > MAX_LINE {
                    self.buffer.clear();
                    self.skipping = true;
                    too_long();
                } else {
                    self.buffer.extend_from_slice(body);
                }
            }
            if ends {
                if !self.skipping {
                    line(&self.buffer);
                }
                self.buffer.clear();
                self.skipping = false;
            }
        }
    }
}

async fn read_replies(shared: &Shared, route: &NotifyRoute, since: Option<String>, key: &[u8]) {
    let (Some(server), Some(topic)) = (
        route.draft.server.as_deref(),
        route.draft.reply_topic.as_deref(),
    ) else {
        return;
    };
    let mut since = since.unwrap_or_else(|| "all".to_owned());
    let mut failures = 0u32;
    loop {
        let token = match route_token(shared, route).await {
            Ok(token) => token,
            Err(err) => {
                shared.notify.bump(|s| s.last_error = Some(err.clone()));
                tracing::warn!(route = %route.draft.name, error = %err, "cannot read the reply topic");
                None
            }
        };
        match open_stream(
            &shared.notify_client,
            server,
            topic,
            &since,
            token.as_deref(),
        )
        .await
        {
            Ok(answer) => {
                note_stream(shared, route, Ok(())).await;
                failures = 0;
                shared.notify.bump(|s| s.streams_opened += 1);
                tracing::info!(route = %route.draft.name, %since, "reading the reply topic");
                let mut body = answer.bytes_stream();
                let mut lines = Lines::default();
                while let Some(chunk) = body.next().await {
                    let Ok(chunk) = chunk else { break };
                    let mut whole = Vec::new();
                    lines.feed(
                        &chunk,
                        |l| whole.push(l.to_vec()),
                        || shared.notify.refused("too_long"),
                    );
                    for line in whole {
                        if let Some(id) = take_line(shared, route, key, &line).await {
                            let (route_id, seen) = (route.id, id.clone());
                            if let Err(err) = shared
                                .write(move |s| s.set_reply_since(route_id, &seen))
                                .await
                            {
                                tracing::warn!(error = %err, "cannot note the reply stream's place");
                            }
                            since = id;
                        }
                    }
                }
                tracing::info!(route = %route.draft.name, "the reply stream ended; opening it again");
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                shared.notify.bump(|s| s.last_error = Some(err.clone()));
                tracing::warn!(route = %route.draft.name, error = %err, "cannot open the reply topic");
                note_stream(shared, route, Err(err)).await;
            }
        }
        let unit: f64 = rand::random();
        let reconnect = shared.config.reply_reconnect;
        let pause = reconnect.delay_ms(failures.max(1), unit).max(100);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// Records on the route how an attempt to open its reply stream went.
async fn note_stream(shared: &Shared, route: &NotifyRoute, outcome: Result<(), String>) {
    let id = route.id;
    let noted = shared
        .write(move |s| {
            let outcome = outcome.as_ref().map(|_| ()).map_err(String::as_str);
            s.record_reply_stream(id, outcome, chrono::Utc::now())
        })
        .await;
    if let Err(err) = noted {
        tracing::warn!(route = %route.draft.name, error = %err, "cannot record the reply stream's state");
    }
}

/// Takes one line of the stream; returns the message id to resume after (None for lines that
/// are no message: `open`, `keepalive`, junk).
async fn take_line(
    shared: &Shared,
    route: &NotifyRoute,
    key: &[u8],
    line: &[u8],
) -> Option<String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let Ok(parsed) = serde_json::from_slice::<StreamLine>(line) else {
        shared.notify.refused("junk");
        tracing::warn!(route = %route.draft.name, "a line of the reply stream is not JSON: ignored");
        return None;
    };
    if parsed.event.as_deref() != Some("message") {
        return None;
    }
    take_answer(
        shared,
        route,
        key,
        parsed.message.as_deref().unwrap_or_default(),
    )
    .await;
    parsed.id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_whole_and_long_ones_dropped() {
        let mut lines = Lines::default();
        let (mut got, mut dropped) = (Vec::new(), 0);
        lines.feed(b"ab", |l| got.push(l.to_vec()), || dropped += 1);
        lines.feed(b"c\nd\n\ne", |l| got.push(l.to_vec()), || dropped += 1);
        assert_eq!(got, [b"abc".to_vec(), b"d".to_vec(), b"".to_vec()]);
        let huge = vec![b'x'; MAX_LINE + 10];
        lines.feed(&huge, |l| got.push(l.to_vec()), || dropped += 1);
        lines.feed(&huge, |l| got.push(l.to_vec()), || dropped += 1);
        lines.feed(b"tail\nok\n", |l| got.push(l.to_vec()), || dropped += 1);
        assert_eq!(dropped, 1);
        assert_eq!(got.last().unwrap(), b"ok");
        assert_eq!(got.len(), 4);
    }
}
