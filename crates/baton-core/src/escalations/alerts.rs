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

/// Which moment of an item an alert tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertFor {
    /// It was just opened.
    Opened,
    /// Its SLA is about to lapse.
    Lapsing,
}

/// What deserves an alert when no desktop route says otherwise: each newly opened
/// **critical** escalation (and each newly opened limit window forecast to run out: it is a
/// forecast of minutes, a warning that cannot wait for its SLA; and each request for approval:
/// an agent waits for it), and any open one whose SLA is about to lapse.
pub fn urgent(e: &Escalation, moment: AlertFor) -> bool {
    match moment {
        AlertFor::Opened => {
            e.severity == Severity::Critical
                || e.kind == FindingKind::UsageWindow
                || e.kind == FindingKind::NeedsApproval
        }
        AlertFor::Lapsing => true,
    }
}

/// What to tell the person by default ([`urgent`]): see [`alerts_by`].
pub fn alerts(
    escalations: &[Escalation],
    opened: &[i64],
    lapsing: &[i64],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    alerts_by(escalations, opened, lapsing, now, urgent)
}

/// The alerts for the escalations just `opened` and those whose SLA is about to lapse
/// (`lapsing`) that `wants` tells of, in that order; one alert per escalation. Snoozed ones
/// stay quiet until their snooze ends, except when their SLA is about to lapse; a lapsing one
/// is told while it is open.
pub fn alerts_by(
    escalations: &[Escalation],
    opened: &[i64],
    lapsing: &[i64],
    now: DateTime<Utc>,
    wants: impl Fn(&Escalation, AlertFor) -> bool,
) -> Vec<Alert> {
    let mut told = Vec::new();
    let mut alerts = Vec::new();
    for e in escalations.iter().filter(|e| opened.contains(&e.id)) {
        if wants(e, AlertFor::Opened) && e.is_awake(now) && !told.contains(&e.id) {
            told.push(e.id);
            alerts.push(Alert {
                escalation_id: e.id,
                summary: format!("{}: needs you", kind_label(e.kind)),
                body: e.title.clone(),
            });
        }
    }
    for e in escalations.iter().filter(|e| lapsing.contains(&e.id)) {
        if e.state == EscalationState::Open && wants(e, AlertFor::Lapsing) && !told.contains(&e.id)
        {
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
