//! Coding sessions write to the store from their own processes (`baton hook`); what they do
//! reaches the bus through the store's change feed (`crate::feed`). This loop notes, every few
//! seconds, that an engine watches the store: a session's permission request is asked in the
//! queue only then. And, while the engine watches (not a viewer), it asks git whether the
//! branches of each parallel edit would conflict, once their writes pause
//! ([`MERGE_CHECK_PAUSE`]), and again every [`MERGE_RECHECK`] (a branch merged or deleted
//! closes the item). Every [`BASE_RECHECK`] it also compares each live session's branch with its
//! repository's default branch ([`crate::base_drift`]): the Agents view says when that moved
//! under the session.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_core::views::ChangeEvent;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::shared::Shared;

/// How often the loop runs.
pub const SESSIONS_EVERY: Duration = Duration::from_secs(1);

/// A parallel edit is checked with git once its writes paused this long.
pub const MERGE_CHECK_PAUSE: chrono::Duration = chrono::Duration::seconds(2);

/// An open parallel edit is checked again after this long, written or not.
pub const MERGE_RECHECK: chrono::Duration = chrono::Duration::seconds(30);

/// A live session's branch is compared with the default branch this often.
pub const BASE_RECHECK: Duration = Duration::from_secs(30);

/// Every how many looks the engine notes that it watches (well within the hooks' 15 s).
const NOTE_EVERY_LOOKS: u32 = 5;

pub(crate) struct SessionWatch {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Asks git about the parallel edits due (see [`MERGE_CHECK_PAUSE`]) and keeps its answers;
/// the queue items that changed are announced.
pub(crate) async fn check_parallel_edits(shared: &Shared) {
    let now = chrono::Utc::now();
    let due = match shared
        .read(move |store| store.parallel_edits_to_check(now, MERGE_CHECK_PAUSE, MERGE_RECHECK))
        .await
    {
        Ok(due) => due,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the parallel edits to check");
            return;
        }
    };
    let mut changed: Vec<i64> = Vec::new();
    for edit in due {
        let finding_id = edit.finding_id;
        let check = match tokio::task::spawn_blocking(move || {
            crate::merge_check::check_parallel_edit(&edit)
        })
        .await
        {
            Ok(check) => check,
            Err(err) => {
                tracing::warn!(error = %err, "the merge check stopped");
                continue;
            }
        };
        let now = chrono::Utc::now();
        match shared
            .write(move |store| store.record_merge_check(finding_id, &check, now))
            .await
        {
            Ok(true) => changed.push(finding_id),
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "could not keep a merge check"),
        }
    }
    if !changed.is_empty() {
        // The queue's titles, and the item's "Will it conflict?" (it follows its finding).
        shared.bus.publish(ChangeEvent::Findings {
            opened: Vec::new(),
            updated: changed,
        });
        shared.bus.publish(ChangeEvent::Escalations {
            opened: Vec::new(),
            changed: Vec::new(),
            lapsing: Vec::new(),
        });
    }
}

/// Compares the live sessions' branches not compared for [`BASE_RECHECK`] with their
/// repository's default branch (`checked`: when each was, by agent id) and keeps git's answers;
/// the agents' view reloads when one changed.
pub(crate) async fn check_base_drifts(shared: &Shared, checked: &mut HashMap<i64, Instant>) {
    let now = chrono::Utc::now();
    let live = match shared
        .read(move |store| store.live_branch_sessions(now))
        .await
    {
        Ok(live) => live,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the live sessions' branches");
            return;
        }
    };
    checked.retain(|id, _| live.iter().any(|s| s.agent_id == *id));
    let mut changed = false;
    for session in live {
        if checked
            .get(&session.agent_id)
            .is_some_and(|at| at.elapsed() < BASE_RECHECK)
        {
            continue;
        }
        checked.insert(session.agent_id, Instant::now());
        let asked = tokio::task::spawn_blocking(move || {
            let drift = crate::base_drift::check_base_drift(
                std::path::Path::new(&session.worktree),
                &session.branch,
                chrono::Utc::now(),
            );
            (session.agent_id, drift)
        })
        .await;
        let (agent_id, drift) = match asked {
            Ok((agent_id, Ok(drift))) => (agent_id, drift),
            Ok((agent_id, Err(err))) => {
                tracing::debug!(agent_id, error = %err, "git could not compare with the default branch");
                continue;
            }
            Err(err) => {
                tracing::warn!(error = %err, "the default-branch check stopped");
                continue;
            }
        };
        match shared
            .write(move |store| store.record_base_drift(agent_id, drift.as_ref()))
            .await
        {
            Ok(did) => changed |= did,
            Err(err) => tracing::warn!(error = %err, "could not keep a default-branch check"),
        }
    }
    if changed {
        shared.bus.publish(ChangeEvent::AgentsChanged);
    }
}

impl SessionWatch {
    /// The loop; a viewer (`watching` false) only notes that somebody can answer the queue.
    pub fn spawn(shared: Arc<Shared>, watching: bool) -> SessionWatch {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut base_checked = HashMap::new();
            let mut looks: u32 = 0;
            loop {
                if looks.is_multiple_of(NOTE_EVERY_LOOKS) {
                    let noted = shared
                        .write(|store| store.note_watcher("engine", chrono::Utc::now()))
                        .await;
                    if let Err(err) = noted {
                        // A viewer's role may not write: the hooks then ask in their own dialog.
                        tracing::debug!(error = %err, "could not note that the engine watches");
                    }
                }
                looks = looks.wrapping_add(1);
                if watching {
                    check_parallel_edits(&shared).await;
                    check_base_drifts(&shared, &mut base_checked).await;
                }
                tokio::select! {
                    () = tokio::time::sleep(SESSIONS_EVERY) => {}
                    _ = stopped.wait_for(|s| *s) => break,
                }
            }
        });
        SessionWatch { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
