//! Settings → Notifications: the routes, where Baton reaches a person outside the app (issue
//! 60). Unpack, call the engine, return.

use baton_core::notify::policy::SendPolicy;
use baton_core::notify::view::{RouteInput, RoutePolicy, RouteView};

use crate::error::CommandResult;
use crate::who;
use crate::Commands;

pub async fn notify_routes(c: &Commands) -> CommandResult<Vec<RouteView>> {
    Ok(c.engine().routes().await?)
}

/// Adds a route; the person answering on it is the app's person unless the form names one.
pub async fn add_route(
    c: &Commands,
    route: RouteInput,
    token: Option<String>,
) -> CommandResult<RouteView> {
    Ok(c.engine().add_route(route, token, who()).await?)
}

pub async fn remove_route(c: &Commands, name: String) -> CommandResult<()> {
    Ok(c.engine().remove_route(name).await?)
}

/// A test message on the route, waiting up to `wait_seconds` for its button's answer.
pub async fn test_route(
    c: &Commands,
    name: String,
    wait_seconds: Option<u64>,
) -> CommandResult<String> {
    Ok(c.engine()
        .test_route(name, wait_seconds.unwrap_or(0).min(600))
        .await?)
}

/// Changes what the route sends, and how often.
pub async fn set_route_policy(
    c: &Commands,
    name: String,
    policy: RoutePolicy,
) -> CommandResult<RouteView> {
    Ok(c.engine().set_route_policy(name, policy).await?)
}

/// What a route sends when nobody says otherwise (the Add form's starting values).
pub async fn default_route_policy(_c: &Commands) -> CommandResult<RoutePolicy> {
    Ok(RoutePolicy::of(&SendPolicy::default()))
}
