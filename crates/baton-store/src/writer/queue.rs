//! The writer's queue: writes in the order they came, and a front for the few that must not
//! wait behind them ([`Queue::send_first`]). The writer takes from the front first, every time
//! it takes a write; a nudge through the queue wakes it when it waits for one.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use super::job::Job;

type Front = Arc<Mutex<VecDeque<Box<dyn Job>>>>;

enum Message {
    Job(Box<dyn Job>),
    /// Something is at the front: wakes a writer waiting for the queue.
    Nudge,
}

/// The sending side, one per [`super::Writer`] handle (cheap to clone). The writer thread
/// ends when the last is dropped, after the writes already queued.
#[derive(Clone)]
pub(super) struct Queue {
    jobs: mpsc::Sender<Message>,
    front: Front,
}

/// The writer thread's side.
pub(super) struct Jobs {
    jobs: mpsc::Receiver<Message>,
    front: Front,
    /// Writes taken off the channel while the writer lingered ([`Jobs::linger_until`]), next
    /// after the front's.
    lingered: RefCell<VecDeque<Box<dyn Job>>>,
}

pub(super) fn channel() -> (Queue, Jobs) {
    let (sender, receiver) = mpsc::channel();
    let front = Front::default();
    (
        Queue {
            jobs: sender,
            front: Arc::clone(&front),
        },
        Jobs {
            jobs: receiver,
            front,
            lingered: RefCell::default(),
        },
    )
}

const STOPPED: &str = "the database writer has stopped";

impl Queue {
    /// Queues `job` behind the writes waiting.
    pub(super) fn send(&self, job: Box<dyn Job>) {
        if let Err(mpsc::SendError(Message::Job(job))) = self.jobs.send(Message::Job(job)) {
            job.finish(Some(STOPPED));
        }
    }

    /// Queues `job` before the writes waiting.
    pub(super) fn send_first(&self, job: Box<dyn Job>) {
        lock(&self.front).push_back(job);
        if self.jobs.send(Message::Nudge).is_err() {
            // No writer to take it: tell its caller (and any other left at the front).
            let left: Vec<_> = lock(&self.front).drain(..).collect();
            for job in left {
                job.finish(Some(STOPPED));
            }
        }
    }
}

impl Jobs {
    /// The next write, waiting for one; `None` once every [`Queue`] is dropped and nothing is
    /// left.
    pub(super) fn recv(&self) -> Option<Box<dyn Job>> {
        loop {
            if let Some(job) = self.first() {
                return Some(job);
            }
            match self.jobs.recv() {
                Ok(Message::Job(job)) => return Some(job),
                Ok(Message::Nudge) => continue,
                Err(_) => return self.first(),
            }
        }
    }

    /// The next write if one is waiting.
    pub(super) fn try_recv(&self) -> Option<Box<dyn Job>> {
        loop {
            if let Some(job) = self.first() {
                return Some(job);
            }
            match self.jobs.try_recv() {
                Ok(Message::Job(job)) => return Some(job),
                Ok(Message::Nudge) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Waits until `deadline` for more writes, taking them off the channel (the batch takes
    /// them next, within its time budget), up to `most`; stops early when one is sent to the
    /// front (it must not wait).
    pub(super) fn linger_until(&self, deadline: Instant, most: usize) {
        while self.lingered.borrow().len() < most && lock(&self.front).is_empty() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            match self.jobs.recv_timeout(left) {
                Ok(Message::Job(job)) => self.lingered.borrow_mut().push_back(job),
                Ok(Message::Nudge) => continue,
                Err(_) => return,
            }
        }
    }

    /// The next write already taken: the front's, then those taken while lingering.
    fn first(&self) -> Option<Box<dyn Job>> {
        let front = lock(&self.front).pop_front();
        front.or_else(|| self.lingered.borrow_mut().pop_front())
    }
}

fn lock(front: &Front) -> std::sync::MutexGuard<'_, VecDeque<Box<dyn Job>>> {
    front.lock().unwrap_or_else(|p| p.into_inner())
}
