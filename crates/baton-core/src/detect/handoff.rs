//! Invalid handoffs: a `handoff` event whose payload fails the JSON Schema registered for its
//! type (the payload's `type` field). Each failure is a finding and a [`DeadLetter`] that keeps
//! the whole payload, so the receiver's input can be repaired and sent again by hand.
//!
//! A handoff whose type has no schema, or whose payload names no type, is not checked.

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use super::{evidence_of, finding, DetectInput, Finding, FindingKind, ObservedEvent, Severity};
use crate::protocol::EventKind;

/// Most violations kept per payload (a payload failing everything would fill the screen).
pub const MAX_VIOLATIONS: usize = 20;

/// Why a schema was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("a handoff type is a non-empty name of at most 128 characters")]
    BadType,
    #[error("not a usable JSON Schema: {0}")]
    Invalid(String),
}

/// One way a payload fails its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
pub struct SchemaViolation {
    /// JSON Pointer into the payload ("" for the payload itself), e.g. `/title`.
    pub path: String,
    pub message: String,
}

/// The schema registered for one handoff type.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
pub struct HandoffSchema {
    pub handoff_type: String,
    #[ts(type = "unknown")]
    pub schema: Value,
}

/// A handoff that failed its schema, kept whole.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DeadLetter {
    /// The sender (Baton's id) and the event's `seq`.
    pub agent_id: i64,
    pub seq: u64,
    #[ts(type = "string")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub handoff_type: Option<String>,
    /// The receiver as the event names it (`to`).
    pub receiver: Option<String>,
    #[ts(type = "unknown")]
    pub payload: Option<Value>,
    pub violations: Vec<SchemaViolation>,
}

/// The compiled schemas, by handoff type.
#[derive(Default)]
pub struct HandoffSchemas {
    by_type: Vec<(String, jsonschema::Validator)>,
}

impl std::fmt::Debug for HandoffSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.by_type.iter().map(|(t, _)| t))
            .finish()
    }
}

/// Compiles one schema (draft 2020-12 unless it says otherwise; no remote references).
pub fn compile_schema(
    handoff_type: &str,
    schema: &Value,
) -> Result<jsonschema::Validator, SchemaError> {
    let name = handoff_type.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(SchemaError::BadType);
    }
    jsonschema::options()
        .build(schema)
        .map_err(|err| SchemaError::Invalid(err.to_string()))
}

impl HandoffSchemas {
    /// Adds (or replaces) the schema of `handoff_type`.
    pub fn add(&mut self, handoff_type: &str, schema: &Value) -> Result<(), SchemaError> {
        let validator = compile_schema(handoff_type, schema)?;
        let name = handoff_type.trim().to_owned();
        self.by_type.retain(|(t, _)| *t != name);
        self.by_type.push((name, validator));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }

    /// The violations of `payload` against its type's schema; None when it is not checked.
    pub fn check(&self, payload: &Value) -> Option<Vec<SchemaViolation>> {
        let kind = payload.get("type")?.as_str()?;
        let (_, validator) = self.by_type.iter().find(|(t, _)| t == kind)?;
        Some(
            validator
                .iter_errors(payload)
                .take(MAX_VIOLATIONS)
                .map(|e| SchemaViolation {
                    path: e.instance_path().to_string(),
                    message: e.to_string(),
                })
                .collect(),
        )
    }
}

fn handoff_type(event: &ObservedEvent) -> Option<String> {
    event
        .event
        .payload
        .as_ref()
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The new handoffs that fail their schema, as findings and dead letters.
pub fn invalid_handoffs(input: &DetectInput<'_>) -> (Vec<Finding>, Vec<DeadLetter>) {
    let mut findings = Vec::new();
    let mut letters = Vec::new();
    if input.handoff_schemas.is_empty() {
        return (findings, letters);
    }
    for e in input
        .new_events
        .iter()
        .filter(|e| e.event.kind == EventKind::Handoff)
    {
        let Some(payload) = e.event.payload.as_ref() else {
            continue;
        };
        let Some(violations) = input.handoff_schemas.check(payload) else {
            continue;
        };
        if violations.is_empty() {
            continue;
        }
        let kind = handoff_type(e);
        let receiver = e.event.to.clone();
        let mut agents = vec![e.agent_id];
        if let Some(to) = receiver
            .as_deref()
            .and_then(|to| input.agents.by_remote_id(to))
        {
            agents.push(to.id);
        }
        let first = &violations[0];
        let at = if first.path.is_empty() {
            String::new()
        } else {
            format!(" at {}", first.path)
        };
        let more = match violations.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        findings.push(finding(
            FindingKind::InvalidHandoff,
            Severity::Warning,
            agents,
            e.event.resource.clone(),
            format!(
                "{}'s {} handoff to {} fails its schema: {}{at}{more}; kept in the dead-letter list",
                input.name(e.agent_id),
                kind.as_deref().unwrap_or("untyped"),
                receiver.as_deref().unwrap_or("nobody named"),
                first.message,
            ),
            vec![evidence_of(e)],
            &format!("{}:{}", e.agent_id, e.event.seq),
        ));
        letters.push(DeadLetter {
            agent_id: e.agent_id,
            seq: e.event.seq,
            at: e.event.at,
            handoff_type: kind,
            receiver,
            payload: Some(payload.clone()),
            violations,
        });
    }
    (findings, letters)
}
