//! Status answers written as JSON, reusing the text of every task that did not change since the
//! agent's previous answer.
//!
//! A busy simulated agent keeps 200 tasks and changes a handful a second; cloning and serialising
//! all of them for every poll was four fifths of the simulated fleet's time in `fleet_load`
//! (1,000 agents polled every second on the same two cores as the Baton under test). Telling an
//! unchanged task by comparing it with its copy, then by looking its id up (a string on the heap
//! each, cold in cache), was then most of what was left (`memcmp`, 8 % of the machine in
//! `watchers_failover`): each task comes with the revision its agent gave its last change, a
//! number no other change of that agent's tasks has, and the texts are kept by revision. The
//! bytes are exactly those of `serde_json::to_vec(&StatusDocument)` for the same answer.

use std::collections::HashMap;

use baton_core::protocol::{AgentInfo, Event, Task, UsageReport, PROTOCOL};
use serde::Serialize;
use serde_json::value::RawValue;

/// One answer, its tasks borrowed from the agent that gives it.
#[derive(Debug)]
pub(crate) struct AnswerParts<'a> {
    pub agent: AgentInfo,
    /// The agent's tasks, each with the revision of its last change (one agent never gives two
    /// changes one revision: the cache is keyed by it).
    pub tasks: Vec<(&'a Task, u64)>,
    pub events: Vec<Event>,
    pub usage: &'a [UsageReport],
    pub cursor: String,
}

/// The fields of a `StatusDocument`, in its order, with the tasks as JSON text.
#[derive(Serialize)]
struct Answer<'a> {
    protocol: &'a str,
    agent: &'a AgentInfo,
    tasks: Vec<&'a RawValue>,
    events: &'a [Event],
    usage: &'a [UsageReport],
    cursor: &'a str,
}

#[derive(Debug)]
struct TaskText {
    json: Box<RawValue>,
    /// The number of the last answer that held the task.
    answer: u64,
}

/// The JSON of each task as last answered, by the revision it was written at.
#[derive(Debug, Default)]
pub(crate) struct TaskTexts {
    by_revision: HashMap<u64, TaskText, foldhash::fast::RandomState>,
    answers: u64,
}

impl TaskTexts {
    /// Writes `parts` as a status document into `out`.
    pub(crate) fn write(
        &mut self,
        parts: &AnswerParts<'_>,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        self.answers += 1;
        let answer = self.answers;
        for &(task, revision) in &parts.tasks {
            match self.by_revision.get_mut(&revision) {
                Some(known) => known.answer = answer,
                None => {
                    let json = serde_json::value::to_raw_value(task)?;
                    self.by_revision.insert(revision, TaskText { json, answer });
                }
            }
        }
        // The texts of tasks changed since, or dropped, go.
        if self.by_revision.len() > parts.tasks.len() {
            self.by_revision.retain(|_, text| text.answer == answer);
        }
        let tasks = parts
            .tasks
            .iter()
            .map(|(_, revision)| &*self.by_revision[revision].json)
            .collect();
        serde_json::to_writer(
            out,
            &Answer {
                protocol: PROTOCOL,
                agent: &parts.agent,
                tasks,
                events: &parts.events,
                usage: parts.usage,
                cursor: &parts.cursor,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::script::{AgentScript, MAX_TASKS};

    #[test]
    fn answers_are_byte_for_byte_those_of_the_whole_document_as_tasks_change_and_go() {
        for index in 0..2 {
            // Two copies of one agent evolve alike: one answers through the cache, the other
            // serialises its whole document. They run until the agent has been dropping its
            // oldest finished tasks for a while.
            let mut texts = TaskTexts::default();
            let mut cached = AgentScript::new(index, 2, 7);
            let mut whole = cached.clone();
            let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
            let mut since: Option<String> = None;
            let mut full_for = 0;
            for tick in 0..5_000 {
                let now = start + chrono::Duration::seconds(tick);
                cached.tick(now);
                whole.tick(now);
                let mut out = Vec::new();
                texts
                    .write(&cached.poll_parts(since.as_deref(), 50), &mut out)
                    .unwrap();
                let doc = whole.poll(since.as_deref(), 50);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    serde_json::to_string(&doc).unwrap(),
                    "agent {index}, tick {tick}"
                );
                since = Some(doc.cursor);
                if doc.tasks.len() == MAX_TASKS {
                    full_for += 1;
                    if full_for == 100 {
                        break;
                    }
                }
            }
            assert_eq!(full_for, 100, "the agent dropped tasks for 100 ticks");
            // The cache forgets the tasks the agent dropped, and the texts of changed tasks.
            assert_eq!(texts.by_revision.len(), MAX_TASKS);
        }
    }
}
