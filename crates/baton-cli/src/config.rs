//! `baton.toml`: the agents `baton watch` polls. Secrets are only ever references (an environment
//! variable or a keyring entry), never written inline.
//!
//! ```toml
//! [[agents]]
//! name = "Researcher"
//! url = "http://127.0.0.1:7700"
//! poll_interval_ms = 2000          # optional, default 2000
//! timeout_ms = 1500                # optional, default 1500, must be below the interval
//! token = { env = "RESEARCHER_TOKEN" }            # optional
//! # token = { keyring = "my-service/researcher" } # service/user in the OS keyring
//! ```

use std::path::Path;

use baton_core::agent::{
    human_duration_ms, AgentDraft, DEFAULT_POLL_INTERVAL_MS, DEFAULT_TIMEOUT_MS,
};
use baton_engine::secrets::CALL_TIMEOUT;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: agent \"{agent}\": {message}")]
    Agent {
        path: String,
        agent: String,
        message: String,
    },
    #[error("agent \"{agent}\": environment variable {var} is not set")]
    MissingEnv { agent: String, var: String },
    #[error("agent \"{agent}\": keyring entry {service}/{user}: {message}")]
    Keyring {
        agent: String,
        service: String,
        user: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub agents: Vec<AgentEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentEntry {
    pub name: String,
    pub url: String,
    #[serde(default = "default_interval")]
    pub poll_interval_ms: u64,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    #[serde(default)]
    pub token: Option<TokenRef>,
}

fn default_interval() -> u64 {
    DEFAULT_POLL_INTERVAL_MS
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}

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

impl AgentEntry {
    pub fn draft(&self) -> AgentDraft {
        AgentDraft {
            poll_interval_ms: self.poll_interval_ms,
            timeout_ms: self.timeout_ms,
            ..AgentDraft::new(self.name.clone(), self.url.clone())
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

fn split_keyring_ref(reference: &str) -> Option<(&str, &str)> {
    let (service, user) = reference.split_once('/')?;
    (!service.is_empty() && !user.is_empty()).then_some((service, user))
}

const TOKEN_SHAPE: &str =
    "token must be { env = \"VAR\" } or { keyring = \"service/user\" } (exactly one of them)";

/// Where and what, without the quoted source line `toml` adds to its messages: that line may
/// hold a secret (`token = { value = "sk-…" }`, an unterminated `token = "sk-…`), and these
/// messages end up in terminals and CI logs.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = err
        .message()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    // serde's word for a `token` table of the wrong shape says nothing useful to a person.
    let message = if message.contains("untagged enum TokenRef") {
        TOKEN_SHAPE.to_owned()
    } else {
        message
    };
    match err.span() {
        Some(span) => {
            let before = text.get(..span.start.min(text.len())).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("TOML parse error at line {line}, column {column}: {message}")
        }
        None => format!("TOML parse error: {message}"),
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

/// Parses and checks a config file's text. `path` is only used in messages.
pub fn parse(path: &str, text: &str) -> Result<ConfigFile, ConfigFileError> {
    let file: ConfigFile = toml::from_str(text).map_err(|err| ConfigFileError::Parse {
        path: path.to_owned(),
        message: describe_toml_error(text, &err),
    })?;
    let mut names = std::collections::HashSet::new();
    for agent in &file.agents {
        let problem = |message: String| ConfigFileError::Agent {
            path: path.to_owned(),
            agent: agent.name.clone(),
            message,
        };
        match &agent.token {
            Some(TokenRef::Inline(_)) => {
                return Err(problem(
                    "tokens may not be written inline; use token = { env = \"VAR\" } or token = { keyring = \"service/user\" }".into(),
                ))
            }
            Some(TokenRef::Keyring { keyring }) if split_keyring_ref(keyring).is_none() => {
                return Err(problem(format!(
                    "keyring reference \"{keyring}\" must be \"service/user\""
                )))
            }
            _ => {}
        }
        if let Err(err) = agent.draft().validate() {
            return Err(problem(err.to_string()));
        }
        if !names.insert(agent.name.trim().to_lowercase()) {
            return Err(problem("the name is used twice".into()));
        }
    }
    Ok(file)
}

pub fn load(path: &Path) -> Result<ConfigFile, ConfigFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&shown, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_agents_with_defaults_and_token_references() {
        let file = parse(
            "baton.toml",
            r#"
            [[agents]]
            name = "Researcher"
            url = "http://127.0.0.1:7700"
            token = { env = "RESEARCHER_TOKEN" }

            [[agents]]
            name = "Writer"
            url = "http://127.0.0.1:7701"
            poll_interval_ms = 5000
            timeout_ms = 3000
            token = { keyring = "baton/writer" }
            "#,
        )
        .unwrap();
        assert_eq!(file.agents.len(), 2);
        assert_eq!(file.agents[0].poll_interval_ms, 2000);
        assert_eq!(file.agents[0].timeout_ms, 1500);
        assert_eq!(
            file.agents[0].token,
            Some(TokenRef::Env {
                env: "RESEARCHER_TOKEN".into()
            })
        );
        assert_eq!(file.agents[1].draft().poll_interval_ms, 5000);
    }

    #[test]
    fn inline_tokens_are_refused() {
        let err = parse(
            "baton.toml",
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = \"sk-secret\"\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("tokens may not be written inline"), "{text}");
        assert!(!text.contains("sk-secret"), "the secret must not be echoed");
    }

    #[test]
    fn bad_agents_are_named() {
        let err = parse(
            "b.toml",
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\npoll_interval_ms = 1000\ntimeout_ms = 1000\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.toml: agent \"a\": timeout (1000 ms) must be below the poll interval (1000 ms)"
        );
        let err = parse(
            "b.toml",
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\n[[agents]]\nname = \"A\"\nurl = \"http://y\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("used twice"));
        let err = parse(
            "b.toml",
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = { env = \"A\", keyring = \"s/u\" }\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().ends_with(
                "line 4, column 9: token must be { env = \"VAR\" } or { keyring = \"service/user\" } (exactly one of them)"
            ),
            "{err}"
        );
        let err = parse(
            "b.toml",
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = { keyring = \"nouser\" }\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("must be \"service/user\""));
    }

    #[test]
    fn malformed_toml_reports_line_and_column() {
        let err = parse("b.toml", "[[agents]]\nname = \n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("b.toml: TOML parse error at line 2, column"),
            "{text}"
        );
        let err = parse(
            "b.toml",
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ncolour = 1\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"));
    }

    #[test]
    fn toml_errors_never_quote_the_line_they_are_on() {
        for (text, line) in [
            (
                "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = { value = \"sk-123\" }\n",
                4,
            ),
            (
                "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = \"sk-123\n",
                4,
            ),
        ] {
            let err = parse("b.toml", text).unwrap_err().to_string();
            assert!(!err.contains("sk-123"), "{err}");
            assert!(!err.contains('\n'), "one line: {err}");
            assert!(
                err.starts_with(&format!("b.toml: TOML parse error at line {line}, column ")),
                "{err}"
            );
        }
    }

    #[test]
    fn env_tokens_resolve_or_say_what_is_missing() {
        let entry = AgentEntry {
            name: "a".into(),
            url: "http://x".into(),
            poll_interval_ms: 2000,
            timeout_ms: 1500,
            token: Some(TokenRef::Env {
                env: "BATON_TEST_TOKEN_THAT_IS_NOT_SET".into(),
            }),
        };
        let err = entry.resolve_token().unwrap_err();
        assert_eq!(
            err.to_string(),
            "agent \"a\": environment variable BATON_TEST_TOKEN_THAT_IS_NOT_SET is not set"
        );
        let none = AgentEntry {
            token: None,
            ..entry
        };
        assert_eq!(none.resolve_token().unwrap(), None);
    }
}
