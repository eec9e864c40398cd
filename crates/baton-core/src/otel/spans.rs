//! What Baton reads of a span, and what an agent's spans amount to: its runs and calls, as a
//! `baton/1` status document.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::protocol::{
    cut_long_values, AgentInfo, AgentState, Event, EventKind, StatusDocument, Task,
};
use crate::task::TaskState;

/// The source an agent heard through OpenTelemetry shows.
pub const SOURCE: &str = "OpenTelemetry";

/// What Baton reads of one span (the receiver fills it from OTLP, bounded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanFacts {
    /// The trace id, in lower-case hex.
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// The span's status is ERROR.
    pub failed: bool,
    /// The status message, when it failed.
    pub status_message: Option<String>,
    /// The resource's `service.name`.
    pub service: Option<String>,
    /// The span's attributes Baton reads (by name; see [`ATTRIBUTES_READ`]), as text.
    pub attributes: BTreeMap<String, String>,
}

/// The attributes Baton reads; every other one is ignored (never stored).
pub const ATTRIBUTES_READ: [&str; 16] = [
    "gen_ai.operation.name",
    "gen_ai.agent.name",
    "gen_ai.agent.id",
    "gen_ai.conversation.id",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "error.type",
    "http.response.status_code",
];

impl SpanFacts {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn number(&self, names: &[&str]) -> Option<u64> {
        names
            .iter()
            .find_map(|name| self.attr(name).and_then(|v| v.trim().parse::<u64>().ok()))
    }

    /// When the span ended (else started).
    pub fn at(&self) -> Option<DateTime<Utc>> {
        self.end.or(self.start)
    }

    /// What the span is, by the GenAI conventions; None: not a GenAI span (ignored).
    pub fn operation(&self) -> Option<Operation> {
        match self.attr("gen_ai.operation.name") {
            Some("invoke_agent" | "create_agent" | "invoke_workflow") => {
                Some(Operation::InvokeAgent)
            }
            Some("execute_tool") => Some(Operation::Tool),
            Some(_) => Some(Operation::Model),
            // Older instrumentations (ADK's `call_llm`): a model call names its model or system.
            None if self.attr("gen_ai.request.model").is_some()
                || self.attr("gen_ai.system").is_some()
                || self.input_tokens().is_some() =>
            {
                Some(Operation::Model)
            }
            None => None,
        }
    }

    pub fn input_tokens(&self) -> Option<u64> {
        self.number(&["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"])
    }

    pub fn output_tokens(&self) -> Option<u64> {
        self.number(&[
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.completion_tokens",
        ])
    }

    /// The API a model call went to: its provider (or, before 1.37, its system).
    pub fn provider(&self) -> Option<&str> {
        self.attr("gen_ai.provider.name")
            .or_else(|| self.attr("gen_ai.system"))
    }

    pub fn model(&self) -> Option<&str> {
        self.attr("gen_ai.response.model")
            .or_else(|| self.attr("gen_ai.request.model"))
    }

    /// Why it failed, in a few words: `error.type`, else the status message.
    pub fn error(&self) -> Option<String> {
        if !self.failed && self.attr("error.type").is_none() {
            return None;
        }
        let said = self.attr("error.type").or(self
            .status_message
            .as_deref()
            .filter(|m| !m.trim().is_empty()));
        Some(said.unwrap_or("failed").to_owned())
    }
}

/// What a GenAI span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `invoke_agent` (or `create_agent`, `invoke_workflow`): the agent's run, its task.
    InvokeAgent,
    /// `execute_tool`.
    Tool,
    /// `chat`, `generate_content`, `text_completion`, `embeddings`, …: a model call.
    Model,
}

/// One agent's share of an export request.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSpans {
    /// The agent's name as the spans give it (`gen_ai.agent.name`, else `service.name`).
    pub agent: String,
    pub service: Option<String>,
    /// Its tasks, by id (the trace id).
    pub tasks: BTreeMap<String, SpanTask>,
    /// Its tool and model calls, in the order of their end.
    pub calls: Vec<SpanCall>,
}

/// A run of the agent: the spans of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanTask {
    pub title: String,
    /// The title is a span's name (not the placeholder a call's span gave it).
    pub titled: bool,
    /// Working while its `invoke_agent` span is open; completed or failed by that span.
    pub state: TaskState,
    pub started: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    pub conversation: Option<String>,
    pub detail: Option<String>,
}

/// A tool or model call.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanCall {
    pub task_id: String,
    pub at: DateTime<Utc>,
    pub tool: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub error: Option<String>,
    /// An HTTP status the call reported (`http.response.status_code`, or an `error.type`
    /// that is one, as `429`).
    pub status: Option<u16>,
}

impl AgentSpans {
    /// The `baton/1` document of what these spans say, its events numbered from `first_seq`;
    /// tasks already settled (`settled`: their ids) are not made working again.
    pub fn status_document(
        &self,
        first_seq: u64,
        settled: &dyn Fn(&str) -> bool,
        received: DateTime<Utc>,
    ) -> StatusDocument {
        let mut id = self.agent.clone();
        crate::protocol::limits::cut_text(&mut id, crate::protocol::MAX_ID_LEN);
        let mut info = AgentInfo::new(id);
        info.name = Some(self.agent.clone());
        let mut doc = StatusDocument::new(info);
        let mut working = false;
        for (id, task) in &self.tasks {
            if task.state == TaskState::Working && settled(id) {
                continue;
            }
            working |= task.state == TaskState::Working;
            let mut kept = Task::new(id.clone(), task.title.clone(), task.state);
            kept.created_at = task.started;
            kept.updated_at = Some(task.at);
            kept.detail = task.detail.clone();
            doc.tasks.push(kept);
            if task.state.is_terminal() {
                let mut event = Event::new(0, task.at, EventKind::State);
                event.task_id = Some(id.clone());
                event.state = Some(task.state);
                doc.events.push(event);
            }
        }
        for call in &self.calls {
            let event = match &call.tool {
                Some(tool) => {
                    let mut event = Event::new(0, call.at, EventKind::State);
                    event.state = Some(TaskState::Working);
                    event.message = Some(match &call.error {
                        Some(error) => format!("tool {tool} failed: {error}"),
                        None => format!("tool {tool}"),
                    });
                    event
                }
                None => {
                    let mut event = Event::new(0, call.at, EventKind::ApiCall);
                    event.api = Some(call.provider.clone().unwrap_or_else(|| "genai".into()));
                    event.model = call.model.clone();
                    event.input_tokens = call.input_tokens;
                    event.output_tokens = call.output_tokens;
                    event.tokens = match (call.input_tokens, call.output_tokens) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
                    };
                    event.status = Some(match (&call.error, call.status) {
                        (_, Some(status)) => status,
                        (Some(_), None) => 500,
                        (None, None) => 200,
                    });
                    event.message = call.error.clone();
                    event
                }
            };
            let mut event = event;
            event.task_id = Some(call.task_id.clone());
            doc.events.push(event);
        }
        // Numbered in the order they happened (a run's end after its calls).
        doc.events.sort_by_key(|e| e.at);
        for (n, event) in doc.events.iter_mut().enumerate() {
            event.seq = first_seq + n as u64;
        }
        doc.agent.state = Some(if working {
            AgentState::Working
        } else {
            AgentState::Idle
        });
        doc.agent.detail = self
            .service
            .as_ref()
            .map(|service| format!("{SOURCE}: service {service}"));
        doc.cursor = format!("otel-{received}", received = received.timestamp_millis());
        cut_long_values(&mut doc);
        doc
    }
}
