//! Coding sessions (Claude Code, Codex, Copilot CLI): not polled. Their hooks run `baton hook`,
//! which records each call in the store itself (crate `baton-hooks`); a decision on a session's
//! item is read by the session's next hook call, so delivering it has nothing to send.

use baton_core::agent::AgentConfig;
use baton_core::views::ConnectionReport;
use baton_store::outbox::DeliveryOutcome;
use futures_util::future::BoxFuture;

use super::adapter::{Adapter, Before, Delivery, Needs, Observed};
use crate::fetch::{FetchError, Fetcher};

pub(crate) struct SessionAdapter;

impl Adapter for SessionAdapter {
    fn needs(&self) -> Needs {
        Needs::default()
    }

    fn poll<'a>(&'a self, _: &'a Fetcher, _: Before<'a>) -> BoxFuture<'a, Observed> {
        Box::pin(async { Observed::from(Err(FetchError::NotPolled)) })
    }

    fn deliver<'a>(
        &'a self,
        _: &'a Fetcher,
        _: Delivery<'a>,
    ) -> BoxFuture<'a, Result<DeliveryOutcome, String>> {
        Box::pin(async {
            Ok(DeliveryOutcome::Acknowledged {
                accepted: true,
                note: Some("kept for the session's next hook call".to_owned()),
            })
        })
    }

    fn probe<'a>(
        &'a self,
        _: &'a Fetcher,
        _: &'a AgentConfig,
        _: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ConnectionReport, FetchError>> {
        Box::pin(async { Err(FetchError::NotPolled) })
    }
}
