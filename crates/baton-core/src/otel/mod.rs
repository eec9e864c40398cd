//! Agents heard through OpenTelemetry (issue 61): spans that follow the GenAI semantic
//! conventions, read into what Baton keeps of any agent. The receiver (`baton-engine`'s
//! `otlp`) decodes OTLP and hands over each span's [`SpanFacts`]; this module decides which
//! agent a span belongs to, which task (one per agent and trace: an `invoke_agent` span tree, a
//! run), and what it did (a tool call, a model call), and writes that as a `baton/1` status
//! document ([`AgentSpans::status_document`]) the store ingests like a poll's.
//!
//! Both the current attribute names (semantic conventions 1.37 on) and the older ones still
//! emitted by default are read: `gen_ai.provider.name` or `gen_ai.system`,
//! `gen_ai.usage.input_tokens` or `prompt_tokens`, `output_tokens` or `completion_tokens`.
//!
//! The coding clients' own log events (Claude Code, Codex, Gemini CLI) are read by
//! `client_events` into [`ClientEvent`]s the store joins to the sessions their hooks reported.

mod client_events;
#[cfg(test)]
mod client_events_tests;
mod read;
mod spans;
#[cfg(test)]
mod tests;

pub use client_events::{
    client_event, is_client_span, ClientAction, ClientEvent, LogFacts, CLIENT_ATTRIBUTES_READ,
};
pub use read::{read_spans, TraceAgents, UNNAMED_AGENT};
pub use spans::{AgentSpans, Operation, SpanCall, SpanFacts, SpanTask, ATTRIBUTES_READ, SOURCE};

/// Most spans of one export request read (the rest are refused as partial success).
pub const MAX_SPANS_PER_REQUEST: usize = 10_000;
/// Most attributes of one span (or resource) looked at; the rest are ignored.
pub const MAX_ATTRIBUTES: usize = 128;
/// Longest attribute value kept, in bytes (longer ones are cut).
pub const MAX_ATTRIBUTE_BYTES: usize = 1024;

/// Where Baton's OTLP receiver listens (`[otlp]` in `baton.toml`, `baton otlp`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OtlpSettings {
    /// Off: no receiver (spans sent to the address are refused by the system).
    pub enabled: bool,
    /// `host:port`; off loopback a sender must show the receiver's bearer token.
    pub listen: String,
}

/// OTLP/HTTP's own port, on loopback.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4318";

impl Default for OtlpSettings {
    fn default() -> OtlpSettings {
        OtlpSettings {
            enabled: true,
            listen: DEFAULT_LISTEN.to_owned(),
        }
    }
}

impl OtlpSettings {
    /// Where a client on this machine sends its telemetry (`http://127.0.0.1:4318`), or why it
    /// cannot without a hand step: the receiver is off, or listens off loopback (it then asks
    /// for its bearer token, which Baton never writes into a client's settings).
    pub fn local_endpoint(&self) -> Result<String, String> {
        if !self.enabled {
            return Err("Baton's OTLP receiver is off ([otlp] enabled = false)".into());
        }
        let address = self.address()?;
        if !address.ip().is_loopback() {
            return Err(format!(
                "Baton's OTLP receiver listens off loopback ({address}) and asks for its token:                  point the client's exporter at it by hand (`baton otlp token`)"
            ));
        }
        Ok(format!("http://{address}"))
    }

    /// The address to listen on, checked (`host:port`, an IP address: the receiver never
    /// resolves names).
    pub fn address(&self) -> Result<std::net::SocketAddr, String> {
        self.listen.trim().parse().map_err(|_| {
            format!(
                "listen must be an IP address and a port, as \"{DEFAULT_LISTEN}\" (got \"{}\")",
                self.listen
            )
        })
    }
}
