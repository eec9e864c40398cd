//! Reading and parsing a config file: TOML errors with their line and column (never quoting the
//! source line, which may hold a secret), and the agents checked as they are read.

use std::path::Path;

use super::token_ref::{split_keyring_ref, TokenRef};
use super::{ConfigFile, ConfigFileError};

/// Line and 1-based column of byte offset `at` in `text`.
pub fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
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

const TOKEN_SHAPE: &str =
    "token must be { env = \"VAR\" } or { keyring = \"service/user\" } (exactly one of them)";

/// Where and what, without the quoted source line `toml` adds to its messages: that line may
/// hold a secret (`token = { value = "sk-…" }`, an unterminated `token = "sk-…`), and these
/// messages end up in terminals and CI logs.
pub(super) fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
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
        if let Some(Err(err)) = agent.windows.as_ref().map(|w| w.check()) {
            return Err(problem(format!("windows: {err}")));
        }
        if let Some(usd) = agent.daily_budget_usd {
            if !usd.is_finite() || !(0.0..=baton_store::costs::MAX_DAILY_BUDGET).contains(&usd) {
                return Err(problem(format!(
                    "daily_budget_usd: dollars from 0 (no budget) to {}",
                    baton_store::costs::MAX_DAILY_BUDGET
                )));
            }
        }
        if !names.insert(baton_core::agent::name_key(&agent.name)) {
            return Err(problem("the name is used twice".into()));
        }
    }
    // The routes' own checks (the person who answers is settled at import).
    super::notify_routes(path, &file, "whoever imports")?;
    if let Some(store) = &file.store {
        let problem = |message: String| ConfigFileError::Setting {
            path: path.to_owned(),
            what: "[store] url".into(),
            message,
        };
        let location =
            baton_store::StoreLocation::parse(&store.url).map_err(|e| problem(e.to_string()))?;
        baton_store::place::refuse_saved_password(&location, path)
            .map_err(|e| problem(e.to_string()))?;
    }
    Ok(file)
}

pub fn load(path: &Path) -> Result<ConfigFile, ConfigFileError> {
    let (shown, text) = read(path)?;
    parse(&shown, &text)
}
