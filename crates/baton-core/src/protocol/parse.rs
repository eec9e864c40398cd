//! Reading a `baton/1` status answer: JSON errors explained in the agent's own terms, then the
//! rules the JSON shape alone does not express.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use super::{EventKind, StatusDocument, MAX_ID_LEN, PROTOCOL};
use crate::error::ProtocolError;
use crate::rules::pattern::ResourcePattern;

/// Parses and checks one status endpoint answer.
pub fn parse_status(body: &[u8]) -> Result<StatusDocument, ProtocolError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ProtocolError::EmptyBody);
    }
    let doc: StatusDocument = match serde_json::from_slice(body) {
        Ok(doc) => doc,
        Err(err) => return Err(explain_json_error(body, &err)),
    };
    validate(&doc)?;
    Ok(doc)
}

fn explain_json_error(body: &[u8], err: &serde_json::Error) -> ProtocolError {
    use serde_json::error::Category;
    let (line, column) = (err.line(), err.column());
    match err.classify() {
        Category::Syntax | Category::Io => ProtocolError::NotJson { line, column },
        Category::Eof => ProtocolError::Truncated { line, column },
        Category::Data => {
            // A well-formed document of another protocol deserves a better word than "wrong shape".
            #[derive(Deserialize)]
            struct Probe {
                protocol: Option<Value>,
            }
            if let Ok(Probe {
                protocol: Some(found),
            }) = serde_json::from_slice::<Probe>(body)
            {
                if found.as_str() != Some(PROTOCOL) {
                    let found = found
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| found.to_string());
                    return ProtocolError::UnsupportedProtocol { found };
                }
            }
            let message = err.to_string();
            // serde_json appends " at line L column C"; keep the wording short and uniform.
            let message = message
                .rsplit_once(" at line ")
                .map(|(head, _)| head.to_owned())
                .unwrap_or(message);
            ProtocolError::WrongShape {
                detail: format!("{message} at line {line} col {column}"),
            }
        }
    }
}

fn invalid(detail: impl Into<String>) -> ProtocolError {
    ProtocolError::Invalid {
        detail: detail.into(),
    }
}

fn check_id(what: &str, id: &str) -> Result<(), ProtocolError> {
    if id.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if id.len() > MAX_ID_LEN {
        return Err(invalid(format!("{what} is longer than {MAX_ID_LEN} bytes")));
    }
    Ok(())
}

/// Checks the rules the JSON shape alone does not express.
pub fn validate(doc: &StatusDocument) -> Result<(), ProtocolError> {
    if doc.protocol != PROTOCOL {
        return Err(ProtocolError::UnsupportedProtocol {
            found: doc.protocol.clone(),
        });
    }
    check_id("agent.id", &doc.agent.id)?;
    if let Some(declares) = &doc.agent.declares {
        for (list, patterns) in declares.lists() {
            for (i, pattern) in patterns.iter().enumerate() {
                if let Err(err) = ResourcePattern::parse(pattern) {
                    return Err(invalid(format!(
                        "agent.declares.{list}[{i}]: bad pattern \"{pattern}\": {err}"
                    )));
                }
            }
        }
    }
    let mut task_ids = HashSet::new();
    for (i, task) in doc.tasks.iter().enumerate() {
        check_id(&format!("tasks[{i}].id"), &task.id)?;
        if !task_ids.insert(task.id.as_str()) {
            return Err(invalid(format!("task id \"{}\" appears twice", task.id)));
        }
    }
    let mut seqs = HashSet::new();
    for (i, event) in doc.events.iter().enumerate() {
        if event.seq == 0 {
            return Err(invalid(format!("events[{i}].seq must be 1 or more")));
        }
        if !seqs.insert(event.seq) {
            return Err(invalid(format!("event seq {} appears twice", event.seq)));
        }
        let missing = |field: &str| {
            invalid(format!(
                "events[{i}] ({}) needs \"{field}\"",
                event.kind.as_str()
            ))
        };
        match event.kind {
            EventKind::State => {
                if event.state.is_none() {
                    return Err(missing("state"));
                }
                if event.task_id.is_none() {
                    return Err(missing("task_id"));
                }
            }
            EventKind::Write | EventKind::Read | EventKind::Trigger => {
                if event.resource.is_none() {
                    return Err(missing("resource"));
                }
            }
            EventKind::Handoff => {
                if event.resource.is_none() {
                    return Err(missing("resource"));
                }
                if event.to.is_none() {
                    return Err(missing("to"));
                }
            }
            EventKind::Claim => {
                if event.key.is_none() {
                    return Err(missing("key"));
                }
                if event.value.is_none() {
                    return Err(missing("value"));
                }
            }
            EventKind::ApiCall => {
                if event.api.is_none() {
                    return Err(missing("api"));
                }
            }
            EventKind::NeedsApproval => {
                if event.message.is_none() {
                    return Err(missing("message"));
                }
            }
        }
    }
    for (i, usage) in doc.usage.iter().enumerate() {
        if usage.api.trim().is_empty() {
            return Err(invalid(format!("usage[{i}].api is empty")));
        }
        if usage.window_seconds == 0 {
            return Err(invalid(format!(
                "usage[{i}].window_seconds must be 1 or more"
            )));
        }
    }
    Ok(())
}
