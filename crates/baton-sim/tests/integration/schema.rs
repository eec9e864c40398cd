//! docs/protocol.schema.json against `baton_core::protocol::parse_status`: both must accept and
//! reject the same documents (apart from the rules a schema cannot express).

use crate::common::*;
use baton_core::protocol::parse_status;
use baton_core::rules::ResourcePattern;
use serde_json::{json, Value};

fn doc_with(field: &str, value: Value) -> Value {
    let mut doc = json!({"protocol": "baton/1", "agent": {"id": "a"}, "cursor": "1"});
    doc[field] = value;
    doc
}

fn event(kind: &str) -> Value {
    let mut e = json!({"seq": 1, "at": "2026-11-21T10:00:00Z", "kind": kind});
    let required: &[(&str, Value)] = match kind {
        "state" => &[("task_id", json!("t-1")), ("state", json!("working"))],
        "write" | "read" | "trigger" => &[("resource", json!("crm://contacts/42#status"))],
        "handoff" => &[
            ("resource", json!("file:///drafts/a.md")),
            ("to", json!("writer")),
        ],
        "claim" => &[("key", json!("contacts/42/tier")), ("value", json!("gold"))],
        "api_call" => &[("api", json!("openai"))],
        "needs_approval" => &[("message", json!("Publish?"))],
        _ => unreachable!(),
    };
    for (k, v) in required {
        e[*k] = v.clone();
    }
    e
}

/// Required fields of each kind, exactly as `validate` enforces them.
const KIND_FIELDS: [(&str, &[&str]); 8] = [
    ("state", &["task_id", "state"]),
    ("write", &["resource"]),
    ("read", &["resource"]),
    ("trigger", &["resource"]),
    ("handoff", &["resource", "to"]),
    ("claim", &["key", "value"]),
    ("api_call", &["api"]),
    ("needs_approval", &["message"]),
];

/// The refused patterns of docs/rules.md, and a few more.
const REFUSED_PATTERNS: [&str; 14] = [
    "",
    "crm:/contacts",
    "://contacts",
    "c*m://x",
    "é://x",
    "crm://con*/x",
    "crm://a//b",
    "crm://a/",
    "crm://a/***",
    "crm://a/x**",
    "crm://a/**.md",
    "crm://a/b#",
    "crm://a/b#st*",
    "file:///drafts/**#",
];

fn cases() -> Vec<(String, Value, bool)> {
    let mut cases: Vec<(String, Value, bool)> = Vec::new();
    let mut case = |name: &str, doc: Value, ok: bool| cases.push((name.to_owned(), doc, ok));
    let task = |extra: Value| {
        let mut t = json!({"id": "t-1", "title": "Draft", "state": "working"});
        for (k, v) in extra.as_object().unwrap() {
            t[k] = v.clone();
        }
        doc_with("tasks", json!([t]))
    };
    case("minimal", doc_with("tasks", json!([])), true);
    case("unknown fields", doc_with("future", json!({"x": 1})), true);
    case("empty cursor", doc_with("cursor", json!("")), true);
    case("cursor number", doc_with("cursor", json!(1)), false);
    case(
        "no cursor",
        json!({"protocol": "baton/1", "agent": {"id": "a"}}),
        false,
    );
    case(
        "no agent",
        json!({"protocol": "baton/1", "cursor": ""}),
        false,
    );
    case(
        "protocol baton/2",
        doc_with("protocol", json!("baton/2")),
        false,
    );
    case(
        "agent null fields",
        doc_with(
            "agent",
            json!({"id": "a", "name": null, "version": null, "state": null, "detail": null}),
        ),
        true,
    );
    case(
        "agent all fields",
        doc_with(
            "agent",
            json!({"id": "a", "name": "A", "version": "1", "state": "error", "detail": "x"}),
        ),
        true,
    );
    case(
        "agent state unknown",
        doc_with("agent", json!({"id": "a", "state": "sleeping"})),
        false,
    );
    case(
        "agent id empty",
        doc_with("agent", json!({"id": ""})),
        false,
    );
    case(
        "agent id blank",
        doc_with("agent", json!({"id": " \t"})),
        false,
    );
    case(
        "agent id 256",
        doc_with("agent", json!({"id": "a".repeat(256)})),
        true,
    );
    case(
        "agent id 257",
        doc_with("agent", json!({"id": "a".repeat(257)})),
        false,
    );
    case(
        "agent id number",
        doc_with("agent", json!({"id": 7})),
        false,
    );
    let declares = |declares: Value| doc_with("agent", json!({"id": "a", "declares": declares}));
    case(
        "agent declares all lists",
        declares(json!({
            "triggers": ["slack://research-requests", "mail://inbox/support/*"],
            "reads": ["api://search", "crm://contacts/*#industry"],
            "writes": ["file:///research/**", "crm://contacts/*#*"],
            "outputs": ["cms://posts/brief-*"]
        })),
        true,
    );
    case("agent declares nothing", declares(json!({})), true);
    case("agent declares null", declares(Value::Null), true);
    case(
        "agent declares unknown list",
        declares(json!({"owns": [1]})),
        true,
    );
    case(
        "agent declares a list null",
        declares(json!({"writes": null})),
        false,
    );
    case(
        "agent declares a string",
        declares(json!({"writes": "file:///x"})),
        false,
    );
    case(
        "agent declares numbers",
        declares(json!({"reads": [1]})),
        false,
    );
    for bad in REFUSED_PATTERNS {
        case(
            &format!("agent declares {bad:?}"),
            declares(json!({"outputs": ["x://ok", bad]})),
            false,
        );
    }
    case("tasks null", doc_with("tasks", Value::Null), false);
    case("events null", doc_with("events", Value::Null), false);
    case(
        "task full",
        task(
            json!({"created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T11:00:00.5+01:00", "state_since": null, "depends_on": ["t-0"], "trigger": "slack://billing", "reads": ["a://b"], "writes": [], "output": null, "next_stage": "editor", "detail": "x"}),
        ),
        true,
    );
    case("task title empty", task(json!({"title": ""})), true);
    case(
        "task title 2000",
        task(json!({"title": "x".repeat(2000)})),
        true,
    );
    // Longer titles are taken, and cut to 2000 bytes when polled (protocol::limits).
    case(
        "task title 2001",
        task(json!({"title": "x".repeat(2001)})),
        true,
    );
    case(
        "task no title",
        doc_with("tasks", json!([{"id": "t", "state": "working"}])),
        false,
    );
    case(
        "task state unknown",
        task(json!({"state": "sleeping"})),
        false,
    );
    case("task id blank", task(json!({"id": "  "})), false);
    case(
        "task depends_on null",
        task(json!({"depends_on": null})),
        false,
    );
    case(
        "task depends_on numbers",
        task(json!({"depends_on": [1]})),
        false,
    );
    case(
        "task date junk",
        task(json!({"created_at": "yesterday"})),
        false,
    );
    for state in [
        "submitted",
        "working",
        "input_required",
        "auth_required",
        "blocked",
        "completed",
        "failed",
        "canceled",
        "rejected",
    ] {
        case(
            &format!("task {state}"),
            task(json!({"state": state})),
            true,
        );
    }
    for (kind, fields) in KIND_FIELDS {
        case(
            &format!("{kind} complete"),
            doc_with("events", json!([event(kind)])),
            true,
        );
        for field in fields {
            let mut e = event(kind);
            e.as_object_mut().unwrap().remove(*field);
            case(
                &format!("{kind} without {field}"),
                doc_with("events", json!([e])),
                false,
            );
            let mut e = event(kind);
            e[*field] = Value::Null;
            case(
                &format!("{kind} with null {field}"),
                doc_with("events", json!([e])),
                false,
            );
        }
        for field in ["seq", "at", "kind"] {
            let mut e = event(kind);
            e.as_object_mut().unwrap().remove(field);
            case(
                &format!("{kind} without {field}"),
                doc_with("events", json!([e])),
                false,
            );
        }
    }
    let with = |base: &str, k: &str, v: Value| {
        let mut e = event(base);
        e[k] = v;
        doc_with("events", json!([e]))
    };
    case(
        "claim value false",
        with("claim", "value", json!(false)),
        true,
    );
    case(
        "claim value object",
        with("claim", "value", json!({"a": [1]})),
        true,
    );
    case(
        "state with unknown state",
        with("state", "state", json!("sleeping")),
        false,
    );
    case("seq 0", with("read", "seq", json!(0)), false);
    case("seq negative", with("read", "seq", json!(-1)), false);
    case("seq string", with("read", "seq", json!("1")), false);
    case("seq u64 max", with("read", "seq", json!(u64::MAX)), true);
    case("at junk", with("read", "at", json!("10 o'clock")), false);
    case("unknown kind", with("read", "kind", json!("dance")), false);
    case(
        "api_call everything",
        doc_with(
            "events",
            json!([{"seq": 1, "at": "2026-11-21T10:00:00Z", "kind": "api_call", "api": "openai", "resource": "api://openai", "status": 429, "headers": {"retry-after": "3"}, "tokens": 0, "task_id": null, "payload": null}]),
        ),
        true,
    );
    case(
        "status too big",
        with("api_call", "status", json!(70000)),
        false,
    );
    case("status null", with("api_call", "status", Value::Null), true);
    case(
        "headers numbers",
        with("api_call", "headers", json!({"retry-after": 3})),
        false,
    );
    case(
        "tokens negative",
        with("api_call", "tokens", json!(-5)),
        false,
    );
    case(
        "optional resource on state",
        with("state", "resource", json!("x://y")),
        true,
    );
    case(
        "kinds need no task_id",
        with("write", "task_id", Value::Null),
        true,
    );
    let usage = |extra: Value| {
        let mut u =
            json!({"api": "openai", "window_start": "2026-11-21T10:00:00Z", "window_seconds": 60});
        for (k, v) in extra.as_object().unwrap() {
            u[k] = v.clone();
        }
        doc_with("usage", json!([u]))
    };
    case("usage minimal", usage(json!({})), true);
    case(
        "usage full",
        usage(json!({"key": "sk-…42", "requests": 12, "tokens": 3400, "rate_limited": 1})),
        true,
    );
    case("usage window 0", usage(json!({"window_seconds": 0})), false);
    case(
        "usage window u32 max",
        usage(json!({"window_seconds": u32::MAX})),
        true,
    );
    case(
        "usage window beyond u32",
        usage(json!({"window_seconds": u64::from(u32::MAX) + 1})),
        false,
    );
    case("usage api blank", usage(json!({"api": " "})), false);
    case(
        "usage requests null",
        usage(json!({"requests": null})),
        false,
    );
    case(
        "usage no window_start",
        doc_with("usage", json!([{"api": "openai", "window_seconds": 60}])),
        false,
    );
    case("top level array", json!([1, 2]), false);
    cases
}

#[test]
fn the_schema_and_the_parser_agree() {
    let validator = status_validator();
    let mut disagreements = Vec::new();
    for (name, doc, expected) in cases() {
        let body = serde_json::to_vec(&doc).unwrap();
        let parsed = parse_status(&body);
        let errors = schema_errors(&validator, &doc);
        if parsed.is_ok() != expected {
            disagreements.push(format!(
                "{name}: parse_status gave {parsed:?}, expected ok={expected}"
            ));
        }
        if errors.is_empty() != expected {
            disagreements.push(format!(
                "{name}: schema errors {errors:?}, expected ok={expected}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn uniqueness_is_the_parsers_job_alone() {
    let validator = status_validator();
    let twice_task = doc_with(
        "tasks",
        json!([{"id": "t", "title": "a", "state": "working"}, {"id": "t", "title": "b", "state": "completed"}]),
    );
    let mut second = event("read");
    second["resource"] = json!("other://x");
    let twice_seq = doc_with("events", json!([event("read"), second]));
    for doc in [twice_task, twice_seq] {
        assert!(validator.is_valid(&doc), "a schema cannot see this");
        assert!(parse_status(&serde_json::to_vec(&doc).unwrap()).is_err());
    }
}

/// `$defs/resource_pattern` accepts exactly what `ResourcePattern::parse` accepts: every string
/// of up to 7 characters over the characters that matter to the grammar, bare and after a scheme.
#[test]
fn the_pattern_regex_and_the_pattern_parser_agree() {
    let validator = def_validator("resource_pattern");
    let alphabet = ['a', '*', '/', '#', ':'];
    let mut disagreements = Vec::new();
    let mut checked = 0;
    let mut accepted = 0;
    let mut check = |text: &str| {
        let parsed = ResourcePattern::parse(text).is_ok();
        let valid = validator.is_valid(&json!(text));
        if parsed != valid {
            disagreements.push(format!("{text:?}: parser ok={parsed}, schema ok={valid}"));
        }
        checked += 1;
        accepted += usize::from(parsed);
    };
    let mut current = vec![String::new()];
    for _ in 0..=7 {
        let mut next = Vec::new();
        for text in &current {
            check(text);
            if text.len() <= 5 {
                check(&format!("s://{text}"));
                check(&format!("file://{text}"));
            }
            for c in alphabet {
                next.push(format!("{text}{c}"));
            }
        }
        current = next;
    }
    for text in REFUSED_PATTERNS {
        check(text);
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert!(
        accepted > 1000 && checked > 100_000,
        "{accepted} of {checked}"
    );
}
