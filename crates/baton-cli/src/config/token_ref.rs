//! A token's reference in `baton.toml` (`token = { env = … }` or `{ keyring = "service/user" }`),
//! for agents and routes alike: a leaf, importing nothing of the crate.

use serde::Deserialize;

/// Where a bearer token comes from. Exactly one of `env` / `keyring`: a table with both, or with
/// anything else, is refused rather than read as whichever variant matches first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum TokenRef {
    Env {
        env: String,
    },
    Keyring {
        keyring: String,
    },
    /// A literal token: always rejected with an explanation.
    Inline(String),
}

/// `service/user` of a keyring reference (None: not of that shape).
pub(crate) fn split_keyring_ref(reference: &str) -> Option<(&str, &str)> {
    let (service, user) = reference.split_once('/')?;
    (!service.is_empty() && !user.is_empty()).then_some((service, user))
}
