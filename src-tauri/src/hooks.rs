//! The coding sessions' hook calls, answered by the app while it runs (installing the hooks is
//! a command: `baton_commands`).

use baton_hooks::HookServer;
use baton_store::StorePlace;

/// The coding sessions' hook calls, answered by the app while it runs (over the store's socket:
/// a hook then skips opening the store itself). Empty when another process answers them, or
/// when the socket cannot be made (the hooks then record their calls themselves).
pub struct ServedHookCalls(std::sync::Mutex<Option<HookServer>>);

impl ServedHookCalls {
    /// Stops answering (the app exits): the socket goes, and the hooks work on their own.
    pub fn stop(&self) {
        let server = self.0.lock().map(|mut held| held.take());
        drop(server);
    }
}

/// Starts answering the hook calls on the app's store.
pub fn serve_hook_calls(place: &StorePlace) -> ServedHookCalls {
    let server = HookServer::start(place).map_err(|err| err.to_string());
    match server {
        Ok(Some(server)) => {
            tracing::info!(socket = %server.path().display(), "answering hook calls");
            ServedHookCalls(std::sync::Mutex::new(Some(server)))
        }
        Ok(None) => {
            tracing::info!("another process answers the hook calls on this store");
            ServedHookCalls(std::sync::Mutex::new(None))
        }
        Err(err) => {
            tracing::warn!(%err, "the hooks record their calls in the store themselves");
            ServedHookCalls(std::sync::Mutex::new(None))
        }
    }
}
