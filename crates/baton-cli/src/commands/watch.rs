//! `baton watch`: poll agents headless into the store, with tokens from the config file or the
//! app's keyring.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baton_core::views::{ChangeEvent, SecretsStatus};
use baton_engine::otlp::OtlpPlace;
use baton_engine::watch_share::MIN_FAILOVER_MS;
use baton_engine::{
    Engine, EngineConfig, KeyringTokens, MemoryTokens, SecretError, Sharing, TokenStore,
    DEFAULT_FAILOVER_MS,
};
use baton_store::handle::DEFAULT_READERS;
use chrono::Utc;

use super::error::CliError;
use super::import::import_who as who_from;
use super::sync::sync_agents;
use super::watch_log::{Line, WatchLog};
use crate::config;
use baton_store::StorePlace;

/// Looks up every token the file references, before anything is stored: one reference that
/// cannot be resolved refuses the whole file.
fn resolve_tokens(
    file: &config::ConfigFile,
) -> Result<Vec<(&config::AgentEntry, Option<String>)>, CliError> {
    file.agents
        .iter()
        .map(|entry| Ok((entry, entry.resolve_token()?)))
        .collect()
}

/// The tokens `baton watch` polls with: those the config file references (kept in memory), and
/// for the store's other agents the ones the desktop app keeps in the OS keyring (read only).
/// Without the keyring, an agent stored with a token fails every poll saying why, rather than
/// being polled without its token.
struct WatchTokens {
    from_config: MemoryTokens,
    app: Box<dyn TokenStore>,
}

impl WatchTokens {
    fn new() -> WatchTokens {
        WatchTokens {
            from_config: MemoryTokens::new(None),
            app: Box::new(KeyringTokens::new()),
        }
    }
}

impl TokenStore for WatchTokens {
    fn get(&self, agent_id: i64) -> Result<Option<String>, SecretError> {
        match self.from_config.get(agent_id)? {
            Some(token) => Ok(Some(token)),
            None => self.app.get(agent_id),
        }
    }

    fn set(&self, agent_id: i64, token: &str) -> Result<(), SecretError> {
        self.from_config.set(agent_id, token)
    }

    fn delete(&self, agent_id: i64) -> Result<(), SecretError> {
        self.from_config.delete(agent_id)
    }

    fn status(&self) -> SecretsStatus {
        self.app.status()
    }

    fn get_entry(&self, user: &str) -> Result<Option<String>, SecretError> {
        match self.from_config.get_entry(user)? {
            Some(value) => Ok(Some(value)),
            None => self.app.get_entry(user),
        }
    }

    fn set_entry(&self, user: &str, value: &str) -> Result<(), SecretError> {
        self.app.set_entry(user, value)
    }

    fn delete_entry(&self, user: &str) -> Result<(), SecretError> {
        self.app.delete_entry(user)
    }
}

/// How `baton watch` tells: text lines or JSON Lines, whether escalation updates count, and
/// whether the queue's alerts are desktop notifications too.
#[derive(Debug, Clone, Copy, Default)]
pub struct WatchOutput {
    pub json: bool,
    pub verbose: bool,
    pub desktop: bool,
}

/// How this watcher shares the store, from the command line (over `[watch]` in the file).
#[derive(Debug, Clone, Default)]
pub struct WatchSharing {
    pub failover_ms: Option<u64>,
    pub name: Option<String>,
}

/// The longest failover accepted: an hour.
const MAX_FAILOVER_MS: u64 = 3_600_000;

impl WatchSharing {
    /// The engine's sharing: the flag, else the file's `[watch]`, else the defaults.
    fn resolve(self, file: Option<&config::ConfigFile>) -> Result<Sharing, CliError> {
        let entry = file.and_then(|f| f.watch.clone()).unwrap_or_default();
        let failover_ms = self
            .failover_ms
            .or(entry.failover_ms)
            .unwrap_or(DEFAULT_FAILOVER_MS);
        if !(MIN_FAILOVER_MS..=MAX_FAILOVER_MS).contains(&failover_ms) {
            return Err(CliError::Invalid(format!(
                "failover_ms must be between {MIN_FAILOVER_MS} and {MAX_FAILOVER_MS} (got {failover_ms})"
            )));
        }
        Ok(Sharing::this_process(failover_ms, self.name.or(entry.name)))
    }
}

/// Where the OTLP receiver listens: as the file's `[otlp]` says, else as the store's settings.
fn otlp_place(file: Option<&config::ConfigFile>) -> Result<OtlpPlace, CliError> {
    let Some(entry) = file.and_then(|f| f.otlp.as_ref()) else {
        return Ok(OtlpPlace::Stored);
    };
    if entry.enabled == Some(false) {
        return Ok(OtlpPlace::Off);
    }
    let listen = entry
        .listen
        .clone()
        .unwrap_or_else(|| baton_core::otel::DEFAULT_LISTEN.to_owned());
    let settings = baton_core::otel::OtlpSettings {
        enabled: true,
        listen,
    };
    settings
        .address()
        .map(OtlpPlace::At)
        .map_err(|reason| CliError::Invalid(format!("[otlp] {reason}")))
}

/// Who the decision log records for a window set by `watch --config`: `$USER`, else `cli`.
fn who() -> String {
    who_from(None)
}

pub(super) fn emit(line: &Line, output: WatchOutput) {
    if output.json {
        println!("{}", line.json());
    } else {
        println!("{}", line.text());
    }
}

/// Names every agent in the store for the log.
pub(super) async fn name_agents(engine: &Engine, log: &mut WatchLog) {
    match engine.read(|s| s.agents()).await {
        Ok(agents) => log.set_names(agents.into_iter().map(|a| (a.id, a.name))),
        Err(err) => eprintln!("baton: cannot read the agents' names: {err}"),
    }
}

pub async fn watch(
    place: &StorePlace,
    config_path: Option<PathBuf>,
    duration: Option<u64>,
    stats: bool,
    output: WatchOutput,
    sharing: WatchSharing,
) -> Result<(), CliError> {
    let file = config_path.as_deref().map(config::load).transpose()?;
    let sharing = sharing.resolve(file.as_ref())?;
    let place = &match &file {
        Some(file) => file.place(place)?,
        None => place.clone(),
    };
    let agents = file.as_ref().map(resolve_tokens).transpose()?;
    let mut store = place.open()?;
    let tokens = WatchTokens::new();
    if let Some(agents) = agents {
        let synced = sync_agents(&mut store, agents, true, &who()).await?;
        for note in &synced.notes {
            eprintln!("baton: {note}");
        }
        for (agent_id, token) in synced.tokens {
            tokens
                .set(agent_id, &token)
                .map_err(|err| CliError::Io(std::io::Error::other(err.to_string())))?;
        }
    }
    drop(store);
    let otlp = otlp_place(file.as_ref())?;
    // Any number of watchers may share the store: each polls the agents it holds a lease on.
    let engine = Engine::new(
        place.open_handle(DEFAULT_READERS)?,
        Arc::new(tokens),
        EngineConfig {
            sharing: Some(sharing),
            answer_key_entry: baton_engine::answer_key_entry(place.data_dir()),
            otlp,
            ..EngineConfig::default()
        },
    );
    let _hook_calls = serve_hook_calls(place);
    let mut changes = engine.subscribe();
    let mut share_notes = engine.subscribe_sharing();
    let mut log = WatchLog::new(output.verbose);
    // Without a window to bring up, *Open* says where to see the item.
    let desktop = output.desktop.then(|| {
        baton_desktop::Desktop::new(
            engine.clone(),
            Arc::new(|id: i64| {
                eprintln!("baton: item {id}: `baton escalation show {id}`, or open it in the app")
            }),
        )
    });
    let _digests = desktop.as_ref().map(baton_desktop::Desktop::follow_digests);
    name_agents(&engine, &mut log).await;
    let started = engine.start_all().await?;
    let mut banner = Line::new(
        Utc::now(),
        "watching",
        format!("baton: watching {started} agent(s); Ctrl-C to stop"),
    );
    if output.json {
        banner.message = format!("watching {started} agent(s)");
    }
    emit(&banner, output);
    let listening = match engine.otlp_address().await {
        Some(address) => Line::new(
            Utc::now(),
            "otlp",
            format!(
                "baton: OTLP receiver on http://{address} (/v1/traces, /v1/logs, /v1/metrics){}",
                if address.ip().is_loopback() {
                    ""
                } else {
                    "; senders show `baton otlp token`"
                }
            ),
        ),
        None => Line::new(Utc::now(), "otlp", "baton: OTLP receiver off".to_owned()),
    };
    emit(&listening, output);
    let stop = async {
        match duration {
            Some(seconds) => tokio::time::sleep(Duration::from_secs(seconds)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::pin!(stop);
    loop {
        let change = tokio::select! {
            _ = &mut stop => break,
            change = changes.recv() => change,
            note = share_notes.recv() => {
                if let Ok(note) = note {
                    emit(&Line::new(Utc::now(), note.kind, note.message), output);
                }
                continue;
            }
        };
        let now = Utc::now();
        let lines = match change {
            Ok(ChangeEvent::Ingested {
                agent_id,
                tasks,
                new_events,
                elsewhere,
                lease_epoch,
                ..
            }) => {
                if !log.knows(agent_id) {
                    name_agents(&engine, &mut log).await;
                }
                if elsewhere {
                    log.stored_elsewhere(now, agent_id, tasks.len())
                        .into_iter()
                        .collect()
                } else {
                    vec![log.ingested(now, agent_id, (tasks.len(), new_events), lease_epoch)]
                }
            }
            Ok(ChangeEvent::Health { agent_id, health }) => {
                if !log.knows(agent_id) {
                    name_agents(&engine, &mut log).await;
                }
                log.health(now, agent_id, &health).into_iter().collect()
            }
            Ok(ChangeEvent::DeclarationsChanged { agent_id }) => {
                vec![log.declarations(now, agent_id)]
            }
            Ok(ChangeEvent::Findings { opened, .. }) => {
                match engine.read(move |store| store.findings(&opened)).await {
                    Ok(found) => found
                        .iter()
                        .map(|f| {
                            log.finding(
                                now,
                                &f.agents,
                                f.severity.as_str(),
                                f.kind.as_str(),
                                &f.summary,
                            )
                        })
                        .collect(),
                    Err(err) => {
                        eprintln!("baton: cannot read the findings: {err}");
                        Vec::new()
                    }
                }
            }
            Ok(ChangeEvent::Escalations {
                opened,
                changed,
                lapsing,
            }) => {
                if let Some(desktop) = &desktop {
                    desktop
                        .on_escalations(opened.clone(), lapsing.clone(), &changed)
                        .await;
                }
                let mut lines = Vec::new();
                for id in opened.into_iter().chain(changed) {
                    match engine.escalation(id).await {
                        Ok(escalation) => lines.extend(log.escalation(now, &escalation)),
                        Err(err) => eprintln!("baton: cannot read escalation {id}: {err}"),
                    }
                }
                lines.extend(lapsing.into_iter().map(|id| log.lapsing(now, id)));
                lines
            }
            Ok(ChangeEvent::Store {
                unreachable_since,
                detail,
            }) => vec![log.store(now, unreachable_since, detail.as_deref())],
            Ok(ChangeEvent::SessionsHeard { waiting, .. }) => {
                log.sessions_waiting(now, waiting).into_iter().collect()
            }
            Ok(ChangeEvent::AgentsChanged) => {
                name_agents(&engine, &mut log).await;
                Vec::new()
            }
            Ok(ChangeEvent::Watchers) => Vec::new(),
            // Quiet polls: agents that were up and still are, nothing to say.
            Ok(ChangeEvent::Healths { .. }) => Vec::new(),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Vec::new(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        };
        for line in &lines {
            emit(line, output);
        }
    }
    engine.shutdown().await;
    if stats {
        // One line a benchmark (or a person) can read: the engine's own figures.
        let figures = serde_json::to_value(engine.stats()).unwrap_or_default();
        if output.json {
            println!(
                "{}",
                serde_json::json!({"at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "kind": "stats", "stats": figures})
            );
        } else {
            println!("stats: {figures}");
        }
    }
    Ok(())
}

/// Answers the coding sessions' hook calls on the store at `path` while `watch` runs (each
/// hook then skips opening the store itself); `None` when another process already does, or
/// when it cannot (said once: the hooks then record their calls themselves).
fn serve_hook_calls(place: &StorePlace) -> Option<baton_hooks::HookServer> {
    baton_hooks::HookServer::start(place).unwrap_or_else(|err| {
        eprintln!("baton: {err}; the hooks record their calls in the store themselves");
        None
    })
}
