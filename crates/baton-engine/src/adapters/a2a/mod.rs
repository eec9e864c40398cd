//! The A2A adapter: the calls (here: the agent card with `If-None-Match`, one call on the card's
//! interface, the tasks that changed page by page), one poll ([`poll`]), the answer to a task
//! that waits for input ([`answer`]) and "Test connection" ([`probe`]). What the answers mean
//! is baton-core's (`baton_core::a2a`).

mod answer;
mod calls;
mod poll;
mod probe;

use baton_core::agent::AgentConfig;
use baton_core::views::ConnectionReport;
use baton_store::outbox::DeliveryOutcome;
use futures_util::future::BoxFuture;

use super::adapter::{Adapter, Before, Delivery, Needs, Observed};
use crate::fetch::{FetchError, Fetcher};

pub(crate) struct A2aAdapter;

impl Adapter for A2aAdapter {
    fn needs(&self) -> Needs {
        Needs {
            task_states: true,
            card: true,
        }
    }

    fn poll<'a>(&'a self, fetcher: &'a Fetcher, before: Before<'a>) -> BoxFuture<'a, Observed> {
        Box::pin(poll::poll(fetcher, before))
    }

    fn deliver<'a>(
        &'a self,
        fetcher: &'a Fetcher,
        delivery: Delivery<'a>,
    ) -> BoxFuture<'a, Result<DeliveryOutcome, String>> {
        Box::pin(answer::deliver(fetcher, delivery))
    }

    fn probe<'a>(
        &'a self,
        fetcher: &'a Fetcher,
        config: &'a AgentConfig,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ConnectionReport, FetchError>> {
        Box::pin(probe::probe(fetcher, config, token))
    }
}
