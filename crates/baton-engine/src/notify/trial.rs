//! `baton notify test`: one message on a route, with one button, and, when asked, a wait for
//! that button's answer to come back on the reply topic: the whole loop a real answer takes
//! (publish, the phone's post, Baton's outbound read), without deciding anything. Each failure
//! says what failed (the server's name, TLS, 401, 403, …).

use std::sync::Arc;
use std::time::Duration;

use baton_core::notify::answer::{read_answer, sign_answer, AnswerClaim, PhoneAction};
use baton_core::notify::message::{NtfyAction, NtfyMessage};
use baton_core::notify::{NotifyRoute, RouteKind};
use chrono::Utc;
use futures_util::StreamExt;

use super::keys::{random_hex, resolve_route_token};
use super::ntfy::{client, open_stream, publish};
use crate::secrets::TokenStore;

/// How a test went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrialOutcome {
    /// The server took the message (no wait asked, or no reply topic to wait on).
    Sent,
    /// The button's answer came back on the reply topic.
    Answered,
    /// Sent, but no answer came back within the wait.
    NoAnswer,
}

/// Sends a test message on `route` (an ntfy route) and, with `wait`, waits that long for its
/// button's answer. `key` signs the button (the data folder's answer key).
pub async fn test_route(
    tokens: Arc<dyn TokenStore>,
    route: &NotifyRoute,
    key: &[u8],
    wait: Option<Duration>,
) -> Result<TrialOutcome, String> {
    if route.draft.kind != RouteKind::Ntfy {
        return Err(format!(
            "{} routes are not tested yet: only ntfy routes",
            route.draft.kind.as_str()
        ));
    }
    let (Some(server), Some(topic)) = (route.draft.server.as_deref(), route.draft.topic.as_deref())
    else {
        return Err("the route has no server or topic".into());
    };
    let token = resolve_route_token(tokens, route).await?;
    let claim = AnswerClaim {
        route_id: route.id,
        escalation_id: 0,
        action: PhoneAction::Approve,
        expires_at: Utc::now() + chrono::Duration::minutes(10),
        nonce: random_hex(),
    };
    let answer = sign_answer(key, &claim);
    let reply = route.draft.reply_topic.as_deref();
    let actions = reply
        .map(|reply| {
            vec![NtfyAction::answer(
                "It works",
                &format!("{server}/{reply}"),
                answer.clone(),
            )]
        })
        .unwrap_or_default();
    let message = NtfyMessage {
        topic: topic.to_owned(),
        title: "Baton: a test of this route".into(),
        message: match reply {
            Some(_) => "Tap \"It works\": Baton waits for the answer on the reply topic.".into(),
            None => "The route works (it has no reply topic, so no buttons).".into(),
        },
        priority: 3,
        tags: vec!["baton".into(), "test".into()],
        click: None,
        actions,
        sequence_id: format!("baton-test-{}", claim.nonce),
    };
    let http = client();
    // The reply stream is opened before the message goes: an answer cannot come before it.
    let since = Utc::now().timestamp().to_string();
    let stream = match (wait, reply) {
        (Some(_), Some(reply)) => {
            Some(open_stream(&http, server, reply, &since, token.as_deref()).await?)
        }
        _ => None,
    };
    publish(&http, server, token.as_deref(), &message).await?;
    let (Some(stream), Some(wait)) = (stream, wait) else {
        return Ok(TrialOutcome::Sent);
    };
    let watch = async {
        let mut body = stream.bytes_stream();
        let mut pending = Vec::new();
        while let Some(Ok(chunk)) = body.next().await {
            pending.extend_from_slice(&chunk);
            while let Some(at) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=at).collect();
                let text = serde_json::from_slice::<serde_json::Value>(&line).ok();
                let posted = text
                    .as_ref()
                    .and_then(|v| v["message"].as_str())
                    .unwrap_or_default();
                if read_answer(key, posted, Utc::now()).is_ok_and(|c| c.nonce == claim.nonce) {
                    return TrialOutcome::Answered;
                }
            }
            if pending.len() > super::replies::MAX_LINE {
                pending.clear();
            }
        }
        TrialOutcome::NoAnswer
    };
    Ok(tokio::time::timeout(wait, watch)
        .await
        .unwrap_or(TrialOutcome::NoAnswer))
}
