//! Notifications on the desktop that stand for several items (issue 60), as on every route
//! ([`crate::notify::batch`]): the storm and the digest.
//!
//! **The storm.** Past the storm threshold of new items in [`STORM_WINDOW`], the items that
//! would each pop up are told by one notification instead ("14 new items in 10 min"), which
//! the desktop replaces as the storm grows. A request for approval still pops up on its own
//! (an agent waits on its buttons) and does not count towards a storm.
//!
//! **The digest.** What the route sends "in the digest" (and what quiet hours held) is told by
//! one notification per digest period, only when something new waits, never in quiet hours
//! ([`SendPolicy::digest_due`], the periods every route counts). Each desktop keeps which items
//! it told, in its own memory: nothing about it is stored.

use std::collections::HashSet;

use chrono::{DateTime, NaiveTime, Utc};

use super::batch::{digest_lines, digest_title, storm_line, storm_title};
use super::desktop::escape_markup;
use super::message::{clean_text, MAX_TITLE};
use super::policy::{ItemClass, Plan, SendPolicy, STORM_WINDOW};
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

/// The one notification for what waited for the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestAlert {
    /// The items it tells, oldest first.
    pub items: Vec<i64>,
    pub summary: String,
    /// One line per item (the first few, then how many more).
    pub body: String,
}

/// The digest a desktop route sending by `policy` shows now, if one is due: the open, awake
/// items it sends in the digest (or whose opening quiet hours held), not `told` yet, when
/// [`SendPolicy::digest_due`] says so. `local` is the local time of a moment (quiet hours are
/// the watching machine's).
pub fn desktop_digest(
    escalations: &[Escalation],
    policy: &SendPolicy,
    told: &HashSet<i64>,
    now: DateTime<Utc>,
    local: impl Fn(DateTime<Utc>) -> NaiveTime,
) -> Option<DigestAlert> {
    let mut waiting: Vec<&Escalation> = escalations
        .iter()
        .filter(|e| e.is_awake(now) && !told.contains(&e.id))
        .filter(|e| policy.plan(e, local(e.opened_at)) == Plan::Digest)
        .collect();
    let opened: Vec<(DateTime<Utc>, bool)> = waiting
        .iter()
        .map(|e| (e.opened_at, policy.holds(e, local(e.opened_at))))
        .collect();
    if waiting.is_empty() || !policy.digest_due(&opened, now, local(now)) {
        return None;
    }
    waiting.sort_by_key(|e| (e.opened_at, e.id));
    Some(DigestAlert {
        items: waiting.iter().map(|e| e.id).collect(),
        summary: digest_title(waiting.len()),
        body: escape_markup(&digest_lines(&waiting).join("\n")),
    })
}

/// The items a desktop starting now counts as told already: those waiting for the digest
/// that were opened before this digest period began (their digest went at its start, by
/// whichever desktop ran then). A restart never tells them again.
pub fn digest_told_before(
    escalations: &[Escalation],
    policy: &SendPolicy,
    now: DateTime<Utc>,
    local: impl Fn(DateTime<Utc>) -> NaiveTime,
) -> HashSet<i64> {
    let began = policy.digest_period_began(now);
    escalations
        .iter()
        .filter(|e| e.opened_at < began && policy.plan(e, local(e.opened_at)) == Plan::Digest)
        .map(|e| e.id)
        .collect()
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

    fn opened_ago(e: &mut Escalation, minutes_before: i64, now: DateTime<Utc>) {
        e.opened_at = now - chrono::Duration::minutes(minutes_before);
    }

    #[test]
    fn the_digest_tells_what_waited_once_a_period_when_something_is_new() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:31:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let noon = |_: DateTime<Utc>| NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        let policy = SendPolicy::default();
        let mut warning = item(1, FindingKind::DivergentClaims, 0, now);
        warning.severity = Severity::Warning;
        let mut older = warning.clone();
        older.id = 2;
        // Opened before this period began (12:30): due now.
        opened_ago(&mut older, 5, now);
        opened_ago(&mut warning, 0, now);
        let critical = item(3, FindingKind::WriteCollision, 40, now);
        let queue = vec![warning.clone(), older.clone(), critical];
        let told = HashSet::new();
        let digest = desktop_digest(&queue, &policy, &told, now, noon).expect("a digest");
        assert_eq!(
            digest.items,
            [2, 1],
            "oldest first; the critical item went at once"
        );
        assert_eq!(digest.summary, "Baton: 2 new items since the last digest");
        assert_eq!(digest.body.lines().count(), 2, "{}", digest.body);
        // Told: nothing new waits, no digest.
        let told: HashSet<i64> = digest.items.iter().copied().collect();
        assert_eq!(desktop_digest(&queue, &policy, &told, now, noon), None);
        // Only items of this period waiting: not due until the next one begins.
        assert_eq!(
            desktop_digest(&[warning.clone()], &policy, &HashSet::new(), now, noon),
            None
        );
        // A desktop starting now counts the older one as told at the period's start.
        assert_eq!(
            digest_told_before(&queue, &policy, now, noon),
            HashSet::from([2])
        );
    }
}
