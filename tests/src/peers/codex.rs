//! The real Codex CLI (`@openai/codex` in `.peers-node/`), run offline against a stand-in for
//! the Responses API, isolated in its own HOME and CODEX_HOME.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::programs::{captured, node_peer};
use crate::model_standin::CODEX_MODEL;

/// Where a Codex session runs: its folder (a repository or a worktree), HOME and CODEX_HOME.
pub struct CodexPlace {
    pub dir: PathBuf,
    pub home: PathBuf,
    pub codex_home: PathBuf,
}

impl CodexPlace {
    /// Points Codex at the stand-in at `base_url` (a provider of its own in CODEX_HOME's
    /// config, no retries).
    pub fn use_model(&self, base_url: &str) {
        std::fs::create_dir_all(&self.codex_home).unwrap();
        std::fs::write(
            self.codex_home.join("config.toml"),
            format!(
                "model_provider = \"standin\"\n\n[model_providers.standin]\nname = \"standin\"\n\
                 base_url = \"{base_url}\"\nwire_api = \"responses\"\nenv_key = \"STANDIN_KEY\"\n\
                 request_max_retries = 0\nstream_max_retries = 0\n"
            ),
        )
        .unwrap();
    }

    /// `codex exec [resume ID] "[session NAME] …"` in the place's folder, against the stand-in;
    /// `--json` prints the thread's id ([`thread_id`]).
    pub fn session(&self, name: &str, resume: Option<&str>) -> Command {
        let mut cmd = Command::new(node_peer("codex", "BATON_CODEX_BIN", "@openai/codex"));
        cmd.current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("CODEX_HOME", &self.codex_home)
            .env("STANDIN_KEY", "sk-test")
            .arg("exec");
        if let Some(id) = resume {
            cmd.args(["resume", id]);
        }
        cmd.args([
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "--json",
            "-m",
            CODEX_MODEL,
            &format!("[session {name}] Write src/app.rs for the {name} feature."),
        ]);
        captured(cmd)
    }

    /// The CODEX_HOME `baton hooks install codex` must write into.
    pub fn hooks_env(&self) -> [(&'static str, &Path); 1] {
        [("CODEX_HOME", self.codex_home.as_path())]
    }
}

/// The thread id in `codex exec --json`'s output.
pub fn thread_id(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|event| event["thread_id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no thread id in {}", String::from_utf8_lossy(stdout)))
}
