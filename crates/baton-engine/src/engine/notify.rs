//! The routes as the app's Settings → Notifications uses them: list them with how their sends
//! went, add one (its token to the OS keyring, the route keeping only where it is), remove one,
//! test one (the whole loop, as `baton notify test` does).

use std::sync::Arc;
use std::time::Duration;

use baton_core::notify::view::{RouteFigures, RouteInput, RoutePolicy, RouteView};
use baton_core::notify::{topic_from, SecretRef};
use baton_store::StoreError;

use super::Engine;
use crate::error::EngineError;
use crate::notify::keys::answer_key_in;
use crate::notify::{test_route, TrialOutcome};
use crate::secrets::KEYRING_SERVICE;

/// The keyring entry Baton keeps a route's token in.
fn route_token_entry(name: &str) -> String {
    format!("route-{}", name.trim())
}

impl Engine {
    /// Every route, by name, with its sends' figures.
    pub async fn routes(&self) -> Result<Vec<RouteView>, EngineError> {
        self.shared()
            .read(|s| {
                let mut views = Vec::new();
                for stored in s.routes()? {
                    views.push(RouteView::of(&stored.route, s.route_figures(&stored)?));
                }
                Ok(views)
            })
            .await
    }

    /// Adds a route (`who` answers on it unless it names someone); a token goes to the OS
    /// keyring (`dev.baton.app/route-NAME`) and the route keeps only that reference.
    pub async fn add_route(
        &self,
        input: RouteInput,
        token: Option<String>,
        who: String,
    ) -> Result<RouteView, EngineError> {
        let random = || topic_from("baton", rand::random::<[u8; 16]>());
        let mut draft = input
            .draft(&who, random)
            .and_then(|d| d.check())
            .map_err(StoreError::from)?;
        let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if let Some(token) = token {
            let entry = route_token_entry(&draft.name);
            let name = draft.name.clone();
            let taken = self
                .shared()
                .read(move |s| Ok(s.route_named(&name).is_ok()))
                .await?;
            if taken {
                return Err(StoreError::DuplicateRouteName(draft.name).into());
            }
            let kept = entry.clone();
            self.shared()
                .with_tokens(move |t| t.set_entry(&kept, &token))
                .await?;
            draft.token = Some(SecretRef::Keyring {
                service: KEYRING_SERVICE.into(),
                user: entry,
            });
        }
        let added = self
            .shared()
            .write(move |s| s.add_route(&draft, chrono::Utc::now()))
            .await?;
        Ok(RouteView::of(&added, RouteFigures::default()))
    }

    /// Changes what the route named `name` sends, and how often.
    pub async fn set_route_policy(
        &self,
        name: String,
        policy: RoutePolicy,
    ) -> Result<RouteView, EngineError> {
        let settings = policy.settings().map_err(StoreError::from)?;
        let route = self
            .shared()
            .write(move |s| s.set_route_policy(&name, settings, chrono::Utc::now()))
            .await?;
        let views = self.routes().await?;
        let view = views.into_iter().find(|v| v.id == route.id);
        view.ok_or_else(|| StoreError::RouteNotFound(route.draft.name).into())
    }

    /// Removes the route named `name`, and its token when Baton kept it.
    pub async fn remove_route(&self, name: String) -> Result<(), EngineError> {
        let route = self
            .shared()
            .write(move |s| {
                let route = s.route_named(&name)?.route;
                s.remove_route(&name)?;
                Ok(route)
            })
            .await?;
        let entry = route_token_entry(&route.draft.name);
        let ours = SecretRef::Keyring {
            service: KEYRING_SERVICE.into(),
            user: entry.clone(),
        };
        if route.draft.token == Some(ours) {
            self.shared()
                .with_tokens(move |t| t.delete_entry(&entry))
                .await?;
        }
        Ok(())
    }

    /// Sends a test message on the route named `name` and, with `wait_seconds`, waits that
    /// long for its button's answer; says how it went, or what failed.
    pub async fn test_route(&self, name: String, wait_seconds: u64) -> Result<String, EngineError> {
        let route = self
            .shared()
            .read(move |s| s.route_named(&name))
            .await?
            .route;
        let tokens = Arc::clone(&self.shared().tokens);
        let key = answer_key_in(Arc::clone(&tokens), &self.config().answer_key_entry).await;
        let wait = (wait_seconds > 0).then(|| Duration::from_secs(wait_seconds));
        match test_route(tokens, &route, &key, wait).await {
            Ok(TrialOutcome::Sent) => Ok("The server took the test message.".into()),
            Ok(TrialOutcome::Answered) => {
                Ok("The test message went out and its button's answer came back.".into())
            }
            Ok(TrialOutcome::NoAnswer) => Err(EngineError::Route(
                "The test message went out, but no answer came back on the reply topic in time."
                    .into(),
            )),
            Err(words) => Err(EngineError::Route(words)),
        }
    }
}
