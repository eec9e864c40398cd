//! Agents and their tasks: list, add, edit, remove, test a connection, follow an A2A task, and
//! where tokens are kept. Each unpacks, calls the engine or the store, and returns.

use std::path::Path;

use baton_core::agent::{AgentConfig, AgentDraft};
use baton_core::hooks::repository_label;
use baton_core::views::{
    AgentRow, ConnectionReport, EventRow, SecretsStatus, SessionSummary, TaskCard,
};
use baton_engine::TokenUpdate;

use crate::error::{CommandError, CommandResult};
use crate::Commands;

/// Most events a task drawer shows.
const DRAWER_EVENT_LIMIT: u32 = 500;

/// Every agent's row; a coding session's repository named by its main checkout's folder when
/// the checkout is on this machine (else by its identity).
pub async fn list_agents(c: &Commands) -> CommandResult<Vec<AgentRow>> {
    let mut rows = c.engine().read(|store| store.agent_rows()).await?;
    let named = tokio::task::spawn_blocking(move || {
        for session in rows.iter_mut().filter_map(|row| row.session.as_mut()) {
            name_repository(session);
        }
        rows
    });
    named
        .await
        .map_err(|err| CommandError::Internal(err.to_string()))
}

/// Names a session's repository by its main checkout's folder (`shop` for the worktree
/// `shop-coupons` of `shop`), looked at on disk.
fn name_repository(session: &mut SessionSummary) {
    let (Some(identity), Some(root)) = (&session.repository, &session.repo_root) else {
        return;
    };
    let main = baton_hooks::place::main_checkout(Path::new(root));
    let main = main.as_deref().and_then(Path::to_str);
    session.repository_name = Some(repository_label(identity, main));
}

pub async fn add_agent(
    c: &Commands,
    draft: AgentDraft,
    token: Option<String>,
) -> CommandResult<AgentConfig> {
    let token = token.filter(|t| !t.trim().is_empty());
    Ok(c.engine().add_agent(draft, token).await?)
}

pub async fn update_agent(
    c: &Commands,
    id: i64,
    draft: AgentDraft,
    token: Option<String>,
    clear_token: bool,
) -> CommandResult<AgentConfig> {
    let update = match token.filter(|t| !t.trim().is_empty()) {
        Some(token) => TokenUpdate::Set(token),
        None if clear_token => TokenUpdate::Clear,
        None => TokenUpdate::Keep,
    };
    Ok(c.engine().update_agent(id, draft, update).await?)
}

pub async fn remove_agent(c: &Commands, id: i64) -> CommandResult<()> {
    Ok(c.engine().remove_agent(id).await?)
}

pub async fn test_connection(
    c: &Commands,
    draft: AgentDraft,
    token: Option<String>,
    agent_id: Option<i64>,
) -> CommandResult<ConnectionReport> {
    // A stored token goes only to its agent's stored URL (the engine sees to it).
    Ok(match agent_id {
        Some(id) => c.engine().test_connection_of(id, &draft, token).await?,
        None => c.engine().test_connection(&draft, token).await,
    })
}

/// Follows a task of an A2A agent that cannot list its tasks: Baton reads it on every poll.
/// False when it was followed already.
pub async fn follow_task(c: &Commands, agent_id: i64, task_id: String) -> CommandResult<bool> {
    Ok(c.engine().follow_task(agent_id, task_id).await?)
}

pub async fn list_tasks(c: &Commands, agent_id: Option<i64>) -> CommandResult<Vec<TaskCard>> {
    Ok(c.engine()
        .read(move |store| store.task_cards(agent_id))
        .await?)
}

pub async fn task_events(
    c: &Commands,
    agent_id: i64,
    task_id: String,
) -> CommandResult<Vec<EventRow>> {
    Ok(c.engine()
        .read(move |store| store.task_events(agent_id, &task_id, DRAWER_EVENT_LIMIT))
        .await?)
}

pub async fn secrets_status(c: &Commands) -> CommandResult<SecretsStatus> {
    Ok(c.engine().secrets_status())
}
