//! Publishing on an ntfy route with its access token (read where its reference points).

use baton_core::notify::message::NtfyMessage;
use baton_core::notify::NotifyRoute;

use super::keys::route_token;
use super::ntfy::publish;
use crate::shared::Shared;

/// Publishes `message` on ntfy route `route`, with its access token.
pub(crate) async fn publish_on(
    shared: &Shared,
    route: &NotifyRoute,
    message: &NtfyMessage,
) -> Result<(), String> {
    let server = route.draft.server.clone().unwrap_or_default();
    let token = route_token(shared, route).await?;
    publish(&shared.notify_client, &server, token.as_deref(), message).await
}
