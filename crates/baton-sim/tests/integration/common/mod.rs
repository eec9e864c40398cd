//! Helpers shared by the HTTP tests: the schema, a client, and fleet starters.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use baton_core::protocol::{parse_status, StatusDocument};
use baton_sim::{SimConfig, SimFleet};
use serde_json::Value;

pub fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// The schema file as JSON.
pub fn schema_json() -> Value {
    let path = docs_dir().join("protocol.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("docs/protocol.schema.json is JSON")
}

/// A validator for the status document (the schema's root), checking formats too.
pub fn status_validator() -> jsonschema::Validator {
    build(schema_json())
}

/// A validator for one of the schema's `$defs` (e.g. `decision_ack`).
pub fn def_validator(name: &str) -> jsonschema::Validator {
    let root = schema_json();
    assert!(root["$defs"].get(name).is_some(), "no $defs/{name}");
    build(serde_json::json!({
        "$schema": root["$schema"],
        "$defs": root["$defs"],
        "$ref": format!("#/$defs/{name}"),
    }))
}

fn build(schema: Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

/// Schema errors as one line each, empty when valid.
pub fn schema_errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A fleet on ephemeral ports that only moves when the test calls `step`.
pub async fn manual_fleet(agents: usize, seed: u64) -> SimFleet {
    SimFleet::start(SimConfig {
        agents,
        base_port: 0,
        seed,
        tick_ms: 0,
        ..SimConfig::default()
    })
    .await
    .expect("fleet starts")
}

pub fn status_url(base: &str, since: Option<&str>) -> String {
    match since {
        Some(s) => format!("{base}/baton/v1/status?since={s}"),
        None => format!("{base}/baton/v1/status"),
    }
}

/// GETs a status answer, checks it against the parser and the schema, and returns it.
pub async fn poll(client: &reqwest::Client, base: &str, since: Option<&str>) -> StatusDocument {
    let response = client
        .get(status_url(base, since))
        .send()
        .await
        .expect("GET status");
    assert_eq!(response.status(), 200);
    let ctype = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let body = response.bytes().await.unwrap();
    check_body(&body)
}

/// Checks one status body against `parse_status` and the schema.
pub fn check_body(body: &[u8]) -> StatusDocument {
    let doc = parse_status(body)
        .unwrap_or_else(|e| panic!("parse_status: {e}\n{}", String::from_utf8_lossy(body)));
    let value: Value = serde_json::from_slice(body).unwrap();
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let errors = schema_errors(VALIDATOR.get_or_init(status_validator), &value);
    assert!(errors.is_empty(), "schema: {errors:#?}");
    doc
}
