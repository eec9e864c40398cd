//! The twelve incidents, one per cycle at offset [`INCIDENT_OFFSET`], each built to trip one
//! detector and nothing else. Offsets run past the cycle where an incident needs more time (a
//! publisher that comes back to its page 65 ticks later).

use baton_core::task::TaskState;
use serde_json::json;

use super::plan::{done, ANNOUNCEMENTS, EDITOR, PUBLISHER, RESEARCHER, SUPPORT, WRITER};
use super::{Incident, INCIDENT_OFFSET};
use crate::scenario::timeline::{
    api_burst, api_call, ask, at, claim, handoff, read, start, state, task, write, Action, Beat,
};

/// The incident's beats, at offsets around [`INCIDENT_OFFSET`].
pub(super) fn incident(incident: Incident, k: u64) -> Vec<Beat> {
    let beats = match incident {
        Incident::WriteCollision => write_collision(k),
        Incident::NeedsApproval => needs_approval(k),
        Incident::OwnershipViolation => ownership_violation(k),
        Incident::ReadDuringWrite => read_during_write(k),
        Incident::Sequencing => sequencing(k),
        Incident::DivergentClaims => divergent_claims(k),
        Incident::TriggerCollision => trigger_collision(k),
        Incident::InvalidHandoff => invalid_handoff(k),
        Incident::RateLimitPressure => rate_limit_pressure(k),
        Incident::Stall => stall(k),
        Incident::SilentCompletion => silent_completion(k),
        Incident::Unreachable => unreachable(),
    };
    // Scripted relative to offset 20.
    debug_assert_eq!(INCIDENT_OFFSET, 20);
    beats
}

/// The launch page `k`'s files, which Editor writes and Publisher also rewrites.
pub fn launch_files(k: u64) -> [String; 2] {
    [
        format!("file:///site/launch-{k}/faq.md"),
        format!("file:///site/launch-{k}/pricing.md"),
    ]
}

/// Editor writes the launch FAQ and pricing copy; Publisher rewrites both two ticks later, and
/// again 66 ticks later (after the collision window) unless a decision told it to stop.
fn write_collision(k: u64) -> Vec<Beat> {
    let [faq, pricing] = launch_files(k);
    let copy = format!("copy-launch-{k}");
    let page = format!("page-launch-{k}");
    let mut beats = vec![
        at(
            18,
            EDITOR,
            start(
                task(&copy, format!("Write the launch {k} FAQ and pricing copy"))
                    .writes(&faq)
                    .output(&pricing),
            ),
        ),
        at(
            18,
            PUBLISHER,
            start(
                task(&page, format!("Build the launch {k} page"))
                    .writes(&faq)
                    .writes(&pricing)
                    .output(format!("cms://pages/launch-{k}")),
            ),
        ),
        // Both files in one tick each: they reach Baton in one poll, and the queue shows one
        // item for both at once.
        at(20, EDITOR, write(&copy, &faq)),
        at(20, EDITOR, write(&copy, &pricing)),
        at(22, PUBLISHER, write(&page, &faq)),
        at(22, PUBLISHER, write(&page, &pricing)),
        at(24, EDITOR, done(&copy)),
        at(86, PUBLISHER, write(&page, &faq)),
        at(87, PUBLISHER, write(&page, &pricing)),
        at(
            88,
            PUBLISHER,
            write(&page, format!("cms://pages/launch-{k}")),
        ),
        at(89, PUBLISHER, done(&page)),
    ];
    beats.extend((1..=4).map(|i| at(23 + 15 * i, PUBLISHER, api_call(&page, "openai"))));
    beats
}

fn needs_approval(k: u64) -> Vec<Beat> {
    let id = format!("publish-launch-{k}");
    let post = format!("cms://posts/launch-{k}");
    vec![
        at(
            18,
            PUBLISHER,
            start(task(&id, format!("Publish the launch {k} post")).output(&post)),
        ),
        at(19, PUBLISHER, api_call(&id, "openai")),
        at(
            20,
            PUBLISHER,
            ask(
                &id,
                &post,
                format!(
                    "Publish the launch {k} post now? It quotes a price that is not announced yet."
                ),
            ),
        ),
    ]
}

/// Writer posts a teaser to #announcements, which a rule gives to Publisher, and posts again
/// 30 ticks later unless told otherwise.
fn ownership_violation(k: u64) -> Vec<Beat> {
    let id = format!("teaser-{k}");
    vec![
        at(
            19,
            WRITER,
            start(task(&id, format!("Tease launch {k} in #announcements")).output(ANNOUNCEMENTS)),
        ),
        at(20, WRITER, write(&id, ANNOUNCEMENTS)),
        at(30, WRITER, api_call(&id, "anthropic")),
        at(40, WRITER, api_call(&id, "anthropic")),
        at(50, WRITER, write(&id, ANNOUNCEMENTS)),
        at(55, WRITER, done(&id)),
    ]
}

/// Editor reads the whitepaper while Writer's task is still writing it.
fn read_during_write(k: u64) -> Vec<Beat> {
    let paper = format!("file:///drafts/whitepaper-{k}.md");
    let (writing, review) = (format!("whitepaper-{k}"), format!("review-{k}"));
    vec![
        at(
            19,
            WRITER,
            start(task(&writing, format!("Draft the launch {k} whitepaper")).output(&paper)),
        ),
        at(20, WRITER, write(&writing, &paper)),
        at(
            23,
            EDITOR,
            start(
                task(&review, format!("Review the launch {k} whitepaper"))
                    .reads(&paper)
                    .output(format!("file:///reviews/whitepaper-{k}.md")),
            ),
        ),
        at(24, EDITOR, read(&review, &paper)),
        at(
            28,
            EDITOR,
            write(&review, format!("file:///reviews/whitepaper-{k}.md")),
        ),
        at(29, EDITOR, done(&review)),
        at(30, WRITER, api_call(&writing, "anthropic")),
        at(38, WRITER, write(&writing, &paper)),
        at(44, WRITER, done(&writing)),
    ]
}

/// Publisher starts the launch post while the images it depends on are still rendering.
fn sequencing(k: u64) -> Vec<Beat> {
    let (assets, post) = (format!("assets-{k}"), format!("launch-post-{k}"));
    let image = format!("file:///assets/launch-{k}.png");
    vec![
        at(
            18,
            PUBLISHER,
            start(task(&assets, format!("Render the launch {k} images")).output(&image)),
        ),
        at(
            19,
            PUBLISHER,
            start(
                task(&post, format!("Post the launch {k} announcement"))
                    .state(TaskState::Submitted)
                    .depends_on(&assets)
                    .reads(&image)
                    .output(format!("cms://posts/launch-{k}-announcement")),
            ),
        ),
        at(20, PUBLISHER, state(&post, TaskState::Working)),
        at(22, PUBLISHER, api_call(&assets, "openai")),
        at(26, PUBLISHER, write(&assets, &image)),
        at(27, PUBLISHER, done(&assets)),
        at(
            30,
            PUBLISHER,
            write(&post, format!("cms://posts/launch-{k}-announcement")),
        ),
        at(31, PUBLISHER, done(&post)),
    ]
}

/// Researcher says launch `k` costs $49; Support tells a customer $39.
fn divergent_claims(k: u64) -> Vec<Beat> {
    let key = price_key(k);
    let (check, answer) = (format!("pricing-check-{k}"), format!("ticket-price-{k}"));
    let reply = format!("mail://outbox/price-{k}");
    vec![
        at(
            19,
            RESEARCHER,
            start(task(&check, format!("Check the launch {k} price"))),
        ),
        at(
            19,
            SUPPORT,
            start(
                task(
                    &answer,
                    format!("Answer a question on the launch {k} price"),
                )
                .output(&reply),
            ),
        ),
        at(20, RESEARCHER, claim(&check, &key, json!("$49"))),
        at(21, SUPPORT, claim(&answer, &key, json!("$39"))),
        at(24, RESEARCHER, done(&check)),
        at(25, SUPPORT, write(&answer, &reply)),
        at(26, SUPPORT, done(&answer)),
    ]
}

/// The key the divergent claims are about.
pub fn price_key(k: u64) -> String {
    format!("launch-{k}/price")
}

/// One press request, picked up by Researcher and by Support.
fn trigger_collision(k: u64) -> Vec<Beat> {
    let mail = format!("mail://inbox/press-{k}");
    let (summary, reply) = (format!("press-{k}"), format!("press-reply-{k}"));
    vec![
        at(
            20,
            RESEARCHER,
            start(
                task(&summary, "Summarise the press request")
                    .trigger(&mail)
                    .output(format!("file:///research/press-{k}.md")),
            ),
        ),
        at(
            21,
            SUPPORT,
            start(
                task(&reply, "Reply to the press request")
                    .trigger(&mail)
                    .output(format!("mail://outbox/press-{k}")),
            ),
        ),
        at(
            23,
            RESEARCHER,
            write(&summary, format!("file:///research/press-{k}.md")),
        ),
        at(24, RESEARCHER, done(&summary)),
        at(
            25,
            SUPPORT,
            write(&reply, format!("mail://outbox/press-{k}")),
        ),
        at(26, SUPPORT, done(&reply)),
    ]
}

/// Researcher hands Writer a brief whose title is a number and whose summary is missing.
fn invalid_handoff(k: u64) -> Vec<Beat> {
    let brief = format!("file:///research/brief-{k}.md");
    let (research, drafting) = (format!("brief-{k}"), format!("from-brief-{k}"));
    vec![
        at(
            18,
            RESEARCHER,
            start(
                task(&research, format!("Brief for launch {k}"))
                    .output(&brief)
                    .next_stage("writer"),
            ),
        ),
        at(19, RESEARCHER, write(&research, &brief)),
        at(
            20,
            RESEARCHER,
            handoff(
                &research,
                "writer",
                &brief,
                json!({ "type": "brief", "title": 123 }),
            ),
        ),
        at(20, RESEARCHER, done(&research)),
        at(
            22,
            WRITER,
            start(task(&drafting, format!("Draft from the launch {k} brief")).reads(&brief)),
        ),
        at(23, WRITER, read(&drafting, &brief)),
        at(28, WRITER, done(&drafting)),
    ]
}

/// Writer and Editor burst on one OpenAI quota of 100 requests a minute until 429s come back.
fn rate_limit_pressure(k: u64) -> Vec<Beat> {
    let (rewrite, check) = (format!("bulk-rewrite-{k}"), format!("bulk-check-{k}"));
    vec![
        at(
            19,
            WRITER,
            start(task(&rewrite, "Rewrite the product pages")),
        ),
        at(19, EDITOR, start(task(&check, "Check the product pages"))),
        at(20, WRITER, api_burst(&rewrite, "openai", 100, 100, 45)),
        at(21, EDITOR, api_burst(&check, "openai", 100, 55, 45)),
        at(22, WRITER, api_burst(&rewrite, "openai", 100, 10, 5)),
        at(23, EDITOR, api_burst(&check, "openai", 100, 5, 8)),
        at(26, WRITER, done(&rewrite)),
        at(27, EDITOR, done(&check)),
    ]
}

/// A refund ticket stops making progress; it gives up on its own after five minutes.
fn stall(k: u64) -> Vec<Beat> {
    let id = format!("refund-{k}");
    vec![
        at(
            18,
            SUPPORT,
            start(
                task(&id, format!("Refund order {k}"))
                    .reads(format!("crm://orders/{k}"))
                    .output(format!("mail://outbox/refund-{k}")),
            ),
        ),
        at(19, SUPPORT, read(&id, format!("crm://orders/{k}"))),
        at(20, SUPPORT, api_call(&id, "anthropic")),
        at(
            320,
            SUPPORT,
            Action::State {
                task: id,
                state: TaskState::Failed,
                detail: Some("gave up waiting for the payments API".into()),
            },
        ),
    ]
}

/// Researcher completes a glossary for a translator no agent in Baton reports being.
fn silent_completion(k: u64) -> Vec<Beat> {
    let id = format!("glossary-{k}");
    let glossary = format!("file:///research/glossary-{k}.md");
    vec![
        at(
            16,
            RESEARCHER,
            start(
                task(&id, format!("Glossary for launch {k}"))
                    .output(&glossary)
                    .next_stage("translator"),
            ),
        ),
        at(18, RESEARCHER, write(&id, &glossary)),
        at(20, RESEARCHER, done(&id)),
    ]
}

/// Support's endpoint stops answering for 20 ticks.
fn unreachable() -> Vec<Beat> {
    vec![
        at(20, SUPPORT, Action::GoDark),
        at(40, SUPPORT, Action::Relight),
    ]
}
