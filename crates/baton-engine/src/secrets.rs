//! Where agents' bearer tokens live: the OS keyring when one answers, else process memory with a
//! warning the UI shows. Tokens never go to SQLite or to logs.
//!
//! The keyring crate's Linux backend (Secret Service over D-Bus, through zbus) blocks on a tokio
//! runtime of its own, which panics inside another runtime's worker thread, and a missing or
//! locked Secret Service can leave a call waiting for a long time. So every keyring call runs on
//! a short-lived thread of its own and is given up after a timeout.

use std::collections::HashMap;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use baton_core::agent::human_duration_ms;
use baton_core::views::{SecretBackend, SecretsStatus};
use thiserror::Error;

/// The keyring service name Baton's entries are filed under.
pub const KEYRING_SERVICE: &str = "dev.baton.app";
/// How long [`open_token_store`] waits for the keyring probe.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one keyring call may take once the keyring is known to work (unlock prompts are slow).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The warning shown when tokens are only kept in memory because no keyring answered.
pub const NO_KEYRING_WARNING: &str = "No OS keyring service is running: tokens are kept in memory only and will be forgotten when Baton quits.";

/// Why a token could not be read, saved or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretError {
    #[error("the OS keyring is not available: {0}")]
    Unavailable(String),
    #[error("the OS keyring did not answer within {}", human_duration_ms(*after_ms))]
    TimedOut { after_ms: u64 },
    #[error("the OS keyring refused: {0}")]
    Refused(String),
}

impl SecretError {
    pub fn code(&self) -> &'static str {
        "secrets"
    }
}

/// Storage for agents' bearer tokens, keyed by Baton's agent id. Calls may block (a keyring is
/// an IPC away): call them from `spawn_blocking` or a plain thread, not from async code directly.
pub trait TokenStore: Send + Sync {
    fn get(&self, agent_id: i64) -> Result<Option<String>, SecretError>;
    fn set(&self, agent_id: i64, token: &str) -> Result<(), SecretError>;
    /// Deleting a token that does not exist is not an error.
    fn delete(&self, agent_id: i64) -> Result<(), SecretError>;
    fn status(&self) -> SecretsStatus;
    /// Baton's other secrets, by entry name (`route-phone`, `answer-key-…`): an access token of
    /// a route, the data folder's answer key.
    fn get_entry(&self, user: &str) -> Result<Option<String>, SecretError>;
    fn set_entry(&self, user: &str, value: &str) -> Result<(), SecretError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete_entry(&self, user: &str) -> Result<(), SecretError>;
}

/// Tokens in process memory, forgotten when Baton quits.
#[derive(Default)]
pub struct MemoryTokens {
    tokens: Mutex<HashMap<i64, String>>,
    entries: Mutex<HashMap<String, String>>,
    warning: Option<String>,
}

/// Never prints the tokens themselves.
impl std::fmt::Debug for MemoryTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTokens")
            .field("tokens", &self.map().len())
            .field("warning", &self.warning)
            .finish()
    }
}

impl MemoryTokens {
    /// `warning` is what [`TokenStore::status`] reports (the UI shows it prominently); `None`
    /// for headless runs and tests, where memory is the intended place.
    pub fn new(warning: Option<String>) -> MemoryTokens {
        MemoryTokens {
            tokens: Mutex::new(HashMap::new()),
            entries: Mutex::new(HashMap::new()),
            warning,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<i64, String>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TokenStore for MemoryTokens {
    fn get(&self, agent_id: i64) -> Result<Option<String>, SecretError> {
        Ok(self.map().get(&agent_id).cloned())
    }

    fn set(&self, agent_id: i64, token: &str) -> Result<(), SecretError> {
        self.map().insert(agent_id, token.to_owned());
        Ok(())
    }

    fn delete(&self, agent_id: i64) -> Result<(), SecretError> {
        self.map().remove(&agent_id);
        Ok(())
    }

    fn status(&self) -> SecretsStatus {
        SecretsStatus {
            backend: SecretBackend::Memory,
            warning: self.warning.clone(),
        }
    }

    fn get_entry(&self, user: &str) -> Result<Option<String>, SecretError> {
        Ok(self.entries().get(user).cloned())
    }

    fn set_entry(&self, user: &str, value: &str) -> Result<(), SecretError> {
        self.entries().insert(user.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete_entry(&self, user: &str) -> Result<(), SecretError> {
        self.entries().remove(user);
        Ok(())
    }
}

/// Tokens in the OS keyring: service [`KEYRING_SERVICE`], user `agent-{id}`.
#[derive(Debug, Clone)]
pub struct KeyringTokens {
    service: String,
    timeout: Duration,
}

impl Default for KeyringTokens {
    fn default() -> Self {
        KeyringTokens::new()
    }
}

impl KeyringTokens {
    pub fn new() -> KeyringTokens {
        KeyringTokens::with_service(KEYRING_SERVICE, CALL_TIMEOUT)
    }

    /// Another service name (tests) and per-call timeout.
    pub fn with_service(service: impl Into<String>, timeout: Duration) -> KeyringTokens {
        KeyringTokens {
            service: service.into(),
            timeout,
        }
    }

    fn user(agent_id: i64) -> String {
        format!("agent-{agent_id}")
    }

    /// Runs one keyring operation on an entry, on its own thread, within the timeout.
    fn call<T: Send + 'static>(
        &self,
        user: String,
        op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, SecretError> {
        let service = self.service.clone();
        with_timeout(self.timeout, move || {
            let entry = keyring::Entry::new(&service, &user).map_err(explain)?;
            op(&entry).map_err(explain)
        })
    }

    /// The password of a PostgreSQL store's user (keyed by its URL without the password),
    /// kept by `baton store password`.
    pub fn store_password(&self, store: &str) -> Result<Option<String>, SecretError> {
        self.call(format!("store-{store}"), |entry| {
            match entry.get_password() {
                Ok(password) => Ok(Some(password)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(err) => Err(err),
            }
        })
    }

    /// `location` with its user's password from the keyring, when it needs one and the
    /// keyring has it (`baton store password`); as it was otherwise (a locked or missing
    /// keyring is not an error here: the connection then says what it lacks).
    pub fn with_store_password(
        &self,
        location: baton_store::StoreLocation,
    ) -> baton_store::StoreLocation {
        let Some(key) = location.needs_password().map(str::to_owned) else {
            return location;
        };
        match self.store_password(&key) {
            Ok(Some(password)) => location.with_password(&password),
            _ => location,
        }
    }

    pub fn set_store_password(&self, store: &str, password: &str) -> Result<(), SecretError> {
        let password = password.to_owned();
        self.call(format!("store-{store}"), move |entry| {
            entry.set_password(&password)
        })
    }

    /// Writes, reads back and deletes a probe entry: proves the keyring works and persists.
    pub fn probe(&self, timeout: Duration) -> Result<(), SecretError> {
        let service = self.service.clone();
        let user = format!(
            "probe-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        with_timeout(timeout, move || {
            let value = format!("baton probe {user}");
            let writer = keyring::Entry::new(&service, &user).map_err(explain)?;
            writer.set_password(&value).map_err(explain)?;
            // A fresh entry, so a store that only remembers per entry object (a mock) fails here.
            let reader = keyring::Entry::new(&service, &user).map_err(explain)?;
            let read = reader.get_password().map_err(explain);
            let deleted = writer.delete_credential().map_err(explain);
            match read? {
                found if found == value => deleted,
                _ => Err(SecretError::Unavailable(
                    "the keyring did not give back what was written".into(),
                )),
            }
        })
    }
}

impl TokenStore for KeyringTokens {
    fn get(&self, agent_id: i64) -> Result<Option<String>, SecretError> {
        self.call(Self::user(agent_id), |entry| match entry.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(err),
        })
    }

    fn set(&self, agent_id: i64, token: &str) -> Result<(), SecretError> {
        let token = token.to_owned();
        self.call(Self::user(agent_id), move |entry| {
            entry.set_password(&token)
        })
    }

    fn delete(&self, agent_id: i64) -> Result<(), SecretError> {
        self.call(Self::user(agent_id), |entry| {
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(err) => Err(err),
            }
        })
    }

    fn status(&self) -> SecretsStatus {
        SecretsStatus {
            backend: SecretBackend::OsKeyring,
            warning: None,
        }
    }

    fn get_entry(&self, user: &str) -> Result<Option<String>, SecretError> {
        self.call(user.to_owned(), |entry| match entry.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(err),
        })
    }

    fn set_entry(&self, user: &str, value: &str) -> Result<(), SecretError> {
        let value = value.to_owned();
        self.call(user.to_owned(), move |entry| entry.set_password(&value))
    }

    fn delete_entry(&self, user: &str) -> Result<(), SecretError> {
        self.call(user.to_owned(), |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(err),
        })
    }
}

/// The keyring if it answers a probe within [`PROBE_TIMEOUT`], else memory with
/// [`NO_KEYRING_WARNING`]. Never hangs longer than the timeout; safe to call from async code.
pub fn open_token_store() -> std::sync::Arc<dyn TokenStore> {
    open_token_store_with(KeyringTokens::new(), PROBE_TIMEOUT)
}

/// [`open_token_store`] with a given keyring client and probe timeout.
pub fn open_token_store_with(
    keyring: KeyringTokens,
    timeout: Duration,
) -> std::sync::Arc<dyn TokenStore> {
    match keyring.probe(timeout) {
        Ok(()) => {
            tracing::info!(service = %keyring.service, "tokens are kept in the OS keyring");
            std::sync::Arc::new(keyring)
        }
        Err(err) => {
            tracing::warn!(error = %err, "no usable OS keyring; tokens are kept in memory");
            std::sync::Arc::new(MemoryTokens::new(Some(NO_KEYRING_WARNING.to_owned())))
        }
    }
}

fn explain(err: keyring::Error) -> SecretError {
    use keyring::Error as K;
    match err {
        K::PlatformFailure(inner) => SecretError::Unavailable(inner.to_string()),
        K::NoStorageAccess(inner) => SecretError::Unavailable(inner.to_string()),
        K::NoEntry => SecretError::Refused("no such entry".into()),
        other => SecretError::Refused(other.to_string()),
    }
}

/// Runs `op` on a thread of its own and waits at most `timeout` for it. On timeout the thread is
/// left to finish (or hang) on its own; its result is dropped.
fn with_timeout<T: Send + 'static>(
    timeout: Duration,
    op: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("baton-keyring".into())
        .spawn(move || {
            let _ = tx.send(op());
        });
    if let Err(err) = spawned {
        return Err(SecretError::Unavailable(format!(
            "cannot start a thread: {err}"
        )));
    }
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(SecretError::TimedOut {
            after_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(SecretError::Unavailable("the keyring call panicked".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn memory_tokens_round_trip() {
        let tokens = MemoryTokens::new(Some("kept in memory".into()));
        assert_eq!(tokens.get(1), Ok(None));
        tokens.set(1, "s3cret").unwrap();
        tokens.set(2, "other").unwrap();
        assert_eq!(tokens.get(1), Ok(Some("s3cret".into())));
        tokens.set(1, "rotated").unwrap();
        assert_eq!(tokens.get(1), Ok(Some("rotated".into())));
        tokens.delete(1).unwrap();
        tokens.delete(1).unwrap();
        assert_eq!(tokens.get(1), Ok(None));
        assert_eq!(tokens.get(2), Ok(Some("other".into())));
        assert_eq!(
            tokens.status(),
            SecretsStatus {
                backend: SecretBackend::Memory,
                warning: Some("kept in memory".into())
            }
        );
        assert_eq!(MemoryTokens::new(None).status().warning, None);
        let debug = format!("{tokens:?}");
        assert!(!debug.contains("other"), "{debug}");
    }

    #[test]
    fn timeouts_give_up_on_a_hung_call() {
        // TimedOut is the exact signal: the call itself would have answered Ok, 5 s on.
        let result: Result<(), _> = with_timeout(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert_eq!(result, Err(SecretError::TimedOut { after_ms: 100 }));
        assert_eq!(
            result.unwrap_err().to_string(),
            "the OS keyring did not answer within 100 ms"
        );
        let panicked: Result<(), _> = with_timeout(Duration::from_secs(1), || {
            panic!("a deliberate panic inside a keyring call (this test expects it)")
        });
        assert!(matches!(panicked, Err(SecretError::Unavailable(_))));
    }

    /// This machine (and CI) runs no Secret Service: the store must fall back to memory, fast,
    /// with the warning, and work as a token store. Where a keyring does run it must round-trip.
    #[test]
    fn open_token_store_falls_back_without_hanging() {
        let started = Instant::now();
        let store = open_token_store_with(
            KeyringTokens::with_service("dev.baton.app.test", Duration::from_secs(5)),
            PROBE_TIMEOUT,
        );
        let took = started.elapsed();
        let status = store.status();
        eprintln!("keyring probe: {:?} after {took:?}", status.backend);
        match status.backend {
            SecretBackend::Memory => {
                assert_eq!(status.warning.as_deref(), Some(NO_KEYRING_WARNING));
            }
            SecretBackend::OsKeyring => assert_eq!(status.warning, None),
        }
        let id = i64::from(std::process::id()) * 1000 + 7;
        store.set(id, "t0ken").unwrap();
        assert_eq!(store.get(id).unwrap().as_deref(), Some("t0ken"));
        store.delete(id).unwrap();
        assert_eq!(store.get(id).unwrap(), None);
    }

    #[tokio::test]
    async fn open_token_store_is_safe_inside_a_runtime() {
        let store = open_token_store();
        let _ = store.status();
    }
}
