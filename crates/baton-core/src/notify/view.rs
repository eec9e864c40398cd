//! Routes as the app's Settings → Notifications shows and edits them: never a token, only
//! where it is kept.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{NotifyRoute, RouteDraft, RouteKind, WebhookShape};

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
    /// Items a message went out for.
    pub items_sent: u32,
    /// Items whose last send failed (tried again later).
    pub failing: u32,
    pub last_error: Option<String>,
}

impl RouteView {
    /// The view of `route`, with its sends' figures.
    pub fn of(
        route: &NotifyRoute,
        items_sent: u32,
        failing: u32,
        last_error: Option<String>,
    ) -> RouteView {
        let d = &route.draft;
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
            items_sent,
            failing,
            last_error,
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
