//! May this session write this file now? The permit asked before a coding session's write:
//! first the ownership rules (a `data` rule on `file:///…` patterns names the owner), then the
//! live leases. Pure: the caller reads the rules and leases and keeps what the answer implies
//! (the lease taken or refreshed, the escalation opened).

use chrono::{DateTime, Duration, Utc};

use crate::agent::same_name;
use crate::rules::{CompiledRules, RuleKind};

/// How strictly permits are kept, per project (and per rule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PermitMode {
    /// Record what happens; never escalate, never deny.
    Observe,
    /// Allow the write and open an escalation.
    #[default]
    Warn,
    /// Deny the write (with the reason) and open an escalation.
    Enforce,
}

impl PermitMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PermitMode::Observe => "observe",
            PermitMode::Warn => "warn",
            PermitMode::Enforce => "enforce",
        }
    }

    pub fn parse(word: &str) -> Option<PermitMode> {
        [PermitMode::Observe, PermitMode::Warn, PermitMode::Enforce]
            .into_iter()
            .find(|mode| mode.as_str() == word)
    }
}

/// How long a lease lives past its holder's last write of the file, by default.
pub const DEFAULT_LEASE_SECONDS: i64 = 600;

/// One session's right to write one file on its branch: taken by its write, kept until its
/// turn ends or it has not written the file for the lease time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// `repo://<repository>/<path>`, or `file:///…`
    pub resource: String,
    /// The branch the lease is kept for ([`lease_branch`]; None: one lease for every branch).
    pub branch: Option<String>,
    /// The holder's agent name.
    pub holder: String,
    /// The machine the holder works on, when the writer should hear it (another machine than
    /// its own); None otherwise.
    pub host: Option<String>,
    /// Whether the holder is a subagent of a session (its hold ends when it stops, not with
    /// its session's turn).
    pub by_subagent: bool,
    pub since: DateTime<Utc>,
    pub last_write_at: DateTime<Utc>,
}

/// The branch a lease on `resource` taken by a session on `branch` is kept for. A repository's
/// file (`repo://…`) has a lease per branch: sessions on one branch meet each other (a write
/// collision), two branches each change their own checkout (a parallel edit, not a
/// collision). Any other file is one place on disk whoever writes it, and a session with no
/// branch (no repository) knows no other: one lease, `""`.
pub fn lease_branch<'a>(resource: &str, branch: Option<&'a str>) -> &'a str {
    if resource.starts_with("repo://") {
        branch.unwrap_or_default()
    } else {
        ""
    }
}

/// Whether a lease kept for `held_for` stands in the way of a write kept for `branch` (both
/// from [`lease_branch`]): the same branch, or either is none (a session with no branch meets
/// every branch's holder, and every branch meets it, as when a file had one lease).
pub fn lease_meets(held_for: &str, branch: &str) -> bool {
    held_for == branch || held_for.is_empty() || branch.is_empty()
}

impl Lease {
    pub fn live_at(&self, now: DateTime<Utc>, lease_time: Duration) -> bool {
        now < self.last_write_at + lease_time
    }
}

/// What stands between the session and the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermitConflict {
    /// A `data` rule names another owner.
    Owner { owner: String, pattern: String },
    /// Another session holds a live lease.
    Lease {
        holder: String,
        /// The holder's machine, when it is another than the writer's ([`Lease::host`]).
        host: Option<String>,
        /// Whether the holder is a subagent ([`Lease::by_subagent`]).
        by_subagent: bool,
        since: DateTime<Utc>,
    },
}

impl PermitConflict {
    /// The agent that has the better claim to the file.
    pub fn holder(&self) -> &str {
        match self {
            PermitConflict::Owner { owner, .. } => owner,
            PermitConflict::Lease { holder, .. } => holder,
        }
    }
}

/// What the hook does with the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermitVerdict {
    /// Nothing stands in the way (or the mode is `observe`): the write goes ahead.
    Allow,
    /// `warn`: the write goes ahead and a person is told.
    AllowAndEscalate,
    /// `enforce`: the write is refused with the reason, and a person is asked.
    Deny,
}

/// How a write that met another's claim went, as the queue's finding says it (its summary ends
/// `: <outcome>`): a refused one is a session waiting for the file's holder, which the deadlock
/// detector reads back as a lease wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClashOutcome {
    /// The write was refused (`enforce`): the session waits for the holder.
    Refused,
    /// The write went ahead and a person was told (`warn`).
    AllowedWithWarning,
}

impl ClashOutcome {
    /// The outcome of a write that met a claim and got `verdict`.
    pub fn of(verdict: PermitVerdict) -> ClashOutcome {
        match verdict {
            PermitVerdict::Deny => ClashOutcome::Refused,
            PermitVerdict::Allow | PermitVerdict::AllowAndEscalate => {
                ClashOutcome::AllowedWithWarning
            }
        }
    }

    /// The words the finding's summary ends with.
    pub fn as_str(self) -> &'static str {
        match self {
            ClashOutcome::Refused => "refused",
            ClashOutcome::AllowedWithWarning => "allowed (warn)",
        }
    }
}

impl std::fmt::Display for ClashOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to one permit request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    pub verdict: PermitVerdict,
    pub conflict: Option<PermitConflict>,
}

/// Asks whether `session` may write `resource` at `now`.
///
/// The owner named by a `data` rule (or an agent of its sequence) may write whatever the leases
/// say; another session may write an owned file only while it holds a live lease on it (a
/// lease granted from the queue). Without a rule, a live lease of another session stands in the
/// way. `leases` may hold any leases; only those on `resource` and live at `now` count.
pub fn permit(
    session: &str,
    resource: &str,
    rules: &CompiledRules,
    leases: &[Lease],
    mode: PermitMode,
    lease_time: Duration,
    now: DateTime<Utc>,
) -> Permit {
    let live = |lease: &&Lease| lease.resource == resource && lease.live_at(now, lease_time);
    let holds_lease = leases
        .iter()
        .filter(live)
        .any(|lease| same_name(&lease.holder, session));
    let owned_by = rules.covering(&[RuleKind::Data], resource).next();
    let conflict = match owned_by {
        Some(rule) if !rule.allows(session) && !holds_lease => Some(PermitConflict::Owner {
            owner: rule.owner.clone(),
            pattern: rule.pattern.clone(),
        }),
        Some(_) => None,
        None => leases
            .iter()
            .filter(live)
            .filter(|lease| !same_name(&lease.holder, session))
            .min_by_key(|lease| lease.since)
            .map(|lease| PermitConflict::Lease {
                holder: lease.holder.clone(),
                host: lease.host.clone(),
                by_subagent: lease.by_subagent,
                since: lease.since,
            }),
    };
    let verdict = match (&conflict, mode) {
        (None, _) | (Some(_), PermitMode::Observe) => PermitVerdict::Allow,
        (Some(_), PermitMode::Warn) => PermitVerdict::AllowAndEscalate,
        (Some(_), PermitMode::Enforce) => PermitVerdict::Deny,
    };
    Permit { verdict, conflict }
}

/// The reason a refused session (and its model) reads: the file, who holds it and since when,
/// and the two ways on.
pub fn deny_reason(
    path: &str,
    conflict: &PermitConflict,
    lease_time: Duration,
    now: DateTime<Utc>,
) -> String {
    let why = match conflict {
        PermitConflict::Owner { owner, pattern } => format!(
            "Baton refused this write: {path} belongs to the agent \"{owner}\" (ownership \
             rule: data {pattern})."
        ),
        PermitConflict::Lease {
            holder,
            host,
            by_subagent,
            since,
        } => {
            let (who, ends) = if *by_subagent {
                ("subagent", "it stops")
            } else {
                ("session", "its turn ends")
            };
            format!(
                "Baton refused this write: the {who} \"{holder}\"{} is working on {path} (it \
                 has held the file since {} UTC, {} ago; the hold ends when {ends}, or after {} \
                 without writing the file).",
                host.as_deref()
                    .map_or(String::new(), |host| format!(" on the machine {host}")),
                since.format("%H:%M"),
                ago(now - *since),
                ago(lease_time)
            )
        }
    };
    format!(
        "{why} Do not write this file now, and do not work around it through the shell. \
         Either wait for it (carry on with other work and try again later), or ask in Baton: \
         the person was asked to decide who may write it, and a retry passes once they grant \
         it to you."
    )
}

fn ago(span: Duration) -> String {
    let seconds = span.num_seconds().max(0);
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        _ => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
    }
}
