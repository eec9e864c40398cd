//! Coding sessions' usage, read from the files their clients write: the transcript or rollout
//! file a hook payload names ([`TranscriptFeed`], read past where the store last read it) or the
//! response a payload carries ([`PayloadMessage`]; [`usage_feed_of`] picks), the
//! account a session draws on ([`account_of`]), Claude Code's status-line data
//! ([`status_line`]), and the reading that catches up outside hook calls ([`catch_up`]).

pub mod catch_up;
pub mod chain;
mod feed;
mod message;
pub mod status_line;

pub use feed::{TranscriptFeed, HOOK_READ_BYTES};
pub use message::{usage_feed_of, PayloadMessage};

use std::path::{Path, PathBuf};

use baton_core::hooks::HookClient;

/// The account a session of `client` draws on: the client's config folder, as its own
/// environment names it (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `COPILOT_HOME`, `GEMINI_CLI_HOME`,
/// `XDG_CONFIG_HOME`, else the folder in HOME), written `~/…` under HOME. Never a credential: sessions with one config folder share
/// one login, and so one set of limit windows.
pub fn account_of(client: HookClient) -> Option<String> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let home = var("HOME");
    let in_home = |default: &str| home.as_ref().map(|h| h.join(default));
    let dir = match client {
        HookClient::ClaudeCode => var("CLAUDE_CONFIG_DIR").or_else(|| in_home(".claude")),
        HookClient::Codex => var("CODEX_HOME").or_else(|| in_home(".codex")),
        HookClient::Copilot => var("COPILOT_HOME").or_else(|| in_home(".copilot")),
        // Gemini CLI's variable stands for the home its `.gemini` is in.
        HookClient::Gemini => var("GEMINI_CLI_HOME")
            .or_else(|| home.clone())
            .map(|base| base.join(".gemini")),
        HookClient::OpenCode => var("XDG_CONFIG_HOME")
            .or_else(|| in_home(".config"))
            .map(|base| base.join("opencode")),
    }?;
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
