//! The escalation queue as the app uses it: read the queue and an escalation's evidence, and take
//! a decision (stored with its outbox rows in one transaction, then handed to the relay at once).

use baton_core::detect::handoff::DeadLetter;
use baton_core::detect::windows::WindowOverrides;
use baton_core::escalations::{DeliveryState, Escalation, EscalationAction, EscalationTimeline};
use baton_core::hooks::ParallelEditView;
use baton_store::escalations::EscalationFilter;
use chrono::Utc;
use std::time::Duration;

use super::Engine;
use crate::error::EngineError;
use crate::parallel_view::parallel_edit_view;

impl Engine {
    /// Every open escalation by due time, then the latest 100 closed ones.
    pub async fn escalations(&self) -> Result<Vec<Escalation>, EngineError> {
        self.shared()
            .read(|s| s.escalations(EscalationFilter::default()))
            .await
    }

    pub async fn escalation(&self, id: i64) -> Result<Escalation, EngineError> {
        self.shared().read(move |s| s.escalation(id)).await
    }

    /// The involved agents' events around the escalation's evidence, on one time axis.
    pub async fn escalation_timeline(&self, id: i64) -> Result<EscalationTimeline, EngineError> {
        self.shared().read(move |s| s.escalation_timeline(id)).await
    }

    /// The parallel edit of escalation `id` (its branches, checkouts, files, git's forecast and
    /// the lines that meet on each side), or None when the item is no parallel edit.
    pub async fn parallel_edit(&self, id: i64) -> Result<Option<ParallelEditView>, EngineError> {
        let edit = self
            .shared()
            .read(move |s| {
                let escalation = s.escalation(id)?;
                match escalation.finding_id {
                    Some(finding) => s.parallel_edit(finding),
                    None => Ok(None),
                }
            })
            .await?;
        let Some(edit) = edit else {
            return Ok(None);
        };
        // Reading the checkouts' files is file I/O: off the runtime's threads.
        tokio::task::spawn_blocking(move || parallel_edit_view(id, edit))
            .await
            .map(Some)
            .map_err(|err| EngineError::Internal(err.to_string()))
    }

    /// How many escalations are open.
    pub async fn open_escalation_count(&self) -> Result<u64, EngineError> {
        self.shared().read(|s| s.open_escalation_count()).await
    }

    /// Records `who`'s decision on escalation `id` and starts delivering it. An escalation past
    /// its SLA expires instead (`code: expired`); the queue is told either way.
    pub async fn decide_escalation(
        &self,
        id: i64,
        action: EscalationAction,
        note: Option<String>,
        who: String,
    ) -> Result<Escalation, EngineError> {
        let decided = crate::decide::decide(self.shared(), id, action, note, who, None).await?;
        self.wake_relay();
        Ok(decided.escalation)
    }
}

impl Engine {
    /// Delivers the decision on escalation `id` now, each failed attempt tried again when the
    /// relay would, until every agent concerned has answered or `wait` has passed; returns the
    /// escalation with its deliveries. For a process that decides and exits (`baton decide`):
    /// the app's relay does this by itself. Other deliveries that are due go out too.
    pub async fn deliver_decision(
        &self,
        id: i64,
        wait: Duration,
    ) -> Result<Escalation, EngineError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            crate::relay::deliver_due(self.shared(), Utc::now()).await?;
            let escalation = self.escalation(id).await?;
            let next = escalation
                .deliveries
                .iter()
                .filter(|d| matches!(d.state, DeliveryState::Pending | DeliveryState::Retrying))
                .map(|d| d.next_attempt_at)
                .min();
            let Some(next) = next else {
                return Ok(escalation);
            };
            let pause = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            if tokio::time::Instant::now() + pause >= deadline {
                return Ok(escalation);
            }
            tokio::time::sleep(pause).await;
        }
    }
}

impl Engine {
    /// Sets the JSON Schema the payload of `handoff_type` handoffs must satisfy (it must
    /// compile); the detectors use it from their next run.
    pub async fn set_handoff_schema(
        &self,
        handoff_type: String,
        schema: serde_json::Value,
        who: String,
    ) -> Result<(), EngineError> {
        self.shared()
            .write(move |s| s.set_handoff_schema(&handoff_type, &schema, &who, Utc::now()))
            .await
    }

    pub async fn remove_handoff_schema(
        &self,
        handoff_type: String,
        who: String,
    ) -> Result<(), EngineError> {
        self.shared()
            .write(move |s| s.remove_handoff_schema(&handoff_type, &who, Utc::now()))
            .await
    }

    /// Every handoff schema, by type.
    pub async fn handoff_schemas(&self) -> Result<Vec<(String, serde_json::Value)>, EngineError> {
        self.shared().read(|s| s.handoff_schemas()).await
    }

    /// Handoffs that failed their schema, newest first, payloads whole.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, EngineError> {
        self.shared().read(|s| s.dead_letters()).await
    }
}

impl Engine {
    /// The agent's overrides of the detectors' windows (empty: the defaults).
    pub async fn detect_windows(&self, agent_id: i64) -> Result<WindowOverrides, EngineError> {
        self.shared()
            .read(move |s| s.detect_windows(agent_id))
            .await
    }

    /// Sets (or with `None` clears) the agent's overrides; the detectors use them from their
    /// next run.
    pub async fn set_detect_windows(
        &self,
        agent_id: i64,
        windows: Option<WindowOverrides>,
        who: String,
    ) -> Result<WindowOverrides, EngineError> {
        let windows = windows.unwrap_or_default();
        self.shared()
            .write(move |s| s.set_detect_windows(agent_id, &windows, &who, Utc::now()))
            .await
    }
}
