//! The native protocol, `baton/1`: `GET {base}/baton/v1/status?since={cursor}` for a poll, and
//! `POST {base}/baton/v1/decisions` with an `Idempotency-Key` for a decision (docs/protocol.md).

use std::time::Duration;

use baton_core::agent::{human_duration_ms, AdapterKind, AgentConfig};
use baton_core::protocol::DecisionAck;
use baton_core::views::ConnectionReport;
use baton_store::outbox::{DeliveryOutcome, OutboxItem};
use futures_util::future::BoxFuture;

use super::adapter::{plural, Adapter, Before, Delivery, Needs, Observed};
use crate::fetch::{FetchError, Fetcher};

/// Largest acknowledgement read.
const ACK_CAP_BYTES: u64 = 64 * 1024;

pub(crate) struct BatonAdapter;

impl Adapter for BatonAdapter {
    fn needs(&self) -> Needs {
        Needs::default()
    }

    fn poll<'a>(&'a self, fetcher: &'a Fetcher, before: Before<'a>) -> BoxFuture<'a, Observed> {
        Box::pin(async move {
            fetcher
                .fetch_status(
                    before.agent,
                    before.cursor,
                    before.token,
                    Some(&before.known),
                    before.quiet,
                )
                .await
                .into()
        })
    }

    fn deliver<'a>(
        &'a self,
        fetcher: &'a Fetcher,
        delivery: Delivery<'a>,
    ) -> BoxFuture<'a, Result<DeliveryOutcome, String>> {
        Box::pin(post(fetcher, delivery.agent, delivery.token, delivery.item))
    }

    fn probe<'a>(
        &'a self,
        fetcher: &'a Fetcher,
        config: &'a AgentConfig,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ConnectionReport, FetchError>> {
        Box::pin(async move {
            let fetched = fetcher
                .fetch_status(config, None, token, None, None)
                .await?;
            let doc = fetched.doc;
            let tasks = doc.tasks.len();
            Ok(ConnectionReport {
                ok: true,
                message: format!(
                    "{} agent \"{}\" answered in {} with {}",
                    doc.protocol,
                    doc.agent.id,
                    human_duration_ms(fetched.latency_ms),
                    plural(tasks, "task")
                ),
                latency_ms: Some(fetched.latency_ms),
                remote_id: Some(doc.agent.id),
                remote_name: doc.agent.name,
                task_count: Some(u32::try_from(tasks).unwrap_or(u32::MAX)),
                declares: doc.agent.declares,
                adapter: Some(AdapterKind::Baton),
                card: None,
            })
        })
    }
}

/// POSTs one decision; `Ok` is the agent's acknowledgement.
async fn post(
    fetcher: &Fetcher,
    agent: &AgentConfig,
    token: Option<&str>,
    item: &OutboxItem,
) -> Result<DeliveryOutcome, String> {
    let url = agent.decisions_url();
    let mut request = fetcher
        .client
        .post(&url)
        .timeout(Duration::from_millis(agent.timeout_ms))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "application/json")
        .header("Idempotency-Key", &item.idempotency_key)
        .body(item.body.clone());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let explain =
        |err: &reqwest::Error| fetcher.explain(err, &url, agent.timeout_ms, 0).to_string();
    let response = request.send().await.map_err(|err| explain(&err))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(FetchError::Unauthorized.to_string());
    }
    if !status.is_success() {
        return Err(FetchError::of_status(&response).to_string());
    }
    // Read what the agent says, never more than the cap (the read stops there); any 2xx is an
    // acknowledgement even if the body is not.
    let body = fetcher
        .read_body_capped(response, &url, agent.timeout_ms, ACK_CAP_BYTES)
        .await;
    if let Err(FetchError::BodyTooLarge { cap_bytes }) = &body {
        return Ok(DeliveryOutcome::Acknowledged {
            accepted: true,
            note: Some(format!(
                "HTTP {} with an acknowledgement over {} KiB, not read",
                status.as_u16(),
                cap_bytes / 1024
            )),
        });
    }
    let ack = body
        .ok()
        .and_then(|b| serde_json::from_slice::<DecisionAck>(&b).ok());
    Ok(match ack {
        Some(ack) => DeliveryOutcome::Acknowledged {
            accepted: ack.accepted,
            note: ack
                .duplicate
                .then(|| "already applied (duplicate)".to_owned()),
        },
        None => DeliveryOutcome::Acknowledged {
            accepted: true,
            note: Some(format!(
                "HTTP {} without a readable acknowledgement",
                status.as_u16()
            )),
        },
    })
}
