//! Which of a run's findings are news to the store. A busy fleet finds the same causes run after
//! run; the store would read each only to leave it as it is, or to add one more agent or event
//! to it. Here each cause is kept as the store holds it (agents and evidence united, evidence
//! capped as the store caps it), and a finding is written:
//! - at once when its cause is new to this loop, or more than its agents, evidence and summary
//!   changed (its severity);
//! - when it only grew (more agents or evidence), at most every [`GROWTH_EVERY`]: what it
//!   gained meanwhile is kept and written together, also when the cause is not found again;
//! - when only its summary changed (a duration in it ticks: "stalled for 16 min"), at most
//!   every [`RETITLE_EVERY`];
//! - never when found again unchanged.

use std::collections::HashMap;

use baton_core::detect::{cap_evidence, Finding};
use chrono::{DateTime, Utc};

/// How often a finding that only grew is written. A busy resource gains a writer or an event
/// nearly every run; its queue item's count and agents follow within these seconds.
pub(crate) const GROWTH_EVERY: chrono::Duration = chrono::Duration::seconds(5);

/// How often a finding whose only change is its summary is written.
pub(crate) const RETITLE_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// One cause: as the store holds it after the last write, and what it gained since.
#[derive(Debug, Clone)]
struct Cause {
    stored: Finding,
    written_at: DateTime<Utc>,
    /// `stored` with what later runs found, not written yet.
    held: Option<Finding>,
}

/// The causes of the recent runs, by dedupe key.
#[derive(Debug, Default)]
pub(crate) struct WrittenFindings {
    by_key: HashMap<String, Cause>,
}

fn sorted_union<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let mut all: Vec<T> = a.iter().chain(b).cloned().collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// `f` recorded over `stored`, as the store records it: agents and evidence united (evidence
/// capped), the rest `f`'s.
fn united(stored: &Finding, f: Finding) -> Finding {
    Finding {
        agents: sorted_union(&stored.agents, &f.agents),
        evidence: cap_evidence(sorted_union(&stored.evidence, &f.evidence)),
        ..f
    }
}

/// What changed from `a` to `b`, a finding of the same cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    None,
    Summary,
    Growth,
    Other,
}

fn change(a: &Finding, b: &Finding) -> Change {
    if a.kind != b.kind
        || a.severity != b.severity
        || a.resource != b.resource
        || a.continues != b.continues
    {
        Change::Other
    } else if a.agents != b.agents || a.evidence != b.evidence {
        Change::Growth
    } else if a.summary != b.summary {
        Change::Summary
    } else {
        Change::None
    }
}

/// Whether a change made `since` the last write is written now.
fn due(change: Change, since: chrono::Duration) -> bool {
    match change {
        Change::None => false,
        Change::Summary => since >= RETITLE_EVERY,
        Change::Growth => since >= GROWTH_EVERY,
        Change::Other => true,
    }
}

impl WrittenFindings {
    /// How many causes are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The findings of a run at `now` to write, and the causes as they will stand once they
    /// are written. A cause neither found in this run nor holding anything unwritten is
    /// forgotten (found again later, it is written at once).
    pub fn news(
        &self,
        found: impl IntoIterator<Item = Finding>,
        now: DateTime<Utc>,
    ) -> (Vec<Finding>, WrittenFindings) {
        let mut causes = HashMap::with_capacity(self.by_key.len());
        let mut news = Vec::new();
        for f in found {
            let key = f.dedupe_key.clone();
            let Some(cause) = self.by_key.get(&key) else {
                news.push(f.clone());
                causes.insert(
                    key,
                    Cause {
                        stored: f,
                        written_at: now,
                        held: None,
                    },
                );
                continue;
            };
            let base = cause.held.as_ref().unwrap_or(&cause.stored);
            let next = united(base, f);
            let due = due(change(&cause.stored, &next), now - cause.written_at);
            causes.insert(key, Self::settle(cause, next, due, now, &mut news));
        }
        // Causes not found in this run that hold something unwritten: written once due.
        for (key, cause) in &self.by_key {
            if causes.contains_key(key) {
                continue;
            }
            if let Some(held) = &cause.held {
                if due(change(&cause.stored, held), now - cause.written_at) {
                    news.push(held.clone());
                } else {
                    causes.insert(key.clone(), cause.clone());
                }
            }
        }
        (news, WrittenFindings { by_key: causes })
    }

    fn settle(
        cause: &Cause,
        next: Finding,
        due: bool,
        now: DateTime<Utc>,
        news: &mut Vec<Finding>,
    ) -> Cause {
        if due {
            news.push(next.clone());
            return Cause {
                stored: next,
                written_at: now,
                held: None,
            };
        }
        let held = (change(&cause.stored, &next) != Change::None).then_some(next);
        Cause {
            stored: cause.stored.clone(),
            written_at: cause.written_at,
            held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::detect::{EvidenceRef, FindingKind, Severity};

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn stall(summary: &str) -> Finding {
        Finding {
            kind: FindingKind::Stall,
            severity: Severity::Warning,
            agents: vec![1],
            resource: None,
            summary: summary.into(),
            evidence: vec![],
            dedupe_key: "stall:1:t1".into(),
            continues: None,
        }
    }

    /// A collision on one file: the writers of this run, with one event each.
    fn collision(agents: &[i64], seq: u64) -> Finding {
        Finding {
            kind: FindingKind::WriteCollision,
            severity: Severity::Critical,
            agents: agents.to_vec(),
            resource: Some("file:///a".into()),
            summary: format!("{} agents", agents.len()),
            evidence: agents
                .iter()
                .map(|&agent_id| EvidenceRef { agent_id, seq })
                .collect(),
            dedupe_key: "write_collision:file:///a".into(),
            continues: None,
        }
    }

    #[test]
    fn unchanged_is_not_written_and_a_ticking_summary_once_a_minute() {
        let (news, w) = WrittenFindings::default().news([stall("stalled for 15 min")], t(0));
        assert_eq!(news.len(), 1, "new");
        let (news, w) = w.news([stall("stalled for 15 min")], t(5));
        assert!(news.is_empty(), "the same again");
        let (news, w) = w.news([stall("stalled for 16 min")], t(30));
        assert!(
            news.is_empty(),
            "only the summary ticked, within the minute"
        );
        let (news, w) = w.news([stall("stalled for 16 min")], t(60));
        assert_eq!(
            news[0].summary, "stalled for 16 min",
            "a minute on: written"
        );
        let mut worse = stall("stalled for 16 min");
        worse.severity = Severity::Critical;
        let (news, w) = w.news([worse], t(61));
        assert_eq!(news.len(), 1, "more than the summary changed: at once");
        let (news, w) = w.news([], t(62));
        assert!(news.is_empty());
        assert_eq!(w.len(), 0, "a cause no longer found is forgotten");
        let (news, _) = w.news([stall("stalled for 17 min")], t(63));
        assert_eq!(news.len(), 1, "found again after a gap: written");
    }

    #[test]
    fn growth_is_held_and_written_together_every_few_seconds() {
        let (news, w) = WrittenFindings::default().news([collision(&[1, 2], 1)], t(0));
        assert_eq!(news.len(), 1, "a new cause at once");
        let (news, w) = w.news([collision(&[2, 3], 2)], t(1));
        assert!(news.is_empty(), "a third writer within the seconds: held");
        let (news, w) = w.news([collision(&[1, 4], 3)], t(2));
        assert!(news.is_empty(), "and a fourth");
        let (news, w) = w.news([collision(&[1, 2], 1)], t(5));
        assert_eq!(news.len(), 1, "due: what it gained, together");
        assert_eq!(news[0].agents, [1, 2, 3, 4]);
        assert_eq!(news[0].evidence.len(), 6, "{:?}", news[0].evidence);
        let (news, w) = w.news([collision(&[1, 2], 1)], t(6));
        assert!(news.is_empty(), "nothing new since");

        // Held, then not found again: written once due all the same.
        let (news, w) = w.news([collision(&[1, 5], 4)], t(7));
        assert!(news.is_empty());
        let (news, w) = w.news([], t(8));
        assert!(news.is_empty(), "not due yet: still held");
        assert_eq!(w.len(), 1);
        let (news, w) = w.news([], t(10));
        assert_eq!(news.len(), 1, "due");
        assert!(news[0].agents.contains(&5));
        assert_eq!(w.len(), 0, "written and not found: forgotten");
    }
}
