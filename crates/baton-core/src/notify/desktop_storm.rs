//! Many new items at once on the desktop (issue 60: a storm is one message). Past the storm
//! threshold of new items in [`STORM_WINDOW`], the items that would each pop up are told by one
//! notification instead ("14 new items in 10 min"), which the desktop replaces as the storm
//! grows. A request for approval still pops up on its own (an agent waits on its buttons) and
//! does not count towards a storm, as on every route ([`crate::notify::batch`]).

use chrono::{DateTime, Utc};

use super::batch::{storm_line, storm_title};
use super::desktop::escape_markup;
use super::message::{clean_text, MAX_TITLE};
use super::policy::{ItemClass, STORM_WINDOW};
use crate::escalations::{alerts_by, Alert, AlertFor, Escalation, EscalationState};

/// What the desktop shows for a change of the queue: a notification per item, and the storm's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesktopAlerts {
    pub each: Vec<Alert>,
    /// The storm's notification, when new items joined one.
    pub storm: Option<StormAlert>,
}

/// The one notification for a storm's items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StormAlert {
    /// How many new items the storm holds (those of the last [`STORM_WINDOW`]).
    pub count: usize,
    pub summary: String,
    pub body: String,
    /// The newest of them (a click opens the queue on it).
    pub newest: i64,
}

/// The desktop's alerts for the items just `opened` and those about to lapse (`lapsing`) that
/// `wants` tells of ([`alerts_by`]), with the items a storm holds told by its notification
/// instead: the open, awake items that `wants` pops up when opened, opened in the last
/// [`STORM_WINDOW`] and not requests for approval, once `is_storm` says their number is one.
/// An item about to lapse is told on its own, storm or not.
pub fn desktop_alerts(
    escalations: &[Escalation],
    opened: &[i64],
    lapsing: &[i64],
    now: DateTime<Utc>,
    wants: impl Fn(&Escalation, AlertFor) -> bool,
    is_storm: impl Fn(usize) -> bool,
) -> DesktopAlerts {
    let since = now - STORM_WINDOW;
    let in_storm: Vec<&Escalation> = escalations
        .iter()
        .filter(|e| {
            e.state == EscalationState::Open
                && e.opened_at >= since
                && e.is_awake(now)
                && ItemClass::of(e) != ItemClass::Approvals
                && wants(e, AlertFor::Opened)
        })
        .collect();
    if !is_storm(in_storm.len()) {
        return DesktopAlerts {
            each: alerts_by(escalations, opened, lapsing, now, wants),
            storm: None,
        };
    }
    let held = |e: &Escalation| in_storm.iter().any(|s| s.id == e.id);
    let each = alerts_by(escalations, opened, lapsing, now, |e, moment| {
        wants(e, moment) && !(moment == AlertFor::Opened && held(e))
    });
    let newest = in_storm
        .iter()
        .filter(|e| opened.contains(&e.id))
        .map(|e| e.id)
        .max();
    DesktopAlerts {
        each,
        storm: newest.map(|newest| StormAlert {
            count: in_storm.len(),
            summary: clean_text(
                &storm_title(in_storm.len(), STORM_WINDOW.num_minutes()),
                MAX_TITLE,
            ),
            body: escape_markup(&storm_line(&in_storm)),
            newest,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{FindingKind, Severity};
    use crate::escalations::urgent;

    fn item(id: i64, kind: FindingKind, minutes_ago: i64, now: DateTime<Utc>) -> Escalation {
        let mut e = super::super::tests::item(kind, Severity::Critical);
        e.id = id;
        e.opened_at = now - chrono::Duration::minutes(minutes_ago);
        e.snoozed_until = None;
        e
    }

    fn ids(alerts: &DesktopAlerts) -> Vec<i64> {
        alerts.each.iter().map(|a| a.escalation_id).collect()
    }

    #[test]
    fn past_the_threshold_new_items_are_one_notification_and_approvals_still_pop_up() {
        let now = Utc::now();
        let mut queue: Vec<Escalation> = (1..=7)
            .map(|id| item(id, FindingKind::WriteCollision, 1, now))
            .collect();
        queue.push(item(8, FindingKind::NeedsApproval, 0, now));
        // Opened 11 minutes ago: no longer part of the storm.
        queue.push(item(9, FindingKind::WriteCollision, 11, now));
        let storm = |n: usize| n > 5;
        let alerts = desktop_alerts(&queue, &[6, 7, 8], &[], now, urgent, storm);
        assert_eq!(ids(&alerts), [8], "the approval on its own");
        let told = alerts.storm.expect("a storm");
        assert_eq!(
            (told.count, told.newest, told.summary.as_str()),
            (7, 7, "7 new items in 10 min")
        );
        assert_eq!(told.body, "7 write collision: open Baton to see them");

        // Under the threshold: each on its own.
        let few = &queue[..3];
        let alerts = desktop_alerts(few, &[1, 2, 3], &[], now, urgent, storm);
        assert_eq!((ids(&alerts), alerts.storm), (vec![1, 2, 3], None));
    }

    #[test]
    fn a_storm_with_nothing_new_in_it_shows_nothing_and_lapsing_items_are_told_apart() {
        let now = Utc::now();
        let queue: Vec<Escalation> = (1..=7)
            .map(|id| item(id, FindingKind::WriteCollision, 1, now))
            .collect();
        let alerts = desktop_alerts(&queue, &[], &[3], now, urgent, |n| n > 5);
        assert_eq!((ids(&alerts), alerts.storm), (vec![3], None));
        // Items the route never pops up do not make a storm.
        let alerts = desktop_alerts(&queue, &[7], &[], now, |_, _| false, |n| n > 0);
        assert_eq!(alerts, DesktopAlerts::default());
    }
}
