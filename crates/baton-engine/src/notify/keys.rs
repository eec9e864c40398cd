//! The secrets of the routes: a route's access token, read where its reference points (never
//! stored by Baton, never logged), and the data folder's answer key (made on first use and
//! kept in the OS keyring, or in memory when none answers).

use baton_core::notify::answer::KEY_LEN;
use baton_core::notify::{NotifyRoute, SecretRef};
use rand::RngCore;

use crate::secrets::{KeyringTokens, CALL_TIMEOUT, KEYRING_SERVICE};
use crate::shared::Shared;

/// The route's access token, if it has one.
pub(crate) async fn route_token(
    shared: &Shared,
    route: &NotifyRoute,
) -> Result<Option<String>, String> {
    match route.draft.token.clone() {
        None => Ok(None),
        Some(SecretRef::Env(var)) => match std::env::var(&var) {
            Ok(value) if !value.is_empty() => Ok(Some(value)),
            _ => Err(format!(
                "the route's token: environment variable {var} is not set"
            )),
        },
        Some(SecretRef::Keyring { service, user }) if service == KEYRING_SERVICE => {
            let read = shared.with_tokens(move |t| t.get_entry(&user)).await;
            match read {
                Ok(Some(token)) => Ok(Some(token)),
                Ok(None) => Err("the route's token is not in the OS keyring".into()),
                Err(err) => Err(format!("the route's token: {err}")),
            }
        }
        Some(SecretRef::Keyring { service, user }) => {
            let keyring = KeyringTokens::with_service(service, CALL_TIMEOUT);
            let read = tokio::task::spawn_blocking(move || {
                use crate::secrets::TokenStore;
                keyring.get_entry(&user)
            })
            .await
            .map_err(|err| err.to_string())?;
            match read {
                Ok(Some(token)) => Ok(Some(token)),
                Ok(None) => Err("the route's token is not in the OS keyring".into()),
                Err(err) => Err(format!("the route's token: {err}")),
            }
        }
    }
}

/// The data folder's answer key: read from its keyring entry, else made and saved there. A
/// keyring that cannot keep it leaves a key in memory (answers to buttons sent before the next
/// start are then refused as signed by another key), with a warning.
pub(crate) async fn answer_key(shared: &Shared) -> Vec<u8> {
    let entry = shared.config.answer_key_entry.clone();
    let read_entry = entry.clone();
    let stored = shared.with_tokens(move |t| t.get_entry(&read_entry)).await;
    if let Ok(Some(text)) = &stored {
        if let Ok(key) = hex_key(text) {
            return key;
        }
        tracing::warn!("the answer key in the keyring is unreadable; making a new one");
    }
    let mut key = vec![0u8; KEY_LEN];
    rand::rng().fill_bytes(&mut key);
    let text = to_hex(&key);
    let saved = shared
        .with_tokens(move |t| t.set_entry(&entry, &text))
        .await;
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
