//! Readiness facts from the store (see `baton_core::readiness`): each agent's polls per UTC day
//! (`agent_days`, counted by the poller), its open trigger and data conflicts, its requests
//! decided and how, its tasks ended; and the thresholds, kept as a named setting.

use std::collections::HashMap;

use crate::db::{params, RowsSql};
use baton_core::readiness::{evaluate, PollDay, Readiness, ReadinessFacts, ReadinessThresholds};
use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::codec::ts;
use crate::error::{Result, StoreError};
use crate::named_settings::{self, READINESS};
use crate::Store;

/// An agent's polls of a day, counted (a group's in one statement on PostgreSQL).
static COUNT_POLLS: RowsSql = RowsSql {
    before: "INSERT INTO agent_days (agent_id, day, polls_ok, polls_failed)
             SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES",
    columns: 4,
    after: ") AS v WHERE EXISTS (SELECT 1 FROM agents WHERE id = v.column1)
             ON CONFLICT (agent_id, day) DO UPDATE SET
                polls_ok = agent_days.polls_ok + excluded.polls_ok,
                polls_failed = agent_days.polls_failed + excluded.polls_failed",
    key: &[0, 1],
    one: Some(
        "INSERT INTO agent_days (agent_id, day, polls_ok, polls_failed)
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM agents WHERE id = ?1)
             ON CONFLICT (agent_id, day) DO UPDATE SET
                polls_ok = agent_days.polls_ok + excluded.polls_ok,
                polls_failed = agent_days.polls_failed + excluded.polls_failed",
    ),
    numbered: false,
    anytime: false,
};

/// The finding kinds that are a trigger or data conflict between agents.
const CONFLICTS: &str = "'ownership_violation', 'write_collision', 'read_during_write', \
     'trigger_collision', 'divergent_claims'";

/// Decision-log actions that are not a person deciding a request: the agent settling it
/// itself, Baton expiring it, a snooze, a reopening.
const NOT_A_DECISION: &str = "'settled', 'expire', 'snooze', 'reopen'";

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

impl Store {
    /// Counts polls of an agent on the UTC day of `at`: `ok` answered, `failed` not.
    pub fn count_polls(
        &mut self,
        agent_id: i64,
        at: DateTime<Utc>,
        ok: u32,
        failed: u32,
    ) -> Result<()> {
        if ok == 0 && failed == 0 {
            return Ok(());
        }
        // An agent removed meanwhile: nothing to count.
        self.db.write_row(
            &COUNT_POLLS,
            params![agent_id, day_text(at.date_naive()), ok, failed],
        )
    }

    /// The readiness thresholds (the defaults until the user sets them).
    pub fn readiness_thresholds(&self) -> Result<ReadinessThresholds> {
        Ok(named_settings::get(&self.db, READINESS)?.unwrap_or_default())
    }

    /// Sets the readiness thresholds; true when they changed.
    pub fn set_readiness_thresholds(
        &mut self,
        thresholds: &ReadinessThresholds,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        thresholds
            .check()
            .map_err(|(field, message)| StoreError::InvalidSetting { field, message })?;
        named_settings::set(&self.db, READINESS, thresholds, now)
    }

    /// The readiness of every polled agent (coding sessions come and go: they have none), by
    /// agent id.
    pub fn readiness(&self, now: DateTime<Utc>) -> Result<Vec<Readiness>> {
        let thresholds = self.readiness_thresholds()?;
        let mut facts = self.readiness_facts(&thresholds, now)?;
        let ids: Vec<i64> = self.db.query_map(
            "SELECT id FROM agents WHERE adapter NOT IN ('session', 'otlp') ORDER BY id",
            params![],
            |row| row.get(0),
        )?;
        Ok(ids
            .into_iter()
            .map(|id| evaluate(id, &facts.remove(&id).unwrap_or_default(), &thresholds, now))
            .collect())
    }

    /// Each agent's facts over the thresholds' period (one read per table).
    fn readiness_facts(
        &self,
        thresholds: &ReadinessThresholds,
        now: DateTime<Utc>,
    ) -> Result<HashMap<i64, ReadinessFacts>> {
        let today = now.date_naive();
        let period = u64::from(thresholds.days);
        // The streak may reach one day further back than the period (today without polls yet).
        let first_day = today.checked_sub_days(Days::new(period)).unwrap_or(today);
        let start = first_day.and_hms_opt(0, 0, 0).map_or(now, |d| d.and_utc());
        let mut facts: HashMap<i64, ReadinessFacts> = HashMap::new();

        let stmt_sql =
            "SELECT agent_id, day, polls_ok, polls_failed FROM agent_days WHERE day >= ?1";
        self.db
            .query_each(stmt_sql, params![day_text(first_day)], |row| {
                let day: String = row.get(1)?;
                let Ok(day) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
                    return Ok(());
                };
                facts.entry(row.get(0)?).or_default().days.push(PollDay {
                    day,
                    ok: u64::try_from(row.get::<i64>(2)?).unwrap_or(0),
                    failed: u64::try_from(row.get::<i64>(3)?).unwrap_or(0),
                });
                Ok(())
            })?;

        let stmt_sql = &format!(
            "SELECT f.agents FROM escalations e JOIN findings f ON f.id = e.finding_id
              WHERE e.state = 'open' AND f.kind IN ({CONFLICTS})"
        );
        self.db.query_each(stmt_sql, params![], |row| {
            let agents: Vec<i64> = serde_json::from_str(&row.get::<String>(0)?).unwrap_or_default();
            for agent in agents {
                facts.entry(agent).or_default().open_conflicts += 1;
            }
            Ok(())
        })?;

        let stmt_sql = &format!(
            "SELECT e.agent_id, count(*),
                    sum(CASE WHEN d.action = 'approve' AND coalesce(trim(d.reason), '') = ''
                             THEN 1 ELSE 0 END)
               FROM escalations e
               LEFT JOIN findings f ON f.id = e.finding_id
               JOIN decisions d ON d.seq = e.decision_id
              WHERE e.state = 'resolved' AND e.agent_id IS NOT NULL
                AND coalesce(f.kind, 'needs_approval') = 'needs_approval'
                AND e.resolved_at >= ?1 AND d.action NOT IN ({NOT_A_DECISION})
              GROUP BY e.agent_id"
        );
        self.db.query_each(stmt_sql, params![ts(start)], |row| {
            let f = facts.entry(row.get(0)?).or_default();
            f.decided = u32::try_from(row.get::<i64>(1)?).unwrap_or(u32::MAX);
            f.approved_as_asked = u32::try_from(row.get::<i64>(2)?).unwrap_or(u32::MAX);
            Ok(())
        })?;

        let stmt_sql = "SELECT agent_id, sum(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
                    sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) FROM tasks
              WHERE state IN ('completed', 'failed') AND state_since >= ?1
              GROUP BY agent_id";
        self.db.query_each(stmt_sql, params![ts(start)], |row| {
            let f = facts.entry(row.get(0)?).or_default();
            f.completed = u32::try_from(row.get::<i64>(1)?).unwrap_or(u32::MAX);
            f.failed = u32::try_from(row.get::<i64>(2)?).unwrap_or(u32::MAX);
            Ok(())
        })?;
        Ok(facts)
    }
}
