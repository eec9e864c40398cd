//! Coding sessions' usage, read from the files their clients write: the transcript or rollout
//! file a hook payload names ([`TranscriptFeed`], read past where the store last read it), the
//! account a session draws on ([`account_of`]), Claude Code's status-line data
//! ([`status_line`]), and the reading that catches up outside hook calls ([`catch_up`]).

pub mod catch_up;
pub mod chain;
mod feed;
pub mod status_line;

pub use feed::{TranscriptFeed, HOOK_READ_BYTES};

use std::path::{Path, PathBuf};

use baton_core::hooks::HookClient;

/// The account a session of `client` draws on: the client's config folder, as its own
/// environment names it (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `COPILOT_HOME`, else the folder in
/// HOME), written `~/…` under HOME. Never a credential: sessions with one config folder share
/// one login, and so one set of limit windows.
pub fn account_of(client: HookClient) -> Option<String> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let home = var("HOME");
    let (own, default) = match client {
        HookClient::ClaudeCode => ("CLAUDE_CONFIG_DIR", ".claude"),
        HookClient::Codex => ("CODEX_HOME", ".codex"),
        HookClient::Copilot => ("COPILOT_HOME", ".copilot"),
    };
    let dir = var(own).or_else(|| home.as_ref().map(|h| h.join(default)))?;
    Some(tilde(&dir, home.as_deref()))
}

fn tilde(dir: &Path, home: Option<&Path>) -> String {
    match home.and_then(|h| dir.strip_prefix(h).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => "~".to_owned(),
        Some(rest) => format!("~/{}", rest.display()),
        None => dir.display().to_string(),
    }
}

#[cfg(test)]
mod tests;
