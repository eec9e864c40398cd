//! Pipelines across agents: dependencies named `agent-id/task-id`, dependencies Baton has not
//! seen, and deadlocks (tasks waiting on each other around a cycle).

use std::collections::BTreeSet;

use chrono::Duration;
use proptest::prelude::*;

use super::*;
use crate::detect::deadlock::{DeadlockKey, LeaseWait};

fn depending(agent: i64, id: &str, on: &[&str]) -> ObservedTask {
    let mut t = task(agent, id, TaskState::Working, 50);
    t.task.depends_on = on.iter().map(|d| (*d).to_owned()).collect();
    t
}

fn of_kind(found: &[Finding], kind: FindingKind) -> Vec<&Finding> {
    found.iter().filter(|f| f.kind == kind).collect()
}

#[test]
fn a_task_started_before_another_agents_task_it_depends_on_completed() {
    let mut w = World::at(100);
    w.tasks = vec![
        task(EDITOR, "review-1", TaskState::Working, 0),
        depending(WRITER, "draft-2", &["editor-1/review-1"]),
    ];
    let found = w.run();
    let seq = of_kind(&found, FindingKind::Sequencing);
    assert_eq!(seq.len(), 1, "{found:#?}");
    assert_eq!(seq[0].agents, [WRITER, EDITOR]);
    assert_eq!(
        seq[0].summary,
        "Writer's task draft-2 is working while editor-1/review-1 it depends on is not completed"
    );
    assert_eq!(seq[0].dedupe_key, format!("sequencing:{WRITER}:draft-2"));
    // Completed: fine. Failed: not completed, and said so.
    w.tasks[0].task.state = TaskState::Completed;
    assert!(w.kinds().is_empty());
    w.tasks[0].task.state = TaskState::Failed;
    let found = w.run();
    assert!(
        found[0]
            .summary
            .contains("editor-1/review-1 (failed) it depends on is not completed"),
        "{}",
        found[0].summary
    );
}

#[test]
fn a_bare_id_and_a_prefix_that_is_no_agent_mean_the_same_agent() {
    let mut w = World::at(100);
    w.tasks = vec![
        task(WRITER, "jobs/42", TaskState::Working, 0),
        task(EDITOR, "jobs/42", TaskState::Completed, 0),
        depending(WRITER, "draft-2", &["jobs/42"]),
    ];
    let found = w.run();
    assert_eq!(of_kind(&found, FindingKind::Sequencing)[0].agents, [WRITER]);
    // Its own id as a prefix names itself.
    w.tasks[2].task.depends_on = vec!["writer-1/jobs/42".into()];
    assert_eq!(
        of_kind(&w.run(), FindingKind::Sequencing)[0].agents,
        [WRITER]
    );
}

#[test]
fn a_dependency_never_seen_is_unknown_until_the_window_passes() {
    let mut w = World::at(100);
    w.tasks = vec![depending(WRITER, "draft-2", &["editor-1/review-9"])];
    // Not held, not looked up: nothing to say.
    assert!(w.kinds().is_empty());
    let missing = DetectState::from_slices(&[], &w.tasks, &[], &w.agents).missing_dependencies();
    assert_eq!(missing, [(EDITOR, "review-9".to_owned())]);
    // The store has never seen it: unknown while the task is young...
    w.stored.insert(EDITOR, "review-9", None);
    assert!(w.kinds().is_empty());
    // ...a violation once it has been working for the window (10 min).
    w.now = t(50) + Duration::minutes(10);
    let found = w.run();
    assert_eq!(
        found[0].summary,
        "Writer's task draft-2 is working while editor-1/review-9 (never seen by Baton) it \
         depends on is not completed"
    );
    // Completed long ago (no longer held): the store says so, nothing to say.
    w.stored
        .insert(EDITOR, "review-9", Some(TaskState::Completed));
    assert!(w.kinds().is_empty());
}

#[test]
fn two_agents_waiting_on_each_other_are_a_deadlock() {
    let mut w = World::at(100);
    w.tasks = vec![
        depending(WRITER, "draft-1", &["editor-1/review-1"]),
        depending(EDITOR, "review-1", &["writer-1/draft-1"]),
    ];
    let found = w.run();
    // One cause, one finding: not a sequencing finding for each task as well.
    assert_eq!(found.len(), 1, "{found:#?}");
    let dead = of_kind(&found, FindingKind::Deadlock);
    assert_eq!(dead[0].severity, Severity::Critical);
    assert_eq!(dead[0].agents, [WRITER, EDITOR]);
    assert_eq!(
        dead[0].summary,
        "Deadlock: Writer's draft-1 waits for Editor's review-1, which waits for Writer's draft-1"
    );
    assert_eq!(
        DeadlockKey::parse(&dead[0].dedupe_key).unwrap().tasks,
        [
            (WRITER, "draft-1".to_owned()),
            (EDITOR, "review-1".to_owned())
        ]
    );
    // One of them ends: no cycle any more.
    w.tasks[1].task.state = TaskState::Canceled;
    assert!(of_kind(&w.run(), FindingKind::Deadlock).is_empty());
}

#[test]
fn three_agents_in_a_ring_are_one_deadlock_and_a_chain_is_none() {
    let mut w = World::at(100);
    w.tasks = vec![
        depending(WRITER, "draft-1", &["editor-1/review-1"]),
        depending(EDITOR, "review-1", &["publisher-1/post-1"]),
        depending(PUBLISHER, "post-1", &["writer-1/draft-1"]),
    ];
    let found = w.run();
    let dead = of_kind(&found, FindingKind::Deadlock);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].agents, [WRITER, EDITOR, PUBLISHER]);
    assert_eq!(
        dead[0].summary,
        "Deadlock: Writer's draft-1 waits for Editor's review-1, which waits for Publisher's \
         post-1, which waits for Writer's draft-1"
    );
    // The publisher waits on nothing: a chain, however long, is no deadlock.
    w.tasks[2].task.depends_on.clear();
    assert!(of_kind(&w.run(), FindingKind::Deadlock).is_empty());
}

#[test]
fn two_sessions_each_refused_the_file_the_other_holds_are_a_deadlock() {
    let mut w = World::at(100);
    w.tasks = vec![
        task(WRITER, "turn-3", TaskState::Working, 50),
        task(EDITOR, "turn-1", TaskState::Working, 50),
    ];
    let wait = |waiter, holder, file: &str| LeaseWait {
        waiter,
        holder,
        resource: file.to_owned(),
    };
    w.lease_waits = vec![wait(WRITER, EDITOR, "file:///repo/b.rs")];
    assert!(
        of_kind(&w.run(), FindingKind::Deadlock).is_empty(),
        "one waits: no cycle"
    );
    w.lease_waits
        .push(wait(EDITOR, WRITER, "file:///repo/a.rs"));
    let found = w.run();
    let dead = of_kind(&found, FindingKind::Deadlock);
    assert_eq!(dead.len(), 1, "{found:#?}");
    assert_eq!(
        dead[0].summary,
        "Deadlock: Writer's turn-3 waits for Editor's turn-1 (its lease on file:///repo/b.rs), \
         which waits for Writer's turn-3 (its lease on file:///repo/a.rs)"
    );
    let key = DeadlockKey::parse(&dead[0].dedupe_key).unwrap();
    assert_eq!(
        key.leases,
        [
            ("file:///repo/a.rs".to_owned(), EDITOR),
            ("file:///repo/b.rs".to_owned(), WRITER)
        ]
    );
    // A session between turns waits as itself.
    w.tasks.remove(1);
    let found = w.run();
    assert_eq!(
        of_kind(&found, FindingKind::Deadlock)[0].summary,
        "Deadlock: Writer's turn-3 waits for Editor (its lease on file:///repo/b.rs), which \
         waits for Writer's turn-3 (its lease on file:///repo/a.rs)"
    );
}

/// Tasks `0..n` (agent `i % 3`), each working and depending on the tasks `edges` names.
fn graph_world(n: usize, edges: &[(usize, usize)]) -> World {
    let ids = [WRITER, EDITOR, PUBLISHER];
    let remotes = ["writer-1", "editor-1", "publisher-1"];
    let mut w = World::at(100);
    w.tasks = (0..n)
        .map(|i| {
            let on: Vec<String> = edges
                .iter()
                .filter(|(from, _)| *from == i)
                .map(|(_, to)| format!("{}/t{to}", remotes[to % 3]))
                .collect();
            let mut t = task(ids[i % 3], &format!("t{i}"), TaskState::Working, 50);
            t.task.depends_on = on;
            t
        })
        .collect();
    w
}

/// The tasks on some cycle, by brute force: those that reach themselves.
fn on_cycles(n: usize, edges: &[(usize, usize)]) -> BTreeSet<usize> {
    (0..n)
        .filter(|&start| {
            let mut seen = BTreeSet::new();
            let mut todo: Vec<usize> = edges
                .iter()
                .filter(|(f, _)| *f == start)
                .map(|(_, t)| *t)
                .collect();
            while let Some(n) = todo.pop() {
                if n == start {
                    return true;
                }
                if seen.insert(n) {
                    todo.extend(edges.iter().filter(|(f, _)| *f == n).map(|(_, t)| *t));
                }
            }
            false
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn the_detector_reports_exactly_the_tasks_on_cycles(
        n in 1usize..9,
        raw in proptest::collection::vec((0usize..9, 0usize..9), 0..16),
    ) {
        let edges: Vec<(usize, usize)> =
            raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
        let w = graph_world(n, &edges);
        let found = w.run();
        let mut named = BTreeSet::new();
        for f in of_kind(&found, FindingKind::Deadlock) {
            let key = DeadlockKey::parse(&f.dedupe_key).expect("a deadlock's key");
            for (_, task) in key.tasks {
                prop_assert!(named.insert(task[1..].parse::<usize>().unwrap()), "{} twice", task);
            }
        }
        prop_assert_eq!(named, on_cycles(n, &edges));
    }
}

#[test]
fn a_next_stage_naming_another_agents_task_waits_for_that_task() {
    let mut w = World::at(60 * 30);
    let mut done = task(WRITER, "draft-1", TaskState::Completed, 60);
    done.task.next_stage = Some("editor-1/review-1".into());
    // The editor is busy with something else: that is not the review starting.
    w.tasks = vec![
        done,
        task(EDITOR, "review-1", TaskState::Submitted, 30),
        task(EDITOR, "other", TaskState::Working, 120),
    ];
    w.old_events = vec![
        ev(WRITER, 1, 30, EventKind::State),
        in_task(ev(EDITOR, 1, 130, EventKind::Write), "other"),
    ];
    let found = w.run();
    let silent = of_kind(&found, FindingKind::SilentCompletion);
    assert_eq!(silent.len(), 1, "{found:#?}");
    assert_eq!(silent[0].agents, [WRITER, EDITOR]);
    assert!(
        silent[0]
            .summary
            .ends_with("for editor-1/review-1, and Editor's task review-1 has not started since"),
        "{}",
        silent[0].summary
    );
    // The review starts after the draft completed: picked up.
    w.tasks[1] = task(EDITOR, "review-1", TaskState::Working, 200);
    assert!(of_kind(&w.run(), FindingKind::SilentCompletion).is_empty());
}
