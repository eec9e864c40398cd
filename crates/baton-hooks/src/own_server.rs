//! The hooks' own server: when no app and no `baton watch` answers the hook calls of a store
//! that may be far away (PostgreSQL), the first call starts one in a process of its own
//! (`baton-hook --serve-hooks`), which answers the calls that follow as the app would (at
//! the verdict: one round trip to the store, the connections open, the statements prepared)
//! and exits when no call came for a while.
//!
//! A hook process on its own pays the connection's round trips, the store's schema and the
//! call's every round trip before it may exit: about ten round trips, 170 ms with the store
//! 30 ms away. Through its own server a call pays one. One server per data folder (a lock
//! file, held while it runs); it steps aside where the app or `watch` already answers, and
//! ends when its socket is taken from it (the data folder removed, or another server bound
//! in its place).

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baton_store::{StoreLocation, StorePlace};

use crate::apart::start_apart;
use crate::served::{HookServer, ServeError};

/// How long the hooks' own server waits for a next call before it exits.
pub const IDLE_EXIT: Duration = Duration::from_secs(10 * 60);

/// The lock file the data folder's own server holds while it runs.
const LOCK_FILE: &str = "hooks-server.lock";

/// How often the server looks whether it is still wanted.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// Whether the store `place` names is one whose hook calls get a server of their own.
pub fn wants_own_server(place: &StorePlace) -> bool {
    matches!(place.location, StoreLocation::Postgres(_))
}

/// Starts the hooks' own server for the data folder of `anchor` with `command` (this
/// executable and its words for it, [`crate::args::own_command`]) unless one runs there or
/// is starting. Nothing waits for it: the calls that come once it listens go through it.
pub fn start_own_server(anchor: &Path, command: &[OsString]) {
    if server_lock(anchor).is_ok_and(|lock| lock.is_none()) {
        return; // One runs, or is starting.
    }
    start_apart(command);
}

/// The process id of the own server running for `anchor`'s data folder, if one runs.
pub fn running_own_server(anchor: &Path) -> Option<u32> {
    let path = server_lock_path(anchor);
    let file = std::fs::File::open(&path).ok()?;
    match file.try_lock_shared() {
        Err(std::fs::TryLockError::WouldBlock) => {}
        _ => return None,
    }
    std::fs::read_to_string(&path).ok()?.trim().parse().ok()
}

/// Held by the data folder's own server while it runs.
pub struct ServerLock(std::fs::File);

impl Drop for ServerLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The lock file of `anchor`'s data folder's own server; it holds the running server's
/// process id.
pub fn server_lock_path(anchor: &Path) -> PathBuf {
    anchor.with_file_name(LOCK_FILE)
}

/// The data folder's server lock, with this process' id written in it; None while another
/// process holds it.
fn server_lock(anchor: &Path) -> std::io::Result<Option<ServerLock>> {
    let path = server_lock_path(anchor);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::Write;
            file.set_len(0)?;
            (&file).write_all(std::process::id().to_string().as_bytes())?;
            Ok(Some(ServerLock(file)))
        }
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(err)) => Err(err),
    }
}

/// Why the hooks' own server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Another process serves the data folder's calls (the app, `watch`, a server started a
    /// moment before).
    ServedElsewhere,
    /// No call came for the idle time.
    Idle,
    /// Its socket is gone or another's (the data folder removed, or taken over).
    SocketTaken,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stopped::ServedElsewhere => "another process answers this data folder's hook calls",
            Stopped::Idle => "no hook call came for its idle time",
            Stopped::SocketTaken => "its socket was removed or taken over",
        })
    }
}

/// Serves the hook calls of the data folder of `anchor` until no call came for `idle`, or
/// until it is not wanted any more (see [`Stopped`]).
pub fn serve_until_idle(anchor: &Path, idle: Duration) -> Result<Stopped, ServeError> {
    let place = StorePlace::from_anchor(anchor)?;
    let cannot = |source| ServeError::Socket {
        path: server_lock_path(anchor),
        source,
    };
    let Some(_lock) = server_lock(anchor).map_err(cannot)? else {
        return Ok(Stopped::ServedElsewhere);
    };
    let Some(server) = HookServer::start(&place)? else {
        return Ok(Stopped::ServedElsewhere);
    };
    let socket: PathBuf = server.path().to_owned();
    let ours = std::fs::symlink_metadata(&socket).map_err(cannot)?.ino();
    let mut recorded = server.recorded();
    let mut last_call = Instant::now();
    loop {
        std::thread::sleep(LOOK_EVERY);
        if std::fs::symlink_metadata(&socket).map_or(true, |m| m.ino() != ours) {
            // Dropping the server would remove a socket that is not its own.
            std::mem::forget(server);
            return Ok(Stopped::SocketTaken);
        }
        let now = server.recorded();
        if now != recorded {
            recorded = now;
            last_call = Instant::now();
        } else if last_call.elapsed() >= idle {
            return Ok(Stopped::Idle);
        }
    }
}
