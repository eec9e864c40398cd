//! What the story's agents do in one cycle of [`CYCLE_TICKS`] ticks: the calm pipeline for post
//! `k` (research → brief → draft → edit → publish, two support tickets, and chores for the
//! stages that wait), and the cycle's incident (`super::incidents`). Resources carry the cycle
//! number, so one cycle's work never meets another's.
//!
//! The calm pipeline is built not to trip any detector: each stage writes only its own files,
//! reads the previous stage's output after that task completed and handed it off, makes
//! progress at least every 15 ticks, and names a next stage that is busy two ticks later.

use baton_core::task::TaskState;
use serde_json::json;

use super::incidents::incident;
use super::{Incident, CYCLE_TICKS};
use crate::scenario::timeline::{
    api_call, at, handoff, read, start, state, task, write, Action, Beat,
};

pub const RESEARCHER: usize = 0;
pub const WRITER: usize = 1;
pub const EDITOR: usize = 2;
pub const PUBLISHER: usize = 3;
pub const SUPPORT: usize = 4;

/// Whose output Publisher alone may post (see `super::rules`).
pub const ANNOUNCEMENTS: &str = "slack://announcements";

/// The beats of cycle `k`, with ticks counted from the story's start (tick 1).
pub fn cycle(k: u64) -> Vec<Beat> {
    let base = k * CYCLE_TICKS;
    let mut beats = calm(k);
    beats.extend(incident(Incident::of_cycle(k), k));
    for beat in &mut beats {
        beat.tick += base;
    }
    beats
}

pub(super) fn done(task: impl Into<String>) -> Action {
    state(task, TaskState::Completed)
}

/// The pipeline for post `k` and two support tickets, at offsets 1 to 43.
fn calm(k: u64) -> Vec<Beat> {
    let notes = format!("file:///research/notes-{k}.md");
    let draft = format!("file:///drafts/post-{k}.md");
    let edits = format!("file:///edits/post-{k}.md");
    let post = format!("cms://posts/post-{k}");
    let (research, drafting, editing, publishing) = (
        format!("research-{k}"),
        format!("draft-{k}"),
        format!("edit-{k}"),
        format!("publish-{k}"),
    );
    let mut beats = vec![
        at(
            1,
            RESEARCHER,
            start(
                task(&research, format!("Research post {k}"))
                    .reads("api://search")
                    .output(&notes)
                    .next_stage("writer"),
            ),
        ),
        at(2, RESEARCHER, read(&research, "api://search")),
        at(3, RESEARCHER, api_call(&research, "openai")),
        at(4, RESEARCHER, write(&research, &notes)),
        at(
            6,
            RESEARCHER,
            handoff(
                &research,
                "writer",
                &notes,
                json!({ "type": "brief", "title": format!("Post {k}"), "summary": "Three angles, sources attached." }),
            ),
        ),
        at(6, RESEARCHER, done(&research)),
        at(
            8,
            WRITER,
            start(
                task(&drafting, format!("Draft post {k}"))
                    .reads(&notes)
                    .output(&draft)
                    .next_stage("editor"),
            ),
        ),
        at(9, WRITER, read(&drafting, &notes)),
        at(10, WRITER, api_call(&drafting, "anthropic")),
        at(12, WRITER, write(&drafting, &draft)),
        at(15, WRITER, api_call(&drafting, "anthropic")),
        at(16, WRITER, write(&drafting, &draft)),
        at(
            18,
            WRITER,
            handoff(&drafting, "editor", &draft, json!({ "type": "draft" })),
        ),
        at(18, WRITER, done(&drafting)),
        at(
            20,
            EDITOR,
            start(
                task(&editing, format!("Edit post {k}"))
                    .reads(&draft)
                    .output(&edits)
                    .next_stage("publisher"),
            ),
        ),
        at(21, EDITOR, read(&editing, &draft)),
        at(24, EDITOR, api_call(&editing, "anthropic")),
        at(26, EDITOR, write(&editing, &edits)),
        at(
            30,
            EDITOR,
            handoff(&editing, "publisher", &edits, json!({ "type": "edit" })),
        ),
        at(30, EDITOR, done(&editing)),
        at(
            32,
            PUBLISHER,
            start(
                task(&publishing, format!("Publish post {k}"))
                    .reads(&edits)
                    .output(&post),
            ),
        ),
        at(33, PUBLISHER, read(&publishing, &edits)),
        at(36, PUBLISHER, write(&publishing, &post)),
        at(38, PUBLISHER, done(&publishing)),
    ];
    for (offset, letter) in [(3, 'a'), (35, 'b')] {
        beats.extend(ticket(k, offset, letter));
    }
    beats.extend(chores(k));
    beats
}

/// What Editor and Publisher do while the pipeline has nothing for them yet, so that every
/// agent is busy from the first seconds: a style pass and a traffic report, on files of their
/// own.
fn chores(k: u64) -> Vec<Beat> {
    let (style, report) = (format!("style-{k}"), format!("traffic-{k}"));
    let guide = format!("file:///edits/style-{k}.md");
    let traffic = format!("file:///reports/traffic-{k}.md");
    let analytics = format!("cms://analytics/daily-{k}");
    vec![
        at(
            2,
            EDITOR,
            start(task(&style, "Tidy the style guide").output(&guide)),
        ),
        at(6, EDITOR, api_call(&style, "anthropic")),
        at(10, EDITOR, write(&style, &guide)),
        at(12, EDITOR, done(&style)),
        at(
            3,
            PUBLISHER,
            start(
                task(&report, "Report yesterday's traffic")
                    .reads(&analytics)
                    .output(&traffic),
            ),
        ),
        at(4, PUBLISHER, read(&report, &analytics)),
        at(9, PUBLISHER, api_call(&report, "openai")),
        at(13, PUBLISHER, write(&report, &traffic)),
        at(14, PUBLISHER, done(&report)),
    ]
}

/// A support ticket from the inbox, answered in eight ticks.
fn ticket(k: u64, offset: u64, letter: char) -> Vec<Beat> {
    let id = format!("ticket-{k}{letter}");
    let contact = format!("crm://contacts/{k}{letter}");
    let reply = format!("mail://outbox/ticket-{k}{letter}");
    vec![
        at(
            offset,
            SUPPORT,
            start(
                task(&id, format!("Answer ticket {k}{letter}"))
                    .trigger(format!("mail://inbox/ticket-{k}{letter}"))
                    .reads(&contact)
                    .output(&reply),
            ),
        ),
        at(offset + 1, SUPPORT, read(&id, &contact)),
        at(offset + 4, SUPPORT, api_call(&id, "anthropic")),
        at(offset + 7, SUPPORT, write(&id, &reply)),
        at(offset + 8, SUPPORT, done(&id)),
    ]
}
