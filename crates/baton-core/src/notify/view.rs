//! Routes as the app's Settings → Notifications shows and edits them: never a token, only
//! where it is kept.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::policy::{Delivery, ItemClass, PolicyError, QuietHours, SendPolicy, Sends};
use super::{NotifyRoute, RouteDraft, RouteError, RouteKind, WebhookShape};

/// How a route fares: its sends, and its reply stream. Read from the store for the app,
/// `baton notify list` and `baton status` alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteFigures {
    /// Items a message went out for.
    pub items_sent: u32,
    /// Items whose last send failed (tried again later).
    pub failing: u32,
    /// The last send's failure, in words.
    pub last_error: Option<String>,
    /// Failed attempts in a row to read the reply topic (0: reading, or not tried yet).
    pub reply_failures: u32,
    /// The reply stream's last failure, in words (kept once it reads again).
    pub reply_error: Option<String>,
}

impl RouteFigures {
    /// What fails on the route now, in a few words (None: nothing).
    pub fn failing_words(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.failing > 0 {
            let why = self
                .last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            parts.push(format!("sending fails for {} item(s){why}", self.failing));
        }
        if self.reply_failures > 0 {
            let why = self
                .reply_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            parts.push(format!(
                "its reply topic cannot be read ({} attempt(s) in a row){why}",
                self.reply_failures
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// A route as shown: where it sends, who answers, where its token is kept, how its sends went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RouteView {
    pub id: i64,
    pub name: String,
    /// `desktop`, `ntfy` or `webhook`.
    pub kind: String,
    pub person: String,
    pub server: Option<String>,
    pub topic: Option<String>,
    pub reply_topic: Option<String>,
    pub url: Option<String>,
    pub shape: Option<String>,
    /// Where its access token is kept (`env:VAR`, `keyring:service/user`), never the token.
    pub token: Option<String>,
    /// The URL a notification opens (`{item}`: the queue item's id).
    pub click: Option<String>,
    /// Items a message went out for.
    pub items_sent: u32,
    /// Items whose last send failed (tried again later).
    pub failing: u32,
    pub last_error: Option<String>,
    /// Failed attempts in a row to read the reply topic (0: reading, or not tried yet).
    pub reply_failures: u32,
    /// The reply stream's last failure, in words.
    pub reply_error: Option<String>,
    /// What fails on the route now, in a few words (None: nothing).
    pub failing_words: Option<String>,
    /// What it sends, and how often.
    pub policy: RoutePolicy,
}

/// What a route sends, and how often, as the app shows and edits it. Each class of item goes
/// `now`, in the `digest`, or `never`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RoutePolicy {
    /// Requests for approval, coding agents' permission requests.
    pub approvals: String,
    /// Other critical items.
    pub critical: String,
    /// Limit windows forecast to run out.
    pub limits: String,
    /// Agents gone silent (stalled, unreachable).
    pub silent: String,
    pub warnings: String,
    pub notes: String,
    pub digest_minutes: u32,
    /// Local hours when only critical items go (`22:00-07:00`), if any.
    pub quiet_hours: Option<String>,
    pub critical_in_quiet: bool,
    /// More new items than this in 10 minutes are one message (0: never).
    pub storm_items: u32,
}

impl RoutePolicy {
    pub fn of(policy: &SendPolicy) -> RoutePolicy {
        let when = |c| policy.sends.get(c).as_str().to_owned();
        RoutePolicy {
            approvals: when(ItemClass::Approvals),
            critical: when(ItemClass::Critical),
            limits: when(ItemClass::Limits),
            silent: when(ItemClass::Silent),
            warnings: when(ItemClass::Warnings),
            notes: when(ItemClass::Notes),
            digest_minutes: policy.digest_minutes,
            quiet_hours: policy.quiet.map(|q| q.to_string()),
            critical_in_quiet: policy.critical_in_quiet,
            storm_items: policy.storm_items,
        }
    }

    /// The settings it names, checked (empty quiet hours: none).
    pub fn settings(&self) -> Result<SendPolicy, RouteError> {
        let quiet = self
            .quiet_hours
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty());
        let mut sends = Sends::default();
        let given = [
            (ItemClass::Approvals, &self.approvals),
            (ItemClass::Critical, &self.critical),
            (ItemClass::Limits, &self.limits),
            (ItemClass::Silent, &self.silent),
            (ItemClass::Warnings, &self.warnings),
            (ItemClass::Notes, &self.notes),
        ];
        for (class, when) in given {
            let bad = || PolicyError::Sends(format!("{}={when}", class.as_str()));
            sends.set(class, Delivery::parse(when).ok_or_else(bad)?);
        }
        let policy = SendPolicy {
            sends,
            digest_minutes: self.digest_minutes,
            quiet: quiet.map(QuietHours::parse).transpose()?,
            critical_in_quiet: self.critical_in_quiet,
            storm_items: self.storm_items,
        };
        policy.check()?;
        Ok(policy)
    }
}

impl RouteView {
    /// The view of `route`, with how it fares.
    pub fn of(route: &NotifyRoute, figures: RouteFigures) -> RouteView {
        let d = &route.draft;
        let failing_words = figures.failing_words();
        RouteView {
            id: route.id,
            name: d.name.clone(),
            kind: d.kind.as_str().to_owned(),
            person: d.person.clone(),
            server: d.server.clone(),
            topic: d.topic.clone(),
            reply_topic: d.reply_topic.clone(),
            url: d.url.clone(),
            shape: d.shape.map(|s| s.as_str().to_owned()),
            token: d.token.as_ref().map(super::SecretRef::to_text),
            click: d.click.clone(),
            items_sent: figures.items_sent,
            failing: figures.failing,
            last_error: figures.last_error,
            reply_failures: figures.reply_failures,
            reply_error: figures.reply_error,
            failing_words,
            policy: RoutePolicy::of(&d.policy),
        }
    }
}

/// A new route as the app's form sends it. Topics left empty are made up (long and random);
/// the token, if any, travels beside it and goes to the OS keyring.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct RouteInput {
    pub name: String,
    /// `desktop`, `ntfy` or `webhook`.
    pub kind: String,
    #[ts(optional)]
    #[serde(default)]
    pub person: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub server: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub topic: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub reply_topic: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub url: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub shape: Option<String>,
    /// What it sends and how often (left out: the defaults).
    #[ts(optional)]
    #[serde(default)]
    pub policy: Option<RoutePolicy>,
    /// ntfy and webhook: the URL a notification opens (`{item}`: the queue item's id).
    #[ts(optional)]
    #[serde(default)]
    pub click: Option<String>,
}

impl RouteInput {
    /// The route it asks for, answered by `person` when it names nobody, its empty topics
    /// made from `random` (ntfy only); not yet checked.
    pub fn draft(
        &self,
        person: &str,
        mut random: impl FnMut() -> String,
    ) -> Result<RouteDraft, super::RouteError> {
        let kind =
            RouteKind::parse(self.kind.trim()).ok_or(super::RouteError::Kind(self.kind.clone()))?;
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        let mut draft = RouteDraft::new(
            &self.name,
            kind,
            &given(&self.person).unwrap_or_else(|| person.to_owned()),
        );
        draft.url = given(&self.url);
        if let Some(policy) = &self.policy {
            draft.policy = policy.settings()?;
        }
        draft.click = given(&self.click);
        draft.shape = match given(&self.shape) {
            Some(s) => Some(WebhookShape::parse(&s).ok_or(super::RouteError::Shape(s))?),
            None => None,
        };
        if kind == RouteKind::Ntfy {
            draft.server =
                Some(given(&self.server).unwrap_or_else(|| "https://ntfy.sh".to_owned()));
            draft.topic = Some(given(&self.topic).unwrap_or_else(&mut random));
            draft.reply_topic = Some(given(&self.reply_topic).unwrap_or_else(&mut random));
        }
        Ok(draft)
    }
}
