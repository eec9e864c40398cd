//! The calls Baton makes to an A2A agent, as HTTP requests for the interface the card offers
//! (JSON-RPC or HTTP+JSON, A2A 1.0 or 0.3), and their answers read back into a JSON value or
//! an [`A2aError`]. Pure: the engine sends them.
//!
//! | call | JSON-RPC 1.0 | JSON-RPC 0.3 | HTTP+JSON 1.0 | HTTP+JSON 0.3 |
//! |---|---|---|---|---|
//! | list tasks | `ListTasks` | — | `GET /tasks?…` | — |
//! | get a task | `GetTask` | `tasks/get` | `GET /tasks/{id}` | `GET /v1/tasks/{id}` |
//! | answer a task | `SendMessage` | `message/send` | `POST /message:send` | `POST /v1/message:send` |
//!
//! 1.0 requests carry `A2A-Version: 1.0` (a server reads a missing header as 0.3).

use serde_json::{json, Map, Value};

use super::reply::ReplyPart;
use super::{A2aError, Binding, Interface, ProtocolVersion};

/// The header naming the protocol version.
pub const VERSION_HEADER: &str = "A2A-Version";
/// Most tasks asked for per `ListTasks` page (the protocol's maximum).
pub const PAGE_SIZE: u32 = 100;
/// Longest error text kept from an answer.
const MESSAGE_CHARS: usize = 200;

/// One call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call<'a> {
    /// Tasks whose status changed at or after `after` (RFC 3339), one page.
    ListTasks {
        after: Option<&'a str>,
        page_token: Option<&'a str>,
    },
    GetTask {
        id: &'a str,
    },
    /// A user message on a task: how a person's answer reaches an agent that asked.
    SendMessage {
        task_id: &'a str,
        context_id: Option<&'a str>,
        message_id: &'a str,
        /// The answer's parts ([`super::reply::shape_reply`]).
        parts: &'a [ReplyPart],
    },
}

impl Call<'_> {
    /// The call's 1.0 name, for messages ("ListTasks at http://…: HTTP 404").
    pub fn name(&self) -> &'static str {
        match self {
            Call::ListTasks { .. } => "ListTasks",
            Call::GetTask { .. } => "GetTask",
            Call::SendMessage { .. } => "SendMessage",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A request to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub body: Option<Value>,
    /// `A2A-Version` to send, if any.
    pub version: Option<&'static str>,
}

/// The request for `call` on `interface`; `rpc_id` numbers JSON-RPC requests. Listing tasks
/// on a 0.3 interface is [`A2aError::Unsupported`] (0.3 has no list).
pub fn request(interface: &Interface, call: &Call<'_>, rpc_id: u64) -> Result<Request, A2aError> {
    let v1 = interface.version == ProtocolVersion::V1;
    if !v1 && matches!(call, Call::ListTasks { .. }) {
        return Err(A2aError::Unsupported(
            "A2A 0.3 has no way to list tasks".into(),
        ));
    }
    let version = v1.then_some("1.0");
    match interface.binding {
        Binding::JsonRpc => {
            let (method, params) = match (call, v1) {
                (Call::ListTasks { after, page_token }, _) => {
                    let mut p = Map::new();
                    p.insert("pageSize".into(), json!(PAGE_SIZE));
                    p.insert("includeArtifacts".into(), json!(true));
                    if let Some(after) = after {
                        p.insert("statusTimestampAfter".into(), json!(after));
                    }
                    if let Some(token) = page_token {
                        p.insert("pageToken".into(), json!(token));
                    }
                    ("ListTasks", Value::Object(p))
                }
                (Call::GetTask { id }, true) => ("GetTask", json!({ "id": id })),
                (Call::GetTask { id }, false) => ("tasks/get", json!({ "id": id })),
                (Call::SendMessage { .. }, true) => ("SendMessage", message_params(call, false)),
                (Call::SendMessage { .. }, false) => ("message/send", message_params(call, true)),
            };
            Ok(Request {
                method: Method::Post,
                url: interface.url.clone(),
                body: Some(
                    json!({"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}),
                ),
                version,
            })
        }
        Binding::HttpJson => {
            let mut url = url::Url::parse(&interface.url)
                .map_err(|err| A2aError::InvalidCard(format!("interface URL: {err}")))?;
            let mut segments: Vec<String> = url
                .path_segments()
                .map(|s| s.filter(|p| !p.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default();
            if !v1 {
                segments.push("v1".into());
            }
            let (method, body) = match call {
                Call::ListTasks { after, page_token } => {
                    segments.push("tasks".into());
                    let mut query = url.query_pairs_mut();
                    query.append_pair("pageSize", &PAGE_SIZE.to_string());
                    query.append_pair("includeArtifacts", "true");
                    if let Some(after) = after {
                        query.append_pair("statusTimestampAfter", after);
                    }
                    if let Some(token) = page_token {
                        query.append_pair("pageToken", token);
                    }
                    (Method::Get, None)
                }
                Call::GetTask { id } => {
                    segments.push("tasks".into());
                    segments.push((*id).to_owned());
                    (Method::Get, None)
                }
                Call::SendMessage { .. } => {
                    segments.push("message:send".into());
                    (Method::Post, Some(rest_message(call, v1)))
                }
            };
            url.set_path("");
            url.path_segments_mut()
                .map_err(|()| A2aError::InvalidCard("interface URL cannot have a path".into()))?
                .extend(&segments);
            Ok(Request {
                method,
                url: url.to_string(),
                body,
                version,
            })
        }
    }
}

/// JSON-RPC `SendMessage` / `message/send` params (0.3 adds `kind` and spells roles lower-case).
fn message_params(call: &Call<'_>, v03: bool) -> Value {
    let Call::SendMessage {
        task_id,
        context_id,
        message_id,
        parts,
    } = call
    else {
        return Value::Null;
    };
    let parts: Vec<Value> = parts.iter().map(|p| part_json(p, v03)).collect();
    let mut message = if v03 {
        json!({"kind": "message", "messageId": message_id, "role": "user",
               "parts": parts, "taskId": task_id})
    } else {
        json!({"messageId": message_id, "role": "ROLE_USER", "parts": parts,
               "taskId": task_id})
    };
    if let Some(context) = context_id {
        message["contextId"] = json!(context);
    }
    json!({ "message": message })
}

/// One part of a message: 1.0 `{"text"}` / `{"data", "metadata"}`; 0.3 adds `kind`.
fn part_json(part: &ReplyPart, v03: bool) -> Value {
    let mut value = match part {
        ReplyPart::Text(text) => json!({ "text": text }),
        ReplyPart::Data { data, metadata } => json!({ "data": data, "metadata": metadata }),
    };
    if v03 {
        value["kind"] = json!(match part {
            ReplyPart::Text(_) => "text",
            ReplyPart::Data { .. } => "data",
        });
    }
    value
}

/// The HTTP+JSON `message:send` body (0.3's proto JSON calls the parts `content`, and wraps
/// a data part's object in a `DataPart`: `{"data": {"data": …}}`).
fn rest_message(call: &Call<'_>, v1: bool) -> Value {
    let mut body = message_params(call, false);
    if !v1 {
        if let Some(mut parts) = body["message"]
            .as_object_mut()
            .and_then(|m| m.remove("parts"))
        {
            for part in parts.as_array_mut().into_iter().flatten() {
                if let Some(data) = part.get_mut("data") {
                    *data = json!({ "data": data.take() });
                }
            }
            body["message"]["content"] = parts;
        }
    }
    body
}

fn clipped(text: &str) -> String {
    text.chars().take(MESSAGE_CHARS).collect()
}

/// Reads an answer to a request on `interface`: the JSON-RPC `result`, or the HTTP+JSON body.
pub fn read_answer(interface: &Interface, status: u16, body: &[u8]) -> Result<Value, A2aError> {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    match interface.binding {
        Binding::JsonRpc => {
            let value = parsed.map_err(|err| {
                if (200..300).contains(&status) {
                    A2aError::NotJson(err.to_string())
                } else {
                    A2aError::Http {
                        status,
                        message: clipped(&String::from_utf8_lossy(body)),
                    }
                }
            })?;
            if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
                let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
                let message = clipped(error.get("message").and_then(Value::as_str).unwrap_or(""));
                return Err(match code {
                    -32004 | -32601 => A2aError::Unsupported(message),
                    -32001 => A2aError::TaskNotFound(message),
                    _ => A2aError::Rpc { code, message },
                });
            }
            if !(200..300).contains(&status) {
                // JSON, but not a JSON-RPC answer: whatever answers there is not the agent.
                return Err(A2aError::Http {
                    status,
                    message: clipped(&String::from_utf8_lossy(body)),
                });
            }
            match value.get("result") {
                Some(result) if !result.is_null() => Ok(result.clone()),
                _ => Err(A2aError::InvalidAnswer(
                    "a JSON-RPC answer without `result` or `error`".into(),
                )),
            }
        }
        Binding::HttpJson => {
            if (200..300).contains(&status) {
                return parsed.map_err(|err| A2aError::NotJson(err.to_string()));
            }
            let error = parsed.ok().and_then(|v| v.get("error").cloned());
            let reason = error
                .as_ref()
                .and_then(|e| e.get("details"))
                .and_then(Value::as_array)
                .and_then(|d| {
                    d.iter()
                        .find_map(|x| x.get("reason").and_then(Value::as_str))
                })
                .map(str::to_owned);
            let message = error
                .as_ref()
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .map(clipped)
                .unwrap_or_else(|| clipped(String::from_utf8_lossy(body).trim()));
            Err(match (status, reason.as_deref()) {
                (_, Some("UNSUPPORTED_OPERATION")) => A2aError::Unsupported(message),
                (404, Some("TASK_NOT_FOUND")) => A2aError::TaskNotFound(message),
                // A plain 404 is not an A2A answer: nothing serves A2A at that URL (a card that
                // names the wrong one). An agent that cannot list says UNSUPPORTED_OPERATION.
                _ => A2aError::Http { status, message },
            })
        }
    }
}
