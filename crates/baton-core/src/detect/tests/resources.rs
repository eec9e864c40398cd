//! Detectors of two agents on one resource: ownership, collisions, reads during writes.

use super::*;
#[test]
fn a_write_to_a_resource_owned_by_another_agent_is_a_violation() {
    let mut w = World::at(10);
    w.rules = vec![Rule::new(RuleKind::Output, "file:///drafts/**", "Writer")];
    w.new_events = vec![on(ev(EDITOR, 7, 5, EventKind::Write), DRAFT)];
    let found = w.run();
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.kind, FindingKind::OwnershipViolation);
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.agents, [WRITER, EDITOR]);
    assert_eq!(
        f.evidence,
        [EvidenceRef {
            agent_id: EDITOR,
            seq: 7
        }]
    );
    assert_eq!(f.dedupe_key, format!("ownership_violation:{DRAFT}"));
    assert!(f.summary.contains("gives to Writer"), "{}", f.summary);

    // The owner, or an agent in the rule's sequence, may write.
    w.new_events = vec![on(ev(WRITER, 8, 5, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    w.rules[0].sequence = vec!["Editor".into()];
    w.new_events = vec![on(ev(EDITOR, 9, 5, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    // No rule, no violation (a collision needs a second writer).
    w.rules.clear();
    assert!(w.kinds().is_empty());
}

#[test]
fn a_handoff_leases_the_resource_to_the_receiver_until_it_completes() {
    let mut w = World::at(100);
    w.rules = vec![Rule::new(RuleKind::Output, "file:///drafts/**", "Writer")];
    let mut handoff = on(ev(WRITER, 1, 10, EventKind::Handoff), DRAFT);
    handoff.event.to = Some("editor-1".into());
    w.old_events = vec![handoff];
    // The editor holds it: its write is fine, the writer's own write is a violation.
    w.new_events = vec![on(ev(EDITOR, 5, 20, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty(), "{:#?}", w.run());
    w.new_events = vec![on(ev(WRITER, 2, 30, EventKind::Write), DRAFT)];
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert!(
        found[0].summary.contains("while Editor held it"),
        "{}",
        found[0].summary
    );
    assert_eq!(found[0].evidence.len(), 2);
    // Once the editor completes, the rule applies again.
    let mut done = ev(EDITOR, 6, 40, EventKind::State);
    done.event.state = Some(TaskState::Completed);
    w.old_events.push(done);
    w.new_events = vec![on(ev(EDITOR, 7, 50, EventKind::Write), DRAFT)];
    assert_eq!(w.kinds(), [FindingKind::OwnershipViolation]);
}

#[test]
fn sessions_on_two_branches_edit_in_parallel_and_on_one_branch_collide() {
    const APP: &str = "repo://root:ab/src/app.rs";
    let mut w = World::at(100);
    w.agents[1].branch = Some("feature-a".into());
    w.agents[2].branch = Some("feature-b".into());
    w.old_events = vec![on(ev(EDITOR, 3, 20, EventKind::Write), APP)];
    w.new_events = vec![on(ev(PUBLISHER, 9, 50, EventKind::Write), APP)];
    // Each branch changes its own checkout: no collision (the hook files a parallel edit).
    assert!(w.kinds().is_empty());
    // On one branch (two clones of it) they overwrite each other.
    w.agents[2].branch = Some("feature-a".into());
    assert_eq!(w.kinds(), [FindingKind::WriteCollision]);
    // A branch known on one side only: a collision, as before branches were known.
    w.agents[2].branch = None;
    assert_eq!(w.kinds(), [FindingKind::WriteCollision]);
}

#[test]
fn two_writers_within_the_window_collide_once() {
    let mut w = World::at(100);
    w.old_events = vec![on(ev(EDITOR, 3, 20, EventKind::Write), DRAFT)];
    w.new_events = vec![on(ev(PUBLISHER, 9, 50, EventKind::Write), DRAFT)];
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::WriteCollision);
    assert_eq!(found[0].agents, [EDITOR, PUBLISHER]);
    assert_eq!(found[0].dedupe_key, format!("write_collision:{DRAFT}"));
    // The same situation seen again gives the same cause.
    assert_eq!(w.run()[0].dedupe_key, found[0].dedupe_key);

    // Outside the window, or after a handoff between them, or accepted in a sequence: fine.
    w.new_events = vec![on(ev(PUBLISHER, 9, 200, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    let mut handoff = on(ev(EDITOR, 4, 30, EventKind::Handoff), DRAFT);
    handoff.event.to = Some("publisher-1".into());
    w.old_events.push(handoff);
    w.new_events = vec![on(ev(PUBLISHER, 9, 50, EventKind::Write), DRAFT)];
    assert!(w.kinds().is_empty());
    w.old_events.pop();
    w.rules = vec![Rule {
        sequence: vec!["Publisher".into()],
        ..Rule::new(RuleKind::Output, "file:///drafts/**", "Editor")
    }];
    assert!(w.kinds().is_empty());
}

#[test]
fn the_collision_window_holds_its_ends_on_both_sides() {
    // The default window is 60 s. The other's write is before mine, after mine (a poll of
    // the other agent stored later), or both; exactly 60 s away still collides, 61 s does not.
    let mut w = World::at(1_000);
    let write = |agent, seq, at| on(ev(agent, seq, at, EventKind::Write), DRAFT);
    for (others, mine, collides) in [
        (vec![200], 260, true),
        (vec![200], 261, false),
        (vec![320], 260, true),
        (vec![321], 260, false),
        (vec![100, 400], 260, false),
        (vec![100, 320, 400], 260, true),
        (vec![100, 200, 400], 260, true),
    ] {
        w.old_events = others
            .iter()
            .enumerate()
            .map(|(i, at)| write(EDITOR, i as u64 + 1, *at))
            .collect();
        w.new_events = vec![write(PUBLISHER, 9, mine)];
        let expected: &[FindingKind] = if collides {
            &[FindingKind::WriteCollision]
        } else {
            &[]
        };
        assert_eq!(
            w.kinds(),
            expected,
            "the editor at {others:?}, the publisher at {mine}"
        );
    }
}

#[test]
fn two_agents_on_one_trigger_collide() {
    let mut w = World::at(100);
    let inbox = "mail://inbox/billing/msg-42";
    w.old_events = vec![on(ev(WRITER, 1, 10, EventKind::Trigger), inbox)];
    w.new_events = vec![on(ev(EDITOR, 1, 12, EventKind::Trigger), inbox)];
    assert_eq!(w.kinds(), [FindingKind::TriggerCollision]);
    w.new_events = vec![on(ev(WRITER, 2, 12, EventKind::Trigger), inbox)];
    assert!(w.kinds().is_empty(), "one agent twice is not a collision");
}

#[test]
fn reading_what_another_agent_is_still_writing() {
    let mut w = World::at(100);
    w.tasks = vec![task(WRITER, "draft-1", TaskState::Working, 0)];
    w.old_events = vec![in_task(
        on(ev(WRITER, 1, 10, EventKind::Write), DRAFT),
        "draft-1",
    )];
    w.new_events = vec![on(ev(EDITOR, 1, 20, EventKind::Read), DRAFT)];
    assert_eq!(w.kinds(), [FindingKind::ReadDuringWrite]);
    // Once the writer's task is done, reading is fine.
    w.tasks[0].task.state = TaskState::Completed;
    assert!(w.kinds().is_empty());
}
