//! Adding, editing and removing agents, their tokens and the tasks followed for them: the
//! one way to change an agent, so that its poller, its token and the store never disagree.

use baton_core::agent::{AdapterKind, AgentConfig, AgentDraft};
use baton_core::views::ChangeEvent;

use super::Engine;
use crate::config::TokenUpdate;
use crate::error::EngineError;
use crate::poller::FirstPoll;

impl Engine {
    /// Validates and stores a new agent, saves its token, starts its poller.
    pub async fn add_agent(
        &self,
        draft: AgentDraft,
        token: Option<String>,
    ) -> Result<AgentConfig, EngineError> {
        draft.validate()?;
        let token = clean_token(token);
        let _admin = self.inner.admin.lock().await;
        let shared = self.shared();
        let mut config = shared.write(move |s| s.add_agent(&draft)).await?;
        let id = config.id;
        if let Some(token) = token.clone() {
            let saved = match shared.with_tokens(move |t| t.set(id, &token)).await {
                Ok(()) => shared.write(move |s| s.set_has_token(id, true)).await,
                Err(err) => Err(err),
            };
            if let Err(err) = saved {
                // Leave nothing half-added behind.
                let _ = shared.with_tokens(move |t| t.delete(id)).await;
                let _ = shared.write(move |s| s.remove_agent(id)).await;
                return Err(err);
            }
            config.has_token = true;
        }
        tracing::info!(agent_id = id, "agent added");
        shared.bus.publish(ChangeEvent::AgentsChanged);
        self.spawn_poller(config.clone(), Ok(token), FirstPoll::Spread)
            .await;
        Ok(config)
    }

    /// Validates and stores new settings, applies the token change, restarts the poller.
    pub async fn update_agent(
        &self,
        id: i64,
        draft: AgentDraft,
        token: TokenUpdate,
    ) -> Result<AgentConfig, EngineError> {
        draft.validate()?;
        let _admin = self.inner.admin.lock().await;
        let shared = self.shared();
        shared.write(move |s| s.update_agent(id, &draft)).await?;
        // The settings are stored: whatever happens to the token, the poller restarts with them.
        let applied = self.apply_token(id, token).await;
        let new_token = applied.as_ref().ok().cloned().flatten();
        let config = shared.read(move |s| s.agent(id)).await?;
        tracing::info!(agent_id = id, "agent updated");
        shared.bus.publish(ChangeEvent::AgentsChanged);
        let old = self.pollers().remove(&id);
        let token = match (new_token, old) {
            (Some(token), old) => {
                if let Some(old) = old {
                    old.stop().await;
                }
                Ok(token)
            }
            (None, Some(old)) => {
                let kept = old.runtime().token_state();
                old.stop().await;
                match kept {
                    Ok(token) => Ok(token),
                    // The keyring failed last time: try again.
                    Err(_) => self.read_token(&config).await,
                }
            }
            (None, None) => self.read_token(&config).await,
        };
        self.spawn_poller(config.clone(), token, FirstPoll::Spread)
            .await;
        applied?;
        Ok(config)
    }

    /// Saves or deletes the token and the stored flag. `Some(token)` when it changed.
    async fn apply_token(
        &self,
        id: i64,
        token: TokenUpdate,
    ) -> Result<Option<Option<String>>, EngineError> {
        let shared = self.shared();
        match token {
            TokenUpdate::Keep => Ok(None),
            TokenUpdate::Set(token) => match clean_token(Some(token)) {
                Some(token) => {
                    let saved = token.clone();
                    shared.with_tokens(move |t| t.set(id, &saved)).await?;
                    shared.write(move |s| s.set_has_token(id, true)).await?;
                    Ok(Some(Some(token)))
                }
                None => Ok(None),
            },
            TokenUpdate::Clear => {
                shared.with_tokens(move |t| t.delete(id)).await?;
                shared.write(move |s| s.set_has_token(id, false)).await?;
                Ok(Some(None))
            }
        }
    }

    /// Stops the agent's poller, then deletes its stored rows and its token.
    pub async fn remove_agent(&self, id: i64) -> Result<(), EngineError> {
        let _admin = self.inner.admin.lock().await;
        let shared = self.shared();
        let old = self.pollers().remove(&id);
        if let Some(old) = old {
            old.stop().await;
        }
        shared.write(move |s| s.remove_agent(id)).await?;
        if let Err(err) = shared.with_tokens(move |t| t.delete(id)).await {
            tracing::warn!(agent_id = id, error = %err, "agent removed but its token could not be deleted");
        }
        tracing::info!(agent_id = id, "agent removed");
        shared.bus.publish(ChangeEvent::AgentsChanged);
        Ok(())
    }

    /// The stored token of an agent, for "Test connection" while the agent is being edited
    /// (the form shows no token). `None` when the agent has none. Never log it.
    pub async fn stored_token(&self, id: i64) -> Result<Option<String>, EngineError> {
        let config = self.shared().read(move |s| s.agent(id)).await?;
        if !config.has_token {
            return Ok(None);
        }
        self.shared().with_tokens(move |t| t.get(id)).await
    }

    /// Follows a task of an agent that cannot list its tasks (A2A 0.3, or no `ListTasks`):
    /// Baton stores it as submitted and reads it on every poll from now on. True when it was
    /// not followed before.
    pub async fn follow_task(&self, id: i64, task_id: String) -> Result<bool, EngineError> {
        let config = self.shared().read(move |s| s.agent(id)).await?;
        if config.adapter != AdapterKind::A2a {
            return Err(EngineError::NotA2a(config.name));
        }
        let added = self
            .shared()
            .write(move |s| s.follow_task(id, &task_id, chrono::Utc::now()))
            .await?;
        self.shared().bus.publish(ChangeEvent::AgentsChanged);
        Ok(added)
    }

    /// Stops following a task of an A2A agent (one its server forgot, say): Baton forgets the
    /// task (its events stay in the history). False when Baton did not know it.
    pub async fn unfollow_task(&self, id: i64, task_id: String) -> Result<bool, EngineError> {
        let config = self.shared().read(move |s| s.agent(id)).await?;
        if config.adapter != AdapterKind::A2a {
            return Err(EngineError::NotA2a(config.name));
        }
        let removed = self
            .shared()
            .write(move |s| s.unfollow_task(id, &task_id))
            .await?;
        self.shared().bus.publish(ChangeEvent::AgentsChanged);
        Ok(removed)
    }
}

/// A token of only whitespace means none; pasted tokens lose surrounding whitespace.
pub(crate) fn clean_token(token: Option<String>) -> Option<String> {
    token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_tokens_are_trimmed_and_blank_means_none() {
        assert_eq!(clean_token(Some("  abc \n".into())).as_deref(), Some("abc"));
        assert_eq!(clean_token(Some(" \t".into())), None);
        assert_eq!(clean_token(None), None);
    }
}
