//! Which agent, task and call each GenAI span of an export request is.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::client_events::is_client_span;
use super::spans::{AgentSpans, Operation, SpanCall, SpanFacts, SpanTask};
use crate::task::TaskState;

/// Most parents walked up to find a span's agent.
const MAX_DEPTH: usize = 64;
/// The name of an agent whose spans say neither `gen_ai.agent.name` nor `service.name`.
pub const UNNAMED_AGENT: &str = "unknown_service";

/// The agent each recent trace was heard from, remembered between export requests: a model
/// call's span names no agent, and its `invoke_agent` parent ends (and is sent) after it.
/// Bounded: the oldest traces are forgotten first.
#[derive(Debug, Clone)]
pub struct TraceAgents {
    agents: HashMap<String, String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl Default for TraceAgents {
    fn default() -> TraceAgents {
        TraceAgents::with_capacity(10_000)
    }
}

impl TraceAgents {
    pub fn with_capacity(capacity: usize) -> TraceAgents {
        TraceAgents {
            agents: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, trace: &str) -> Option<&str> {
        self.agents.get(trace).map(String::as_str)
    }

    fn note(&mut self, trace: &str, agent: &str) {
        if self
            .agents
            .insert(trace.to_owned(), agent.to_owned())
            .is_none()
        {
            self.order.push_back(trace.to_owned());
            while self.order.len() > self.capacity {
                if let Some(oldest) = self.order.pop_front() {
                    self.agents.remove(&oldest);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.agents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }
}

/// The agents an export request's spans are of (by name, in name order), and how many spans
/// were not GenAI spans or were a coding client's (ignored). Spans without an end or start time count at `received`.
pub fn read_spans(
    spans: &[SpanFacts],
    known: &mut TraceAgents,
    received: DateTime<Utc>,
) -> (Vec<AgentSpans>, usize) {
    let by_id: HashMap<(&str, &str), &SpanFacts> = spans
        .iter()
        .map(|s| ((s.trace_id.as_str(), s.span_id.as_str()), s))
        .collect();
    // The spans that name their agent teach the trace's agent first.
    for span in spans {
        if let Some(agent) = span.attr("gen_ai.agent.name") {
            known.note(&span.trace_id, agent);
        }
    }
    let mut agents: BTreeMap<String, AgentSpans> = BTreeMap::new();
    let mut ignored = 0;
    for span in spans {
        // A coding client's spans (Gemini CLI exports its session's) are the session's,
        // heard through its hooks and its log events: never an agent of their own.
        let client = is_client_span(span.service.as_deref(), span.attr("gen_ai.agent.name"));
        let Some(operation) = span.operation().filter(|_| !client) else {
            ignored += 1;
            continue;
        };
        let agent = agent_of(span, &by_id, known);
        let entry = agents.entry(agent.clone()).or_insert_with(|| AgentSpans {
            agent,
            service: None,
            tasks: BTreeMap::new(),
            calls: Vec::new(),
        });
        if entry.service.is_none() {
            entry.service.clone_from(&span.service);
        }
        let at = span.at().unwrap_or(received);
        let task = entry
            .tasks
            .entry(span.trace_id.clone())
            .or_insert_with(|| SpanTask {
                title: format!("run {}", short(&span.trace_id)),
                titled: false,
                state: TaskState::Working,
                started: span.start,
                at,
                conversation: None,
                detail: None,
            });
        task.started = match (task.started, span.start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if task.conversation.is_none() {
            task.conversation = span.attr("gen_ai.conversation.id").map(str::to_owned);
        }
        match operation {
            Operation::InvokeAgent => {
                // The run's own span: it settles the task (the latest one to end, when the
                // agent ran more than once in the trace; failed if any failed).
                let failed = span.failed || task.state == TaskState::Failed;
                // The agent's own span names the run, over a workflow's around it.
                if span.attr("gen_ai.operation.name") == Some("invoke_agent") || !task.titled {
                    task.title = span.name.clone();
                    task.titled = true;
                }
                task.state = if failed {
                    TaskState::Failed
                } else {
                    TaskState::Completed
                };
                task.at = task.at.max(at);
                task.detail = span.error();
            }
            Operation::Tool | Operation::Model => {
                if task.state == TaskState::Working {
                    task.at = task.at.max(at);
                }
                entry.calls.push(call_of(span, operation, at));
            }
        }
    }
    let mut agents: Vec<AgentSpans> = agents.into_values().collect();
    for agent in &mut agents {
        agent.calls.sort_by_key(|c| c.at);
        for task in agent.tasks.values_mut() {
            if task.detail.is_none() {
                task.detail = task
                    .conversation
                    .as_ref()
                    .map(|c| format!("conversation {c}"));
            }
        }
    }
    (agents, ignored)
}

/// The span's agent: its own `gen_ai.agent.name`, else its nearest parent's in the request,
/// else the one its trace was heard from, else its service.
fn agent_of(
    span: &SpanFacts,
    by_id: &HashMap<(&str, &str), &SpanFacts>,
    known: &TraceAgents,
) -> String {
    let mut current = span;
    for _ in 0..MAX_DEPTH {
        if let Some(agent) = current.attr("gen_ai.agent.name") {
            return agent.to_owned();
        }
        let Some(parent) = current.parent_span_id.as_deref() else {
            break;
        };
        match by_id.get(&(current.trace_id.as_str(), parent)) {
            Some(parent) => current = parent,
            None => break,
        }
    }
    known
        .get(&span.trace_id)
        .map(str::to_owned)
        .or_else(|| {
            span.service
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| UNNAMED_AGENT.to_owned())
}

fn call_of(span: &SpanFacts, operation: Operation, at: DateTime<Utc>) -> SpanCall {
    let status = span
        .attr("http.response.status_code")
        .or(span.attr("error.type"))
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|s| (100..=599).contains(s));
    SpanCall {
        task_id: span.trace_id.clone(),
        at,
        tool: (operation == Operation::Tool).then(|| {
            span.attr("gen_ai.tool.name")
                .unwrap_or(span.name.as_str())
                .to_owned()
        }),
        provider: span.provider().map(str::to_owned),
        model: span.model().map(str::to_owned),
        input_tokens: span.input_tokens(),
        output_tokens: span.output_tokens(),
        error: span.error(),
        status,
    }
}

/// The first 8 hex digits of a trace id.
fn short(trace: &str) -> &str {
    trace.get(..8).unwrap_or(trace)
}
