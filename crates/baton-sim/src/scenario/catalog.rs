//! The timelines: who plays each scenario and what each agent does at which tick. Tick 1 is the
//! first tick after the fleet starts; after its last beat a scenario stays quiet (its agents keep
//! holding their tasks).

use baton_core::task::TaskState;
use chrono::Duration;
use serde_json::json;

use super::timeline::{
    api_burst, api_call, ask, at, claim, handoff, read, spend, start, state, task, write, Action,
    Beat, Cast,
};
use super::Scenario;

const EDITOR: Cast = Cast {
    id: "editor",
    name: "Editor",
};
const PUBLISHER: Cast = Cast {
    id: "publisher",
    name: "Publisher",
};
const WRITER: Cast = Cast {
    id: "writer",
    name: "Writer",
};
const RESEARCHER: Cast = Cast {
    id: "researcher",
    name: "Researcher",
};
const BILLING: Cast = Cast {
    id: "billing",
    name: "Billing",
};
const SUPPORT: Cast = Cast {
    id: "support",
    name: "Support",
};
const ANALYST: Cast = Cast {
    id: "analyst",
    name: "Analyst",
};

pub const LAUNCH_DRAFT: &str = "file:///drafts/launch.md";
pub const LAUNCH_POST: &str = "cms://posts/launch";
pub const INVOICE_STATUS: &str = "crm://invoices/311#status";
pub const INVOICE_STATUS_RULE: &str = "crm://invoices/*#status";
pub const Q3_DRAFT: &str = "file:///drafts/q3-report.md";
pub const PRICING_NOTES: &str = "file:///research/pricing.md";
pub const CHURN_SEGMENT: &str = "crm://segments/churn-risk";
pub const KB_INDEX: &str = "kb://index";
pub const INVOICE_MAIL: &str = "mail://inbox/invoice-311";
pub const TIER_KEY: &str = "contacts/42/tier";
pub const LAUNCH_BRIEF: &str = "file:///research/launch-brief.md";
/// The resource a rate-limit pressure finding names.
pub const OPENAI_API: &str = "api:openai";

/// How long the timeout scenario's task had been running when the scenario began: just under
/// the default 2 h budget, so it runs past it about two minutes in.
pub fn timeout_head_start() -> Duration {
    Duration::minutes(118)
}

/// The cast (agent `i` of the fleet is `cast[i]`) and the beats.
pub fn script(scenario: Scenario) -> (Vec<Cast>, Vec<Beat>) {
    match scenario {
        Scenario::WriteCollision => write_collision(),
        Scenario::OwnershipViolation => ownership_violation(),
        Scenario::ReadDuringWrite => read_during_write(),
        Scenario::Sequencing => sequencing(),
        Scenario::SilentCompletion => silent_completion(),
        Scenario::Stall => stall(),
        Scenario::Timeout => timeout(),
        Scenario::TriggerCollision => trigger_collision(),
        Scenario::Unreachable => unreachable(),
        Scenario::DivergentClaims => divergent_claims(),
        Scenario::NeedsApproval => needs_approval(),
        Scenario::InvalidHandoff => invalid_handoff(),
        Scenario::CounterRestart => counter_restart(),
        Scenario::CrossAgentSequencing => cross_agent_sequencing(),
        Scenario::Deadlock => deadlock(),
        Scenario::OverBudget => over_budget(),
        Scenario::RateLimitPressure => rate_limit_pressure(),
    }
}

/// The editor and the publisher both write the launch draft, two ticks apart.
fn write_collision() -> (Vec<Cast>, Vec<Beat>) {
    let (editor, publisher) = (0, 1);
    let edit = task("edit-launch", "Tighten the launch post").output(LAUNCH_DRAFT);
    let publish = task("publish-launch", "Publish the launch post")
        .reads(LAUNCH_DRAFT)
        .writes(LAUNCH_DRAFT)
        .output(LAUNCH_POST);
    let beats = vec![
        at(1, editor, start(edit)),
        at(1, publisher, start(publish)),
        at(2, editor, write("edit-launch", LAUNCH_DRAFT)),
        // The publisher fixes a typo in the draft itself before publishing.
        at(4, publisher, write("publish-launch", LAUNCH_DRAFT)),
    ];
    (vec![EDITOR, PUBLISHER], beats)
}

/// Billing owns invoice statuses (see `Scenario::rules`); Support marks one disputed.
fn ownership_violation() -> (Vec<Cast>, Vec<Beat>) {
    let (billing, support) = (0, 1);
    let reconcile =
        task("invoice-310", "Reconcile invoice 310").output("crm://invoices/310#status");
    let answer = task("ticket-311", "Answer the customer asking about invoice 311")
        .reads(INVOICE_STATUS)
        .writes(INVOICE_STATUS)
        .output("mail://outbox/support/311");
    let beats = vec![
        at(1, billing, start(reconcile)),
        at(1, support, start(answer)),
        at(
            2,
            billing,
            write("invoice-310", "crm://invoices/310#status"),
        ),
        at(2, support, read("ticket-311", INVOICE_STATUS)),
        at(3, billing, state("invoice-310", TaskState::Completed)),
        at(4, support, write("ticket-311", INVOICE_STATUS)),
        at(5, support, write("ticket-311", "mail://outbox/support/311")),
        at(5, support, state("ticket-311", TaskState::Completed)),
    ];
    (vec![BILLING, SUPPORT], beats)
}

/// The editor reads the Q3 draft three ticks after the writer wrote it, while the writer's task
/// is still working and has not handed the draft off.
fn read_during_write() -> (Vec<Cast>, Vec<Beat>) {
    let (writer, editor) = (0, 1);
    let draft = task("draft-q3", "Draft the Q3 report").output(Q3_DRAFT);
    let edit = task("edit-q3", "Edit the Q3 report")
        .reads(Q3_DRAFT)
        .output("file:///reviews/q3-report.md");
    let beats = vec![
        at(1, writer, start(draft)),
        at(2, writer, write("draft-q3", Q3_DRAFT)),
        at(5, editor, start(edit)),
        at(5, editor, read("edit-q3", Q3_DRAFT)),
    ];
    (vec![WRITER, EDITOR], beats)
}

/// The publisher starts publishing while the images it depends on are still being rendered.
fn sequencing() -> (Vec<Cast>, Vec<Beat>) {
    let (publisher, editor) = (0, 1);
    let assets = task("assets-launch", "Render the launch post's images")
        .output("file:///assets/launch-hero.png");
    let publish = task("publish-launch", "Publish the launch post")
        .state(TaskState::Submitted)
        .depends_on("assets-launch")
        .reads(LAUNCH_DRAFT)
        .output(LAUNCH_POST);
    let edit = task("edit-launch", "Final edit of the launch post").output(LAUNCH_DRAFT);
    let beats = vec![
        at(1, publisher, start(assets)),
        at(1, publisher, start(publish)),
        at(1, editor, start(edit)),
        at(2, publisher, api_call("assets-launch", "openai")),
        at(2, editor, write("edit-launch", LAUNCH_DRAFT)),
        at(2, editor, state("edit-launch", TaskState::Completed)),
        at(3, publisher, state("publish-launch", TaskState::Working)),
    ];
    (vec![PUBLISHER, EDITOR], beats)
}

/// The writer starts the launch post at tick 3, which depends on the researcher's brief
/// (`researcher/research-launch`), still being researched.
fn cross_agent_sequencing() -> (Vec<Cast>, Vec<Beat>) {
    let (writer, researcher) = (0, 1);
    let research = task("research-launch", "Research the launch brief").output(LAUNCH_BRIEF);
    let post = task("write-launch-post", "Write the launch post")
        .state(TaskState::Submitted)
        .depends_on(format!("{}/research-launch", RESEARCHER.id))
        .reads(LAUNCH_BRIEF)
        .output(LAUNCH_POST);
    let beats = vec![
        at(1, researcher, start(research)),
        at(1, writer, start(post)),
        at(2, researcher, api_call("research-launch", "search")),
        at(3, writer, state("write-launch-post", TaskState::Working)),
    ];
    (vec![WRITER, RESEARCHER], beats)
}

/// The writer's draft waits for the editor's style guide, which waits for the writer's draft:
/// both start at tick 2 and neither can finish.
fn deadlock() -> (Vec<Cast>, Vec<Beat>) {
    let (writer, editor) = (0, 1);
    let draft = task("draft-guide", "Draft the launch guide")
        .state(TaskState::Submitted)
        .depends_on(format!("{}/style-guide", EDITOR.id))
        .output("file:///drafts/guide.md");
    let style = task("style-guide", "Write the style guide from the first draft")
        .state(TaskState::Submitted)
        .depends_on(format!("{}/draft-guide", WRITER.id))
        .output("file:///drafts/style.md");
    let beats = vec![
        at(1, writer, start(draft)),
        at(1, editor, start(style)),
        at(2, writer, state("draft-guide", TaskState::Blocked)),
        at(2, editor, state("style-guide", TaskState::Blocked)),
    ];
    (vec![WRITER, EDITOR], beats)
}

/// The researcher's calls to gpt-4o (20,000 tokens in, 5,000 out: $0.10 each at Baton's
/// default price) pass its daily budget of $1 at tick 3; the writer, with no budget, spends
/// more and is not flagged.
fn over_budget() -> (Vec<Cast>, Vec<Beat>) {
    let (researcher, writer) = (0, 1);
    let research = task("research-market", "Research the market for the launch");
    let draft = task("draft-launch", "Draft the launch post").output(LAUNCH_POST);
    let call = (20_000, 5_000);
    let beats = vec![
        at(1, researcher, start(research)),
        at(1, writer, start(draft)),
        at(
            2,
            researcher,
            spend("research-market", "openai", "gpt-4o", call, 8),
        ),
        at(
            2,
            writer,
            spend("draft-launch", "openai", "gpt-4o", call, 20),
        ),
        at(
            3,
            researcher,
            spend("research-market", "openai", "gpt-4o", call, 8),
        ),
    ];
    (vec![RESEARCHER, WRITER], beats)
}

/// The researcher completes its notes for the writer, who shows nothing afterwards.
fn silent_completion() -> (Vec<Cast>, Vec<Beat>) {
    let (researcher, writer) = (0, 1);
    let research = task("research-pricing", "Collect competitor pricing")
        .reads("api://search")
        .output(PRICING_NOTES)
        .next_stage(WRITER.id);
    let faq = task("draft-faq", "Draft the pricing FAQ").output("file:///drafts/faq.md");
    let beats = vec![
        at(1, researcher, start(research)),
        at(1, writer, start(faq)),
        at(2, researcher, read("research-pricing", "api://search")),
        at(2, writer, write("draft-faq", "file:///drafts/faq.md")),
        at(2, writer, state("draft-faq", TaskState::Completed)),
        at(3, researcher, write("research-pricing", PRICING_NOTES)),
        at(
            3,
            researcher,
            state("research-pricing", TaskState::Completed),
        ),
    ];
    (vec![RESEARCHER, WRITER], beats)
}

/// The analyst's scoring run stops making progress; support finishes its ticket.
fn stall() -> (Vec<Cast>, Vec<Beat>) {
    let (analyst, support) = (0, 1);
    let score = task("score-churn", "Score this week's contacts for churn risk")
        .reads("crm://contacts/42#status")
        .output(CHURN_SEGMENT);
    let ticket =
        task("ticket-90", "Reset a customer's password").output("mail://outbox/support/90");
    let beats = vec![
        at(1, analyst, start(score)),
        at(1, support, start(ticket)),
        at(2, analyst, read("score-churn", "crm://contacts/42#status")),
        at(2, support, write("ticket-90", "mail://outbox/support/90")),
        at(3, analyst, api_call("score-churn", "openai")),
        at(3, support, state("ticket-90", TaskState::Completed)),
    ];
    (vec![ANALYST, SUPPORT], beats)
}

/// The indexer's re-index, already running for almost two hours, keeps going past its budget.
fn timeout() -> (Vec<Cast>, Vec<Beat>) {
    const INDEXER: Cast = Cast {
        id: "indexer",
        name: "Indexer",
    };
    let (indexer, researcher) = (0, 1);
    let reindex = task("reindex-kb", "Re-index the knowledge base")
        .output(KB_INDEX)
        .head_start(timeout_head_start());
    let research = task("research-churn", "Summarise the churn interviews")
        .reads("kb://articles/churn")
        .output("file:///research/churn.md");
    let mut beats = vec![
        at(1, indexer, start(reindex)),
        at(1, researcher, start(research)),
        at(2, researcher, read("research-churn", "kb://articles/churn")),
        at(
            3,
            researcher,
            write("research-churn", "file:///research/churn.md"),
        ),
        at(3, researcher, state("research-churn", TaskState::Completed)),
    ];
    // Steady progress: the task is slow, not stuck.
    beats.extend((1..=4).map(|tick| at(tick, indexer, api_call("reindex-kb", "openai"))));
    (vec![INDEXER, RESEARCHER], beats)
}

/// One invoice mail, two agents acting on it.
fn trigger_collision() -> (Vec<Cast>, Vec<Beat>) {
    let (billing, support) = (0, 1);
    let file = task("invoice-311", "File the invoice from the mail")
        .trigger(INVOICE_MAIL)
        .output(INVOICE_STATUS);
    let answer = task("ticket-311", "Answer the invoice mail")
        .trigger(INVOICE_MAIL)
        .output("mail://outbox/support/311");
    let beats = vec![
        at(1, billing, start(file)),
        at(2, support, start(answer)),
        at(3, billing, write("invoice-311", INVOICE_STATUS)),
        at(4, support, write("ticket-311", "mail://outbox/support/311")),
        at(4, support, state("ticket-311", TaskState::Completed)),
    ];
    (vec![BILLING, SUPPORT], beats)
}

/// The importer writes contacts, restarts at tick 3 without its counter and goes on numbering
/// from 1: its events there reuse numbers Baton stored for others. The analyst carries on.
fn counter_restart() -> (Vec<Cast>, Vec<Beat>) {
    const IMPORTER: Cast = Cast {
        id: "importer",
        name: "Importer",
    };
    let (importer, analyst) = (0, 1);
    let import =
        task("import-contacts", "Import the contacts export").output("crm://contacts/import");
    let score =
        task("score-segments", "Score the customer segments").output("crm://segments/scores");
    let beats = vec![
        at(1, importer, start(import)),
        at(1, analyst, start(score)),
        at(2, analyst, write("score-segments", "crm://segments/scores")),
        at(2, importer, write("import-contacts", "crm://contacts/41")),
        at(2, importer, write("import-contacts", "crm://contacts/42")),
        at(3, importer, Action::ForgetCounter),
        at(3, importer, write("import-contacts", "crm://contacts/43")),
        at(3, importer, write("import-contacts", "crm://contacts/44")),
        at(3, analyst, state("score-segments", TaskState::Completed)),
    ];
    (vec![IMPORTER, ANALYST], beats)
}

/// The scraper's endpoint stops answering at tick 3; the analyst carries on.
fn unreachable() -> (Vec<Cast>, Vec<Beat>) {
    const SCRAPER: Cast = Cast {
        id: "scraper",
        name: "Scraper",
    };
    let (scraper, analyst) = (0, 1);
    let scrape =
        task("scrape-prices", "Scrape competitor prices").output("file:///data/prices.csv");
    let report =
        task("report-weekly", "Write the weekly report").output("file:///reports/weekly.md");
    let beats = vec![
        at(1, scraper, start(scrape)),
        at(1, analyst, start(report)),
        at(
            2,
            scraper,
            write("scrape-prices", "file:///data/prices.csv"),
        ),
        at(
            2,
            analyst,
            write("report-weekly", "file:///reports/weekly.md"),
        ),
        at(3, scraper, Action::GoDark),
        at(3, analyst, state("report-weekly", TaskState::Completed)),
    ];
    (vec![SCRAPER, ANALYST], beats)
}

/// The analyst says contact 42 is gold; support says silver.
fn divergent_claims() -> (Vec<Cast>, Vec<Beat>) {
    let (analyst, support) = (0, 1);
    let score = task("score-42", "Score contact 42").output("crm://contacts/42#score");
    let answer = task("ticket-42", "Answer contact 42's upgrade question")
        .output("mail://outbox/support/42");
    let beats = vec![
        at(1, analyst, start(score)),
        at(1, support, start(answer)),
        at(2, analyst, write("score-42", "crm://contacts/42#score")),
        at(2, analyst, claim("score-42", TIER_KEY, json!("gold"))),
        at(3, analyst, state("score-42", TaskState::Completed)),
        at(3, support, claim("ticket-42", TIER_KEY, json!("silver"))),
        at(4, support, write("ticket-42", "mail://outbox/support/42")),
        at(4, support, state("ticket-42", TaskState::Completed)),
    ];
    (vec![ANALYST, SUPPORT], beats)
}

/// The publisher asks before publishing a post that quotes an unannounced price.
fn needs_approval() -> (Vec<Cast>, Vec<Beat>) {
    let (publisher, editor) = (0, 1);
    let publish = task("publish-launch", "Publish the launch post")
        .reads(LAUNCH_DRAFT)
        .output(LAUNCH_POST);
    let edit = task("edit-launch", "Final edit of the launch post").output(LAUNCH_DRAFT);
    let beats = vec![
        at(1, publisher, start(publish)),
        at(1, editor, start(edit)),
        at(2, editor, write("edit-launch", LAUNCH_DRAFT)),
        at(2, editor, state("edit-launch", TaskState::Completed)),
        at(
            3,
            publisher,
            ask(
                "publish-launch",
                LAUNCH_POST,
                "Publish the launch post now? It quotes a price that is not announced yet.",
            ),
        ),
    ];
    (vec![PUBLISHER, EDITOR], beats)
}

/// The researcher hands its brief to the writer with a payload that is not a valid brief:
/// `title` is a number and `summary` is missing. The writer picks it up.
fn invalid_handoff() -> (Vec<Cast>, Vec<Beat>) {
    let (researcher, writer) = (0, 1);
    let research = task("research-launch", "Research the launch brief")
        .output(LAUNCH_BRIEF)
        .next_stage(WRITER.id);
    let draft = task("draft-launch", "Draft the launch post from the brief")
        .reads(LAUNCH_BRIEF)
        .output(LAUNCH_DRAFT);
    let handoff = handoff(
        "research-launch",
        WRITER.id,
        LAUNCH_BRIEF,
        json!({ "type": "brief", "title": 123 }),
    );
    let beats = vec![
        at(1, researcher, start(research)),
        at(2, researcher, write("research-launch", LAUNCH_BRIEF)),
        at(3, researcher, handoff),
        at(
            3,
            researcher,
            state("research-launch", TaskState::Completed),
        ),
        at(4, writer, start(draft)),
        at(4, writer, read("draft-launch", LAUNCH_BRIEF)),
    ];
    (vec![RESEARCHER, WRITER], beats)
}

/// The writer and the editor share one OpenAI quota of 100 requests a minute. The writer bursts
/// 45 calls, the editor 45 more a tick later (90 %), then both call again and the editor's last
/// calls come back 429.
fn rate_limit_pressure() -> (Vec<Cast>, Vec<Beat>) {
    let (writer, editor) = (0, 1);
    let draft = task("draft-newsletter", "Draft the weekly newsletter").output(LAUNCH_DRAFT);
    let edit = task("edit-newsletter", "Edit the weekly newsletter").reads(LAUNCH_DRAFT);
    let beats = vec![
        at(1, writer, start(draft)),
        at(
            1,
            writer,
            api_burst("draft-newsletter", "openai", 100, 100, 45),
        ),
        at(2, editor, start(edit)),
        at(
            2,
            editor,
            api_burst("edit-newsletter", "openai", 100, 55, 45),
        ),
        at(
            3,
            writer,
            api_burst("draft-newsletter", "openai", 100, 10, 5),
        ),
        at(3, editor, api_burst("edit-newsletter", "openai", 100, 5, 8)),
    ];
    (vec![WRITER, EDITOR], beats)
}
