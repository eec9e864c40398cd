//! Routes: where Baton reaches a person outside the app (issue 60). A route is a desktop
//! notification, an ntfy topic (whose buttons post a signed answer to a reply topic Baton
//! reads), or a webhook. This module holds what is pure: a route's settings and their checks
//! ([`RouteDraft::check`]), the signed answers a button carries ([`answer`]), and what is sent
//! for a queue item ([`message`]). The store keeps routes; the engine sends and reads.
//!
//! A route's access token is never part of it: only a reference to where it is kept
//! ([`SecretRef`]: an environment variable or an OS keyring entry).

use serde::{Deserialize, Serialize};

pub mod answer;
pub mod batch;
pub mod desktop;
pub mod desktop_batch;
pub mod message;
pub mod policy;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_links;
#[cfg(test)]
mod tests_policy;
pub mod view;
pub mod webhook;

use policy::{PolicyError, SendPolicy};

/// Longest route name.
pub const MAX_ROUTE_NAME: usize = 64;
/// Longest ntfy topic name (ntfy's own limit).
pub const MAX_TOPIC_LEN: usize = 64;
/// Longest click URL template.
pub const MAX_CLICK_LEN: usize = 1000;
/// What a click URL template's `{item}` becomes: the queue item's id.
pub const CLICK_ITEM: &str = "{item}";

/// How a route reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteKind {
    /// The desktop's own notifications (the app's, as before routes existed).
    Desktop,
    /// An ntfy topic; answers come back on a reply topic.
    Ntfy,
    /// A URL that gets a JSON body: one-way.
    Webhook,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Desktop => "desktop",
            RouteKind::Ntfy => "ntfy",
            RouteKind::Webhook => "webhook",
        }
    }

    pub fn parse(text: &str) -> Option<RouteKind> {
        match text {
            "desktop" => Some(RouteKind::Desktop),
            "ntfy" => Some(RouteKind::Ntfy),
            "webhook" => Some(RouteKind::Webhook),
            _ => None,
        }
    }
}

/// The body a webhook gets: Baton's own JSON, or a chat tool's incoming-webhook shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookShape {
    Generic,
    Slack,
    Discord,
    Teams,
}

impl WebhookShape {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookShape::Generic => "generic",
            WebhookShape::Slack => "slack",
            WebhookShape::Discord => "discord",
            WebhookShape::Teams => "teams",
        }
    }

    pub fn parse(text: &str) -> Option<WebhookShape> {
        match text {
            "generic" => Some(WebhookShape::Generic),
            "slack" => Some(WebhookShape::Slack),
            "discord" => Some(WebhookShape::Discord),
            "teams" => Some(WebhookShape::Teams),
            _ => None,
        }
    }
}

/// Where a route's access token is kept: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretRef {
    /// An environment variable of the process that sends.
    Env(String),
    /// An OS keyring entry: service and user.
    Keyring { service: String, user: String },
}

impl SecretRef {
    /// `env:VAR` or `keyring:service/user`, as the store keeps it.
    pub fn to_text(&self) -> String {
        match self {
            SecretRef::Env(var) => format!("env:{var}"),
            SecretRef::Keyring { service, user } => format!("keyring:{service}/{user}"),
        }
    }

    /// Reads [`SecretRef::to_text`]'s form back.
    pub fn parse(text: &str) -> Result<SecretRef, RouteError> {
        if let Some(var) = text.strip_prefix("env:") {
            if var.is_empty() || var.contains(['=', '\0']) {
                return Err(RouteError::TokenRef(text.to_owned()));
            }
            return Ok(SecretRef::Env(var.to_owned()));
        }
        if let Some(entry) = text.strip_prefix("keyring:") {
            if let Some((service, user)) = entry.split_once('/') {
                if !service.is_empty() && !user.is_empty() {
                    return Ok(SecretRef::Keyring {
                        service: service.to_owned(),
                        user: user.to_owned(),
                    });
                }
            }
        }
        Err(RouteError::TokenRef(text.to_owned()))
    }
}

/// A route as a person writes it (the app's form, `baton notify add`, a `[[notify]]` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDraft {
    pub name: String,
    pub kind: RouteKind,
    /// Who answers on it: the decision log records its answers as this person's.
    pub person: String,
    /// ntfy: the server's base URL (`https://ntfy.sh`).
    pub server: Option<String>,
    /// ntfy: the topic messages go to.
    pub topic: Option<String>,
    /// ntfy: the topic the buttons post answers to, which Baton reads (none: no buttons).
    pub reply_topic: Option<String>,
    /// webhook: where the JSON goes.
    pub url: Option<String>,
    /// webhook: the body's shape (none: generic).
    pub shape: Option<WebhookShape>,
    /// Where the access token is kept, if the server wants one.
    pub token: Option<SecretRef>,
    /// What it sends, and how often.
    pub policy: SendPolicy,
    /// ntfy and webhook: the URL a notification opens (`{item}`: the queue item's id), e.g.
    /// `https://baton.example/items/{item}`.
    pub click: Option<String>,
}

/// A stored route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyRoute {
    pub id: i64,
    pub draft: RouteDraft,
}

impl NotifyRoute {
    pub fn name(&self) -> &str {
        &self.draft.name
    }
}

/// Why a route was refused before anything was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("a route's name is 1 to {MAX_ROUTE_NAME} characters, without control characters")]
    Name,
    #[error("{0:?} is not a kind of route: desktop, ntfy or webhook")]
    Kind(String),
    #[error("{0:?} is not a webhook shape: generic, slack, discord or teams")]
    Shape(String),
    #[error("a route names the person who answers on it (their name in the decision log)")]
    Person,
    #[error("an ntfy route needs {0}")]
    NtfyNeeds(&'static str),
    #[error("a webhook route needs a url")]
    WebhookNeedsUrl,
    #[error("{field} is not for a {kind} route")]
    NotForKind {
        field: &'static str,
        kind: &'static str,
    },
    #[error(
        "{0:?} is not a usable URL: http:// or https://, no user name, password, query or fragment"
    )]
    Url(String),
    #[error("{0:?} is not a topic name: 1 to 64 letters, digits, '-' or '_'")]
    Topic(String),
    #[error("the reply topic must differ from the topic (anyone reading the topic would see the answers arrive)")]
    SameTopics,
    #[error("{0:?} is not a token reference: env:VAR or keyring:service/user")]
    TokenRef(String),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(
        "{0:?} is not a click URL: http:// or https:// with a host, no user name or password, \
         at most 1000 characters, and no braces but {{item}} (the queue item's id)"
    )]
    Click(String),
}

/// True for an ntfy topic name: `[-_A-Za-z0-9]{1,64}`.
pub fn is_topic(name: &str) -> bool {
    (1..=MAX_TOPIC_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A long random topic name from 16 random bytes: `baton-` and 32 hex digits (guessing it is
/// as hard as guessing a 128-bit key).
pub fn topic_from(prefix: &str, random: [u8; 16]) -> String {
    format!("{prefix}-{}", hex::encode(random))
}

fn check_url(text: &str) -> Result<(), RouteError> {
    let bad = || RouteError::Url(text.to_owned());
    let url = url::Url::parse(text).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then_some(()).ok_or_else(bad)
}

/// Checks a click URL template: with `{item}` made an id, an http(s) URL with a host, without
/// a user name or password (a query and a fragment are fine: they may carry the item).
fn check_click(template: &str) -> Result<(), RouteError> {
    let bad = || RouteError::Click(template.to_owned());
    if template.len() > MAX_CLICK_LEN || template.chars().any(char::is_control) {
        return Err(bad());
    }
    let filled = template.replace(CLICK_ITEM, "1");
    if filled.contains(['{', '}']) {
        return Err(bad());
    }
    let url = url::Url::parse(&filled).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    plain.then_some(()).ok_or_else(bad)
}

fn clean_name(text: &str, max: usize) -> bool {
    let trimmed = text.trim();
    !trimmed.is_empty() && trimmed.chars().count() <= max && !trimmed.chars().any(char::is_control)
}

impl RouteDraft {
    /// A route of `kind` named `name`, answered by `person`, with nothing else set.
    pub fn new(name: &str, kind: RouteKind, person: &str) -> RouteDraft {
        RouteDraft {
            name: name.to_owned(),
            kind,
            person: person.to_owned(),
            server: None,
            topic: None,
            reply_topic: None,
            url: None,
            shape: None,
            token: None,
            policy: SendPolicy::default(),
            click: None,
        }
    }

    /// Checks the route; returns it with its names trimmed and the server's trailing `/` gone.
    pub fn check(&self) -> Result<RouteDraft, RouteError> {
        if !clean_name(&self.name, MAX_ROUTE_NAME) {
            return Err(RouteError::Name);
        }
        if !clean_name(&self.person, 200) {
            return Err(RouteError::Person);
        }
        self.policy.check()?;
        let kind = self.kind.as_str();
        let not_for = |field| RouteError::NotForKind { field, kind };
        let mut out = self.clone();
        out.name = self.name.trim().to_owned();
        out.person = self.person.trim().to_owned();
        out.click = match self.click.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(click) => {
                check_click(click)?;
                Some(click.to_owned())
            }
        };
        match self.kind {
            RouteKind::Ntfy => {
                let server = self
                    .server
                    .as_deref()
                    .ok_or(RouteError::NtfyNeeds("a server"))?;
                check_url(server)?;
                out.server = Some(server.trim_end_matches('/').to_owned());
                let topic = self
                    .topic
                    .as_deref()
                    .ok_or(RouteError::NtfyNeeds("a topic"))?;
                for t in std::iter::once(topic).chain(self.reply_topic.as_deref()) {
                    if !is_topic(t) {
                        return Err(RouteError::Topic(t.to_owned()));
                    }
                }
                if self.reply_topic.as_deref() == Some(topic) {
                    return Err(RouteError::SameTopics);
                }
                if self.url.is_some() {
                    return Err(not_for("url"));
                }
                if self.shape.is_some() {
                    return Err(not_for("shape"));
                }
            }
            RouteKind::Webhook => {
                check_url(self.url.as_deref().ok_or(RouteError::WebhookNeedsUrl)?)?;
                if self.server.is_some() {
                    return Err(not_for("server"));
                }
                if self.topic.is_some() || self.reply_topic.is_some() {
                    return Err(not_for("topic"));
                }
            }
            RouteKind::Desktop => {
                let fields = [
                    ("server", self.server.is_some()),
                    ("topic", self.topic.is_some() || self.reply_topic.is_some()),
                    ("url", self.url.is_some()),
                    ("shape", self.shape.is_some()),
                    ("token", self.token.is_some()),
                    ("click", out.click.is_some()),
                ];
                if let Some((field, _)) = fields.into_iter().find(|(_, set)| *set) {
                    return Err(not_for(field));
                }
            }
        }
        Ok(out)
    }

    /// The URL a notification of item `item` opens, if the route has a click template.
    pub fn click_for(&self, item: i64) -> Option<String> {
        self.click
            .as_deref()
            .map(|t| t.replace(CLICK_ITEM, &item.to_string()))
    }

    /// True when answers can come back on it (an ntfy route with a reply topic).
    pub fn answers(&self) -> bool {
        self.kind == RouteKind::Ntfy && self.reply_topic.is_some()
    }

    /// True when a person can answer on it away from the queue: a reply topic's buttons, or
    /// the desktop notification's (while the app runs). A permission request waits longer then.
    pub fn brings_answers(&self) -> bool {
        self.answers() || self.kind == RouteKind::Desktop
    }
}
