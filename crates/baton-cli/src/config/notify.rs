//! `[[notify]]`: the routes, where Baton reaches a person outside the app (issue 60). A file
//! that has the part makes the routes exactly its own (`baton import`); one that leaves it out
//! leaves them as they are. Tokens only by reference, as for agents.
//!
//! ```toml
//! [[notify]]
//! name = "phone"
//! kind = "ntfy"                       # desktop | ntfy | webhook
//! person = "ana"                      # who answers on it (default: who imports)
//! server = "https://ntfy.sh"
//! topic = "baton-3f9c…"               # long and random: without access control it is the password
//! reply_topic = "baton-7a21…"         # where the buttons post; left out: no buttons
//! token = { keyring = "dev.baton.app/route-phone" }   # or { env = "NTFY_TOKEN" }
//! click = "https://baton.example/items/{item}"        # what a tap opens; {item}: the item's id
//!
//! [[notify]]
//! name = "team"
//! kind = "webhook"
//! url = "https://hooks.slack.com/services/…"
//! shape = "slack"                     # generic | slack | discord | teams
//! send = { warnings = "now", notes = "digest" }   # now | digest | never, per class
//! digest_minutes = 60                 # default 30
//! quiet_hours = "22:00-07:00"         # local time: only critical items go
//! critical_in_quiet = false           # not even those (default true)
//! storm_items = 10                    # more new items in 10 min are one message (0: never)
//! ```

use baton_core::notify::policy::{Delivery, ItemClass, QuietHours, SendPolicy};
use baton_core::notify::{RouteDraft, RouteKind, SecretRef, WebhookShape};
use serde::Deserialize;

use super::token_ref::{split_keyring_ref, TokenRef};

/// One `[[notify]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEntry {
    pub name: String,
    pub kind: RouteKind,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub server: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub reply_topic: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub shape: Option<WebhookShape>,
    #[serde(default)]
    pub token: Option<TokenRef>,
    /// ntfy and webhook: the URL a notification opens (`{item}`: the queue item's id).
    #[serde(default)]
    pub click: Option<String>,
    /// When each class of item is sent (the classes left out: as by default).
    #[serde(default)]
    pub send: Option<SendTable>,
    #[serde(default)]
    pub digest_minutes: Option<u32>,
    #[serde(default)]
    pub quiet_hours: Option<String>,
    #[serde(default)]
    pub critical_in_quiet: Option<bool>,
    #[serde(default)]
    pub storm_items: Option<u32>,
}

/// `send = { warnings = "now", … }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendTable {
    pub approvals: Option<Delivery>,
    pub critical: Option<Delivery>,
    pub limits: Option<Delivery>,
    pub silent: Option<Delivery>,
    pub warnings: Option<Delivery>,
    pub notes: Option<Delivery>,
}

impl NotifyEntry {
    /// The route's sending settings as the table says (the rest as by default).
    fn policy(&self) -> Result<SendPolicy, String> {
        let mut policy = SendPolicy::default();
        if let Some(send) = &self.send {
            let given = [
                (ItemClass::Approvals, send.approvals),
                (ItemClass::Critical, send.critical),
                (ItemClass::Limits, send.limits),
                (ItemClass::Silent, send.silent),
                (ItemClass::Warnings, send.warnings),
                (ItemClass::Notes, send.notes),
            ];
            for (class, when) in given {
                if let Some(when) = when {
                    policy.sends.set(class, when);
                }
            }
        }
        if let Some(minutes) = self.digest_minutes {
            policy.digest_minutes = minutes;
        }
        if let Some(quiet) = &self.quiet_hours {
            policy.quiet = Some(QuietHours::parse(quiet).map_err(|err| err.to_string())?);
        }
        if let Some(critical) = self.critical_in_quiet {
            policy.critical_in_quiet = critical;
        }
        if let Some(items) = self.storm_items {
            policy.storm_items = items;
        }
        Ok(policy)
    }
}

impl NotifyEntry {
    /// The route as the file says it; `person` when the table names nobody.
    pub(super) fn draft(&self, person: &str) -> Result<RouteDraft, String> {
        let token = match &self.token {
            None => None,
            Some(TokenRef::Env { env }) => Some(SecretRef::Env(env.clone())),
            Some(TokenRef::Keyring { keyring }) => {
                let (service, user) = split_keyring_ref(keyring)
                    .ok_or_else(|| format!("keyring reference \"{keyring}\" must be \"service/user\""))?;
                Some(SecretRef::Keyring {
                    service: service.to_owned(),
                    user: user.to_owned(),
                })
            }
            Some(TokenRef::Inline(_)) => {
                return Err("tokens may not be written inline; use token = { env = \"VAR\" } or token = { keyring = \"service/user\" }".into())
            }
        };
        let draft = RouteDraft {
            name: self.name.clone(),
            kind: self.kind,
            person: self.person.clone().unwrap_or_else(|| person.to_owned()),
            server: self.server.clone(),
            topic: self.topic.clone(),
            reply_topic: self.reply_topic.clone(),
            url: self.url.clone(),
            shape: self.shape,
            token,
            policy: self.policy()?,
            click: self.click.clone(),
        };
        draft.check().map_err(|err| err.to_string())
    }
}
