//! The routes written into an export (`[[notify]]`, by name), each with its token's reference
//! (where it is kept), never the token.

use std::fmt::Write;

use baton_core::notify::policy::{ItemClass, SendPolicy};
use baton_core::notify::{RouteDraft, SecretRef};

use super::toml_text::quote;

/// The routes' part of the file (empty when there are none: the importing store's routes are
/// then left as they are).
pub fn render_routes(routes: &[RouteDraft]) -> String {
    let mut routes: Vec<&RouteDraft> = routes.iter().collect();
    routes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    for route in routes {
        out.push_str("\n[[notify]]\n");
        let _ = writeln!(out, "name = {}", quote(&route.name));
        let _ = writeln!(out, "kind = {}", quote(route.kind.as_str()));
        let _ = writeln!(out, "person = {}", quote(&route.person));
        let fields = [
            ("server", route.server.as_deref()),
            ("topic", route.topic.as_deref()),
            ("reply_topic", route.reply_topic.as_deref()),
            ("url", route.url.as_deref()),
            ("shape", route.shape.map(|s| s.as_str())),
            ("click", route.click.as_deref()),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                let _ = writeln!(out, "{key} = {}", quote(value));
            }
        }
        match &route.token {
            Some(SecretRef::Env(var)) => {
                let _ = writeln!(out, "token = {{ env = {} }}", quote(var));
            }
            Some(SecretRef::Keyring { service, user }) => {
                let entry = format!("{service}/{user}");
                let _ = writeln!(out, "token = {{ keyring = {} }}", quote(&entry));
            }
            None => {}
        }
        render_policy(&mut out, &route.policy);
    }
    out
}

/// The route's sending settings that differ from the defaults.
fn render_policy(out: &mut String, policy: &SendPolicy) {
    let usual = SendPolicy::default();
    let send: Vec<String> = ItemClass::ALL
        .iter()
        .filter(|c| policy.sends.get(**c) != usual.sends.get(**c))
        .map(|c| format!("{} = {}", c.as_str(), quote(policy.sends.get(*c).as_str())))
        .collect();
    if !send.is_empty() {
        let _ = writeln!(out, "send = {{ {} }}", send.join(", "));
    }
    if policy.digest_minutes != usual.digest_minutes {
        let _ = writeln!(out, "digest_minutes = {}", policy.digest_minutes);
    }
    if let Some(quiet) = policy.quiet {
        let _ = writeln!(out, "quiet_hours = {}", quote(&quiet.to_string()));
    }
    if policy.critical_in_quiet != usual.critical_in_quiet {
        let _ = writeln!(out, "critical_in_quiet = {}", policy.critical_in_quiet);
    }
    if policy.storm_items != usual.storm_items {
        let _ = writeln!(out, "storm_items = {}", policy.storm_items);
    }
}
