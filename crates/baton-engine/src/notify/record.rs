//! How a send ended, counted and recorded (its claim ends with it); a failed one is tried again
//! after 5 s, doubling to 5 min, jittered.

use baton_core::backoff::Backoff;
use baton_core::notify::NotifyRoute;
use baton_store::notify::sent::{Notice, NoticeClaim, NoticeOutcome};

use crate::error::EngineError;
use crate::shared::Shared;

/// How long a watcher holds a send it claimed (longer than a publish may take).
pub(crate) const CLAIM_MS: i64 = 30_000;

/// When a send the server refused is tried again.
const RETRY: Backoff = Backoff {
    base_ms: 5_000,
    cap_ms: 300_000,
};

/// Records `published` for `claim` on `route`.
pub(crate) async fn finish(
    shared: &Shared,
    route: &NotifyRoute,
    claim: NoticeClaim,
    published: Result<(), String>,
    notice: Notice,
) -> Result<(), EngineError> {
    let now = shared.config.notify_clock.now();
    let outcome = match published {
        Ok(()) => {
            let first = claim.sends == 0;
            shared
                .notify
                .bump(|s| if first { s.sent += 1 } else { s.updated += 1 });
            tracing::info!(route = %route.draft.name, escalation = claim.escalation_id, first, "notification sent");
            NoticeOutcome::Sent(notice)
        }
        Err(error) => {
            shared.notify.bump(|s| {
                s.failed += 1;
                s.last_error = Some(error.clone());
            });
            tracing::warn!(route = %route.draft.name, escalation = claim.escalation_id, %error, "notification not sent");
            let unit: f64 = rand::random();
            let delay = RETRY
                .delay_ms(claim.attempts.saturating_add(1), unit)
                .max(1_000);
            NoticeOutcome::Failed {
                error,
                retry_at: now
                    + chrono::Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX)),
            }
        }
    };
    shared
        .write(move |s| s.record_notice(&claim, &outcome, now))
        .await
}
