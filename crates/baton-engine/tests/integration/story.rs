//! The demo's story (baton-sim) polled by a real engine over HTTP on 127.0.0.1, four times
//! faster than the app plays it (a tick of 250 ms, the story's windows scaled to match): the
//! calm pipeline opens nothing, the first incident is one queue item for its two files, and
//! after "Give ownership to Editor" Publisher stops writing them and the item stays settled;
//! a rejected question cancels its task.

use std::time::Duration;

use crate::support::*;
use baton_core::backoff::Backoff;
use baton_core::escalations::{Escalation, EscalationAction, EscalationState};
use baton_engine::{Engine, EngineConfig};
use baton_sim::story::{self, Incident, CYCLE_TICKS, INCIDENT_OFFSET};
use baton_sim::SimFleet;
use baton_store::escalations::EscalationFilter;

const TICK_MS: u64 = 250;
const POLL_MS: u64 = 250;
const PUBLISHER: usize = 3;

fn tick_at(tick: u64) -> Duration {
    Duration::from_millis(tick * TICK_MS)
}

fn escalations(engine: &Engine) -> Vec<Escalation> {
    let filter = EscalationFilter {
        open: true,
        closed: 100,
    };
    engine
        .store()
        .read_blocking(move |s| s.escalations(filter))
        .unwrap()
}

fn of_kind(engine: &Engine, kind: &str) -> Vec<Escalation> {
    escalations(engine)
        .into_iter()
        .filter(|e| e.kind.as_str() == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_opens_one_item_per_incident_and_its_agents_obey_decisions() {
    let fleet = SimFleet::start_story(0, TICK_MS).await.unwrap();
    let engine = engine_with(EngineConfig {
        detect_every_ms: 200,
        backoff: Backoff {
            base_ms: 50,
            cap_ms: 200,
        },
        ..test_config()
    });
    engine.start_all().await.unwrap();
    for rule in story::rules() {
        engine.add_rule(rule, "test".into()).await.unwrap();
    }
    for (kind, schema) in story::handoff_schemas() {
        engine
            .set_handoff_schema(kind, schema, "test".into())
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for agent in fleet.agents() {
        let added = engine
            .add_agent(draft(&agent.name, &agent.base_url, POLL_MS, 200), None)
            .await
            .unwrap();
        let windows = story::windows(Duration::from_millis(TICK_MS));
        engine
            .set_detect_windows(added.id, Some(windows), "test".into())
            .await
            .unwrap();
        ids.push(added.id);
    }

    // The first incident: Editor and Publisher both write the launch FAQ and pricing copy.
    let found = eventually(tick_at(INCIDENT_OFFSET + 40), || {
        !of_kind(&engine, "write_collision").is_empty()
    })
    .await;
    assert!(
        found,
        "no write collision; queue: {:#?}",
        escalations(&engine)
    );
    // Both files have been polled by now; they stay one item.
    tokio::time::sleep(tick_at(6)).await;
    let items = escalations(&engine);
    assert_eq!(
        items.len(),
        1,
        "the calm pipeline and the first incident: one item; queue: {items:#?}"
    );
    let collision = items[0].clone();
    assert_eq!(collision.kind.as_str(), Incident::WriteCollision.kind());
    assert_eq!(collision.resource_count, 2, "{collision:#?}");
    assert_eq!(collision.scope.as_deref(), Some("file:///site/launch-0/*"));

    let editor = ids[2];
    engine
        .decide_escalation(
            collision.id,
            EscalationAction::GiveOwnership { agent_id: editor },
            None,
            "Ada".into(),
        )
        .await
        .unwrap();

    // Publisher comes back to the page 65 ticks after Editor's writes, and does not write
    // the files it no longer owns.
    let obeyed = eventually(tick_at(CYCLE_TICKS + 40), || {
        fleet.obeyed(PUBLISHER).len() == 2
    })
    .await;
    assert!(obeyed, "Publisher obeyed: {:?}", fleet.obeyed(PUBLISHER));
    tokio::time::sleep(tick_at(4)).await;
    let settled = of_kind(&engine, "write_collision");
    assert_eq!(settled.len(), 1, "{settled:#?}");
    assert_eq!(settled[0].state, EscalationState::Resolved, "{settled:#?}");
    assert_eq!(settled[0].since_decision, 0, "{settled:#?}");
    assert!(
        of_kind(&engine, "ownership_violation").is_empty(),
        "{:#?}",
        escalations(&engine)
    );
    let delivered = fleet.decisions(PUBLISHER);
    assert_eq!(delivered.len(), 1, "{delivered:#?}");
    assert_eq!(delivered[0].owner.as_deref(), Some("editor"));

    // Cycle 1: Publisher asks; the question is rejected and the task cancelled.
    let asked = eventually(tick_at(20), || {
        !of_kind(&engine, "needs_approval").is_empty()
    })
    .await;
    assert!(asked, "{:#?}", escalations(&engine));
    let question = of_kind(&engine, "needs_approval").remove(0);
    engine
        .decide_escalation(question.id, EscalationAction::Reject, None, "Ada".into())
        .await
        .unwrap();
    let cancelled = eventually(tick_at(20), || {
        fleet
            .tasks(PUBLISHER)
            .iter()
            .any(|t| t.id == "publish-launch-1" && t.state == baton_core::task::TaskState::Canceled)
    })
    .await;
    assert!(cancelled, "{:#?}", fleet.tasks(PUBLISHER));

    // The story's calls are priced (a model Baton has a price for) and report their quota,
    // so the demo's costs and rate limits show something from its first minutes.
    let (costs, quotas) = engine
        .store()
        .read_blocking(|s| {
            Ok((
                s.agent_costs(chrono::Utc::now())?,
                s.quotas("openai", None)?,
            ))
        })
        .unwrap();
    let today: Vec<_> = costs.iter().map(|c| &c.today).collect();
    assert!(today.iter().any(|t| t.usd > 0.0), "{today:#?}");
    assert!(today.iter().all(|t| t.unpriced_tokens == 0), "{today:#?}");
    assert!(
        quotas
            .iter()
            .any(|q| q.limit == 60 && q.window_seconds == 60),
        "{quotas:#?}"
    );

    // Nothing but the story's incidents so far.
    for item in escalations(&engine) {
        assert!(
            [Incident::WriteCollision, Incident::NeedsApproval]
                .iter()
                .any(|i| i.kind() == item.kind.as_str()),
            "{item:#?}"
        );
    }
    fleet.shutdown().await;
    engine.shutdown().await;
}
