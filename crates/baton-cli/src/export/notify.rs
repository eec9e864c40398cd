//! The routes written into an export (`[[notify]]`, by name), each with its token's reference
//! (where it is kept), never the token.

use std::fmt::Write;

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
    }
    out
}
