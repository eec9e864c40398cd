//! `baton preview`: the app's commands over HTTP for a browser, on the real engine and a real
//! store, with the demo fleet (or a scenario, or nothing) behind them. For developing the UI
//! and its browser tests; not for use against a store anyone works in.
//!
//! * `server`: the HTTP routes (commands, change events, the built UI), token and loopback.
//! * `seed`: the demo's past (a week of API usage), written through the store's ingest;
//!   `coding`: three coding sessions in two worktrees of one git repository, recorded through
//!   the hooks' own call, so every view has something to show.
//! * `record`: `--record DIR` answers the commands the UI's tests need, as JSON files.

mod coding;
mod record;
mod seed;
pub mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use baton_commands::{Commands, Place};
use baton_engine::{Engine, EngineConfig, MemoryTokens};
use baton_hooks::HookServer;
use baton_sim::scenario::Scenario;
use baton_store::{PlaceSource, StoreLocation, StorePlace};
use serde_json::json;

use super::error::CliError;

/// What runs behind the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fleet {
    /// The demo's story, with a week of usage behind it and three coding sessions.
    Demo,
    /// One scripted scenario.
    Scenario(Scenario),
    /// Nothing: the first-run page.
    Empty,
}

#[derive(Debug, Clone)]
pub struct PreviewOptions {
    /// The store (`--store`); None: a new one in a temporary folder, deleted at exit.
    pub store: Option<StoreLocation>,
    pub fleet: Fleet,
    /// Where to listen (loopback only; port 0: a free one).
    pub addr: SocketAddr,
    /// The built UI to serve at `/` (None: the repository's `ui/dist`, when built).
    pub ui: Option<PathBuf>,
    /// Write the recorded answers here and exit, instead of serving.
    pub record: Option<PathBuf>,
}

/// The repository's `ui/dist`, where `npm --prefix ui run build` writes it.
fn default_ui() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist")
}

/// A random token of 128 bits, in hex.
fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The preview's store in its own data folder `dir` (where the hooks' socket goes): the one
/// given, else `baton.sqlite3` there.
fn preview_place(dir: &Path, given: Option<StoreLocation>) -> StorePlace {
    let anchor = dir.join(baton_store::paths::DB_FILE_NAME);
    let (location, source) = match given {
        Some(location) => (location, PlaceSource::Given),
        None => (
            StoreLocation::Sqlite(anchor.clone()),
            PlaceSource::DataFolder,
        ),
    };
    StorePlace {
        anchor,
        location,
        source,
    }
}

/// Runs the preview until Ctrl-C or SIGTERM (or, with `record`, until the answers are written).
pub async fn preview(options: PreviewOptions) -> Result<(), CliError> {
    server::check_loopback(&options.addr).map_err(CliError::Invalid)?;
    // Private from the start, as Baton's data folders are.
    let temp = tempfile::Builder::new()
        .prefix("baton-preview-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()?;
    let place = preview_place(temp.path(), options.store.clone());
    if let StoreLocation::Sqlite(path) = &place.location {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let store = place.open_handle(baton_store::handle::DEFAULT_READERS)?;
    // Tokens stay in memory: a preview never touches the person's keyring.
    let engine = Engine::new(
        store,
        Arc::new(MemoryTokens::new(None)),
        EngineConfig::default(),
    );
    engine.start_all().await?;
    // The coding sessions' hook calls go to this store through the preview's own socket.
    let hook_calls = HookServer::start(&place)
        .map_err(|err| CliError::Invalid(format!("cannot answer hook calls: {err}")))?;
    let commands = Commands::new(
        engine.clone(),
        Place {
            store: place,
            exe: std::env::current_exe()?,
            watching: Default::default(),
        },
    );
    start_fleet(&commands, options.fleet, temp.path()).await?;
    let result = match &options.record {
        Some(dir) => record::record(&commands, dir).await,
        None => serve(commands, &options).await,
    };
    drop(hook_calls);
    engine.shutdown().await;
    result
}

/// Starts what runs behind the preview.
async fn start_fleet(
    commands: &Commands,
    fleet: Fleet,
    scratch: &std::path::Path,
) -> Result<(), CliError> {
    let invoke = |name: &'static str, args: serde_json::Value| async move {
        commands
            .invoke(name, args)
            .await
            .map_err(|err| CliError::Invalid(format!("{name}: {err}")))
    };
    match fleet {
        Fleet::Empty => {}
        Fleet::Scenario(scenario) => {
            invoke("start_scenario", json!({"name": scenario.name()})).await?;
        }
        Fleet::Demo => {
            // A store of an earlier preview still lists the demo agents of its run.
            commands
                .demo()
                .resume(commands.engine())
                .await
                .map_err(|err| CliError::Invalid(err.to_string()))?;
            invoke("start_demo_fleet", json!({})).await?;
            seed::usage_history(commands).await?;
            coding::coding_sessions(&commands.place().store.anchor, scratch).await?;
        }
    }
    Ok(())
}

/// Serves the commands until Ctrl-C or SIGTERM.
async fn serve(commands: Commands, options: &PreviewOptions) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(options.addr).await?;
    let addr = listener.local_addr()?;
    let token = new_token();
    let ui = options.ui.clone().unwrap_or_else(default_ui);
    let ui = ui.join("index.html").is_file().then_some(ui);
    let url = format!("http://{addr}/?token={token}");
    // The URL alone on stdout (a script reads it); what it means on stderr.
    println!("{url}");
    match &ui {
        Some(dir) => eprintln!("baton preview: serving {} and the app's commands; Ctrl-C to stop", dir.display()),
        None => eprintln!(
            "baton preview: the UI is not built (npm --prefix ui run build); serving the commands only; \
             for `npm --prefix ui run dev`, set BATON_PREVIEW_URL={url}"
        ),
    }
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let router = server::router(commands, token, ui, stopped);
    // Ctrl-C or SIGTERM: the answers under way go out, and the temporary store is removed.
    let stop = async move {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
        }
        let _ = stopping.send(true);
    };
    server::serve(listener, router, stop).await?;
    // Let the last answers go out before the engine stops.
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}
