use crate::held::Obeys;
use std::collections::HashSet;

use super::*;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap()
}

fn at(tick: u64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(tick as i64)
}

fn run(script: &mut AgentScript, ticks: u64) {
    for _ in 0..ticks {
        let n = script.ticks() + 1;
        script.tick(at(n));
    }
}

use crate::held::decision_by_ana as decision;

#[test]
fn a_fresh_agent_has_a_task_after_one_tick_and_it_moves_soon() {
    for seed in [1, 42, 7_000] {
        for index in 0..12 {
            let mut script = AgentScript::new(index, 12, seed);
            assert!(script.tasks().is_empty());
            run(&mut script, 1);
            let first = script.tasks();
            assert!(!first.is_empty(), "agent {index} seed {seed}");
            assert_eq!(first[0].state, TaskState::Submitted);
            run(&mut script, 2);
            assert_ne!(
                script.tasks()[0].state,
                TaskState::Submitted,
                "agent {index} seed {seed}: the first task should leave the queue by tick 3"
            );
        }
    }
}

#[test]
fn every_document_parses_and_seqs_are_contiguous_from_one() {
    let mut script = AgentScript::new(4, 5, 42);
    let mut expected = 1;
    let mut cursor = String::new();
    for _ in 0..300 {
        run(&mut script, 1);
        let doc = script.poll(Some(&cursor), 500);
        let body = serde_json::to_vec(&doc).unwrap();
        let parsed = baton_core::protocol::parse_status(&body).unwrap();
        for event in &parsed.events {
            assert_eq!(event.seq, expected);
            expected += 1;
        }
        cursor = parsed.cursor;
    }
    assert!(expected > 300, "an agent is busy: {expected} events");
}

#[test]
fn events_stay_until_a_since_passes_them() {
    let mut script = AgentScript::new(0, 5, 42);
    run(&mut script, 5);
    let last = script.last_seq();
    assert!(last >= 3);
    let first = script.poll(None, 500);
    let again = script.poll(Some(""), 500);
    assert_eq!(first.events, again.events, "nothing acknowledged yet");
    assert_eq!(first.cursor, last.to_string());
    assert_eq!(first.events.len() as u64, last);

    let later = script.poll(Some("2"), 500);
    assert_eq!(later.events.first().map(|e| e.seq), Some(3));
    assert_eq!(script.held_events().next().map(|e| e.seq), Some(3));
    let garbage = script.poll(Some("not-a-cursor"), 500);
    assert_eq!(
        garbage.events.first().map(|e| e.seq),
        Some(3),
        "from the oldest still held"
    );
    let future = script.poll(Some("999999"), 500);
    assert_eq!(
        future.events.first().map(|e| e.seq),
        Some(3),
        "a future cursor acknowledges nothing"
    );

    let done = script.poll(Some(&last.to_string()), 500);
    assert!(done.events.is_empty());
    assert_eq!(
        done.cursor,
        last.to_string(),
        "an empty answer keeps the position"
    );
    assert_eq!(script.held_events().count(), 0);
    let fresh = script.poll(None, 500);
    assert_eq!(fresh.cursor, last.to_string());
}

#[test]
fn pages_hold_at_most_max_events() {
    let mut script = AgentScript::new(1, 5, 42);
    run(&mut script, 20);
    let last = script.last_seq();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let doc = script.poll(cursor.as_deref(), 4);
        assert!(doc.events.len() <= 4);
        if doc.events.is_empty() {
            break;
        }
        seen.extend(doc.events.iter().map(|e| e.seq));
        cursor = Some(doc.cursor);
    }
    assert_eq!(seen, (1..=last).collect::<Vec<_>>());
    assert_eq!(script.poll(None, 0).events.len(), 0, "all acknowledged");
}

#[test]
fn same_seed_same_story_other_seed_other_story() {
    let story = |seed| {
        let mut script = AgentScript::new(2, 5, seed);
        run(&mut script, 40);
        let tasks: Vec<_> = script
            .tasks()
            .into_iter()
            .map(|t| (t.id, t.title, t.state))
            .collect();
        let events: Vec<_> = script
            .held_events()
            .map(|e| (e.seq, e.kind, e.task_id.clone(), e.resource.clone()))
            .collect();
        (tasks, events)
    };
    assert_eq!(story(42), story(42));
    assert_ne!(story(42), story(43));
}

#[test]
fn a_long_run_reaches_every_state_and_keeps_at_most_max_tasks() {
    let mut seen = HashSet::new();
    let mut kinds = HashSet::new();
    for index in 0..6 {
        let mut script = AgentScript::new(index, 6, 9);
        for _ in 0..1_500 {
            run(&mut script, 1);
            seen.extend(script.tasks.iter().map(|t| t.task.state));
            kinds.extend(script.held_events().map(|e| e.kind));
            let last = script.last_seq().to_string();
            script.poll(Some(&last), 1);
        }
        assert!(script.tasks().len() <= MAX_TASKS);
        assert!(script.usage.len() <= 2 * USAGE_WINDOWS_KEPT);
    }
    for state in TaskState::ALL {
        if state != TaskState::Canceled {
            assert!(seen.contains(&state), "never saw {state}");
        }
    }
    for kind in EventKind::ALL {
        assert!(kinds.contains(&kind), "never saw {kind:?}");
    }
}

#[test]
fn held_events_are_capped() {
    let mut script = AgentScript::new(0, 5, 3);
    while script.last_seq() <= MAX_HELD_EVENTS as u64 {
        run(&mut script, 50);
    }
    assert_eq!(script.held_events().count(), MAX_HELD_EVENTS);
    let doc = script.poll(None, 10);
    assert_eq!(
        doc.events[0].seq,
        script.last_seq() - MAX_HELD_EVENTS as u64 + 1
    );
}

/// Runs until some task waits on a human; returns its id.
fn waiting_task(script: &mut AgentScript) -> String {
    for _ in 0..500 {
        run(script, 1);
        let waiting = script
            .tasks()
            .into_iter()
            .find(|t| t.state == TaskState::InputRequired);
        if let Some(task) = waiting {
            return task.id;
        }
    }
    panic!("no task ever needed a human");
}

#[test]
fn decisions_apply_once_per_key() {
    let mut script = AgentScript::new(3, 5, 42);
    let task = waiting_task(&mut script);
    let approve = decision("d-1", &task, "approve");
    assert!(!script.apply_decision("d-1", approve.clone(), at(1000)));
    let state_of = |s: &AgentScript| s.tasks().into_iter().find(|t| t.id == task).unwrap().state;
    assert_eq!(state_of(&script), TaskState::Working);
    let last = script.held_events().last().unwrap().clone();
    assert_eq!(
        (last.kind, last.state),
        (EventKind::State, Some(TaskState::Working))
    );
    assert_eq!(last.message.as_deref(), Some("approved by ana"));

    let seq_before = script.last_seq();
    assert!(script.apply_decision("d-1", decision("d-1", &task, "reject"), at(1001)));
    assert_eq!(
        state_of(&script),
        TaskState::Working,
        "a repeated key changes nothing"
    );
    assert_eq!(script.last_seq(), seq_before);
    assert_eq!(script.decisions(), [approve]);

    let other = waiting_task(&mut script);
    assert!(!script.apply_decision("d-2", decision("d-2", &other, "reject"), at(2000)));
    let canceled = script.tasks().into_iter().find(|t| t.id == other).unwrap();
    assert_eq!(canceled.state, TaskState::Canceled);
    assert_eq!(script.decisions().len(), 2);
}

#[test]
fn a_decision_for_a_task_not_waiting_is_recorded_only() {
    let mut script = AgentScript::new(0, 5, 42);
    run(&mut script, 1);
    let seq = script.last_seq();
    assert!(!script.apply_decision("k", decision("k", "research-1", "reject"), at(5)));
    assert_eq!(script.tasks()[0].state, TaskState::Submitted);
    assert_eq!(script.last_seq(), seq);
    assert_eq!(script.decisions().len(), 1);
}

#[test]
fn every_agent_declares_what_it_really_does() {
    use baton_core::rules::ResourcePattern;
    let covered = |patterns: &[String], uri: &str| {
        patterns
            .iter()
            .any(|p| ResourcePattern::parse(p).unwrap().matches(uri))
    };
    for index in 0..roles::ROLES.len() {
        let mut script = AgentScript::new(index, roles::ROLES.len(), 42);
        let mut cursor = String::new();
        let mut checked = 0;
        for _ in 0..200 {
            run(&mut script, 1);
            let doc = script.poll(Some(&cursor), 500);
            let body = serde_json::to_vec(&doc).unwrap();
            let doc = baton_core::protocol::parse_status(&body).unwrap();
            let declared = doc.agent.declares.clone().expect("every agent declares");
            let id = &doc.agent.id;
            for event in &doc.events {
                let Some(uri) = event.resource.as_deref() else {
                    continue;
                };
                let list = match event.kind {
                    EventKind::Trigger => &declared.triggers,
                    EventKind::Read => &declared.reads,
                    EventKind::Write => &declared.writes,
                    EventKind::Handoff => &declared.outputs,
                    _ => continue,
                };
                assert!(covered(list, uri), "{id}: {:?} {uri}", event.kind);
                checked += 1;
            }
            for task in &doc.tasks {
                for uri in task.trigger.iter() {
                    assert!(covered(&declared.triggers, uri), "{id}: {uri}");
                }
                for uri in &task.reads {
                    assert!(covered(&declared.reads, uri), "{id}: {uri}");
                }
                for uri in &task.writes {
                    assert!(covered(&declared.writes, uri), "{id}: {uri}");
                }
                for uri in task.output.iter() {
                    assert!(covered(&declared.outputs, uri), "{id}: {uri}");
                }
            }
            cursor = doc.cursor;
        }
        assert!(checked > 50, "agent {index}: only {checked} resources seen");
    }
}
