//! `[[agents]]` entries, and the references to where their tokens are kept (an environment
//! variable or an OS keyring entry; never the token itself).

use baton_core::agent::{
    default_timeout_ms, human_duration_ms, AdapterKind, AgentConfig, AgentDraft,
    DEFAULT_POLL_INTERVAL_MS,
};
use baton_core::detect::windows::WindowOverrides;
use baton_engine::secrets::CALL_TIMEOUT;
use serde::Deserialize;

use super::token_ref::split_keyring_ref;
pub use super::token_ref::TokenRef;

use super::rules::Declares;
use super::ConfigFileError;

/// The protocol an agent speaks: `baton/1`, A2A, or found out by asking the agent (`auto`: as
/// the app's "Test connection" does, `baton/1` first, then A2A's card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Baton,
    A2a,
    Auto,
}

impl Protocol {
    /// The adapter it names; `None` for `auto`.
    pub fn adapter(self) -> Option<AdapterKind> {
        match self {
            Protocol::Baton => Some(AdapterKind::Baton),
            Protocol::A2a => Some(AdapterKind::A2a),
            Protocol::Auto => None,
        }
    }

    /// How a file says an adapter.
    pub fn word(adapter: AdapterKind) -> &'static str {
        match adapter {
            AdapterKind::A2a => "a2a",
            AdapterKind::Baton | AdapterKind::Session | AdapterKind::Otlp => "baton",
        }
    }
}

/// One `[[agents]]` table. What it leaves out, Baton leaves as it is for an agent it knows
/// (and takes the default for a new one): a file never changes what it does not say.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentEntry {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub poll_interval_ms: Option<u64>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// `baton`, `a2a` or `auto`; left out: `auto` for a new agent, as it is for a known one.
    #[serde(default)]
    pub protocol: Option<Protocol>,
    /// The detectors' windows for this agent (left out: as they are; `{}`: the defaults).
    #[serde(default)]
    pub windows: Option<WindowOverrides>,
    #[serde(default)]
    pub token: Option<TokenRef>,
    /// The agent's declared triggers / reads / writes / outputs (`baton check` only).
    #[serde(default)]
    pub declares: Option<Declares>,
    /// Dollars it may spend in a UTC day before a warning escalation opens (0: no budget; left
    /// out: as it is).
    #[serde(default)]
    pub daily_budget_usd: Option<f64>,
}

impl AgentEntry {
    /// The agent as the file says it, over what Baton has for it (`known`), else over the
    /// defaults. The adapter is `known`'s, else `baton/1`, unless the file names one: `auto`
    /// is settled by [`AgentEntry::needs_detection`] and the caller.
    pub fn draft_over(&self, known: Option<&AgentConfig>) -> AgentDraft {
        let adapter = self
            .protocol
            .and_then(Protocol::adapter)
            .or(known.map(|k| k.adapter))
            .unwrap_or(AdapterKind::Baton);
        let poll_interval_ms = self
            .poll_interval_ms
            .or(known.map(|k| k.poll_interval_ms))
            .unwrap_or(DEFAULT_POLL_INTERVAL_MS);
        // No timeout in the file: the stored one while it fits the interval, else one that
        // fits it (never a refusal for a value the person did not write).
        let timeout_ms = self.timeout_ms.unwrap_or_else(|| {
            known
                .map(|k| k.timeout_ms)
                .filter(|&t| t < poll_interval_ms)
                .unwrap_or_else(|| default_timeout_ms(poll_interval_ms))
        });
        AgentDraft {
            poll_interval_ms,
            timeout_ms,
            adapter,
            ..AgentDraft::new(self.name.clone(), self.url.clone())
        }
    }

    /// The agent as the file says it, for a new agent.
    pub fn draft(&self) -> AgentDraft {
        self.draft_over(None)
    }

    /// True when the protocol is to be found out by asking the agent: the file says `auto`,
    /// or says nothing of an agent Baton does not know yet.
    pub fn needs_detection(&self, known: Option<&AgentConfig>) -> bool {
        match self.protocol {
            Some(Protocol::Auto) => true,
            Some(_) => false,
            None => known.is_none(),
        }
    }

    /// Looks the token up where the reference points.
    pub fn resolve_token(&self) -> Result<Option<String>, ConfigFileError> {
        match &self.token {
            None => Ok(None),
            Some(TokenRef::Env { env }) => match std::env::var(env) {
                Ok(value) if !value.is_empty() => Ok(Some(value)),
                _ => Err(ConfigFileError::MissingEnv {
                    agent: self.name.clone(),
                    var: env.clone(),
                }),
            },
            Some(TokenRef::Keyring { keyring }) => {
                let (service, user) = split_keyring_ref(keyring).unwrap_or_default();
                let fail = |message: String| ConfigFileError::Keyring {
                    agent: self.name.clone(),
                    service: service.to_owned(),
                    user: user.to_owned(),
                    message,
                };
                read_keyring(service, user).map(Some).map_err(fail)
            }
            Some(TokenRef::Inline(_)) => unreachable!("rejected by parse"),
        }
    }
}

/// Reads a keyring entry on a thread of its own, given up after [`CALL_TIMEOUT`]: the keyring
/// crate's Linux backend blocks on a tokio runtime of its own, which panics when called from
/// inside `baton`'s runtime, and a locked or missing Secret Service can keep a call waiting.
fn read_keyring(service: &str, user: &str) -> Result<String, String> {
    let (service, user) = (service.to_owned(), user.to_owned());
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("baton-keyring".into())
        .spawn(move || {
            let read = keyring::Entry::new(&service, &user).and_then(|entry| entry.get_password());
            let _ = tx.send(read.map_err(|err| err.to_string()));
        })
        .map_err(|err| format!("cannot start a thread: {err}"))?;
    match rx.recv_timeout(CALL_TIMEOUT) {
        Ok(read) => read,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "the OS keyring did not answer within {}",
            human_duration_ms(u64::try_from(CALL_TIMEOUT.as_millis()).unwrap_or(u64::MAX))
        )),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err("the keyring call failed unexpectedly".into())
        }
    }
}
