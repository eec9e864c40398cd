//! What the hook answers its client, in the client's own format: an exit code, and JSON on
//! stdout or a reason on stderr.
//!
//! - Claude Code and Codex: exit 0 with nothing printed lets the call go on through the
//!   client's own permission flow (Baton never answers "allow", which would skip the person's
//!   own prompts); exit 2 with the reason on stderr refuses it and the model reads the reason
//!   (measured with Claude Code 2.1.328); "ask" is JSON `hookSpecificOutput` with
//!   `permissionDecision`. Any other exit code is a non-blocking error.
//! - Copilot CLI: JSON `{"permissionDecision", "permissionDecisionReason"}` on stdout, exit 0
//!   (measured with 1.0.102: the model reads "Denied by preToolUse hook: <reason>"; exit 1 would
//!   refuse the call too); a permission request's answer is
//!   `{"behavior": "allow" | "deny", "message"}`.
//!
//! - Gemini CLI 0.61.0: JSON `{"decision": "deny", "reason"}` on stdout, exit 0 (the model reads
//!   "Tool execution blocked: <reason>"; exit 2 with the reason on stderr blocks too, but counts
//!   as a failed hook and warns the person); "ask" is `{"decision": "ask"}`; exit 1 is a
//!   failed hook's warning and the call goes on (any other code would block it).
//!
//! A call the hook could not check goes ahead as allowed for every client: exit 0, nothing on
//! stdout, why on stderr (`HookAnswer::Failed`).
//! - OpenCode 1.18.33: Baton's plugin reads the exit code: 2 throws the reason from
//!   `tool.execute.before` (the call is refused, the model reads the reason as the tool's
//!   error); anything else lets the call go on. A plugin cannot ask the person.
//!
//! A PermissionRequest (Claude Code, Codex) is answered by the person in Baton's queue:
//! `{"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": {"behavior":
//! "allow" | "deny", "message"}}}` on stdout, exit 0 (measured with Claude Code 2.1.328: the deny
//! message reaches the model as the tool's error; exit 2 is not read there). No answer lets the
//! client ask in its own dialog.
//!
//! Nothing else is ever printed on stdout, where the clients parse JSON.

use serde_json::json;

use super::HookClient;

/// Baton's answer to one hook call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookAnswer {
    /// Nothing to object to: the call goes on as the client would have it.
    GoOn,
    /// Refuse the tool call; the reason is for the model and the person.
    Deny(String),
    /// Let the person decide in the client's own dialog.
    Ask(String),
    /// The person answered a permission request in Baton's queue: allowed, or refused with a
    /// message for the model.
    Permission(Result<(), String>),
    /// The hook could not do its work (unreadable payload, store too slow or away): the call
    /// goes ahead, the hook exiting as its client reads "allowed", never as a failed hook; the
    /// message on stderr says what happened.
    Failed(String),
}

/// Exit code, stdout and stderr for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookReply {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl HookReply {
    fn quiet() -> HookReply {
        HookReply {
            exit_code: 0,
            stdout: String::new(),
            stderr: String::new(),
        }
    }
}

/// The reply of `client` to a `event_name` call answered with `answer`.
pub fn hook_reply(client: HookClient, event_name: &str, answer: &HookAnswer) -> HookReply {
    // Gemini CLI and OpenCode have no permission request of their own to answer (Baton never
    // asks for them), and an OpenCode plugin cannot ask the person: what is left is going on or
    // refusing.
    let plain;
    let answer = match (client, answer) {
        (HookClient::Gemini | HookClient::OpenCode, HookAnswer::Permission(decided)) => {
            plain = match decided {
                Ok(()) => HookAnswer::GoOn,
                Err(message) => HookAnswer::Deny(message.clone()),
            };
            &plain
        }
        (HookClient::OpenCode, HookAnswer::Ask(_)) => &HookAnswer::GoOn,
        _ => answer,
    };
    match (client, answer) {
        (_, HookAnswer::GoOn) => HookReply::quiet(),
        // Copilot CLI 1.0.102 reads a permission request's answer as `behavior` at the top
        // level (a `permissionDecision` there is ignored).
        (HookClient::Copilot, HookAnswer::Permission(decided)) => HookReply {
            stdout: match decided {
                Ok(()) => json!({"behavior": "allow"}),
                Err(message) => json!({"behavior": "deny", "message": message}),
            }
            .to_string(),
            ..HookReply::quiet()
        },
        (_, HookAnswer::Permission(decided)) => HookReply {
            stdout: json!({
                "hookSpecificOutput": {
                    "hookEventName": event_name,
                    "decision": match decided {
                        Ok(()) => json!({"behavior": "allow"}),
                        Err(message) => json!({"behavior": "deny", "message": message}),
                    },
                }
            })
            .to_string(),
            ..HookReply::quiet()
        },
        (HookClient::Gemini, HookAnswer::Deny(reason) | HookAnswer::Ask(reason)) => {
            let decision = if matches!(answer, HookAnswer::Deny(_)) {
                "deny"
            } else {
                "ask"
            };
            HookReply {
                stdout: json!({"decision": decision, "reason": reason}).to_string(),
                ..HookReply::quiet()
            }
        }
        // The call goes ahead: every client reads exit 0 with nothing on stdout as "allowed"
        // (exit 1 is a failed hook to Claude Code, Codex and Gemini CLI, and refuses the call
        // in Copilot CLI); the person reads why on stderr.
        (_, HookAnswer::Failed(message)) => HookReply {
            stderr: format!("baton: {message}\n"),
            ..HookReply::quiet()
        },
        (HookClient::Copilot, HookAnswer::Deny(reason) | HookAnswer::Ask(reason)) => {
            let decision = if matches!(answer, HookAnswer::Deny(_)) {
                "deny"
            } else {
                "ask"
            };
            HookReply {
                stdout: json!({
                    "permissionDecision": decision,
                    "permissionDecisionReason": reason,
                })
                .to_string(),
                ..HookReply::quiet()
            }
        }
        (_, HookAnswer::Deny(reason)) => HookReply {
            exit_code: 2,
            stdout: String::new(),
            stderr: format!("{reason}\n"),
        },
        (_, HookAnswer::Ask(reason)) => HookReply {
            stdout: json!({
                "hookSpecificOutput": {
                    "hookEventName": event_name,
                    "permissionDecision": "ask",
                    "permissionDecisionReason": reason,
                }
            })
            .to_string(),
            ..HookReply::quiet()
        },
    }
}
