//! Baton's desktop shell: opens the store, starts the engine, forwards change events to the UI
//! and hands every command the UI invokes to the commands' table (`baton_commands`). Domain
//! logic lives in the `baton-*` crates.

mod attention;
mod hooks;
mod ipc;
mod open_item;
// Public for the floor app (examples/floor), which starts WebKit as Baton does.
pub mod web_memory;
pub mod webkit;

use baton_commands::{Commands, Place, TooNew};
use baton_engine::{open_token_store, Engine, EngineConfig};
use baton_store::watching::AppWatching;
use baton_store::{StoreError, StoreHandle, StorePlace};
use tauri::{Emitter, Manager};

/// The event name the UI listens to (`ui/src/lib/backend.ts`).
pub const CHANGE_EVENT: &str = "baton://change";

pub fn run() {
    // What WebKit's processes start with (the DMA-BUF renderer off, JavaScript without JIT),
    // set before any thread or the toolkit starts.
    webkit::prepare_environment();
    // The engine's runtime (bounded blocking pool, few allocator arenas), shared with Tauri;
    // it lives as long as this function, which is as long as the app.
    let runtime = baton_engine::process::runtime().expect("Baton could not start its runtime");
    tauri::async_runtime::set(runtime.handle().clone());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BATON_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // Before the window (and its web context) is built.
    web_memory::limit_web_process();

    let mut builder = tauri::Builder::default();
    // One Baton per data directory: a second launch on the default store focuses the running
    // window and exits. With BATON_DATA_DIR (tests, a second profile) instances are independent.
    if std::env::var_os("BATON_DATA_DIR").is_none_or(|dir| dir.is_empty()) {
        // Must be the first plugin registered.
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }));
    }
    let app = builder
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .setup(|app| {
            let place = store_place()?;
            let watching = AppWatching::resolve(place.data_dir(), watch_flag())?;
            tracing::info!(watching = watching.on, why = %watching.chosen_by(), "watching");
            let store = match open_store(&place) {
                Ok(store) => store,
                // A newer Baton's store: left untouched, and the window says so (`TooNew`).
                Err(err) => match TooNew::of(&place, &err) {
                    Some(too_new) => {
                        tracing::error!(%err, store = %place.location.display(), "cannot open the store");
                        app.manage(too_new);
                        return Ok(());
                    }
                    None => return Err(err.into()),
                },
            };
            let answer_key = baton_engine::answer_key_entry(place.data_dir());
            let engine = start_engine(store, watching.on, answer_key)?;
            // A viewer answers no hook call: the watchers (or the hooks themselves) record them.
            if watching.on {
                app.manage(hooks::serve_hook_calls(&place));
            }
            let place = Place {
                store: place,
                exe: std::env::current_exe()?,
                watching,
            };
            forward_changes(app.handle().clone(), &engine);
            app.manage(engine.clone());
            attention::setup_tray(app.handle(), &engine);
            attention::follow(app.handle().clone(), engine.clone());
            let commands = Commands::new(engine, place);
            app.manage(commands.clone());
            tauri::async_runtime::spawn(async move {
                // The demo's agents answer in the process that watches them.
                if !commands.place().watching.on {
                    return;
                }
                if let Err(err) = commands.demo().resume(commands.engine()).await {
                    tracing::warn!(%err, "could not restart the demo fleet");
                }
            });
            Ok(())
        })
        .invoke_handler(ipc::forward)
        .build(tauri::generate_context!())
        .expect("Baton could not start its window");

    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(served) = handle.try_state::<hooks::ServedHookCalls>() {
                served.stop();
            }
            if let Some(engine) = handle.try_state::<Engine>() {
                tauri::async_runtime::block_on(engine.shutdown());
            }
        }
    });
}

/// The app's store: `BATON_STORE`, else the one chosen for its data folder (`baton store use`),
/// else `baton.sqlite3` in the app-data dir (or `BATON_DATA_DIR`); a PostgreSQL user's password
/// from the OS keyring when nothing else gives it.
fn store_place() -> Result<StorePlace, Box<dyn std::error::Error>> {
    let mut place = StorePlace::resolve(None, None)?;
    place.location = baton_engine::KeyringTokens::new().with_store_password(place.location);
    Ok(place)
}

/// `--no-watch` (a viewer of a store others watch) or `--watch` on the app's command line.
fn watch_flag() -> Option<bool> {
    std::env::args()
        .skip(1)
        .fold(None, |flag, arg| match arg.as_str() {
            "--no-watch" => Some(false),
            "--watch" => Some(true),
            _ => flag,
        })
}

/// Opens the store (refused, untouched, when a newer Baton wrote it).
fn open_store(place: &StorePlace) -> Result<StoreHandle, StoreError> {
    tracing::info!(store = %place.location.display(), "opening store");
    place.open_handle(baton_store::handle::DEFAULT_READERS)
}

/// Starts polling every agent of the store (with `watching` off, a viewer: it polls nothing
/// and shows what the store's watchers and everybody else write).
/// `answer_key_entry`: the keyring entry of the data folder's key that signs the routes'
/// buttons (issue 60).
fn start_engine(
    store: StoreHandle,
    watching: bool,
    answer_key_entry: String,
) -> Result<Engine, Box<dyn std::error::Error>> {
    // The decision log is hash-chained: check it once at start (the Decisions view checks again
    // on demand).
    match store.read_blocking(|s| s.verify_decisions()) {
        Ok(baton_store::ChainCheck::Ok { entries }) => {
            tracing::info!(entries, "decision log verified");
        }
        Ok(baton_store::ChainCheck::Broken { seq, reason }) => {
            tracing::error!(seq, %reason, "the decision log's hash chain is broken");
        }
        Err(err) => tracing::error!(%err, "could not verify the decision log"),
    }
    let config = EngineConfig {
        watching,
        answer_key_entry,
        // Agents that speak OpenTelemetry send their spans where the store's `[otlp]` says.
        otlp: baton_engine::otlp::OtlpPlace::Stored,
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, open_token_store(), config);
    let started = tauri::async_runtime::block_on(engine.start_all())?;
    tracing::info!(agents = started, "engine started");
    Ok(engine)
}

/// Forwards every change event from the engine's bus to the UI.
fn forward_changes(app: tauri::AppHandle, engine: &Engine) {
    let mut changes = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match changes.recv().await {
                Ok(change) => {
                    if let Err(err) = app.emit(CHANGE_EVENT, &change) {
                        tracing::warn!(%err, "could not forward a change event");
                    }
                }
                // The UI fell behind: tell it to reload everything rather than miss changes.
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "change events dropped; asking the UI to reload");
                    let _ = app.emit(CHANGE_EVENT, &baton_core::views::ChangeEvent::AgentsChanged);
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    /// The capability grants exactly Baton's own commands (plus listening to events): a command
    /// added to the handler but not to `command_names.rs` and the capability fails here.
    #[test]
    fn capability_grants_exactly_the_declared_commands() {
        let text = include_str!("../capabilities/default.json");
        let capability: serde_json::Value = serde_json::from_str(text).unwrap();
        let granted: Vec<&str> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let mut expected: Vec<String> = baton_commands::names::COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        expected.push("core:event:allow-listen".into());
        expected.push("core:event:allow-unlisten".into());
        let mut granted_sorted: Vec<String> = granted.iter().map(|s| s.to_string()).collect();
        granted_sorted.sort();
        expected.sort();
        assert_eq!(granted_sorted, expected);
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
    }

    #[test]
    fn csp_is_strict() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        let csp = &conf["app"]["security"]["csp"];
        assert_eq!(csp["default-src"], "'self'");
        assert_eq!(csp["script-src"], "'self'", "no inline scripts, no eval");
        assert_eq!(csp["object-src"], "'none'");
        let connect = csp["connect-src"].as_str().unwrap();
        assert!(!connect.contains("http:") || connect.contains("ipc.localhost"));
        assert!(!connect.contains('*'));
    }
}
