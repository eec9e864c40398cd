//! Reading an agent's answer without parsing again the tasks an earlier answer already held.
//!
//! `tasks` is a snapshot (docs/protocol.md): an agent sends its recent tasks, up to a few
//! hundred, on every poll, and nearly all of them are as they were a second ago. Parsing them
//! (strings, timestamps) was the largest cost of polling a busy fleet. Here each task's JSON
//! text is hashed while the document is read; a text the last stored answer held is not parsed,
//! and only the new or changed tasks come out. The result is the one [`parse_status`] gives for
//! the same body, less the unchanged tasks: any body this path does not accept is handed to
//! [`parse_status`], so errors read exactly as they always did.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{parse_status, validate, AgentInfo, Event, StatusDocument, Task, UsageReport};
use crate::ProtocolError;

/// The tasks of one answer: the digest of each task's JSON text, with the digest of its id
/// (so a later answer naming the same id twice is still refused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownTasks {
    by_text: HashMap<u64, u64>,
    /// The text digests of the tasks that came out of the answer as new or changed, in their
    /// order (see [`KnownTasks::changed_since`]).
    read_as_changed: Vec<u64>,
}

fn digest(bytes: &[u8]) -> u64 {
    // Fixed seed: a text's digest is kept with its task in the store (`tasks.reported_digest`)
    // and compared by the next watcher that polls the agent. A build whose digests differ
    // (another hash, another version of it) matches none and compares every task field by
    // field, as before; only a collision of 64 bits could make a changed text read as stored.
    foldhash::quality::FixedState::with_seed(0x0062_6174_6f6e_2f31).hash_one(bytes)
}

impl KnownTasks {
    /// How many tasks the answer held.
    pub fn len(&self) -> usize {
        self.by_text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_text.is_empty()
    }

    /// The digest of the text each of `tasks` had in this answer, by task id, for the store to
    /// keep with the task: a poller's first write asks the store which tasks were stored from
    /// these very texts (`baton_store::Store::tasks_stored_as_reported`). A task this answer
    /// did not hold is left out.
    pub fn text_digests(&self, tasks: &[Task]) -> HashMap<String, u64> {
        // An answer names an id once (`parse_skipping`, `validate`): one text an id. A poll
        // usually writes a task or two of its 200: those are looked for, not mapped.
        let mut by_id: Option<HashMap<u64, u64>> = None;
        let mut text_of = |id: u64| match tasks.len() {
            0..=4 => self.by_text.iter().find(|(_, &i)| i == id).map(|(&t, _)| t),
            _ => {
                let map = by_id
                    .get_or_insert_with(|| self.by_text.iter().map(|(&t, &i)| (i, t)).collect());
                map.get(&id).copied()
            }
        };
        tasks
            .iter()
            .filter_map(|task| Some((task.id.clone(), text_of(digest(task.id.as_bytes()))?)))
            .collect()
    }

    /// Of `tasks`, the tasks this answer came out with as new or changed (against the known
    /// tasks it was read with), those `stored` does not hold either. An answer read while the
    /// one before it was still being stored was read against the tasks stored before that
    /// one: what that one stored is no news. When `tasks` are not what the read gave, all of
    /// them.
    pub fn changed_since(&self, tasks: Vec<Task>, stored: &KnownTasks) -> Vec<Task> {
        if tasks.len() != self.read_as_changed.len() {
            return tasks;
        }
        tasks
            .into_iter()
            .zip(&self.read_as_changed)
            .filter(|(_, text)| !stored.by_text.contains_key(text))
            .map(|(task, _)| task)
            .collect()
    }

    /// For a document built in memory (an A2A agent's tasks, converted): the tasks not in
    /// `self` (new or changed, in their order), and every task of `tasks` as known tasks.
    pub fn split(&self, tasks: Vec<Task>) -> (Vec<Task>, KnownTasks) {
        let mut all = KnownTasks::default();
        let mut changed = Vec::new();
        for task in tasks {
            let text = serde_json::to_vec(&task).unwrap_or_default();
            let text_digest = digest(&text);
            all.by_text.insert(text_digest, digest(task.id.as_bytes()));
            if !self.by_text.contains_key(&text_digest) {
                all.read_as_changed.push(text_digest);
                changed.push(task);
            }
        }
        (changed, all)
    }
}

/// The fields of [`StatusDocument`] with each task left as its JSON text. Keep the two alike:
/// what one accepts the other must accept.
#[derive(Deserialize)]
struct Answer<'a> {
    protocol: String,
    agent: AgentInfo,
    #[serde(default, borrow)]
    tasks: Vec<&'a RawValue>,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default)]
    usage: Vec<UsageReport>,
    cursor: String,
}

/// Parses one answer of an agent whose last stored answer held `known`: the document with only
/// the tasks that are new or changed since (in their order), and every task of this answer, to
/// remember once the answer is stored. Errors are those of [`parse_status`].
pub fn parse_status_after(
    body: &[u8],
    known: &KnownTasks,
) -> Result<(StatusDocument, KnownTasks), ProtocolError> {
    if let Some(parsed) = parse_skipping(body, known) {
        return Ok(parsed);
    }
    // Not accepted above: the full parse says why. Were it to accept the body after all, every
    // task goes through as new and nothing is remembered.
    let doc = parse_status(body)?;
    Ok((doc, KnownTasks::default()))
}

fn parse_skipping(body: &[u8], known: &KnownTasks) -> Option<(StatusDocument, KnownTasks)> {
    let answer: Answer<'_> = serde_json::from_slice(body).ok()?;
    let mut all = KnownTasks {
        by_text: HashMap::with_capacity(answer.tasks.len()),
        read_as_changed: Vec::new(),
    };
    let mut ids = HashSet::with_capacity(answer.tasks.len());
    let mut changed = Vec::new();
    for raw in &answer.tasks {
        let text_digest = digest(raw.get().as_bytes());
        let id_digest = match known.by_text.get(&text_digest) {
            Some(&id_digest) => id_digest,
            None => {
                let task: Task = serde_json::from_str(raw.get()).ok()?;
                let id_digest = digest(task.id.as_bytes());
                all.read_as_changed.push(text_digest);
                changed.push(task);
                id_digest
            }
        };
        // The same id twice, whether parsed or not (`validate` sees only the parsed ones).
        if !ids.insert(id_digest) {
            return None;
        }
        all.by_text.insert(text_digest, id_digest);
    }
    let doc = StatusDocument {
        protocol: answer.protocol,
        agent: answer.agent,
        tasks: changed,
        events: answer.events,
        usage: answer.usage,
        cursor: answer.cursor,
    };
    // A task known from an earlier answer passed these checks then: its text is the same.
    validate(&doc).ok()?;
    Some((doc, all))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskState;

    fn body(tasks: &[Task]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "protocol": "baton/1",
            "agent": {"id": "writer-1"},
            "tasks": tasks,
            "events": [{"seq": 1, "at": "2026-11-23T10:00:00Z", "kind": "write",
                        "resource": "file:///a"}],
            "cursor": "1",
        }))
        .unwrap()
    }

    fn tasks(n: usize) -> Vec<Task> {
        (0..n)
            .map(|i| Task::new(format!("t{i}"), format!("task {i}"), TaskState::Working))
            .collect()
    }

    #[test]
    fn only_new_or_changed_tasks_are_parsed_once_an_answer_is_known() {
        let first = tasks(3);
        let (doc, known) = parse_status_after(&body(&first), &KnownTasks::default()).unwrap();
        assert_eq!(
            doc,
            parse_status(&body(&first)).unwrap(),
            "nothing known: all of it"
        );
        assert_eq!(known.len(), 3);

        let mut next = first.clone();
        next[1].state = TaskState::Completed;
        next.push(Task::new("t3", "task 3", TaskState::Submitted));
        let (doc, known_next) = parse_status_after(&body(&next), &known).unwrap();
        let ids: Vec<&str> = doc.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["t1", "t3"]);
        assert_eq!(doc.tasks[0].state, TaskState::Completed);
        assert_eq!(doc.events.len(), 1, "the rest of the document is whole");
        assert_eq!(known_next.len(), 4);

        let (doc, _) = parse_status_after(&body(&next), &known_next).unwrap();
        assert!(
            doc.tasks.is_empty(),
            "the same answer again: no task to parse"
        );
    }

    #[test]
    fn a_known_task_repeated_is_refused_as_the_full_parse_refuses_it() {
        let first = tasks(2);
        let (_, known) = parse_status_after(&body(&first), &KnownTasks::default()).unwrap();
        // t0 unchanged, then t0 again with a new title: an id twice.
        let mut twice = first.clone();
        twice.push(Task::new("t0", "renamed", TaskState::Working));
        let err = parse_status_after(&body(&twice), &known).unwrap_err();
        assert_eq!(err, parse_status(&body(&twice)).unwrap_err());
        assert!(err.to_string().contains("appears twice"), "{err}");
        // The very same text twice, too.
        let mut same = first.clone();
        same.push(first[0].clone());
        let err = parse_status_after(&body(&same), &known).unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
    }

    #[test]
    fn bad_bodies_get_the_full_parses_words() {
        let (_, known) = parse_status_after(&body(&tasks(2)), &KnownTasks::default()).unwrap();
        let cases: [&[u8]; 6] = [
            b"",
            b"{\"protocol\": \"baton/1\", \"agent\": {\"id\": \"a\"}, \"tasks\": [",
            b"{\"protocol\": \"baton/2\", \"agent\": {\"id\": \"a\"}, \"cursor\": \"\"}",
            b"{\"protocol\": \"baton/1\", \"agent\": {\"id\": \"a\"}, \"tasks\": null, \"cursor\": \"\"}",
            b"{\"protocol\": \"baton/1\", \"agent\": {\"id\": \"a\"}, \"tasks\": [{\"id\": \"x\", \"title\": \"X\", \"state\": \"dreaming\"}], \"cursor\": \"\"}",
            b"{\"protocol\": \"baton/1\", \"agent\": {\"id\": \"a\"}, \"tasks\": [{\"id\": \" \", \"title\": \"X\", \"state\": \"working\"}], \"cursor\": \"\"}",
        ];
        for case in cases {
            assert_eq!(
                parse_status_after(case, &known).unwrap_err(),
                parse_status(case).unwrap_err(),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn an_answer_read_against_older_known_tasks_leaves_out_what_was_stored_since() {
        let first = tasks(3);
        let (_, stored_before) = parse_status_after(&body(&first), &KnownTasks::default()).unwrap();
        // Stored meanwhile: t1 completed.
        let mut stored = first.clone();
        stored[1].state = TaskState::Completed;
        let (_, stored_since) = parse_status_after(&body(&stored), &stored_before).unwrap();
        // Read against the tasks stored before: t1 and a new t3 come out; only t3 is news.
        let mut next = stored.clone();
        next.push(Task::new("t3", "task 3", TaskState::Submitted));
        let (doc, known) = parse_status_after(&body(&next), &stored_before).unwrap();
        assert_eq!(doc.tasks.len(), 2);
        let news = known.changed_since(doc.tasks, &stored_since);
        let ids: Vec<&str> = news.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["t3"]);
        // Tasks that are not what the read gave: all of them.
        assert_eq!(known.changed_since(tasks(1), &stored_since).len(), 1);
        // Built in memory, the same.
        let (changed, known) = stored_before.split(next);
        assert_eq!(known.changed_since(changed, &stored_since).len(), 1);
    }

    #[test]
    fn tasks_built_in_memory_split_the_same_way() {
        let first = tasks(3);
        let (changed, known) = KnownTasks::default().split(first.clone());
        assert_eq!(changed, first);
        let mut next = first;
        next[2].detail = Some("waiting for the editor".into());
        let (changed, all) = known.split(next);
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].id, "t2");
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn each_tasks_text_digest_is_told_by_its_id() {
        let first = tasks(3);
        let (doc, known) = parse_status_after(&body(&first), &KnownTasks::default()).unwrap();
        let kept = known.text_digests(&doc.tasks);
        assert_eq!(kept.len(), 3);
        let mut next = first.clone();
        next[2].title = "task 2, renamed".into();
        let (doc, known_next) = parse_status_after(&body(&next), &known).unwrap();
        assert_eq!(doc.tasks.len(), 1);
        // Only the renamed task's text changed; a task the answer did not hold has none.
        let unknown = Task::new("t9", "-", TaskState::Working);
        let kept_next = known_next.text_digests(&[next[0].clone(), next[2].clone(), unknown]);
        assert_eq!(kept_next.len(), 2);
        assert_eq!(kept_next["t0"], kept["t0"]);
        assert_ne!(kept_next["t2"], kept["t2"]);
        // Built in memory (an A2A agent's tasks), the same texts give the same digests.
        let (_, split) = KnownTasks::default().split(first.clone());
        assert_eq!(split.text_digests(&first), kept);
        // Many tasks at once (mapped, not looked for one by one): the same digests.
        let many = tasks(9);
        let (doc, known) = parse_status_after(&body(&many), &KnownTasks::default()).unwrap();
        let all = known.text_digests(&doc.tasks);
        assert_eq!(all.len(), 9);
        for task in &many {
            assert_eq!(
                known.text_digests(std::slice::from_ref(task))[&task.id],
                all[&task.id]
            );
        }
    }

    proptest::proptest! {
        /// One byte of a known answer changed, anywhere: accepted exactly when the full parse
        /// accepts it, with its error otherwise, and the same document but for the tasks.
        #[test]
        fn a_changed_byte_reads_as_the_full_parse_reads_it(at in 0usize..10_000, byte in 0u8..128) {
            let good = body(&tasks(3));
            let (_, known) = parse_status_after(&good, &KnownTasks::default()).unwrap();
            let mut bad = good.clone();
            let at = at % bad.len();
            bad[at] = byte;
            match (parse_status_after(&bad, &known), parse_status(&bad)) {
                (Ok((doc, _)), Ok(full)) => {
                    proptest::prop_assert!(doc.tasks.iter().all(|t| full.tasks.contains(t)));
                    proptest::prop_assert_eq!(
                        StatusDocument { tasks: vec![], ..doc },
                        StatusDocument { tasks: vec![], ..full }
                    );
                }
                (Err(err), Err(full)) => proptest::prop_assert_eq!(err, full),
                (mine, full) => proptest::prop_assert!(false, "{mine:?} but {full:?}"),
            }
        }
    }
}
