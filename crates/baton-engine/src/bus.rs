//! The change-event bus: what changed in the store, for the UI (through src-tauri) and the CLI.

use baton_core::views::ChangeEvent;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it sees `RecvError::Lagged`
/// (and should reload what it shows).
pub const BUS_CAPACITY: usize = 1024;

#[derive(Debug, Clone)]
pub(crate) struct Bus {
    tx: broadcast::Sender<ChangeEvent>,
}

impl Bus {
    pub(crate) fn new() -> Bus {
        Bus {
            tx: broadcast::channel(BUS_CAPACITY).0,
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.tx.subscribe()
    }

    /// Sends to every current subscriber; with none, the event is simply dropped.
    pub(crate) fn publish(&self, event: ChangeEvent) {
        let _ = self.tx.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn publishing_without_subscribers_is_fine_and_subscribers_get_events() {
        let bus = Bus::new();
        bus.publish(ChangeEvent::AgentsChanged);
        let mut rx = bus.subscribe();
        bus.publish(ChangeEvent::AgentsChanged);
        assert_eq!(rx.recv().await.unwrap(), ChangeEvent::AgentsChanged);
        assert!(
            rx.try_recv().is_err(),
            "events before subscribing are not replayed"
        );
    }
}
