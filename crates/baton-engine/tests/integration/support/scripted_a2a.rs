//! A scripted A2A agent on 127.0.0.1: a card (switchable) at `/.well-known/agent-card.json`
//! naming a JSON-RPC interface at `/rpc`, and every other request answered by the test's
//! closure, so a test can play a server that lies, loops or loses answers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// What the scripted agent answers: its card, and each request to anything else.
pub type Answer = (u16, String);
pub type Script = dyn Fn(&Method, &Uri, &Value) -> Answer + Send + Sync;

pub struct ScriptedAgent {
    pub base_url: String,
    card: Arc<Mutex<Answer>>,
    requests: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedAgent {
    pub async fn start(
        script: impl Fn(&Method, &Uri, &Value) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base_url = format!("http://{addr}");
        let card = Arc::new(Mutex::new((200, card_json(&format!("{base_url}/rpc")))));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let (card_answer, seen) = (Arc::clone(&card), Arc::clone(&requests));
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
            let (card, seen, script) = (
                Arc::clone(&card_answer),
                Arc::clone(&seen),
                Arc::clone(&script),
            );
            async move {
                let (status, text) = if uri.path() == "/.well-known/agent-card.json" {
                    card.lock().unwrap().clone()
                } else {
                    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    seen.lock().unwrap().push(request.clone());
                    script(&method, &uri, &request)
                };
                let mut response: Response =
                    (StatusCode::from_u16(status).unwrap(), text).into_response();
                response.headers_mut().insert(
                    axum::http::header::CONTENT_TYPE,
                    "application/json".parse().unwrap(),
                );
                response
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        ScriptedAgent {
            base_url,
            card,
            requests,
            task,
        }
    }

    pub fn set_card(&self, status: u16, body: String) {
        *self.card.lock().unwrap() = (status, body);
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for ScriptedAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A 1.0 card (as the a2a-sdk echo agent serves it) whose JSON-RPC interface is `rpc_url`.
pub fn card_json(rpc_url: &str) -> String {
    json!({
        "name": "Scripted Agent",
        "version": "0.1.0",
        "supportedInterfaces": [
            {"url": rpc_url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
        ],
        "capabilities": {},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [{"id": "echo", "name": "Echo", "description": "Repeats", "tags": []}]
    })
    .to_string()
}

pub fn rpc_result(request: &Value, result: Value) -> Answer {
    let answer = json!({"jsonrpc": "2.0", "id": request["id"].clone(), "result": result});
    (200, answer.to_string())
}

pub fn task(id: &str, state: &str) -> Value {
    json!({
        "id": id,
        "contextId": format!("ctx-{id}"),
        "status": {"state": state, "timestamp": "2026-11-22T07:13:45.395714Z"}
    })
}

pub fn page(tasks: Vec<Value>, next: &str) -> Value {
    json!({"tasks": tasks, "nextPageToken": next, "pageSize": 100, "totalSize": 0})
}
