//! What the window keeps of an event, and how its indexes name one.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::protocol::EventKind;
use crate::task::TaskState;

/// One agent's event at a moment: its time and `seq`, ordered by time.
pub type Stamp = (DateTime<Utc>, u64);

/// What the detectors keep of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowEvent {
    pub agent_id: i64,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub task_id: Option<Arc<str>>,
    pub resource: Option<Arc<str>>,
    /// A handoff's receiver, as the sender names it.
    pub to: Option<Arc<str>>,
    /// A claim's key and its value as canonical JSON text ([`crate::json::canonical`]): two
    /// values have the same text exactly when they are the same value, however spelt.
    pub key: Option<Arc<str>>,
    pub value: Option<Arc<str>>,
    /// A `state` event's new state.
    pub state: Option<TaskState>,
}
