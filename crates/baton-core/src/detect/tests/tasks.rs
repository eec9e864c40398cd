//! Detectors over tasks: sequencing, silent completion, stalls and budgets.

use chrono::Duration;

use super::*;
#[test]
fn a_task_started_before_its_dependency_completed() {
    let mut w = World::at(100);
    let mut second = task(WRITER, "write-2", TaskState::Working, 50);
    second.task.depends_on = vec!["research-1".into()];
    w.tasks = vec![task(WRITER, "research-1", TaskState::Working, 0), second];
    let found = w.run();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::Sequencing);
    assert_eq!(found[0].dedupe_key, format!("sequencing:{WRITER}:write-2"));
    w.tasks[0].task.state = TaskState::Completed;
    assert!(w.kinds().is_empty());
    // Queued behind its dependency is fine.
    w.tasks[0].task.state = TaskState::Working;
    w.tasks[1].task.state = TaskState::Submitted;
    assert!(w.kinds().is_empty());
}

#[test]
fn a_completion_nobody_picks_up() {
    let mut w = World::at(60 * 30);
    let mut done = task(WRITER, "draft-1", TaskState::Completed, 60);
    done.task.next_stage = Some("editor-1".into());
    w.tasks = vec![done];
    w.old_events = vec![ev(WRITER, 1, 30, EventKind::State)];
    let found = w.run();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, FindingKind::SilentCompletion);
    assert_eq!(found[0].agents, [WRITER, EDITOR]);
    assert!(found[0].summary.contains("Editor has shown nothing since"));
    // The editor did something after: picked up.
    w.old_events.push(ev(EDITOR, 1, 120, EventKind::Read));
    assert!(w.kinds().is_empty());
    // Still inside the window: too early to say.
    w.old_events.pop();
    w.now = t(60 + 300);
    assert!(w.kinds().is_empty());
}

#[test]
fn stalled_and_over_budget_tasks() {
    let mut w = World::at(60 * 20);
    w.tasks = vec![task(WRITER, "draft-1", TaskState::Working, 0)];
    assert_eq!(w.kinds(), [FindingKind::Stall]);
    // The key names the episode: no progress since t(0).
    assert_eq!(
        w.run()[0].dedupe_key,
        format!("stall:{WRITER}:draft-1:{}", t(0).timestamp())
    );
    // Progress (an event of the task) resets the stall.
    w.old_events = vec![in_task(ev(WRITER, 3, 60 * 19, EventKind::Write), "draft-1")];
    assert!(w.kinds().is_empty());
    // Past the 2 h budget even with progress.
    w.now = t(60 * 60 * 3);
    w.old_events = vec![in_task(
        ev(WRITER, 3, 60 * 60 * 3 - 10, EventKind::Write),
        "draft-1",
    )];
    assert_eq!(w.kinds(), [FindingKind::Timeout]);
    // Windows are per agent.
    w.config.per_agent = vec![(
        WRITER,
        Windows {
            time_budget: Duration::hours(4),
            ..Windows::default()
        },
    )];
    assert!(w.kinds().is_empty());
}
