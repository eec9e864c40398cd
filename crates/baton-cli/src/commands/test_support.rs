//! What the commands' unit tests share.

use baton_core::detect::{FindingKind, Severity};
use baton_core::escalations::{Escalation, EscalationState};
use chrono::{DateTime, Duration, Utc};

/// An open write collision between agents 1 and 2, opened at `opened`, due an hour later.
pub fn write_collision(id: i64, opened: DateTime<Utc>) -> Escalation {
    Escalation {
        id,
        finding_id: Some(3),
        kind: FindingKind::WriteCollision,
        severity: Severity::Warning,
        agents: vec![1, 2],
        resource: None,
        title: "Two writers on crm://contacts/42".into(),
        agent_id: None,
        task_id: None,
        state: EscalationState::Open,
        opened_at: opened,
        due_at: opened + Duration::hours(1),
        assignee: None,
        snoozed_until: None,
        closed_at: None,
        occurrences: 1,
        since_decision: 0,
        scope: None,
        resources: vec![],
        resource_count: 1,
        last_seen_at: opened,
        decision: None,
        deliveries: vec![],
        knot: None,
        parallel: None,
    }
}
