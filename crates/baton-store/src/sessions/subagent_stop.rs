//! A person stops one subagent (`stop_touching` on a write collision naming it): its leases
//! end and its next writes are refused with the decision's words, read by its next hook call
//! (nothing is sent); its session's other subagents, and the session, go on.

use crate::db::{params, Db};
use crate::error::{Result, StoreError};
use baton_core::escalations::Escalation;

use super::permits::release_leases;

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::InvalidDecision(message.into())
}

/// Stops subagent `agent_id`, one of the agents `escalation` names. Returns a sentence for the
/// decision's detail. Refused when the agent is no subagent, or not named by the item.
pub(crate) fn stop_subagent_in(
    tx: &Db,
    escalation: &Escalation,
    agent_id: i64,
    who: &str,
    note: Option<&str>,
) -> Result<String> {
    let found: Option<(String, Option<i64>)> = tx.query_opt(
        "SELECT a.name, sa.session_agent_id FROM agents a
           LEFT JOIN subagents sa ON sa.agent_id = a.id
          WHERE a.id = ?1",
        params![agent_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let (name, session) = found.ok_or(StoreError::AgentNotFound(agent_id))?;
    if session.is_none() {
        return Err(invalid(format!(
            "{name} is no subagent: stop touching answers a parallel edit, or stops one \
             subagent of a session"
        )));
    }
    if !escalation.agents.contains(&agent_id) {
        return Err(invalid(format!("{name} is not named by this item")));
    }
    let why = note.map_or(String::new(), |note| format!(" ({note})"));
    let reason = format!(
        "Baton refused this write: {who} decided in Baton that the subagent \"{name}\" stops \
         here{why}; the session's other subagents go on. Make no more changes: end your work \
         now and report what you did so far."
    );
    tx.execute(
        "UPDATE subagents SET stop_reason = ?2 WHERE agent_id = ?1",
        params![agent_id, reason],
    )?;
    release_leases(tx, agent_id)?;
    Ok(format!("{name} stops; its session's other subagents go on"))
}
