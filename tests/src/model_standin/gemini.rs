//! Google's Gemini API as Gemini CLI 0.61.0 calls it with an API key
//! (`GOOGLE_GEMINI_BASE_URL` naming this server): `POST /v1beta/models/<model>:
//! streamGenerateContent?alt=sse`, answered as server-sent events of `GenerateContentResponse`
//! chunks. A conversation writes with Gemini CLI's `write_file` tool (`{file_path, content}`),
//! as a `functionCall` part; the tool's result comes back as a `functionResponse` part.
//! Anything else (its model router's `generateContent`) gets an empty answer.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::conversations::{serve, session_of, Conversations};

/// The model Gemini CLI is run with (`-m`; a model named, it asks no router first).
pub const GEMINI_MODEL: &str = "gemini-2.5-flash";

struct Script {
    /// The file every session writes (absolute).
    file: String,
    conversations: Conversations,
}

/// A running stand-in; stops with the runtime.
pub struct GeminiStandIn {
    /// `GOOGLE_GEMINI_BASE_URL` (the origin: the client adds `/v1beta/…`).
    pub base_url: String,
    script: Arc<Script>,
}

impl Deref for GeminiStandIn {
    type Target = Conversations;

    fn deref(&self) -> &Conversations {
        &self.script.conversations
    }
}

/// The tool results since the person's last words: `functionResponse` parts after the last
/// content of the user's that holds text. A result is an error when it carries `error`.
fn tool_results(body: &Value) -> Vec<(String, bool)> {
    let Some(contents) = body["contents"].as_array() else {
        return Vec::new();
    };
    let parts = |content: &Value| content["parts"].as_array().cloned().unwrap_or_default();
    let after_prompt = contents
        .iter()
        .rposition(|c| c["role"] == "user" && parts(c).iter().any(|p| p.get("text").is_some()))
        .map_or(0, |at| at + 1);
    contents[after_prompt..]
        .iter()
        .flat_map(parts)
        .filter_map(|part| {
            let response = part.get("functionResponse")?.get("response")?;
            let (text, error) = match (response.get("error"), response.get("output")) {
                (Some(error), _) => (error, true),
                (None, Some(output)) => (output, false),
                (None, None) => (response, false),
            };
            let text = text
                .as_str()
                .map_or_else(|| text.to_string(), str::to_owned);
            Some((text, error))
        })
        .collect()
}

/// The usage Gemini's API reports for the `n`th request of a session: a prompt that grows,
/// part of it cached, thinking, and the tools' part of the prompt.
fn usage(n: usize) -> Value {
    let n = n as u64;
    let (prompt, cached, candidates, thoughts, tool) = (1000 + 100 * n, 400, 20 + n, 7, 3);
    json!({"promptTokenCount": prompt, "cachedContentTokenCount": cached,
           "candidatesTokenCount": candidates, "thoughtsTokenCount": thoughts,
           "toolUsePromptTokenCount": tool,
           "totalTokenCount": prompt + candidates + thoughts + tool})
}

/// One streamed answer of `parts`, with `usage` as Gemini's API reports it.
fn stream(model: &str, parts: Value, usage: Value) -> Response {
    let chunk = json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": usage,
        "modelVersion": model,
    });
    let body = format!("data: {chunk}\r\n\r\n");
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

async fn models(
    State(script): State<Arc<Script>>,
    Path(call): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let Some(model) = call.strip_suffix(":streamGenerateContent") else {
        return Json(json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": "{}"}]}, "finishReason": "STOP"}]
        }))
        .into_response();
    };
    let session = session_of(&body);
    let results = tool_results(&body);
    let n = script.conversations.request(&session, &results);
    let reported = |conversations: &Conversations| conversations.reported_usage(&session, usage(n));
    if results.is_empty() {
        let call = json!([{"functionCall": {"name": "write_file",
            "args": {"file_path": script.file, "content": session}}}]);
        return stream(model, call, reported(&script.conversations));
    }
    script.conversations.wait_if_held(&session).await;
    stream(
        model,
        json!([{"text": "done"}]),
        reported(&script.conversations),
    )
}

impl GeminiStandIn {
    /// Starts on a free port of 127.0.0.1; every session writes `file` (an absolute path).
    pub async fn start(file: &str) -> GeminiStandIn {
        let script = Arc::new(Script {
            file: file.to_owned(),
            conversations: Conversations::default(),
        });
        let app = Router::new()
            .route("/v1beta/models/{call}", post(models))
            .with_state(Arc::clone(&script));
        let base_url = serve(app).await;
        GeminiStandIn { base_url, script }
    }
}
