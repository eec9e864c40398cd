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
//!
//! [[notify]]
//! name = "team"
//! kind = "webhook"
//! url = "https://hooks.slack.com/services/…"
//! shape = "slack"                     # generic | slack | discord | teams
//! ```

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
        };
        draft.check().map_err(|err| err.to_string())
    }
}
