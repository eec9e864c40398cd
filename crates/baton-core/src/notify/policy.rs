//! What a route sends, and how often (issue 60): per route, each class of item (a request for
//! approval, a critical item, a limit window forecast to run out, an agent gone silent, a
//! warning, a note) goes at once, in the digest, or never; quiet hours hold all but critical
//! items for the digest after them; and many new items in a short time (a storm) are one
//! message. [`SendPolicy::plan`] sorts a round's items; the engine sends what it says.

use std::fmt;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::detect::{FindingKind, Severity};
use crate::escalations::Escalation;

/// How long a storm's new items are counted over.
pub const STORM_WINDOW: Duration = Duration::minutes(10);
/// The digest's default period.
pub const DEFAULT_DIGEST_MINUTES: u32 = 30;
/// More than this many new items in [`STORM_WINDOW`] are a storm, by default.
pub const DEFAULT_STORM_ITEMS: u32 = 5;
/// Longest digest period (a day).
pub const MAX_DIGEST_MINUTES: u32 = 24 * 60;
/// Highest storm threshold.
pub const MAX_STORM_ITEMS: u32 = 1_000;

/// When an item of a class is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// A message of its own, at once.
    Now,
    /// In the next digest.
    Digest,
    /// Not sent (it waits in the app).
    Never,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Now => "now",
            Delivery::Digest => "digest",
            Delivery::Never => "never",
        }
    }

    pub fn parse(text: &str) -> Option<Delivery> {
        match text.trim() {
            "now" => Some(Delivery::Now),
            "digest" => Some(Delivery::Digest),
            "never" => Some(Delivery::Never),
            _ => None,
        }
    }
}

/// What an item is, for sending: the first that fits, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemClass {
    /// An agent's request for approval, a coding agent's permission request.
    Approvals,
    /// A subscription or limit window forecast to run out.
    Limits,
    /// Any other critical item.
    Critical,
    /// An agent gone silent: a stalled task, an unreachable endpoint.
    Silent,
    Warnings,
    Notes,
}

impl ItemClass {
    pub const ALL: [ItemClass; 6] = [
        ItemClass::Approvals,
        ItemClass::Critical,
        ItemClass::Limits,
        ItemClass::Silent,
        ItemClass::Warnings,
        ItemClass::Notes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemClass::Approvals => "approvals",
            ItemClass::Limits => "limits",
            ItemClass::Critical => "critical",
            ItemClass::Silent => "silent",
            ItemClass::Warnings => "warnings",
            ItemClass::Notes => "notes",
        }
    }

    pub fn parse(text: &str) -> Option<ItemClass> {
        ItemClass::ALL
            .into_iter()
            .find(|c| c.as_str() == text.trim())
    }

    /// The class of item `e`.
    pub fn of(e: &Escalation) -> ItemClass {
        match (e.kind, e.severity) {
            (FindingKind::NeedsApproval, _) => ItemClass::Approvals,
            (FindingKind::UsageWindow, _) => ItemClass::Limits,
            (_, Severity::Critical) => ItemClass::Critical,
            (FindingKind::Stall | FindingKind::Unreachable, _) => ItemClass::Silent,
            (_, Severity::Warning) => ItemClass::Warnings,
            (_, Severity::Info) => ItemClass::Notes,
        }
    }
}

/// When each class of item is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sends {
    pub approvals: Delivery,
    pub critical: Delivery,
    pub limits: Delivery,
    pub silent: Delivery,
    pub warnings: Delivery,
    pub notes: Delivery,
}

impl Default for Sends {
    fn default() -> Self {
        Sends {
            approvals: Delivery::Now,
            critical: Delivery::Now,
            limits: Delivery::Now,
            silent: Delivery::Now,
            warnings: Delivery::Digest,
            notes: Delivery::Never,
        }
    }
}

/// Why a route's sending settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{0:?} is not what a route sends: CLASS=WHEN, a class of approvals, critical, limits, silent, warnings or notes, and when now, digest or never")]
    Sends(String),
    #[error(
        "{0:?} is not quiet hours: HH:MM-HH:MM in local time, two different times (22:00-07:00)"
    )]
    Quiet(String),
    #[error("a digest's period is 1 to {MAX_DIGEST_MINUTES} minutes")]
    DigestMinutes,
    #[error("a storm is more than 0 (no storms) to {MAX_STORM_ITEMS} new items in 10 minutes")]
    StormItems,
}

impl Sends {
    pub fn get(&self, class: ItemClass) -> Delivery {
        match class {
            ItemClass::Approvals => self.approvals,
            ItemClass::Critical => self.critical,
            ItemClass::Limits => self.limits,
            ItemClass::Silent => self.silent,
            ItemClass::Warnings => self.warnings,
            ItemClass::Notes => self.notes,
        }
    }

    pub fn set(&mut self, class: ItemClass, when: Delivery) {
        let slot = match class {
            ItemClass::Approvals => &mut self.approvals,
            ItemClass::Critical => &mut self.critical,
            ItemClass::Limits => &mut self.limits,
            ItemClass::Silent => &mut self.silent,
            ItemClass::Warnings => &mut self.warnings,
            ItemClass::Notes => &mut self.notes,
        };
        *slot = when;
    }

    /// Applies `class=when` pairs separated by commas or spaces (`warnings=now,notes=digest`);
    /// the classes not named keep their setting.
    pub fn apply(&mut self, text: &str) -> Result<(), PolicyError> {
        let bad = || PolicyError::Sends(text.to_owned());
        for pair in text.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            let (class, when) = pair.split_once('=').ok_or_else(bad)?;
            let class = ItemClass::parse(class).ok_or_else(bad)?;
            self.set(class, Delivery::parse(when).ok_or_else(bad)?);
        }
        Ok(())
    }

    /// Every class's setting, as [`Sends::apply`] reads it (`approvals=now,critical=now,…`).
    pub fn to_text(&self) -> String {
        let pairs: Vec<String> = ItemClass::ALL
            .iter()
            .map(|c| format!("{}={}", c.as_str(), self.get(*c).as_str()))
            .collect();
        pairs.join(",")
    }

    /// [`Sends::to_text`]'s form read back onto the defaults.
    pub fn parse(text: &str) -> Result<Sends, PolicyError> {
        let mut sends = Sends::default();
        sends.apply(text)?;
        Ok(sends)
    }
}

/// Hours of the day (local time) when nothing but critical items goes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl QuietHours {
    /// `22:00-07:00` (spaces allowed around the dash).
    pub fn parse(text: &str) -> Result<QuietHours, PolicyError> {
        let bad = || PolicyError::Quiet(text.to_owned());
        let (from, to) = text.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let quiet = QuietHours {
            from: time(from)?,
            to: time(to)?,
        };
        (quiet.from != quiet.to).then_some(quiet).ok_or_else(bad)
    }

    /// True when `t` is in them (from included, to not; across midnight when from > to).
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.from < self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.from.format("%H:%M"),
            self.to.format("%H:%M")
        )
    }
}

/// What a route sends, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendPolicy {
    pub sends: Sends,
    /// How often the digest goes (minutes; only when it has something new).
    pub digest_minutes: u32,
    pub quiet: Option<QuietHours>,
    /// Critical items still go at once in quiet hours.
    pub critical_in_quiet: bool,
    /// More than this many new items in 10 minutes are one message (0: never).
    pub storm_items: u32,
}

impl Default for SendPolicy {
    fn default() -> Self {
        SendPolicy {
            sends: Sends::default(),
            digest_minutes: DEFAULT_DIGEST_MINUTES,
            quiet: None,
            critical_in_quiet: true,
            storm_items: DEFAULT_STORM_ITEMS,
        }
    }
}

/// Where an item goes this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Its own message (or the storm's, when it is one of many).
    AtOnce,
    /// The next digest.
    Digest,
    /// Nowhere.
    Skip,
}

impl SendPolicy {
    pub fn check(&self) -> Result<(), PolicyError> {
        if !(1..=MAX_DIGEST_MINUTES).contains(&self.digest_minutes) {
            return Err(PolicyError::DigestMinutes);
        }
        if self.storm_items > MAX_STORM_ITEMS {
            return Err(PolicyError::StormItems);
        }
        Ok(())
    }

    /// True when quiet hours hold item `e` first wanted at local time `at`.
    pub fn holds(&self, e: &Escalation, at: NaiveTime) -> bool {
        let passes = e.severity == Severity::Critical && self.critical_in_quiet;
        !passes && self.quiet.is_some_and(|q| q.contains(at))
    }

    /// Where item `e` goes; `opened` is the local time it was opened at (an item opened in
    /// quiet hours waits for the digest after them, even once they are over).
    pub fn plan(&self, e: &Escalation, opened: NaiveTime) -> Plan {
        match self.sends.get(ItemClass::of(e)) {
            Delivery::Never => Plan::Skip,
            Delivery::Digest => Plan::Digest,
            Delivery::Now if self.holds(e, opened) => Plan::Digest,
            Delivery::Now => Plan::AtOnce,
        }
    }

    /// True when `recent` new items in [`STORM_WINDOW`] are a storm.
    pub fn is_storm(&self, recent: usize) -> bool {
        self.storm_items > 0 && recent > self.storm_items as usize
    }

    fn period_secs(&self) -> i64 {
        i64::from(self.digest_minutes.max(1)) * 60
    }

    /// The digest period `now` falls in (periods counted from the Unix epoch, so every
    /// watcher of a shared store names the same one).
    pub fn digest_period(&self, now: DateTime<Utc>) -> i64 {
        now.timestamp().div_euclid(self.period_secs())
    }

    /// When the digest period `now` falls in began.
    pub fn digest_period_began(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let secs = self.digest_period(now) * self.period_secs();
        DateTime::from_timestamp(secs, 0).unwrap_or(now)
    }

    /// True when a digest goes now with items waiting since `waiting` (when each was
    /// opened): never in quiet hours (`local_now`); else when one was opened before this
    /// period began, or was held by quiet hours now over.
    pub fn digest_due(
        &self,
        waiting: &[(DateTime<Utc>, bool)],
        now: DateTime<Utc>,
        local_now: NaiveTime,
    ) -> bool {
        if self.quiet.is_some_and(|q| q.contains(local_now)) {
            return false;
        }
        let began = self.digest_period_began(now);
        waiting
            .iter()
            .any(|(opened, held)| *held || *opened < began)
    }
}
