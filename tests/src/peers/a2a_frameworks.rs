//! A2A agents as the big frameworks build them: a Google ADK agent served with ADK's own
//! `to_a2a` (`tests/peers/adk_agent.py`, in `.venv-adk/`) and an agent on the official
//! JavaScript SDK, `@a2a-js/sdk` with express (`tests/peers/a2a_js_agent.mjs`, in
//! `.peers-a2a-js/`). Both speak A2A 1.0; both installed by `scripts/setup.sh --test`.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use serde_json::{json, Value};

use super::a2a_echo::rand_suffix;
use super::a2a_servers::rpc;
use super::programs::start_ready;
use crate::workspace_root;

/// `path` under the workspace, or where the environment variable `env` points; panics with how
/// to install it when it is missing.
fn installed(env: &str, path: &str, what: &str) -> PathBuf {
    let at = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(path));
    assert!(
        at.exists(),
        "{} is missing: run `scripts/setup.sh --test` (it installs {what})",
        at.display()
    );
    at
}

/// One A2A 1.0 JSON-RPC call; the task in the answer (panics on an error answer).
async fn call_v1(url: &str, method: &str, params: Value) -> Value {
    rpc(url, method, params, Duration::from_secs(30), Some("1.0")).await
}

/// One A2A 1.0 HTTP+JSON call: `POST url` with `body`, or `GET url` without; the task in the
/// answer (panics on an error answer).
async fn rest_v1(url: &str, body: Option<Value>) -> Value {
    let client = reqwest::Client::new();
    let request = match body {
        Some(body) => client.post(url).json(&body),
        None => client.get(url),
    };
    let answer: Value = request
        .header("A2A-Version", "1.0")
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{url}: {err}"))
        .json()
        .await
        .unwrap_or_else(|err| panic!("{url}: not JSON: {err}"));
    match answer.get("error") {
        Some(error) => panic!("{url}: {error}"),
        None => answer.get("task").unwrap_or(&answer).clone(),
    }
}

fn user_message(text: &str) -> Value {
    json!({"message": {"messageId": format!("test-{}", rand_suffix()), "role": "ROLE_USER",
                       "parts": [{"text": text}]}})
}

/// Sends `text` as a new task (`SendMessage`, 1.0); its id.
async fn submit_v1(url: &str, text: &str) -> String {
    let task = call_v1(url, "SendMessage", user_message(text)).await;
    task["id"].as_str().expect("a task id").to_owned()
}

/// The task as the server has it (`GetTask`, 1.0).
async fn task_v1(url: &str, id: &str) -> Value {
    call_v1(url, "GetTask", json!({ "id": id })).await
}

/// A running Google ADK agent (`to_a2a`, JSON-RPC, A2A 1.0), killed on drop: "ask…" asks
/// "Which city?" through a long-running `ask_human` function call, "ask … form" a small form
/// (`fields: [city, date]`), "fail…" fails.
pub struct AdkAgent {
    child: Child,
    pub base_url: String,
}

impl AdkAgent {
    pub fn start() -> AdkAgent {
        let venv = installed("BATON_ADK_VENV", ".venv-adk", "google-adk");
        let mut command = Command::new(venv.join("bin/python"));
        command
            .arg(workspace_root().join("tests/peers/adk_agent.py"))
            .args(["--port", "0"])
            .env("PYTHONWARNINGS", "ignore");
        let (child, base_url) = start_ready(command, "the ADK agent", "adk-agent");
        AdkAgent { child, base_url }
    }

    /// Sends `text` as a new task; its id.
    pub async fn submit(&self, text: &str) -> String {
        submit_v1(&self.base_url, text).await
    }

    /// The task as ADK has it.
    pub async fn task(&self, id: &str) -> Value {
        task_v1(&self.base_url, id).await
    }
}

impl Drop for AdkAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `@a2a-js/sdk` agent, killed on drop: "ask…" asks in words (its options as a data
/// part), "fail…" fails, anything else completes.
pub struct A2aJs {
    child: Child,
    pub base_url: String,
    /// Called over HTTP+JSON (the card offers only that), else over JSON-RPC.
    rest: bool,
}

impl A2aJs {
    /// Starts it offering `binding`: `jsonrpc`, `rest` or `both` in its card.
    pub fn start(binding: &str) -> A2aJs {
        let modules = installed(
            "BATON_A2A_JS_MODULES",
            ".peers-a2a-js/node_modules",
            "@a2a-js/sdk",
        );
        let mut command = Command::new("node");
        command
            .arg(workspace_root().join("tests/peers/a2a_js_agent.mjs"))
            .args(["--port", "0", "--binding", binding])
            .env("A2A_JS_MODULES", modules);
        let (child, base_url) = start_ready(command, "the @a2a-js/sdk agent", "a2a-js");
        A2aJs {
            child,
            base_url,
            rest: binding == "rest",
        }
    }

    /// Sends `text` as a new task; its id.
    pub async fn submit(&self, text: &str) -> String {
        if self.rest {
            let url = format!("{}/a2a/rest/message:send", self.base_url);
            let task = rest_v1(&url, Some(user_message(text))).await;
            return task["id"].as_str().expect("a task id").to_owned();
        }
        submit_v1(&format!("{}/a2a/jsonrpc", self.base_url), text).await
    }

    /// The task as the server has it.
    pub async fn task(&self, id: &str) -> Value {
        if self.rest {
            return rest_v1(&format!("{}/a2a/rest/tasks/{id}", self.base_url), None).await;
        }
        task_v1(&format!("{}/a2a/jsonrpc", self.base_url), id).await
    }
}

impl Drop for A2aJs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
