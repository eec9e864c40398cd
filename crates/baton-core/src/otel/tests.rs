use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::protocol::{AgentState, EventKind};
use crate::task::TaskState;

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap()
}

fn span(
    trace: &str,
    id: &str,
    parent: Option<&str>,
    name: &str,
    attrs: &[(&str, &str)],
) -> SpanFacts {
    SpanFacts {
        trace_id: trace.into(),
        span_id: id.into(),
        parent_span_id: parent.map(str::to_owned),
        name: name.into(),
        start: Some(at(0)),
        end: Some(at(10)),
        service: Some("weather-service".into()),
        attributes: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..SpanFacts::default()
    }
}

fn adk_run(trace: &str) -> Vec<SpanFacts> {
    vec![
        span(
            trace,
            "b",
            Some("a"),
            "call_llm",
            &[
                ("gen_ai.system", "gcp.vertex.agent"),
                ("gen_ai.request.model", "gemini-2.5-flash"),
                ("gen_ai.usage.input_tokens", "120"),
                ("gen_ai.usage.output_tokens", "30"),
            ],
        ),
        span(
            trace,
            "c",
            Some("b"),
            "execute_tool get_weather",
            &[
                ("gen_ai.operation.name", "execute_tool"),
                ("gen_ai.tool.name", "get_weather"),
                ("gen_ai.agent.name", "weather_agent"),
            ],
        ),
        span(
            trace,
            "a",
            Some("root"),
            "invoke_agent weather_agent",
            &[
                ("gen_ai.operation.name", "invoke_agent"),
                ("gen_ai.agent.name", "weather_agent"),
                ("gen_ai.conversation.id", "s-1"),
            ],
        ),
        span(trace, "root", None, "invocation", &[]),
    ]
}

#[test]
fn a_run_is_one_task_of_its_agent_with_its_tool_and_model_calls() {
    let mut known = TraceAgents::default();
    let (agents, ignored) = read_spans(&adk_run("t1aaaaaaaa"), &mut known, at(20));
    assert_eq!(ignored, 1, "the span that is not GenAI is ignored");
    assert_eq!(agents.len(), 1);
    let agent = &agents[0];
    assert_eq!(agent.agent, "weather_agent");
    let task = &agent.tasks["t1aaaaaaaa"];
    assert_eq!(task.state, TaskState::Completed);
    assert_eq!(task.title, "invoke_agent weather_agent");
    assert_eq!(task.conversation.as_deref(), Some("s-1"));
    assert_eq!(agent.calls.len(), 2);
    let model = agent.calls.iter().find(|c| c.tool.is_none()).unwrap();
    assert_eq!(model.provider.as_deref(), Some("gcp.vertex.agent"));
    assert_eq!(model.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(
        (model.input_tokens, model.output_tokens),
        (Some(120), Some(30))
    );
    let tool = agent.calls.iter().find(|c| c.tool.is_some()).unwrap();
    assert_eq!(tool.tool.as_deref(), Some("get_weather"));
}

#[test]
fn the_agents_own_span_names_the_run_over_a_workflow_around_it() {
    let mut spans = adk_run("t9");
    spans.push(span(
        "t9",
        "w",
        None,
        "invoke_workflow weather_agent",
        &[
            ("gen_ai.operation.name", "invoke_workflow"),
            ("gen_ai.agent.name", "weather_agent"),
        ],
    ));
    let (agents, _) = read_spans(&spans, &mut TraceAgents::default(), at(20));
    assert_eq!(agents[0].tasks["t9"].title, "invoke_agent weather_agent");
    spans.reverse();
    let (agents, _) = read_spans(&spans, &mut TraceAgents::default(), at(20));
    assert_eq!(agents[0].tasks["t9"].title, "invoke_agent weather_agent");
}

#[test]
fn children_sent_before_their_run_make_it_working_and_the_run_settles_it_later() {
    let mut known = TraceAgents::default();
    let mut spans = adk_run("t2");
    let parent = spans.remove(2);
    let (agents, _) = read_spans(&spans, &mut known, at(20));
    assert_eq!(
        agents.len(),
        1,
        "the model call joins the agent its trace was heard from"
    );
    assert_eq!(agents[0].agent, "weather_agent");
    assert_eq!(agents[0].tasks["t2"].state, TaskState::Working);

    let mut failed = parent;
    failed.failed = true;
    failed.status_message = Some("ValueError: no such city".into());
    let (agents, _) = read_spans(&[failed], &mut known, at(30));
    let task = &agents[0].tasks["t2"];
    assert_eq!(task.state, TaskState::Failed);
    assert_eq!(task.detail.as_deref(), Some("ValueError: no such city"));
}

#[test]
fn a_model_call_of_an_unknown_trace_is_its_services() {
    let mut known = TraceAgents::default();
    let only = span(
        "t3",
        "x",
        Some("gone"),
        "chat gpt-4o",
        &[
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.provider.name", "openai"),
            ("gen_ai.request.model", "gpt-4o"),
        ],
    );
    let (agents, _) = read_spans(std::slice::from_ref(&only), &mut known, at(0));
    assert_eq!(agents[0].agent, "weather-service");
    let mut nameless = only;
    nameless.service = None;
    nameless.trace_id = "t4".into();
    let (agents, _) = read_spans(&[nameless], &mut known, at(0));
    assert_eq!(agents[0].agent, read::UNNAMED_AGENT);
}

#[test]
fn the_names_before_1_37_are_read_too() {
    let old = span(
        "t5",
        "x",
        None,
        "chat",
        &[
            ("gen_ai.system", "openai"),
            ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.usage.prompt_tokens", "7"),
            ("gen_ai.usage.completion_tokens", "5"),
            ("gen_ai.agent.name", "old_agent"),
        ],
    );
    let (agents, _) = read_spans(&[old], &mut TraceAgents::default(), at(0));
    let call = &agents[0].calls[0];
    assert_eq!(call.provider.as_deref(), Some("openai"));
    assert_eq!((call.input_tokens, call.output_tokens), (Some(7), Some(5)));
}

#[test]
fn the_document_numbers_events_counts_tokens_and_keeps_settled_tasks_settled() {
    let mut known = TraceAgents::default();
    let mut spans = adk_run("t6");
    spans.remove(2);
    spans[1].failed = true;
    spans[1]
        .attributes
        .insert("error.type".into(), "ValueError".into());
    spans[0]
        .attributes
        .insert("error.type".into(), "429".into());
    spans[0].failed = true;
    let (agents, _) = read_spans(&spans, &mut known, at(20));
    let doc = agents[0].status_document(41, &|_| false, at(20));
    assert_eq!(doc.tasks.len(), 1);
    assert_eq!(doc.tasks[0].state, TaskState::Working);
    let seqs: Vec<u64> = doc.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![41, 42]);
    let call = doc
        .events
        .iter()
        .find(|e| e.kind == EventKind::ApiCall)
        .unwrap();
    assert_eq!(call.tokens, Some(150));
    assert_eq!(
        call.status,
        Some(429),
        "a rate-limited model call counts as a 429"
    );
    let tool = doc
        .events
        .iter()
        .find(|e| e.kind == EventKind::State)
        .unwrap();
    assert_eq!(
        tool.message.as_deref(),
        Some("tool get_weather failed: ValueError")
    );
    assert_eq!(doc.agent.state, Some(AgentState::Working));

    let settled = agents[0].status_document(1, &|id| id == "t6", at(20));
    assert!(
        settled.tasks.is_empty(),
        "a settled run is not made working again"
    );
    assert_eq!(settled.events.len(), 2, "its calls are still kept");
}

#[test]
fn events_are_numbered_in_the_order_they_happened() {
    let mut spans = adk_run("t8");
    spans[0].end = Some(at(3));
    spans[1].end = Some(at(5));
    spans[2].end = Some(at(9));
    let (agents, _) = read_spans(&spans, &mut TraceAgents::default(), at(20));
    let doc = agents[0].status_document(7, &|_| false, at(20));
    let order: Vec<(u64, EventKind)> = doc.events.iter().map(|e| (e.seq, e.kind)).collect();
    assert_eq!(
        order,
        vec![
            (7, EventKind::ApiCall),
            (8, EventKind::State),
            (9, EventKind::State)
        ]
    );
    assert_eq!(
        doc.events[2].state,
        Some(TaskState::Completed),
        "the run's end comes last"
    );
}

#[test]
fn long_names_and_values_are_cut() {
    let long = "x".repeat(10_000);
    let one = span(
        "t7",
        "x",
        None,
        &long,
        &[
            ("gen_ai.operation.name", "invoke_agent"),
            ("gen_ai.agent.name", "a"),
        ],
    );
    let (agents, _) = read_spans(&[one], &mut TraceAgents::default(), at(0));
    let doc = agents[0].status_document(1, &|_| false, at(0));
    assert!(doc.tasks[0].title.len() <= crate::protocol::MAX_TITLE_LEN);
}

#[test]
fn the_trace_memory_forgets_the_oldest_past_its_capacity() {
    let mut known = TraceAgents::with_capacity(2);
    for trace in ["a", "b", "c"] {
        let named = span(
            trace,
            "x",
            None,
            "chat",
            &[("gen_ai.agent.name", trace), ("gen_ai.system", "s")],
        );
        read_spans(&[named], &mut known, at(0));
    }
    assert_eq!(known.len(), 2);
    assert_eq!(known.get("a"), None);
    assert_eq!(known.get("c"), Some("c"));
}
