//! The fleet's settings written into an export: `[[quotas]]` by API, key and metric,
//! `[[pressure]]` by API, `[[handoffs]]` by type, `[[prices]]` by API and model, and
//! `[readiness]` and `[retention]` when they are not the defaults. A schema goes into a file of its own beside the
//! export (`schemas/<type>.json`, referenced by path) when the export is a file, else inline as
//! `schema_json`. Only parts that hold something are written: a part left out of a file leaves
//! that part of the importing store as it is.

use std::collections::HashSet;
use std::fmt::Write;

use baton_core::otel::OtlpSettings;
use baton_core::readiness::ReadinessThresholds;
use baton_store::history::retention::DEFAULT_RETENTION_DAYS;
use baton_store::settings::FleetSettings;

use super::toml_text::{quote, toml_float};

/// Where schemas go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPlace {
    /// `schema_json = "…"` in the file.
    Inline,
    /// Files under `schemas/` beside the export.
    Files,
}

/// A schema file to write beside the export: its path relative to the export, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFile {
    pub path: String,
    pub text: String,
}

/// The directory schema files go to, beside the export.
pub const SCHEMA_DIR: &str = "schemas";

/// A file name for a handoff type: its letters, digits, `.`, `-` and `_`, others as `_`.
fn file_name(handoff_type: &str, taken: &mut HashSet<String>) -> String {
    let base: String = handoff_type
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = base.trim_start_matches('.').to_owned();
    let base = if base.is_empty() {
        "schema".into()
    } else {
        base
    };
    let mut name = format!("{base}.json");
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        name = format!("{base}-{n}.json");
        n += 1;
    }
    name
}

/// The settings' part of the file, and the schema files to write with it.
pub fn render_settings(settings: &FleetSettings, place: SchemaPlace) -> (String, Vec<SchemaFile>) {
    let mut out = String::new();
    let mut files = Vec::new();
    for q in settings.quotas.iter().flatten() {
        out.push_str("\n[[quotas]]\n");
        let _ = writeln!(out, "api = {}", quote(&q.api));
        if let Some(key) = &q.key {
            let _ = writeln!(out, "key = {}", quote(key));
        }
        let _ = writeln!(out, "metric = {}", quote(q.metric.as_str()));
        let _ = writeln!(out, "limit = {}", q.limit);
        let _ = writeln!(out, "window_seconds = {}", q.window_seconds);
    }
    for (api, limits) in settings.pressure.iter().flatten() {
        out.push_str("\n[[pressure]]\n");
        let _ = writeln!(out, "api = {}", quote(api));
        let _ = writeln!(out, "share_percent = {}", limits.share_percent);
        let _ = writeln!(out, "horizon_minutes = {}", limits.horizon_minutes);
    }
    let mut taken = HashSet::new();
    for (handoff_type, schema) in settings.handoff_schemas.iter().flatten() {
        out.push_str("\n[[handoffs]]\n");
        let _ = writeln!(out, "type = {}", quote(handoff_type));
        match place {
            SchemaPlace::Inline => {
                let _ = writeln!(out, "schema_json = {}", quote(&schema.to_string()));
            }
            SchemaPlace::Files => {
                let path = format!("{SCHEMA_DIR}/{}", file_name(handoff_type, &mut taken));
                let _ = writeln!(out, "schema = {}", quote(&path));
                let mut text =
                    serde_json::to_string_pretty(schema).expect("a JSON value always serialises");
                text.push('\n');
                files.push(SchemaFile { path, text });
            }
        }
    }
    for price in settings.prices.iter().flatten() {
        out.push_str("\n[[prices]]\n");
        let _ = writeln!(out, "api = {}", quote(&price.api));
        if let Some(model) = &price.model {
            let _ = writeln!(out, "model = {}", quote(model));
        }
        let _ = writeln!(out, "input_per_1k = {}", toml_float(price.input_per_1k));
        let _ = writeln!(out, "output_per_1k = {}", toml_float(price.output_per_1k));
    }
    // Readiness and retention always have a value: written when they are not the defaults.
    if let Some(r) = settings
        .readiness
        .filter(|r| *r != ReadinessThresholds::default())
    {
        out.push_str("\n[readiness]\n");
        let _ = writeln!(out, "days = {}", r.days);
        let _ = writeln!(out, "approval_percent = {}", r.approval_percent);
        let _ = writeln!(out, "max_failure_percent = {}", r.max_failure_percent);
        let _ = writeln!(out, "poll_health_percent = {}", r.poll_health_percent);
    }
    let days = settings
        .retention_days
        .filter(|d| *d != DEFAULT_RETENTION_DAYS);
    if days.is_some() || settings.retention_max_bytes.is_some() {
        out.push_str("\n[retention]\n");
        if let Some(days) = days {
            let _ = writeln!(out, "days = {days}");
        }
        match settings.retention_max_bytes {
            Some(Some(bytes)) => {
                let _ = writeln!(out, "max_size = {}", quote(&size_words(bytes)));
            }
            Some(None) => out.push_str("max_size = \"none\"\n"),
            None => {}
        }
    }
    // The OTLP receiver: written when it is not the default (on, 127.0.0.1:4318).
    if let Some(otlp) = settings
        .otlp
        .as_ref()
        .filter(|o| **o != OtlpSettings::default())
    {
        out.push_str("\n[otlp]\n");
        let _ = writeln!(out, "enabled = {}", otlp.enabled);
        let _ = writeln!(out, "listen = {}", quote(&otlp.listen));
    }
    (out, files)
}

/// A byte count as `max_size` reads it back: whole GiB or MiB where it is one, else bytes.
fn size_words(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    if bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::ratelimit::view::PressureLimits;
    use baton_core::ratelimit::Metric;
    use baton_store::settings::UserQuota;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn settings() -> FleetSettings {
        FleetSettings {
            quotas: Some(vec![UserQuota {
                api: "openai".into(),
                key: Some("team".into()),
                metric: Metric::InputTokens,
                limit: 9,
                window_seconds: 60,
            }]),
            pressure: Some(BTreeMap::from([(
                "openai".into(),
                PressureLimits {
                    share_percent: 70,
                    horizon_minutes: 15,
                },
            )])),
            handoff_schemas: Some(BTreeMap::from([
                ("a/b".into(), json!({"type": "object"})),
                ("a_b".into(), json!({"type": "string"})),
            ])),
            prices: Some(vec![baton_core::cost::Price {
                api: "openai".into(),
                model: Some("gpt-4o*".into()),
                input_per_1k: 0.0025,
                output_per_1k: 0.01,
                default: false,
            }]),
            readiness: Some(ReadinessThresholds {
                days: 14,
                ..ReadinessThresholds::default()
            }),
            retention_days: Some(DEFAULT_RETENTION_DAYS),
            retention_max_bytes: None,
            otlp: None,
        }
    }

    #[test]
    fn prices_readiness_and_a_retention_not_the_default_are_written() {
        let (text, _) = render_settings(&settings(), SchemaPlace::Inline);
        assert!(
            text.contains(
                "[[prices]]\napi = \"openai\"\nmodel = \"gpt-4o*\"\ninput_per_1k = 0.0025\n\
                 output_per_1k = 0.01\n"
            ),
            "{text}"
        );
        assert!(text.contains("[readiness]\ndays = 14\n"), "{text}");
        assert!(!text.contains("[retention]"), "the default is not written");
        let mut longer = settings();
        longer.retention_days = Some(90);
        let (text, _) = render_settings(&longer, SchemaPlace::Inline);
        assert!(text.ends_with("[retention]\ndays = 90\n"), "{text}");
    }

    #[test]
    fn schemas_go_to_files_with_safe_distinct_names_or_inline() {
        let (text, files) = render_settings(&settings(), SchemaPlace::Files);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["schemas/a_b.json", "schemas/a_b-2.json"]);
        assert!(
            text.contains("type = \"a/b\"\nschema = \"schemas/a_b.json\"\n"),
            "{text}"
        );
        assert!(
            text.contains("key = \"team\"\nmetric = \"input_tokens\"\n"),
            "{text}"
        );
        let (inline, none) = render_settings(&settings(), SchemaPlace::Inline);
        assert!(none.is_empty());
        assert!(
            inline.contains("schema_json = \"{\\\"type\\\":\\\"object\\\"}\"\n"),
            "{inline}"
        );
        let parsed: toml::Table = toml::from_str(&inline).unwrap();
        assert_eq!(parsed["handoffs"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn empty_parts_are_not_written() {
        assert_eq!(
            render_settings(&FleetSettings::default(), SchemaPlace::Files),
            (String::new(), vec![])
        );
        let empty = FleetSettings {
            quotas: Some(vec![]),
            pressure: Some(BTreeMap::new()),
            handoff_schemas: Some(BTreeMap::new()),
            prices: Some(vec![]),
            readiness: Some(ReadinessThresholds::default()),
            retention_days: Some(DEFAULT_RETENTION_DAYS),
            retention_max_bytes: None,
            otlp: Some(baton_core::otel::OtlpSettings::default()),
        };
        assert_eq!(render_settings(&empty, SchemaPlace::Inline).0, "");
    }
}
