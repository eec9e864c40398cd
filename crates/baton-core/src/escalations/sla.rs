//! Which SLA applies to an item and who handles it: an `exception` rule matching its resource,
//! else a default by its severity.

use chrono::Duration;

use crate::detect::Severity;
use crate::rules::{ResourcePattern, Rule, RuleKind};

/// The SLA of an item no `exception` rule gives one: the worse it is, the sooner it is due (a
/// critical item in 4 h, a warning in a day, a note in three days).
pub fn default_sla(severity: Severity) -> Duration {
    match severity {
        Severity::Critical => Duration::hours(4),
        Severity::Warning => Duration::hours(24),
        Severity::Info => Duration::days(3),
    }
}

/// Which SLA applies to an escalation of `severity` about `resource`, and who handles it: the
/// `exception` rule whose pattern matches the resource (the most specific one: the longest
/// pattern text) sets both; a rule without its own SLA, or no rule, leaves the severity's
/// [`default_sla`].
pub fn sla_for(
    resource: Option<&str>,
    severity: Severity,
    rules: &[Rule],
) -> (Duration, Option<String>) {
    let matching = resource.and_then(|uri| {
        rules
            .iter()
            .filter(|r| r.kind == RuleKind::Exception)
            .filter(|r| ResourcePattern::parse(&r.pattern).is_ok_and(|p| p.matches(uri)))
            .max_by_key(|r| r.pattern.len())
    });
    let sla = matching
        .and_then(|r| r.sla_seconds)
        .map(|seconds| {
            let seconds = i64::try_from(seconds).unwrap_or(i64::MAX / 1000);
            Duration::try_seconds(seconds).unwrap_or(Duration::days(365))
        })
        .unwrap_or_else(|| default_sla(severity));
    (sla, matching.map(|r| r.owner.clone()))
}
