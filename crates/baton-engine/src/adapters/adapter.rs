//! What every protocol adapter is: the [`Adapter`] trait, what it starts from ([`Before`],
//! [`Kept`], as its [`Needs`] say) and what it gives back ([`Observed`], [`Note`]).

use std::collections::HashMap;
use std::sync::Arc;

use baton_core::a2a::AgentCard;
use baton_core::agent::AgentConfig;
use baton_core::protocol::KnownTasks;
use baton_core::task::TaskState;
use baton_core::views::ConnectionReport;
use baton_store::a2a::StoredCard;
use baton_store::outbox::{DeliveryOutcome, OutboxItem};
use baton_store::Store;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use crate::fetch::{FetchError, Fetched, Fetcher};

/// What an adapter needs read from the store before it polls or delivers, beyond the agent's
/// configuration, token and cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Needs {
    /// The tasks Baton holds for the agent and their states.
    pub task_states: bool,
    /// The A2A agent card as last read.
    pub card: bool,
}

/// What was read from the store for one poll or delivery (as the adapter's [`Needs`] say).
#[derive(Debug, Clone, Default)]
pub(crate) struct Kept {
    pub task_states: HashMap<String, TaskState>,
    pub card: Option<StoredCard>,
}

impl Kept {
    /// Reads what `needs` asks for; run by the poller and the relay on a reader connection.
    pub fn read(store: &Store, agent_id: i64, needs: Needs) -> baton_store::Result<Kept> {
        Ok(Kept {
            task_states: if needs.task_states {
                store.task_states(agent_id)?
            } else {
                HashMap::new()
            },
            card: if needs.card {
                store.a2a_card(agent_id)?
            } else {
                None
            },
        })
    }
}

/// Everything one poll of one agent starts from.
pub(crate) struct Before<'a> {
    pub agent: &'a AgentConfig,
    pub token: Option<&'a str>,
    /// Where the last stored poll left off.
    pub cursor: Option<&'a str>,
    /// The tasks of the last stored answer by digest (a `baton/1` answer's unchanged tasks are
    /// not parsed again).
    pub known: Arc<KnownTasks>,
    pub kept: Kept,
    /// The digest of the agent's last quiet answer, when this poll may be quiet as it was (no
    /// write under way, the agent up): an adapter that gets the same bytes again need not
    /// read them.
    pub quiet: Option<crate::fetch::AnswerDigest>,
}

/// Something an adapter saw that Baton keeps besides the document, whether or not the poll
/// succeeded (a card read before a later call failed is still the card).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Note {
    /// The A2A agent card as read now, with its ETag.
    CardRead {
        card: AgentCard,
        etag: Option<String>,
        at: DateTime<Utc>,
    },
    /// Whether the agent lists its tasks (false: Baton follows tasks by id).
    ListsTasks(bool),
    /// Tasks the agent no longer knows: Baton stops following them (their events stay).
    Forgotten(Vec<String>),
}

impl Note {
    /// Keeps the note in the store, in the caller's write.
    pub fn keep(&self, store: &mut Store, agent_id: i64) -> baton_store::Result<()> {
        match self {
            Note::CardRead { card, etag, at } => {
                store.set_a2a_card(agent_id, card, etag.as_deref(), *at)
            }
            Note::ListsTasks(lists) => store.set_a2a_lists_tasks(agent_id, *lists),
            Note::Forgotten(tasks) => {
                for task in tasks {
                    store.unfollow_task(agent_id, task)?;
                }
                Ok(())
            }
        }
    }
}

/// What one poll saw.
#[derive(Debug)]
pub(crate) struct Observed {
    pub fetched: Result<Fetched, FetchError>,
    /// Kept whatever `fetched` is.
    pub notes: Vec<Note>,
}

impl From<Result<Fetched, FetchError>> for Observed {
    fn from(fetched: Result<Fetched, FetchError>) -> Observed {
        Observed {
            fetched,
            notes: Vec::new(),
        }
    }
}

/// A person's decision, as one protocol delivers it.
pub(crate) struct Delivery<'a> {
    pub agent: &'a AgentConfig,
    pub token: Option<&'a str>,
    pub kept: &'a Kept,
    pub item: &'a OutboxItem,
}

/// One protocol. Implementations are stateless: what they need arrives in the arguments.
pub(crate) trait Adapter: Send + Sync {
    /// What to read from the store before [`Adapter::poll`] and [`Adapter::deliver`].
    fn needs(&self) -> Needs;

    /// Fetches what the agent has now, as a `baton/1` document plus the [`Note`]s to keep.
    fn poll<'a>(&'a self, fetcher: &'a Fetcher, before: Before<'a>) -> BoxFuture<'a, Observed>;

    /// Delivers a decision; `Err` is why this attempt failed (it is tried again later).
    fn deliver<'a>(
        &'a self,
        fetcher: &'a Fetcher,
        delivery: Delivery<'a>,
    ) -> BoxFuture<'a, Result<DeliveryOutcome, String>>;

    /// "Test connection": one read of an endpoint in this protocol, nothing kept.
    fn probe<'a>(
        &'a self,
        fetcher: &'a Fetcher,
        config: &'a AgentConfig,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ConnectionReport, FetchError>>;
}

/// "3 tasks", "1 task".
pub(super) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
