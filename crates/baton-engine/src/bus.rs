//! The change-event bus: what changed in the store, for the UI (through src-tauri) and the CLI.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use baton_core::views::ChangeEvent;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it sees `RecvError::Lagged`
/// (and should reload what it shows).
pub const BUS_CAPACITY: usize = 1024;

/// How many opened items the bus remembers having announced.
const ANNOUNCED_KEPT: usize = 4096;

#[derive(Debug, Clone)]
pub(crate) struct Bus {
    tx: broadcast::Sender<ChangeEvent>,
    /// Items already announced as opened (newest last), so an item is told once whichever of
    /// the engine's loops, or another process, opened it.
    announced: Arc<Mutex<Announced>>,
}

#[derive(Debug, Default)]
struct Announced {
    order: VecDeque<i64>,
    ids: HashSet<i64>,
}

impl Announced {
    /// True when `id` is new here (and remembers it).
    fn note(&mut self, id: i64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > ANNOUNCED_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

impl Bus {
    pub(crate) fn new() -> Bus {
        Bus {
            tx: broadcast::channel(BUS_CAPACITY).0,
            announced: Arc::default(),
        }
    }

    /// Of `ids` (items found opened), those no event announced yet; they count as announced
    /// from now on.
    pub(crate) fn not_yet_announced(&self, ids: Vec<i64>) -> Vec<i64> {
        let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
        ids.into_iter().filter(|&id| announced.note(id)).collect()
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.tx.subscribe()
    }

    /// Sends to every current subscriber; with none, the event is simply dropped.
    pub(crate) fn publish(&self, event: ChangeEvent) {
        if let ChangeEvent::Escalations { opened, .. } = &event {
            let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
            for &id in opened {
                announced.note(id);
            }
        }
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

    #[test]
    fn an_item_is_announced_as_opened_once() {
        let bus = Bus::new();
        bus.publish(ChangeEvent::Escalations {
            opened: vec![3],
            changed: vec![],
            lapsing: vec![],
        });
        assert_eq!(bus.not_yet_announced(vec![2, 3, 4]), [2, 4]);
        assert_eq!(bus.not_yet_announced(vec![2, 3, 4, 5]), [5]);
        for id in 10..10 + ANNOUNCED_KEPT as i64 {
            bus.not_yet_announced(vec![id]);
        }
        assert_eq!(bus.not_yet_announced(vec![2]), [2], "the oldest are let go");
    }
}
