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
//! # What the agent says it will do (optional; checked by `baton check`):
//! declares = { triggers = ["slack://billing"], reads = ["crm://contacts/**"], writes = [], outputs = [] }
//!
//! [[rules]]                        # ownership rules (`baton watch` ignores them)
//! kind = "data"                    # trigger | data | output | exception
//! pattern = "crm://contacts/*#status"
//! owner = "Researcher"
//! readers = ["Writer"]             # data only
//! # sla_seconds = 3600             # exception only (default 24 h)
//! note = "status is the researcher's call"
//! ```
//!
//! The format is described in `docs/rules.md`.

use std::path::Path;

use baton_core::agent::{
    human_duration_ms, AgentDraft, DEFAULT_POLL_INTERVAL_MS, DEFAULT_TIMEOUT_MS,
};
use baton_core::rules::{
    AgentManifest, ManifestList, PatternError, ResourcePattern, Rule, RuleKind,
};
use baton_engine::secrets::CALL_TIMEOUT;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: line {line}, column {column}: {what}: {message}")]
    Rule {
        path: String,
        line: usize,
        column: usize,
        /// `rule 3 (data)`, `agent "Writer" writes[0]`.
        what: String,
        message: String,
    },
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
    /// Ownership rules; `baton watch` ignores them, `baton check` lints them.
    #[serde(default)]
    pub rules: Vec<RuleEntry>,
}

/// One `[[rules]]` table: a [`Rule`], with where its pattern sits in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    pub kind: RuleKind,
    pub pattern: Spanned<String>,
    pub owner: String,
    #[serde(default)]
    pub readers: Vec<String>,
    #[serde(default)]
    pub sla_seconds: Option<u64>,
    #[serde(default)]
    pub note: Option<String>,
}

impl RuleEntry {
    pub fn rule(&self) -> Rule {
        Rule {
            kind: self.kind,
            pattern: self.pattern.get_ref().clone(),
            owner: self.owner.clone(),
            readers: self.readers.clone(),
            sla_seconds: self.sla_seconds,
            note: self.note.clone(),
        }
    }
}

/// What an agent declares it triggers on, reads, writes and outputs to (resource patterns).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declares {
    #[serde(default)]
    pub triggers: Vec<Spanned<String>>,
    #[serde(default)]
    pub reads: Vec<Spanned<String>>,
    #[serde(default)]
    pub writes: Vec<Spanned<String>>,
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
}

impl Declares {
    fn list(&self, list: ManifestList) -> &[Spanned<String>] {
        match list {
            ManifestList::Triggers => &self.triggers,
            ManifestList::Reads => &self.reads,
            ManifestList::Writes => &self.writes,
            ManifestList::Outputs => &self.outputs,
        }
    }

    pub fn manifest(&self, agent: &str) -> AgentManifest {
        let plain = |list: ManifestList| {
            self.list(list)
                .iter()
                .map(|p| p.get_ref().clone())
                .collect()
        };
        AgentManifest {
            agent: agent.to_owned(),
            triggers: plain(ManifestList::Triggers),
            reads: plain(ManifestList::Reads),
            writes: plain(ManifestList::Writes),
            outputs: plain(ManifestList::Outputs),
        }
    }
}

/// A `--manifest` file: `name = "..."` and the four lists at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub name: String,
    #[serde(default)]
    pub triggers: Vec<Spanned<String>>,
    #[serde(default)]
    pub reads: Vec<Spanned<String>>,
    #[serde(default)]
    pub writes: Vec<Spanned<String>>,
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
}

impl ManifestFile {
    pub fn declares(&self) -> Declares {
        Declares {
            triggers: self.triggers.clone(),
            reads: self.reads.clone(),
            writes: self.writes.clone(),
            outputs: self.outputs.clone(),
        }
    }
}

/// Line and 1-based column of byte offset `at` in `text`.
pub fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Where in the file a problem inside a spanned string value sits: the value's line, and its
/// column plus `column_in_value - 1` (past the opening quote).
fn value_position(text: &str, value: &Spanned<String>, column_in_value: usize) -> (usize, usize) {
    let start = value.span().start;
    let (line, column) = line_column(text, start);
    let quote = text[start.min(text.len())..]
        .chars()
        .next()
        .map_or(0, |c| usize::from(c == '"' || c == '\''));
    (line, column + quote + column_in_value.saturating_sub(1))
}

fn pattern_problem(
    path: &str,
    text: &str,
    value: &Spanned<String>,
    what: String,
    err: &PatternError,
) -> ConfigFileError {
    let (line, column) = value_position(text, value, err.column());
    ConfigFileError::Rule {
        path: path.to_owned(),
        line,
        column,
        what: format!("{what} \"{}\"", value.get_ref()),
        message: err.to_string(),
    }
}

/// Checks every rule (pattern, owner, readers, SLA) and every declared pattern of the file's
/// agents; the error points at the line and column of the problem.
pub fn validate_rules(
    path: &str,
    text: &str,
    file: &ConfigFile,
) -> Result<Vec<Rule>, ConfigFileError> {
    let mut rules = Vec::with_capacity(file.rules.len());
    for (index, entry) in file.rules.iter().enumerate() {
        let rule = entry.rule();
        let what = format!("rule {index} ({})", rule.kind.as_str());
        if let Err(err) = ResourcePattern::parse(entry.pattern.get_ref()) {
            return Err(pattern_problem(path, text, &entry.pattern, what, &err));
        }
        if let Err(err) = baton_core::rules::validate_rule(&rule) {
            let (line, column) = line_column(text, entry.pattern.span().start);
            return Err(ConfigFileError::Rule {
                path: path.to_owned(),
                line,
                column,
                what,
                message: err.to_string(),
            });
        }
        rules.push(rule);
    }
    for agent in &file.agents {
        if let Some(declares) = &agent.declares {
            validate_declares(path, text, &agent.name, declares)?;
        }
    }
    Ok(rules)
}

/// Checks every pattern an agent declares.
pub fn validate_declares(
    path: &str,
    text: &str,
    agent: &str,
    declares: &Declares,
) -> Result<(), ConfigFileError> {
    for list in ManifestList::ALL {
        for (index, value) in declares.list(list).iter().enumerate() {
            if let Err(err) = ResourcePattern::parse(value.get_ref()) {
                let what = format!("agent \"{agent}\" {}[{index}]", list.as_str());
                return Err(pattern_problem(path, text, value, what, &err));
            }
        }
    }
    Ok(())
}

/// Parses a `--manifest` file and checks its patterns.
pub fn parse_manifest(path: &str, text: &str) -> Result<AgentManifest, ConfigFileError> {
    let file: ManifestFile = toml::from_str(text).map_err(|err| ConfigFileError::Parse {
        path: path.to_owned(),
        message: describe_toml_error(text, &err),
    })?;
    if file.name.trim().is_empty() {
        return Err(ConfigFileError::Parse {
            path: path.to_owned(),
            message: "name must not be empty".into(),
        });
    }
    let declares = file.declares();
    validate_declares(path, text, &file.name, &declares)?;
    Ok(declares.manifest(&file.name))
}

/// Reads a file, for messages naming it as given.
pub fn read(path: &Path) -> Result<(String, String), ConfigFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: shown.clone(),
        source,
    })?;
    Ok((shown, text))
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
    /// The agent's declared triggers / reads / writes / outputs (`baton check` only).
    #[serde(default)]
    pub declares: Option<Declares>,
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
            let (line, column) = line_column(text, span.start);
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
    let (shown, text) = read(path)?;
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
    fn rules_and_declarations_parse_and_agents_stay_the_same() {
        let text = r#"
            [[agents]]
            name = "Researcher"
            url = "http://127.0.0.1:7700"
            declares = { triggers = ["slack://research"], writes = ["crm://contacts/*#status"] }

            [[rules]]
            kind = "data"
            pattern = "crm://contacts/*#status"
            owner = "Researcher"
            readers = ["Writer"]
            note = "n"
            "#;
        let file = parse("baton.toml", text).unwrap();
        assert_eq!(file.agents[0].draft().name, "Researcher");
        let rules = validate_rules("baton.toml", text, &file).unwrap();
        assert_eq!(rules[0].kind, RuleKind::Data);
        assert_eq!(rules[0].readers, vec!["Writer".to_owned()]);
        assert_eq!(rules[0].note.as_deref(), Some("n"));
        let manifest = file.agents[0]
            .declares
            .as_ref()
            .unwrap()
            .manifest("Researcher");
        assert_eq!(manifest.writes, vec!["crm://contacts/*#status".to_owned()]);
        assert_eq!(line_column(text, file.rules[0].pattern.span().start).0, 9);
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
            declares: None,
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
