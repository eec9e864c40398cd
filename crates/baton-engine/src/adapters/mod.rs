//! Protocol adapters: one per way an agent speaks (`baton/1`, A2A; coding sessions, which are
//! heard through their hooks rather than polled). An adapter turns what it fetches into a
//! `baton/1` document ([`Fetched`]) and delivers a person's decision in its protocol; it never
//! touches the store. Whoever calls it reads what it needs beforehand ([`Before`], as its
//! [`Needs`] say) and keeps what it saw afterwards, in one place: the poller
//! (`crate::poller`) for polls, the relay (`crate::relay`) for decisions.
//!
//! Adding a protocol is a module here, one arm in [`adapter`] and, when it must remember
//! something of its own between polls, a [`Note`]; the poller and the relay stay as they are.

mod a2a;
mod adapter;
mod baton;
mod session;

use baton_core::agent::AdapterKind;

pub(crate) use adapter::{Adapter, Before, Delivery, Kept, Needs, Note};

/// The adapter of a protocol.
pub(crate) fn adapter(kind: AdapterKind) -> &'static dyn Adapter {
    match kind {
        AdapterKind::Baton => &baton::BatonAdapter,
        AdapterKind::A2a => &a2a::A2aAdapter,
        // Neither is polled; a decision on their items has nothing to send.
        AdapterKind::Session | AdapterKind::Otlp => &session::SessionAdapter,
    }
}
