//! `baton escalations --follow`: the queue's items as they open, change, are decided and
//! delivered, whoever does it (the app, `baton decide`, a hook call, a watcher on another
//! machine): a viewer engine (watching off) on the store turns its change feed into events,
//! and the watch log says each item's real changes once.

use std::sync::Arc;

use baton_core::views::ChangeEvent;
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_store::escalations::EscalationFilter;
use baton_store::StorePlace;
use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;

use super::error::CliError;
use super::queue::{agent_names, render_queue};
use super::watch::{emit, name_agents, WatchOutput};
use super::watch_log::{Line, WatchLog};

/// The items read again when the feed names none (a decision without its item, or a reader
/// left behind): the open ones and the latest closed.
const RECENT: EscalationFilter = EscalationFilter {
    open: true,
    closed: 100,
};

/// `baton escalations --follow [--json]`: the open items first (a table; nothing with
/// `--json`) and a `following` line, then a line per change until Ctrl-C.
pub async fn follow_escalations(place: &StorePlace, json: bool) -> Result<(), CliError> {
    let engine = Engine::new(
        place.open_handle(1)?,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig {
            watching: false,
            relay: false,
            detect_every_ms: 0,
            ..EngineConfig::default()
        },
    );
    let mut changes = engine.subscribe();
    engine.start_all().await?;
    let output = WatchOutput {
        json,
        ..WatchOutput::default()
    };
    let mut log = WatchLog::new(false);
    name_agents(&engine, &mut log).await;
    let known = engine.read(|s| s.escalations(RECENT)).await?;
    let now = Utc::now();
    for escalation in &known {
        log.escalation(now, escalation);
    }
    if !json {
        let open: Vec<_> = known
            .into_iter()
            .filter(|e| e.closed_at.is_none())
            .collect();
        let names = agent_names(&engine.read(|s| s.agents()).await?);
        print!("{}", render_queue(&open, &names, now));
    }
    let mut banner = Line::new(
        now,
        "following",
        "baton: following the queue; Ctrl-C to stop".to_owned(),
    );
    if json {
        banner.message = "following the queue".to_owned();
    }
    emit(&banner, output);
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        let change = tokio::select! {
            _ = &mut stop => break,
            change = changes.recv() => change,
        };
        let ids = match change {
            Ok(ChangeEvent::Escalations {
                opened, changed, ..
            }) if !opened.is_empty() || !changed.is_empty() => {
                opened.into_iter().chain(changed).collect()
            }
            // Nothing named (a decision without its item, a reader left behind): all again.
            Ok(ChangeEvent::Escalations { .. }) | Err(RecvError::Lagged(_)) => Vec::new(),
            Ok(ChangeEvent::AgentsChanged) => {
                name_agents(&engine, &mut log).await;
                continue;
            }
            Ok(_) => continue,
            Err(RecvError::Closed) => break,
        };
        let read = if ids.is_empty() {
            engine.read(|s| s.escalations(RECENT)).await
        } else {
            engine
                .read(move |s| ids.iter().map(|&id| s.escalation(id)).collect())
                .await
        };
        let escalations = match read {
            Ok(found) => found,
            Err(err) => {
                eprintln!("baton: cannot read the queue: {err}");
                continue;
            }
        };
        let now = Utc::now();
        for escalation in &escalations {
            for line in log.escalation(now, escalation) {
                emit(&line, output);
            }
        }
    }
    engine.shutdown().await;
    Ok(())
}
