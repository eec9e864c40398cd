//! An OTLP export request's body (protobuf or JSON, already unzipped) into what Baton reads of
//! it: each span's [`SpanFacts`] and each coding client's log event ([`ClientEvent`]), bounded;
//! metric data points only counted.

use baton_core::otel::{
    client_event, ClientEvent, LogFacts, SpanFacts, ATTRIBUTES_READ, CLIENT_ATTRIBUTES_READ,
    MAX_ATTRIBUTES, MAX_ATTRIBUTE_BYTES, MAX_SPANS_PER_REQUEST,
};
use baton_core::protocol::limits::cut_text;
use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

/// A body that cannot be read (400: the sender must not send it again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

fn decode<T: Message + Default + serde::de::DeserializeOwned>(
    body: &[u8],
    encoding: Encoding,
) -> Result<T, Unreadable> {
    match encoding {
        Encoding::Protobuf => T::decode(body)
            .map_err(|err| Unreadable(format!("not an OTLP protobuf message: {err}"))),
        Encoding::Json => serde_json::from_slice(body)
            .map_err(|err| Unreadable(format!("not an OTLP JSON message: {err}"))),
    }
}

/// The spans of a traces request (at most [`MAX_SPANS_PER_REQUEST`]), and how many were
/// refused (past that many, or without a valid trace or span id).
pub fn spans(body: &[u8], encoding: Encoding) -> Result<(Vec<SpanFacts>, i64), Unreadable> {
    let request: ExportTraceServiceRequest = decode(body, encoding)?;
    let mut read = Vec::new();
    let mut refused: i64 = 0;
    for resource_spans in &request.resource_spans {
        let service = resource_spans
            .resource
            .as_ref()
            .and_then(|r| text_of(&r.attributes, "service.name"));
        for scope in &resource_spans.scope_spans {
            for span in &scope.spans {
                if read.len() >= MAX_SPANS_PER_REQUEST
                    || span.trace_id.len() != 16
                    || span.span_id.len() != 8
                {
                    refused += 1;
                    continue;
                }
                read.push(facts(span, service.clone()));
            }
        }
    }
    Ok((read, refused))
}

/// The coding clients' events among a logs request's records (at most
/// [`MAX_SPANS_PER_REQUEST`] records are read), and how many records it held.
pub fn log_records(
    body: &[u8],
    encoding: Encoding,
) -> Result<(Vec<ClientEvent>, usize), Unreadable> {
    let request: ExportLogsServiceRequest = decode(body, encoding)?;
    let mut events = Vec::new();
    let mut records = 0;
    for resource_logs in &request.resource_logs {
        let service = resource_logs
            .resource
            .as_ref()
            .and_then(|r| text_of(&r.attributes, "service.name"));
        for scope in &resource_logs.scope_logs {
            for record in &scope.log_records {
                records += 1;
                if records > MAX_SPANS_PER_REQUEST {
                    continue;
                }
                let mut attributes = std::collections::BTreeMap::new();
                for kv in record.attributes.iter().take(MAX_ATTRIBUTES) {
                    if CLIENT_ATTRIBUTES_READ.contains(&kv.key.as_str()) {
                        if let Some(text) = kv.value.as_ref().and_then(text) {
                            attributes.insert(kv.key.clone(), text);
                        }
                    }
                }
                let facts = LogFacts {
                    service: service.clone(),
                    at: time(record.time_unix_nano)
                        .or_else(|| time(record.observed_time_unix_nano)),
                    body: record.body.as_ref().and_then(text),
                    attributes,
                };
                events.extend(client_event(&facts));
            }
        }
    }
    Ok((events, records))
}

/// How many data points a metrics request holds.
pub fn data_points(body: &[u8], encoding: Encoding) -> Result<usize, Unreadable> {
    let request: ExportMetricsServiceRequest = decode(body, encoding)?;
    Ok(request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(metric::Data::Gauge(g)) => g.data_points.len(),
            Some(metric::Data::Sum(s)) => s.data_points.len(),
            Some(metric::Data::Histogram(h)) => h.data_points.len(),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(metric::Data::Summary(s)) => s.data_points.len(),
            None => 0,
        })
        .sum())
}

fn facts(span: &Span, service: Option<String>) -> SpanFacts {
    let failed = span
        .status
        .as_ref()
        .is_some_and(|s| s.code == StatusCode::Error as i32);
    let mut name = span.name.clone();
    cut_text(&mut name, baton_core::protocol::MAX_TITLE_LEN);
    let mut attributes = std::collections::BTreeMap::new();
    for kv in span.attributes.iter().take(MAX_ATTRIBUTES) {
        if ATTRIBUTES_READ.contains(&kv.key.as_str()) {
            if let Some(text) = kv.value.as_ref().and_then(text) {
                attributes.insert(kv.key.clone(), text);
            }
        }
    }
    SpanFacts {
        trace_id: hex(&span.trace_id),
        span_id: hex(&span.span_id),
        parent_span_id: (span.parent_span_id.len() == 8).then(|| hex(&span.parent_span_id)),
        name,
        start: time(span.start_time_unix_nano),
        end: time(span.end_time_unix_nano),
        failed,
        status_message: failed
            .then(|| span.status.as_ref().map(|s| s.message.clone()))
            .flatten()
            .map(|mut m| {
                cut_text(&mut m, MAX_ATTRIBUTE_BYTES);
                m
            }),
        service,
        attributes,
    }
}

/// The text of attribute `key` among the first [`MAX_ATTRIBUTES`].
fn text_of(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .take(MAX_ATTRIBUTES)
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(text)
}

/// A scalar value as text (cut to [`MAX_ATTRIBUTE_BYTES`]); None for an empty value, an
/// array, a list or bytes.
fn text(value: &AnyValue) -> Option<String> {
    let mut text = match value.value.as_ref()? {
        any_value::Value::StringValue(s) => s.clone(),
        any_value::Value::BoolValue(b) => b.to_string(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::DoubleValue(d) if d.fract() == 0.0 && d.abs() < 1e15 => {
            format!("{d:.0}")
        }
        any_value::Value::DoubleValue(d) => d.to_string(),
        _ => return None,
    };
    cut_text(&mut text, MAX_ATTRIBUTE_BYTES);
    Some(text)
}

fn time(unix_nano: u64) -> Option<DateTime<Utc>> {
    if unix_nano == 0 {
        return None;
    }
    let nanos = i64::try_from(unix_nano).ok()?;
    Some(DateTime::from_timestamp_nanos(nanos))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
