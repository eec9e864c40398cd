//! The secrets of the routes: a route's access token, read where its reference points (never
//! stored by Baton, never logged), and the data folder's answer key (made on first use and
//! kept in the OS keyring, or in memory when none answers).

use baton_core::notify::answer::KEY_LEN;
use baton_core::notify::{NotifyRoute, SecretRef};
use rand::RngCore;

use std::sync::Arc;

use crate::secrets::{KeyringTokens, TokenStore, CALL_TIMEOUT, KEYRING_SERVICE};
use crate::shared::Shared;

/// The route's access token, if it has one (Baton's own entries from the engine's token store).
pub(crate) async fn route_token(
    shared: &Shared,
    route: &NotifyRoute,
) -> Result<Option<String>, String> {
    resolve_route_token(Arc::clone(&shared.tokens), route).await
}

/// The route's access token, read where its reference points: an environment variable, an
/// entry of Baton's keyring service (through `tokens`), or another service's entry.
pub async fn resolve_route_token(
    tokens: Arc<dyn TokenStore>,
    route: &NotifyRoute,
) -> Result<Option<String>, String> {
    let missing = || "the route's token is not in the OS keyring".to_owned();
    match route.draft.token.clone() {
        None => Ok(None),
        Some(SecretRef::Env(var)) => match std::env::var(&var) {
            Ok(value) if !value.is_empty() => Ok(Some(value)),
            _ => Err(format!(
                "the route's token: environment variable {var} is not set"
            )),
        },
        Some(SecretRef::Keyring { service, user }) => {
            let read = tokio::task::spawn_blocking(move || {
                if service == KEYRING_SERVICE {
                    tokens.get_entry(&user)
                } else {
                    KeyringTokens::with_service(service, CALL_TIMEOUT).get_entry(&user)
                }
            })
            .await
            .map_err(|err| err.to_string())?;
            match read {
                Ok(Some(token)) => Ok(Some(token)),
                Ok(None) => Err(missing()),
                Err(err) => Err(format!("the route's token: {err}")),
            }
        }
    }
}

/// The data folder's answer key: read from its keyring entry, else made and saved there. A
/// keyring that cannot keep it leaves a key in memory (answers to buttons sent before the next
/// start are then refused as signed by another key), with a warning.
pub(crate) async fn answer_key(shared: &Shared) -> Vec<u8> {
    answer_key_in(Arc::clone(&shared.tokens), &shared.config.answer_key_entry).await
}

/// The answer key, read from the keyring (or made) the first time a route needs it: a watch
/// with no phone route never touches the keyring (no unlock prompt, no D-Bus session).
#[derive(Default)]
pub(crate) struct LazyAnswerKey(Option<Arc<Vec<u8>>>);

impl LazyAnswerKey {
    pub(crate) async fn get(&mut self, shared: &Shared) -> Arc<Vec<u8>> {
        if let Some(key) = &self.0 {
            return Arc::clone(key);
        }
        let key = Arc::new(answer_key(shared).await);
        self.0 = Some(Arc::clone(&key));
        key
    }
}

/// [`answer_key`] from `tokens`' entry `entry` (`baton notify test` reads it too).
pub async fn answer_key_in(tokens: Arc<dyn TokenStore>, entry: &str) -> Vec<u8> {
    let entry = entry.to_owned();
    let read_entry = entry.clone();
    let reader = Arc::clone(&tokens);
    let stored = tokio::task::spawn_blocking(move || reader.get_entry(&read_entry))
        .await
        .unwrap_or_else(|err| Err(crate::secrets::SecretError::Unavailable(err.to_string())));
    if let Ok(Some(text)) = &stored {
        if let Ok(key) = hex_key(text) {
            return key;
        }
        tracing::warn!("the answer key in the keyring is unreadable; making a new one");
    }
    let mut key = vec![0u8; KEY_LEN];
    rand::rng().fill_bytes(&mut key);
    let text = to_hex(&key);
    let saved = tokio::task::spawn_blocking(move || tokens.set_entry(&entry, &text))
        .await
        .unwrap_or_else(|err| Err(crate::secrets::SecretError::Unavailable(err.to_string())));
    if let Err(err) = saved {
        tracing::warn!(error = %err, "cannot keep the answer key: buttons sent now are refused after a restart");
    }
    key
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_key(text: &str) -> Result<Vec<u8>, ()> {
    let text = text.trim();
    if text.len() != KEY_LEN * 2 || !text.is_ascii() {
        return Err(());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| ()))
        .collect()
}

/// 16 random bytes as 32 hex digits: a nonce, or a topic's random part.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    to_hex(&bytes)
}
