//! Which escalations deserve a desktop notification.

use chrono::{DateTime, Utc};

use super::{Escalation, EscalationState};
use crate::detect::{FindingKind, Severity};

/// A desktop notification to show for an escalation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub escalation_id: i64,
    pub summary: String,
    pub body: String,
}

fn kind_label(kind: FindingKind) -> String {
    let text = kind.as_str().replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What to tell the person: each newly opened **critical** escalation (and each newly opened
/// limit window forecast to run out: it is a forecast of minutes, a warning that cannot wait
/// for its SLA; and each request for approval: an agent waits for it), and each open one whose
/// SLA is about to lapse (`lapsing`), in that order; one alert per escalation. Snoozed ones stay
/// quiet until their snooze ends, except when their SLA is about to lapse.
pub fn alerts(
    escalations: &[Escalation],
    opened: &[i64],
    lapsing: &[i64],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let mut told = Vec::new();
    let mut alerts = Vec::new();
    for e in escalations.iter().filter(|e| opened.contains(&e.id)) {
        let urgent = e.severity == Severity::Critical
            || e.kind == FindingKind::UsageWindow
            || e.kind == FindingKind::NeedsApproval;
        if urgent && e.is_awake(now) && !told.contains(&e.id) {
            told.push(e.id);
            alerts.push(Alert {
                escalation_id: e.id,
                summary: format!("{}: needs you", kind_label(e.kind)),
                body: e.title.clone(),
            });
        }
    }
    for e in escalations.iter().filter(|e| lapsing.contains(&e.id)) {
        if e.state == EscalationState::Open && !told.contains(&e.id) {
            told.push(e.id);
            let minutes = (e.due_at - now).num_minutes().max(0);
            alerts.push(Alert {
                escalation_id: e.id,
                summary: format!("SLA lapses in {minutes} min"),
                body: e.title.clone(),
            });
        }
    }
    alerts
}
