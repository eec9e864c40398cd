//! "Test connection" in the Agents view: one read of a draft's endpoint, nothing stored, and
//! which protocol answered. The draft's own protocol is tried first, then the other one, so a
//! user who pastes an A2A agent's URL is told it speaks A2A (and the form takes that).

use baton_core::agent::{AdapterKind, AgentConfig, AgentDraft};
use baton_core::views::ConnectionReport;
use baton_core::ConfigError;

use super::agents::clean_token;
use super::Engine;
use crate::adapters;
use crate::fetch::{without_a2a_prefix, FetchError};

fn failed(message: String) -> ConnectionReport {
    ConnectionReport {
        ok: false,
        message,
        latency_ms: None,
        remote_id: None,
        remote_name: None,
        task_count: None,
        declares: None,
        adapter: None,
        card: None,
    }
}

impl Engine {
    /// One read of a draft's endpoint in its protocol, else in the other; nothing is stored.
    pub async fn test_connection(
        &self,
        draft: &AgentDraft,
        token: Option<String>,
    ) -> ConnectionReport {
        if let Err(err) = draft.validate() {
            return failed(err.to_string());
        }
        let token = clean_token(token);
        let config = AgentConfig {
            id: 0,
            name: draft.name.trim().to_owned(),
            base_url: draft.normalised_base_url(),
            poll_interval_ms: draft.poll_interval_ms,
            timeout_ms: draft.timeout_ms,
            adapter: draft.adapter,
            has_token: token.is_some(),
        };
        let token = token.as_deref();
        let (first, second) = match draft.adapter {
            AdapterKind::Baton => (AdapterKind::Baton, AdapterKind::A2a),
            AdapterKind::A2a => (AdapterKind::A2a, AdapterKind::Baton),
            // validate() refuses sessions above.
            AdapterKind::Session => return failed(ConfigError::SessionByHand.to_string()),
            AdapterKind::Otlp => return failed(ConfigError::OtlpByHand.to_string()),
        };
        let tried = self.try_protocol(&config, first, token).await;
        let first_error = match tried {
            Ok(report) => return report,
            Err(err) => err,
        };
        // Unreachable or refusing the token: the other protocol would not fare better.
        if matches!(
            first_error,
            FetchError::ConnectionRefused
                | FetchError::UnresolvedHost { .. }
                | FetchError::TimedOut { .. }
                | FetchError::Unauthorized
                | FetchError::Connect { .. }
        ) {
            return failed(first_error.to_string());
        }
        match self.try_protocol(&config, second, token).await {
            Ok(report) => report,
            Err(second_error) => failed(format!(
                "{} {}; {} {}",
                protocol_name(first),
                without_a2a_prefix(&first_error),
                protocol_name(second),
                without_a2a_prefix(&second_error)
            )),
        }
    }

    /// Test connection from a stored agent's form: a token typed in goes with the draft; else
    /// the agent's stored token, but only to the agent's stored URL, never to another URL the
    /// page names (then the report says it was not sent).
    pub async fn test_connection_of(
        &self,
        agent_id: i64,
        draft: &AgentDraft,
        typed_token: Option<String>,
    ) -> Result<ConnectionReport, crate::EngineError> {
        if let Some(token) = clean_token(typed_token) {
            return Ok(self.test_connection(draft, Some(token)).await);
        }
        let stored = self.shared().read(move |s| s.agent(agent_id)).await?;
        if stored.base_url == draft.normalised_base_url() {
            let token = self.stored_token(agent_id).await?;
            return Ok(self.test_connection(draft, token).await);
        }
        let mut report = self.test_connection(draft, None).await;
        if stored.has_token {
            report.message.push_str(
                " (the stored token was not sent to this new URL: type the token in to test with it)",
            );
        }
        Ok(report)
    }

    /// One read of the draft's endpoint as `adapter` speaks.
    async fn try_protocol(
        &self,
        config: &AgentConfig,
        adapter: AdapterKind,
        token: Option<&str>,
    ) -> Result<ConnectionReport, FetchError> {
        adapters::adapter(adapter)
            .probe(&self.shared().fetcher, config, token)
            .await
    }
}

fn protocol_name(adapter: AdapterKind) -> &'static str {
    match adapter {
        AdapterKind::Baton => "baton/1:",
        AdapterKind::A2a => "A2A:",
        AdapterKind::Session => "session:",
        AdapterKind::Otlp => "OpenTelemetry:",
    }
}
