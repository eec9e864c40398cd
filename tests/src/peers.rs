//! Real third-party servers the tests run against, installed from PyPI into `.venv-peers/` by
//! `scripts/setup.sh --test` (or wherever `BATON_PEERS_VENV` points).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, workspace_root};

/// The Python virtualenv holding the peers.
pub fn peers_venv() -> PathBuf {
    std::env::var_os("BATON_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-peers"))
}

/// A program of the peers' virtualenv; panics with how to install it when it is missing.
pub fn peer_program(name: &str) -> PathBuf {
    let path = peers_venv().join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `scripts/setup.sh --test` (it installs the PyPI peers into {})",
        path.display(),
        peers_venv().display()
    );
    path
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
        let server = Mocklimit {
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
            if ready {
                return server;
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
