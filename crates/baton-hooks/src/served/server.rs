//! The app's side: a thread that takes the calls, and lanes that record them (`lanes.rs`: each
//! session's calls in order, the sessions on as many store connections as the engine takes
//! writes at once).

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use baton_store::StorePlace;

use super::answered::AnsweredCalls;
use super::lanes::{lanes_for, may_be_far, send, Call, FarStore, Lanes};
use super::wire::{HookRequest, HookResponse};
use super::{socket_path, MAX_MESSAGE_BYTES};
use crate::usage::catch_up;

/// Why hook calls cannot be served (the hooks then work on the store themselves).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot serve hook calls at {}: {source}", path.display())]
    Socket {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serve hook calls: {0}")]
    Store(#[from] baton_store::StoreError),
    #[error("cannot serve hook calls: {0}")]
    Spool(#[from] crate::spool::SpoolError),
}

/// How long the server waits for one hook to send its call (a hook sends it at once; one that
/// does not must not hold up the others).
const READ_TIMEOUT: Duration = Duration::from_millis(500);

/// Hook calls answered from a connection kept open: started by the app and `baton watch`,
/// stopped (and its socket removed) when dropped.
pub struct HookServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    recorded: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
    reader: Option<JoinHandle<()>>,
    deliverer: Option<JoinHandle<()>>,
}

impl HookServer {
    /// Serves the hook calls of the data folder of `place` (on its store). `Ok(None)` when
    /// another process already does (a second app or `watch` on the same folder).
    pub fn start(place: &StorePlace) -> Result<Option<HookServer>, ServeError> {
        let path = socket_path(&place.anchor);
        if UnixStream::connect(&path).is_ok() {
            return Ok(None);
        }
        // Nobody answers on it: a socket left by a process that did not stop cleanly.
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(cannot(&path, err)),
        }
        let store = place.open()?;
        // The store may be elsewhere (PostgreSQL): the socket's folder is made here then.
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|err| cannot(dir, err))?;
        }
        let listener = UnixListener::bind(&path).map_err(|err| cannot(&path, err))?;
        // Only this user's processes may record calls (as with the store file itself).
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|err| cannot(&path, err))?;
        // A store that may be far away: calls answered at their verdict, items filed apart.
        // (Before the spool is first looked at: what a stopped app left goes there.)
        let far = if may_be_far(store.dialect()) {
            let (answered, moved) = AnsweredCalls::open(&place.anchor, place.location.display())?;
            if moved > 0 {
                eprintln!(
                    "baton: hooks: {moved} call(s) answered before Baton stopped and not recorded \
                     are in the spool, to be recorded"
                );
            }
            Some(FarStore {
                answered,
                filer: place.open()?,
            })
        } else {
            None
        };
        let stop = Arc::new(AtomicBool::new(false));
        let recorded = Arc::new(AtomicU64::new(0));
        // The sessions' record files read on between their hook calls, on a connection of its
        // own.
        let reader =
            catch_up::spawn(place.open()?, stop.clone()).map_err(|err| cannot(&path, err))?;
        let deliverer = spawn_deliverer(place.anchor.clone(), stop.clone())
            .map_err(|err| cannot(&path, err))?;
        let mut stores = Vec::new();
        for _ in 1..lanes_for(store.dialect()) {
            stores.push(place.open()?);
        }
        stores.insert(0, store);
        let lanes = Lanes::start(stores, far, &place.anchor, &recorded)
            .map_err(|err| cannot(&path, err))?;
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("baton-hooks".into())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::Acquire) {
                            break;
                        }
                        if let Ok(stream) = stream {
                            if let Some(call) = read_call(stream) {
                                lanes.send(call);
                            }
                        }
                    }
                    lanes.stop();
                })
                .map_err(|err| cannot(&path, err))?
        };
        Ok(Some(HookServer {
            path,
            stop,
            recorded,
            thread: Some(thread),
            reader: Some(reader),
            deliverer: Some(deliverer),
        }))
    }

    /// Where the hooks find it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many hook calls it has recorded.
    pub fn recorded(&self) -> u64 {
        self.recorded.load(Ordering::Acquire)
    }
}

impl Drop for HookServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the thread waiting for the next call.
        let _ = UnixStream::connect(&self.path);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for thread in [self.reader.take(), self.deliverer.take()]
            .into_iter()
            .flatten()
        {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// How often the machine's Baton looks for calls its hooks let go ahead unchecked.
const DELIVER_EVERY: Duration = Duration::from_secs(15);

/// Delivers the data folder's spool of unchecked calls ([`crate::spool`]) while the app or
/// `watch` runs: the hooks' own delivery needs a checked call, and a session may have made its
/// last one.
fn spawn_deliverer(anchor: PathBuf, stop: Arc<AtomicBool>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("baton-spool".into())
        .spawn(move || {
            while !stop.load(Ordering::Acquire) {
                if crate::spool::spool_waits(&anchor) {
                    match crate::spool::deliver_spool(&anchor) {
                        Ok(delivered) => eprintln!("baton: hooks: {}", delivered.summary()),
                        Err(err) => eprintln!("baton: hooks: {err}"),
                    }
                }
                let mut slept = Duration::ZERO;
                while slept < DELIVER_EVERY && !stop.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(100));
                    slept += Duration::from_millis(100);
                }
            }
        })
}

fn cannot(path: &Path, source: std::io::Error) -> ServeError {
    ServeError::Socket {
        path: path.to_owned(),
        source,
    }
}

/// Reads one call from `stream` whole; a connection that sends nothing readable is answered
/// here, saying so (nothing of it is recorded).
fn read_call(mut stream: UnixStream) -> Option<Call> {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let mut body = Vec::new();
    let limit = u64::try_from(MAX_MESSAGE_BYTES).unwrap_or(u64::MAX) + 1;
    let unreadable = match (&mut stream).take(limit).read_to_end(&mut body) {
        Err(err) => format!("the call was not received: {err}"),
        Ok(_) if body.len() > MAX_MESSAGE_BYTES => {
            format!("the call is larger than {MAX_MESSAGE_BYTES} bytes")
        }
        Ok(_) => match serde_json::from_slice::<HookRequest>(&body) {
            Ok(request) => return Some(Call { stream, request }),
            Err(err) => format!("the call cannot be read: {err}"),
        },
    };
    send(
        &mut stream,
        &HookResponse::Unreadable {
            message: unreadable,
        },
    );
    None
}
