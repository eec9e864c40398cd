//! "Test connection" of an A2A agent: its card, and one page of its tasks when it lists them.

use baton_core::a2a::wire::Call;
use baton_core::a2a::{parse_task_list, A2aError, AgentCard, Binding, ProtocolVersion};
use baton_core::agent::{human_duration_ms, AdapterKind, AgentConfig};
use baton_core::views::ConnectionReport;

use super::calls::{call, read_card};
use crate::adapters::adapter::plural;
use crate::fetch::{FetchError, Fetcher};

/// The card and the first page of tasks; nothing is kept.
pub(super) async fn probe(
    fetcher: &Fetcher,
    config: &AgentConfig,
    token: Option<&str>,
) -> Result<ConnectionReport, FetchError> {
    let started = std::time::Instant::now();
    let (card, _etag) = read_card(fetcher, config, None, token)
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
        match call(fetcher, interface, &list, token, config.timeout_ms).await {
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
            Err(FetchError::A2a(A2aError::Unsupported(_))) => {
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

/// "A2A 1.0 (JSON-RPC)": the interface Baton will use.
fn describe_card(card: &AgentCard) -> String {
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
