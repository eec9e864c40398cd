//! The detectors over a large window: 50,000 kept events, a handful of new ones. What is found
//! must not depend on how much is kept (the cost does not either: see `docs/performance.md`).

use super::*;

/// 50,000 writes over 30 minutes by 100 agents, each resource written by one agent only, every
/// write a second or more apart from the next one on its resource.
fn busy_window() -> Vec<ObservedEvent> {
    let mut events = Vec::with_capacity(50_000);
    for i in 0..50_000u64 {
        let agent = 100 + (i % 100) as i64;
        let resource = format!("file:///work/agent-{agent}/file-{}.md", (i / 100) % 50);
        let at = (i * 1_800 / 50_000) as i64;
        events.push(in_task(
            on(ev(agent, i + 1, at, EventKind::Write), &resource),
            "job",
        ));
    }
    events
}

fn crowd() -> Vec<AgentStatus> {
    let mut all = agents();
    all.extend((100..200).map(|id| AgentStatus {
        id,
        name: format!("Worker {id}"),
        remote_id: Some(format!("worker-{id}")),
        consecutive_failures: 0,
        last_error: None,
        last_success: None,
        counter: None,
        branch: None,
    }));
    all
}

#[test]
fn among_fifty_thousand_kept_events_a_new_write_finds_its_collision_and_an_excused_pair_stays_quiet(
) {
    let mut w = World::at(1_800);
    w.agents = crowd();
    w.old_events = busy_window();
    // Editor wrote the draft 10 s ago; the publisher writes it now: a collision.
    w.old_events
        .push(on(ev(EDITOR, 1, 1_790, EventKind::Write), DRAFT));
    // Worker 105 wrote its notes and handed them to the writer; the writer writes them now.
    let notes = "file:///work/agent-105/notes.md";
    w.old_events
        .push(on(ev(105, 60_001, 1_785, EventKind::Write), notes));
    let mut handoff = on(ev(105, 60_002, 1_788, EventKind::Handoff), notes);
    handoff.event.to = Some("writer-1".into());
    w.old_events.push(handoff);
    w.new_events = vec![
        on(ev(PUBLISHER, 1, 1_800, EventKind::Write), DRAFT),
        on(ev(WRITER, 1, 1_799, EventKind::Write), notes),
    ];
    assert!(w.old_events.len() > 50_000);
    let found = w.run();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, FindingKind::WriteCollision);
    assert_eq!(found[0].agents, [EDITOR, PUBLISHER]);
    assert_eq!(
        found[0].evidence,
        [
            EvidenceRef {
                agent_id: EDITOR,
                seq: 1
            },
            EvidenceRef {
                agent_id: PUBLISHER,
                seq: 1
            }
        ]
    );
    // Without the handoff, the writer's write collides too.
    w.old_events.retain(|e| e.event.kind != EventKind::Handoff);
    let kinds: Vec<(FindingKind, Vec<i64>)> =
        w.run().into_iter().map(|f| (f.kind, f.agents)).collect();
    assert!(
        kinds.contains(&(FindingKind::WriteCollision, vec![WRITER, 105])),
        "{kinds:?}"
    );
}

#[test]
fn a_storm_of_one_cause_is_one_finding_with_bounded_evidence() {
    let mut w = World::at(100);
    // Two agents write the same file 2,000 times each in one poll.
    for seq in 1..=2_000u64 {
        w.new_events.push(on(
            ev(EDITOR, seq, 50 + (seq % 40) as i64, EventKind::Write),
            DRAFT,
        ));
        w.new_events.push(on(
            ev(PUBLISHER, seq, 50 + (seq % 40) as i64, EventKind::Write),
            DRAFT,
        ));
    }
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].agents, [EDITOR, PUBLISHER]);
    let per_agent = |id| {
        found[0]
            .evidence
            .iter()
            .filter(|e| e.agent_id == id)
            .count()
    };
    assert_eq!(per_agent(EDITOR), MAX_EVIDENCE_PER_AGENT);
    assert_eq!(per_agent(PUBLISHER), MAX_EVIDENCE_PER_AGENT);
}

#[test]
fn evidence_is_bounded_however_many_agents_take_part() {
    let many: Vec<EvidenceRef> = (1..=300)
        .flat_map(|agent_id| (1..=5).map(move |seq| EvidenceRef { agent_id, seq }))
        .collect();
    let kept = cap_evidence(many);
    assert_eq!(kept.len(), MAX_EVIDENCE);
    assert!(kept.iter().all(|e| e.seq == 5), "each agent's latest");
    let few: Vec<EvidenceRef> = (1..=3)
        .flat_map(|agent_id| (1..=50).map(move |seq| EvidenceRef { agent_id, seq }))
        .collect();
    let kept = cap_evidence(few);
    assert_eq!(kept.len(), 3 * MAX_EVIDENCE_PER_AGENT);
    assert_eq!(
        kept.first(),
        Some(&EvidenceRef {
            agent_id: 1,
            seq: 31
        })
    );
}
