//! Hook calls answered by the running app (or `baton watch`) over a local socket beside the
//! store, `<store>-hooks.sock`.
//!
//! A hook call on its own opens the store, parses its schema and takes the write lock: about
//! two thirds of its work, and with ten sessions calling at once on two cores the queue for
//! them is what the slowest call waits on. While the app runs it keeps connections open for
//! the hooks, with the schema read and the statements prepared, and records each session's
//! calls one after another on a lane of its own (`lanes.rs`: one on SQLite, several on
//! PostgreSQL); the hook process only starts, asks and answers the client. When nothing
//! listens (no app, a stale socket, another version of Baton) the hook works on the store
//! itself, as before: the socket is a shortcut, never a requirement.

mod answered;
mod lanes;
mod server;
pub(crate) mod wire;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use baton_core::hooks::{HookAnswer, MAX_PAYLOAD_BYTES};
use baton_store::sessions::{PermitSettings, SessionRef};

pub use server::{HookServer, ServeError};
pub(crate) use wire::HookRequest;
use wire::HookResponse;

/// The most a request or an answer may hold: the payload and what comes with it.
const MAX_MESSAGE_BYTES: usize = MAX_PAYLOAD_BYTES + 64 * 1024;

/// How much longer than its budget a call reads the app's answer (see [`check_with_app`]).
const ANSWER_GRACE: Duration = Duration::from_millis(500);

/// The socket beside the store at `db`.
pub fn socket_path(db: &Path) -> PathBuf {
    let mut path = db.as_os_str().to_owned();
    path.push("-hooks.sock");
    PathBuf::from(path)
}

/// Whether a running app (or `baton watch`) answers the hook calls on the store at `db`.
pub fn app_answers(db: &Path) -> bool {
    UnixStream::connect(socket_path(db)).is_ok()
}

/// A hook call the store decided, by the app or by the hook itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    pub agent_id: i64,
    pub answer: HookAnswer,
    /// The queue item of a permission request asked in Baton's queue: the hook waits for it.
    pub asked: Option<i64>,
    /// What the reading of the session's record file skipped.
    pub warnings: Vec<String>,
}

/// Asks the app serving the store at `db` to record and decide the call. `None` when no app
/// answers there (the hook then works on the store itself); the error says why a call the
/// app took could not be checked. Waits at most `budget` for each read and write. `taken` is
/// set once the app has the whole call (it records it, answered or not).
pub(crate) fn check_with_app(
    db: &Path,
    event: Option<&str>,
    payload: &[u8],
    session: &SessionRef,
    settings: &PermitSettings,
    budget: Duration,
    taken: &AtomicBool,
) -> Option<Result<Checked, String>> {
    let mut stream = UnixStream::connect(socket_path(db)).ok()?;
    let request = HookRequest::new(event, payload, session, settings);
    let sent = stream
        .set_write_timeout(Some(budget))
        // Past the budget the caller goes on without the answer, and says the app has the
        // call: the read waits a little longer, so that it is that, never a race between two
        // timeouts of the same length that sometimes kept a call the app had in the spool.
        .and_then(|()| stream.set_read_timeout(Some(budget + ANSWER_GRACE)))
        .and_then(|()| {
            let body = serde_json::to_vec(&request).map_err(std::io::Error::other)?;
            stream.write_all(&body)
        })
        .and_then(|()| stream.shutdown(std::net::Shutdown::Write));
    if sent.is_err() {
        // Not one byte was taken as a call: the store is still the hook's to ask.
        return None;
    }
    taken.store(true, Ordering::Release);
    let mut body = Vec::new();
    let limit = u64::try_from(MAX_MESSAGE_BYTES).unwrap_or(u64::MAX);
    if let Err(err) = stream.take(limit).read_to_end(&mut body) {
        return Some(Err(format!("the app did not answer: {err}")));
    }
    match serde_json::from_slice::<HookResponse>(&body) {
        Ok(HookResponse::Checked {
            agent_id,
            answer,
            asked,
            warnings,
        }) => Some(Ok(Checked {
            agent_id,
            answer: answer.into(),
            asked,
            warnings,
        })),
        Ok(HookResponse::Failed { message }) => Some(Err(message)),
        Ok(HookResponse::Unreadable { .. }) => None,
        Err(err) => Some(Err(format!("the app's answer cannot be read: {err}"))),
    }
}

#[cfg(test)]
mod tests;
