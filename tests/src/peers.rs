//! Real third-party servers and clients the tests run against, installed from PyPI into
//! `.venv-peers/` (or wherever `BATON_PEERS_VENV` points) and from npm into `.peers-node/` by
//! `scripts/setup.sh --test`.

use std::path::{Path, PathBuf};
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

/// A coding-agent CLI installed from npm into `.peers-node/` by `scripts/setup.sh --test`
/// (`bin`: its command, e.g. `claude`), or where the environment variable `env` points;
/// panics with how to install it when it is missing.
pub fn node_peer(bin: &str, env: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
        workspace_root()
            .join(".peers-node/node_modules/.bin")
            .join(bin)
    });
    assert!(
        path.exists(),
        "{} is missing: run `scripts/setup.sh --test` (it installs {package})",
        path.display()
    );
    path
}

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
        .args(["-p", prompt, "--allow-all-tools"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
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
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// The debug `baton` binary (`cargo build -p baton-cli`).
pub fn debug_baton() -> PathBuf {
    let path = crate::target_dir().join("debug").join("baton");
    assert!(
        path.exists(),
        "{} is missing: `cargo build -p baton-cli`",
        path.display()
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

/// How an A2A echo agent is started (`tests/peers/a2a_echo_agent.py`, on `a2a-sdk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoOptions {
    /// `jsonrpc`, `rest` or `both` (the card lists JSON-RPC first when both).
    pub binding: &'static str,
    /// The card lists only A2A 0.3 interfaces (the server answers 0.3 requests).
    pub only_0_3: bool,
    /// `ListTasks` answers "unsupported" (-32004).
    pub no_list_tasks: bool,
}

impl Default for EchoOptions {
    fn default() -> EchoOptions {
        EchoOptions {
            binding: "both",
            only_0_3: false,
            no_list_tasks: false,
        }
    }
}

/// A running A2A echo agent, killed on drop: "ask…" asks a question, "slow…" works for 3 s,
/// anything else completes at once.
pub struct A2aEcho {
    child: Child,
    pub base_url: String,
    options: EchoOptions,
}

impl A2aEcho {
    /// Starts the agent and waits for its `READY <url>` line (at most 30 s).
    pub fn start(options: EchoOptions) -> A2aEcho {
        use std::io::{BufRead, BufReader};

        let python = peer_program("python");
        let script = workspace_root().join("tests/peers/a2a_echo_agent.py");
        let log = std::fs::File::create(
            crate::target_dir().join(format!("a2a-echo-{}.log", std::process::id())),
        )
        .expect("a2a echo log file");
        let mut command = Command::new(python);
        command
            .arg(script)
            .args(["--port", "0", "--binding", options.binding])
            .args(["--slow-seconds", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        if options.only_0_3 {
            command.arg("--only03");
        }
        if options.no_list_tasks {
            command.arg("--no-list-tasks");
        }
        let mut child = command.spawn().expect("start the A2A echo agent");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("READY ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let base_url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the A2A echo agent did not start: see target/a2a-echo-*.log");
        A2aEcho {
            child,
            base_url,
            options,
        }
    }

    /// The JSON-RPC endpoint, when the agent has one.
    pub fn jsonrpc_url(&self) -> Option<String> {
        match self.options.binding {
            "jsonrpc" => Some(format!("{}/", self.base_url)),
            "both" => Some(format!("{}/a2a/jsonrpc", self.base_url)),
            _ => None,
        }
    }

    /// The HTTP+JSON base, when the agent has one (0.3 paths add `/v1`).
    fn rest_url(&self) -> String {
        match self.options.binding {
            "both" => format!("{}/a2a/rest", self.base_url),
            _ => self.base_url.clone(),
        }
    }

    /// Sends a user message as a new task, over the agent's binding, in 1.0 (or 0.3 when
    /// `v0_3`), without waiting for it to finish; returns the task's id.
    pub async fn submit(&self, text: &str, v0_3: bool) -> String {
        let message_id = format!("test-{}", rand_suffix());
        let configuration = serde_json::json!({"returnImmediately": true, "blocking": false});
        let http = reqwest::Client::new();
        let request = match (self.jsonrpc_url(), v0_3) {
            (Some(url), true) => http.post(url).json(&serde_json::json!({
                "jsonrpc": "2.0", "id": 1, "method": "message/send",
                "params": {"message": {"kind": "message", "role": "user", "messageId": message_id,
                                       "parts": [{"kind": "text", "text": text}]},
                           "configuration": configuration}})),
            (Some(url), false) => {
                http.post(url)
                    .header("A2A-Version", "1.0")
                    .json(&serde_json::json!({
                "jsonrpc": "2.0", "id": 1, "method": "SendMessage",
                "params": {"message": {"role": "ROLE_USER", "messageId": message_id,
                                       "parts": [{"text": text}]},
                           "configuration": configuration}}))
            }
            (None, true) => http
                .post(format!("{}/v1/message:send", self.rest_url()))
                .json(&serde_json::json!({
                    "message": {"role": "ROLE_USER", "messageId": message_id,
                                "content": [{"text": text}]},
                    "configuration": configuration})),
            (None, false) => http
                .post(format!("{}/message:send", self.rest_url()))
                .header("A2A-Version", "1.0")
                .json(&serde_json::json!({
                    "message": {"role": "ROLE_USER", "messageId": message_id,
                                "parts": [{"text": text}]},
                    "configuration": configuration})),
        };
        let answer: serde_json::Value = request
            .send()
            .await
            .expect("send to the echo agent")
            .json()
            .await
            .expect("the echo agent's answer");
        let result = answer.get("result").unwrap_or(&answer);
        let task = result.get("task").unwrap_or(result);
        task["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no task id in {answer}"))
            .to_owned()
    }

    /// The task's state as the server holds it (`TASK_STATE_…`), over 1.0.
    pub async fn state_of(&self, task_id: &str) -> String {
        let http = reqwest::Client::new();
        let request = match self.jsonrpc_url() {
            Some(url) => http.post(url).json(&serde_json::json!({
                "jsonrpc": "2.0", "id": 2, "method": "GetTask", "params": {"id": task_id}})),
            None => http.get(format!("{}/tasks/{task_id}", self.rest_url())),
        };
        let answer: serde_json::Value = request
            .header("A2A-Version", "1.0")
            .send()
            .await
            .expect("GetTask")
            .json()
            .await
            .expect("GetTask answer");
        let task = answer.get("result").unwrap_or(&answer);
        task["status"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A user message on a task, sent to the agent directly (not through Baton), over 1.0.
    pub async fn answer_directly(&self, task_id: &str, text: &str) {
        let message = serde_json::json!({"role": "ROLE_USER", "messageId": format!("direct-{}", rand_suffix()),
                                         "taskId": task_id, "parts": [{"text": text}]});
        let http = reqwest::Client::new();
        let request = match self.jsonrpc_url() {
            Some(url) => http.post(url).json(&serde_json::json!({
                "jsonrpc": "2.0", "id": 3, "method": "SendMessage", "params": {"message": message}})),
            None => http
                .post(format!("{}/message:send", self.rest_url()))
                .json(&serde_json::json!({ "message": message })),
        };
        let status = request
            .header("A2A-Version", "1.0")
            .send()
            .await
            .expect("answer on the agent")
            .status();
        assert!(status.is_success(), "HTTP {status}");
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Drop for A2aEcho {
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

    /// `baton hooks install CLIENT --mode MODE --project REPO` on this place's store, with HOME
    /// (and `env`) the place's own; panics unless it succeeds. Its stdout.
    pub fn install_hooks(&self, client: &str, mode: &str, env: &[(&str, &Path)]) -> String {
        let mut install = Command::new(debug_baton());
        install
            .arg("--data-dir")
            .arg(&self.data)
            .args(["hooks", "install", client, "--mode", mode, "--project"])
            .arg(&self.repo)
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
