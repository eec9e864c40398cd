//! Which of a round's items go where on one route (issue 60), from its sending settings
//! ([`SendPolicy`]) and what it told already: each item's own message (new, or told and
//! perhaps grown), the storm's, or the digest's.
//!
//! A request for approval always has its own message (its buttons are the point) and never
//! counts towards a storm. An item the route could not send within the storm window (the
//! route was down) waits for the digest instead: the digest catches up.

use baton_core::escalations::Escalation;
use baton_core::notify::policy::{ItemClass, Plan, SendPolicy, STORM_WINDOW};
use baton_store::notify::batches::BatchRow;
use baton_store::notify::sent::SentRow;
use chrono::{DateTime, Utc};

use super::clock::NotifyClock;

/// Where a route's items go this round.
#[derive(Debug, Default)]
pub(crate) struct RoutePlan<'a> {
    /// Items with a message of their own: new ones, and those told before (they may have grown
    /// or been settled).
    pub at_once: Vec<&'a Escalation>,
    /// New items the storm tells (none: no storm, or nothing new in it).
    pub storm: Vec<&'a Escalation>,
    /// The storm's key (when it began, Unix seconds) and how many items it told so far.
    pub storm_key: i64,
    pub storm_told: u32,
    /// Items waiting for the digest, each with whether quiet hours (or a route that was down)
    /// held it.
    pub digest: Vec<(&'a Escalation, bool)>,
}

/// Sorts `awake` (the open items not snoozed) for a route sending by `policy`, which told
/// what `sent` says and has `storm` going (if any), at `now`.
pub(crate) fn plan<'a>(
    policy: &SendPolicy,
    awake: &'a [Escalation],
    sent: &[SentRow],
    storm: Option<&BatchRow>,
    now: DateTime<Utc>,
) -> RoutePlan<'a> {
    let mut out = RoutePlan::default();
    let mut fresh = Vec::new();
    let since = now - STORM_WINDOW;
    let mut recent = 0usize;
    for e in awake {
        let row = sent.iter().find(|r| r.escalation_id == e.id);
        if row.is_some_and(|r| r.batch_id.is_some()) {
            continue;
        }
        let approval = ItemClass::of(e) == ItemClass::Approvals;
        if row.is_some_and(|r| r.sends > 0) {
            recent += usize::from(!approval && e.opened_at >= since);
            out.at_once.push(e);
            continue;
        }
        let opened = NotifyClock::local_time(e.opened_at);
        match policy.plan(e, opened) {
            Plan::Skip => {}
            Plan::Digest => out.digest.push((e, policy.holds(e, opened))),
            Plan::AtOnce => {
                let failed = row.is_some_and(|r| r.attempts > 0);
                if failed && !approval && e.opened_at < since {
                    out.digest.push((e, true));
                } else {
                    recent += usize::from(!approval && e.opened_at >= since);
                    fresh.push((e, approval));
                }
            }
        }
    }
    let storming = storm.is_some() || policy.is_storm(recent);
    for (e, approval) in fresh {
        if storming && !approval && e.opened_at >= since {
            out.storm.push(e);
        } else {
            out.at_once.push(e);
        }
    }
    out.storm_told = storm.map_or(0, |s| s.items);
    out.storm_key = match storm {
        Some(s) => s.key,
        None => out
            .storm
            .iter()
            .map(|e| e.opened_at.timestamp())
            .min()
            .unwrap_or_else(|| now.timestamp()),
    };
    out
}
