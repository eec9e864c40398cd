//! A permission request asked in Baton's queue: the hook waits for the person's answer.

use std::path::Path;
use std::time::Duration as StdDuration;

use baton_core::hooks::HookAnswer;
use baton_store::sessions::PermissionDecided;
use baton_store::StorePlace;
use chrono::{Duration, Utc};

/// How often a waiting permission request looks for the person's answer.
const ASK_POLL: StdDuration = StdDuration::from_millis(250);

/// Waits for the person's answer to the permission request `escalation`, up to `wait` (up to
/// `routed` instead, when longer and a route can bring the answer: the person's phone, or the
/// desktop notification's buttons);
/// then lets the client ask in its own dialog (and takes the item off the queue).
pub(crate) fn await_person(
    db: &Path,
    escalation: i64,
    agent_id: i64,
    wait: StdDuration,
    routed: StdDuration,
) -> HookAnswer {
    let started = std::time::Instant::now();
    let Ok(mut store) = StorePlace::from_anchor(db).and_then(|place| place.open()) else {
        return HookAnswer::GoOn;
    };
    let _ = store.for_short_process();
    let answers_away = |store: &baton_store::Store| {
        store
            .routes()
            .is_ok_and(|routes| routes.iter().any(|r| r.route.draft.brings_answers()))
    };
    let wait = if routed > wait && answers_away(&store) {
        routed
    } else {
        wait
    };
    let answer = loop {
        match store.permission_decided(escalation) {
            Ok(Some(PermissionDecided::Allowed)) => break HookAnswer::Permission(Ok(())),
            Ok(Some(PermissionDecided::Refused(note))) => {
                break HookAnswer::Permission(Err(match note {
                    Some(note) => format!("The person refused this in Baton: {note}"),
                    None => "The person refused this in Baton.".to_owned(),
                }))
            }
            Ok(Some(PermissionDecided::Closed)) => break HookAnswer::GoOn,
            // Open, or the store busy for a moment: look again.
            Ok(None) | Err(_) => {}
        }
        if started.elapsed() >= wait {
            let waited = Duration::from_std(started.elapsed()).unwrap_or_default();
            let _ = store.stop_asking(escalation, waited, Utc::now());
            break HookAnswer::GoOn;
        }
        std::thread::sleep(ASK_POLL);
    };
    let _ = store.resume_turn(agent_id, Utc::now());
    let _ = store.close_short_process();
    answer
}
