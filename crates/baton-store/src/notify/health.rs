//! How a route fares (issue 60): its sends, its digests and storms, and its reply stream, as
//! the app, `baton notify list` and `baton status` show them.

use baton_core::notify::view::RouteFigures;
use chrono::{DateTime, Utc};

use super::StoredRoute;
use crate::codec::ts;
use crate::db::params;
use crate::error::Result;
use crate::Store;

impl Store {
    /// How route `stored` fares: its sends (from what it sent) and its reply stream.
    pub fn route_figures(&self, stored: &StoredRoute) -> Result<RouteFigures> {
        let sent = self.notices_sent(stored.route.id)?;
        let batches = self.batches_sent(stored.route.id)?;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        // Items whose own message failed, and a digest or storm failing now.
        let last_batch = batches.last().filter(|b| b.attempts > 0);
        Ok(RouteFigures {
            items_sent: count(sent.iter().filter(|r| r.told()).count()),
            failing: count(sent.iter().filter(|r| r.attempts > 0).count())
                + u32::from(last_batch.is_some()),
            last_error: sent
                .iter()
                .filter(|r| r.attempts > 0)
                .find_map(|r| r.last_error.clone())
                .or_else(|| last_batch.and_then(|b| b.last_error.clone())),
            reply_failures: stored.reply.failures,
            reply_error: stored.reply.error.clone(),
        })
    }

    /// Records how an attempt to read route `id`'s reply topic went: `Ok` (the stream is
    /// open: the run of failures ends) or the failure in words (one more in the run).
    pub fn record_reply_stream(
        &mut self,
        id: i64,
        outcome: std::result::Result<(), &str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        match outcome {
            Ok(()) => tx.execute(
                "UPDATE notify_routes SET reply_failures = 0 WHERE id = ?1 AND reply_failures <> 0",
                params![id],
            )?,
            Err(error) => tx.execute(
                "UPDATE notify_routes SET reply_failures = reply_failures + 1, reply_error = ?2,
                        reply_error_at = ?3
                  WHERE id = ?1",
                params![id, error, ts(now)],
            )?,
        };
        tx.commit()?;
        Ok(())
    }
}
