//! The A2A echo agent on the official `a2a-sdk` (`tests/peers/a2a_echo_agent.py`).

use std::process::{Child, Command};

use super::programs::{peer_program, start_ready};
use crate::workspace_root;

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
        let python = peer_program("python");
        let script = workspace_root().join("tests/peers/a2a_echo_agent.py");
        let mut command = Command::new(python);
        command
            .arg(script)
            .args(["--port", "0", "--binding", options.binding])
            .args(["--slow-seconds", "3"]);
        if options.only_0_3 {
            command.arg("--only03");
        }
        if options.no_list_tasks {
            command.arg("--no-list-tasks");
        }
        let (child, base_url) = start_ready(command, "the A2A echo agent", "a2a-echo");
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

pub(super) fn rand_suffix() -> u64 {
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
