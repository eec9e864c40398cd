//! "Test connection" in the Agents view: one read of a draft's endpoint, nothing stored, and
//! which protocol answered. The draft's own protocol is tried first, then the other one, so a
//! user who pastes an A2A agent's URL is told it speaks A2A (and the form takes that).

use baton_core::a2a::wire::Call;
use baton_core::a2a::{parse_task_list, AgentCard, Binding, ProtocolVersion};
use baton_core::agent::{human_duration_ms, AdapterKind, AgentConfig, AgentDraft};
use baton_core::views::ConnectionReport;
use baton_core::ConfigError;

use crate::engine::{clean_token, Engine};
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

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
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

    async fn try_protocol(
        &self,
        config: &AgentConfig,
        adapter: AdapterKind,
        token: Option<&str>,
    ) -> Result<ConnectionReport, FetchError> {
        let fetcher = &self.shared().fetcher;
        match adapter {
            AdapterKind::Session => Err(FetchError::NotPolled),
            AdapterKind::Baton => {
                let fetched = fetcher.fetch_status(config, None, token, None).await?;
                let doc = fetched.doc;
                let tasks = doc.tasks.len();
                Ok(ConnectionReport {
                    ok: true,
                    message: format!(
                        "{} agent \"{}\" answered in {} with {}",
                        doc.protocol,
                        doc.agent.id,
                        human_duration_ms(fetched.latency_ms),
                        plural(tasks, "task")
                    ),
                    latency_ms: Some(fetched.latency_ms),
                    remote_id: Some(doc.agent.id),
                    remote_name: doc.agent.name,
                    task_count: Some(u32::try_from(tasks).unwrap_or(u32::MAX)),
                    declares: doc.agent.declares,
                    adapter: Some(AdapterKind::Baton),
                    card: None,
                })
            }
            AdapterKind::A2a => {
                let started = std::time::Instant::now();
                let (card, _etag) = crate::a2a::read_card(fetcher, config, None, token)
                    .await?
                    .fresh
                    .expect("a card read without an ETag is never 304");
                let interface = card.preferred().cloned();
                let mut tasks = None;
                let mut task_count = None;
                let mut note = String::new();
                if let Some(interface) = &interface {
                    let list = Call::ListTasks {
                        after: None,
                        page_token: None,
                    };
                    match crate::a2a::call(fetcher, interface, &list, token, config.timeout_ms)
                        .await
                    {
                        Ok(page) => {
                            let page = parse_task_list(&page)?;
                            let read = page.tasks.len() + page.skipped.len();
                            tasks = Some(match (page.total_size, &page.next_page_token) {
                                (Some(total), _) => {
                                    plural(usize::try_from(total).unwrap_or(usize::MAX), "task")
                                }
                                (None, Some(_)) => format!("more than {}", plural(read, "task")),
                                (None, None) => plural(read, "task"),
                            });
                            task_count = page
                                .total_size
                                .and_then(|n| u32::try_from(n).ok())
                                .or_else(|| u32::try_from(read).ok());
                        }
                        Err(FetchError::A2a(baton_core::a2a::A2aError::Unsupported(_))) => {
                            note = "; it cannot list its tasks, so Baton follows the ones you add by id".into();
                        }
                        Err(err) => return Err(err),
                    }
                }
                let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                let with_tasks = tasks.map(|n| format!(" with {n}")).unwrap_or_default();
                Ok(ConnectionReport {
                    ok: true,
                    message: format!(
                        "{} agent \"{}\" answered in {}{with_tasks}{note}",
                        describe_card(&card),
                        card.name,
                        human_duration_ms(latency_ms),
                    ),
                    latency_ms: Some(latency_ms),
                    remote_id: Some(card.name.clone()),
                    remote_name: Some(card.name.clone()),
                    task_count,
                    declares: None,
                    adapter: Some(AdapterKind::A2a),
                    card: Some(card),
                })
            }
        }
    }
}

fn protocol_name(adapter: AdapterKind) -> &'static str {
    match adapter {
        AdapterKind::Baton => "baton/1:",
        AdapterKind::A2a => "A2A:",
        AdapterKind::Session => "session:",
    }
}

/// "A2A 1.0 (JSON-RPC)": the interface Baton will use.
pub fn describe_card(card: &AgentCard) -> String {
    match card.preferred() {
        Some(i) => format!(
            "A2A {} ({})",
            match i.version {
                ProtocolVersion::V1 => "1.0",
                ProtocolVersion::V03 => "0.3",
            },
            match i.binding {
                Binding::JsonRpc => "JSON-RPC",
                Binding::HttpJson => "HTTP+JSON",
            }
        ),
        None => "A2A".into(),
    }
}
