//! Real third-party servers and clients the tests run against, installed from PyPI into
//! `.venv-peers/` (or wherever `BATON_PEERS_VENV` points) and from npm into `.peers-node/` by
//! `scripts/setup.sh --test`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, workspace_root};

mod a2a_echo;
mod a2a_frameworks;
mod a2a_servers;
mod codex;
mod gemini;
mod headless;
mod opencode;
mod programs;

pub use a2a_echo::{A2aEcho, EchoOptions};
pub use a2a_frameworks::{A2aJs, AdkAgent};
pub use a2a_servers::{Fasta2a, LangGraphDev};
pub use codex::{thread_id, CodexPlace};
pub use gemini::{gemini_print, gemini_user_settings};
pub use headless::Headless;
pub use opencode::{opencode_config, opencode_messages, opencode_run, OPENCODE_MODEL};
pub use programs::{captured, debug_baton, debug_hook, node_peer, peer_program, peers_venv};

/// `copilot -p PROMPT` (the real Copilot CLI, tools allowed as `--allow-all-tools` does) in
/// `repo`, isolated (its own HOME, so its config and trusted folders are the test's), offline
/// against the Chat Completions stand-in at `base_url` (its BYOK mode: no GitHub login).
pub fn copilot_print(
    repo: &std::path::Path,
    home: &std::path::Path,
    base_url: &str,
    prompt: &str,
) -> tokio::process::Command {
    let mut cmd =
        tokio::process::Command::new(node_peer("copilot", "BATON_COPILOT_BIN", "@github/copilot"));
    cmd.current_dir(repo)
        .env("HOME", home)
        .env_remove("COPILOT_HOME")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("COPILOT_GITHUB_TOKEN")
        .env("COPILOT_OFFLINE", "true")
        .env("COPILOT_PROVIDER_BASE_URL", base_url)
        .env("COPILOT_MODEL", crate::model_standin::COPILOT_MODEL)
        .args(["-p", prompt, "--allow-all-tools"]);
    captured(cmd)
}

/// `claude -p PROMPT` (the real Claude Code, `--output-format json`) in `repo`, isolated (its
/// own HOME), against the model stand-in at `base_url`, in `permission_mode`.
pub fn claude_print(
    repo: &std::path::Path,
    home: &std::path::Path,
    base_url: &str,
    prompt: &str,
    permission_mode: &str,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(node_peer(
        "claude",
        "BATON_CLAUDE_BIN",
        "@anthropic-ai/claude-code",
    ));
    cmd.current_dir(repo)
        .env("HOME", home)
        .env("ANTHROPIC_BASE_URL", base_url)
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .args([
            "-p",
            prompt,
            "--permission-mode",
            permission_mode,
            "--output-format",
            "json",
        ]);
    captured(cmd)
}

/// Which rate-limit dialect a mocklimit server speaks (its config in `tests/peers/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitStyle {
    /// 20 requests and 20,000 tokens a minute, fixed window: `POST /v1/chat/completions`.
    OpenAi,
    /// Token buckets of 20 requests, 40,000 input and 8,000 output tokens: `POST /v1/messages`.
    Anthropic,
}

impl LimitStyle {
    fn config(self) -> &'static str {
        match self {
            LimitStyle::OpenAi => "mocklimit-openai.yaml",
            LimitStyle::Anthropic => "mocklimit-anthropic.yaml",
        }
    }

    /// The endpoint path (mocklimit's stats key is `POST <path without /v1>`).
    pub fn path(self) -> &'static str {
        match self {
            LimitStyle::OpenAi => "/chat/completions",
            LimitStyle::Anthropic => "/messages",
        }
    }
}

/// A running `mocklimit serve` (PyPI), killed on drop.
pub struct Mocklimit {
    child: Child,
    pub style: LimitStyle,
    pub base_url: String,
}

impl Mocklimit {
    /// Starts one server and waits until it answers (at most 20 s).
    pub async fn start(style: LimitStyle) -> Mocklimit {
        let program = peer_program("mocklimit");
        let peers = workspace_root().join("tests/peers");
        let port = free_port();
        let log = std::fs::File::create(crate::target_dir().join(format!("mocklimit-{port}.log")))
            .expect("mocklimit log file");
        let child = Command::new(program)
            .arg("serve")
            .arg("--spec")
            .arg(peers.join("mocklimit-spec.yaml"))
            .arg("--rate-config")
            .arg(peers.join(style.config()))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--log-level", "WARNING"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start mocklimit");
        let mut server = Mocklimit {
            child,
            style,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http
                .get(format!("{}/mocklimit/routes", server.base_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            // Answering is not enough: the answer must come from this server, not from
            // another process that took the port (this one then exits, unable to bind).
            let exited = server.child.try_wait().ok().flatten();
            assert!(
                exited.is_none(),
                "mocklimit exited ({exited:?}) before serving on port {port}: see \
                 target/mocklimit-{port}.log"
            );
            if ready {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if server.child.try_wait().ok().flatten().is_none() {
                    return server;
                }
            }
            assert!(
                Instant::now() < deadline,
                "mocklimit did not start on port {port}: see target/mocklimit-{port}.log"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The URL agents call.
    pub fn endpoint(&self) -> String {
        format!("{}/v1{}", self.base_url, self.style.path())
    }

    /// What mocklimit itself counted for one bearer token: (requests, 429s).
    pub async fn counted(&self, token: &str) -> (u64, u64) {
        let stats: serde_json::Value = reqwest::get(format!("{}/mocklimit/stats", self.base_url))
            .await
            .expect("mocklimit stats")
            .json()
            .await
            .expect("mocklimit stats JSON");
        let mine = &stats[format!("POST {}", self.style.path())][token];
        (
            mine["total_requests"].as_u64().unwrap_or(0),
            mine["total_429s"].as_u64().unwrap_or(0),
        )
    }
}

impl Drop for Mocklimit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a real coding-agent client's test runs: in a temporary folder, a git repository
/// (`repo/`, with `src/` and `.git/HEAD` on `main`), the client's HOME (`home/`) and Baton's
/// store (`data/`). Gone with the value.
pub struct SessionPlace {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub repo: PathBuf,
    pub home: PathBuf,
    pub data: PathBuf,
}

impl Default for SessionPlace {
    fn default() -> SessionPlace {
        SessionPlace::new()
    }
}

impl SessionPlace {
    /// The resource Baton names a file of the place's repository by: a repository with no
    /// commit is named by its git directory (`repo://local:<git dir>/<path inside>`).
    pub fn repo_file(&self, inside: &str) -> String {
        let git_dir = std::fs::canonicalize(self.repo.join(".git")).expect("the git dir");
        format!("repo://local:{}/{inside}", git_dir.display())
    }

    pub fn new() -> SessionPlace {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = dir.path().to_owned();
        let (repo, home, data) = (root.join("repo"), root.join("home"), root.join("data"));
        for d in [&repo.join("src"), &repo.join(".git"), &home] {
            std::fs::create_dir_all(d).expect("the place's folders");
        }
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").expect(".git/HEAD");
        SessionPlace {
            _dir: dir,
            root,
            repo,
            home,
            data,
        }
    }

    /// `baton hooks install CLIENT --mode MODE --project REPO --no-telemetry` on this place's
    /// store, with HOME (and `env`) the place's own; panics unless it succeeds. Its stdout.
    /// The client's telemetry stays off: no receiver runs for it here (Gemini CLI waits 8 s
    /// at its exit for one that does not answer).
    pub fn install_hooks(&self, client: &str, mode: &str, env: &[(&str, &Path)]) -> String {
        self.install_hooks_in(&self.repo, client, mode, env)
    }

    /// [`SessionPlace::install_hooks`] with the client's telemetry turned toward the store's
    /// OTLP receiver, as `baton hooks install` does by default.
    pub fn install_hooks_with_telemetry(
        &self,
        client: &str,
        mode: &str,
        env: &[(&str, &Path)],
    ) -> String {
        self.install(&self.repo, client, mode, env, true)
    }

    /// [`SessionPlace::install_hooks`] into another project folder (a worktree of the place).
    pub fn install_hooks_in(
        &self,
        project: &Path,
        client: &str,
        mode: &str,
        env: &[(&str, &Path)],
    ) -> String {
        self.install(project, client, mode, env, false)
    }

    fn install(
        &self,
        project: &Path,
        client: &str,
        mode: &str,
        env: &[(&str, &Path)],
        telemetry: bool,
    ) -> String {
        let mut install = Command::new(debug_baton());
        install
            .arg("--data-dir")
            .arg(&self.data)
            .args(["hooks", "install", client, "--mode", mode, "--project"])
            .arg(project)
            .args((!telemetry).then_some("--no-telemetry"))
            .env("HOME", &self.home)
            .env_remove("CODEX_HOME")
            .env_remove("COPILOT_HOME");
        for (name, value) in env {
            install.env(name, value);
        }
        let out = install.output().expect("run baton hooks install");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
