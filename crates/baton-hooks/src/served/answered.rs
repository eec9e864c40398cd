//! Calls a running app answered at their verdict, before their record was committed.
//!
//! On a store far away (PostgreSQL on another machine) a call's commit is one more round trip
//! after its verdict, which the client need not wait for: the write lock the call holds until
//! it commits keeps every other call from changing what its verdict read. What the client must
//! not lose is the record. So each such call is noted here first (`<store>-hooks-answered.jsonl`
//! beside the socket, a line per call as the spool keeps one), then answered, then marked done
//! once its record is committed. A record that fails to commit is moved to the spool, and so
//! are the calls still noted when the app starts again (it stopped between an answer and a
//! commit): either way the call is recorded late, once, as any call that went ahead unchecked
//! ([`crate::spool`]). The file is emptied whenever no call is between its answer and its
//! commit, so it stays a few lines long.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::wire::HookRequest;
use crate::spool::{self, SpoolError, SpooledCall};

/// Why a call's record was not committed after its answer, as the spool says it.
const STOPPED: &str = "the running Baton answered it and stopped before its record was committed";

/// One line of the file: a call answered (`call`), or a call's record committed (`done`).
#[derive(Serialize, Deserialize)]
struct Line {
    n: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    call: Option<SpooledCall>,
}

/// The calls answered and not yet committed, and the file that keeps them.
pub(super) struct AnsweredCalls {
    anchor: PathBuf,
    /// The store's address, as the spool keeps it with each call.
    store: String,
    state: Mutex<State>,
}

struct State {
    file: File,
    /// Calls noted and not yet done.
    open: HashSet<u64>,
    next: u64,
}

/// The file of the data folder that holds `anchor`, beside the socket.
fn answered_path(anchor: &Path) -> PathBuf {
    let mut path = anchor.as_os_str().to_owned();
    path.push("-hooks-answered.jsonl");
    PathBuf::from(path)
}

impl AnsweredCalls {
    /// The calls of the data folder holding `anchor`, on the store at `store` (its address):
    /// those a stopped app left between their answer and their commit go to the spool first
    /// (how many).
    pub(super) fn open(anchor: &Path, store: String) -> Result<(AnsweredCalls, usize), SpoolError> {
        let path = answered_path(anchor);
        let moved = move_leftovers(anchor, &path)?;
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|err| io(&path, err))?;
        let calls = AnsweredCalls {
            anchor: anchor.to_owned(),
            store,
            state: Mutex::new(State {
                file,
                open: HashSet::new(),
                next: 0,
            }),
        };
        Ok((calls, moved))
    }

    /// Notes `request`, made at `at`, before it is answered: its number, for
    /// [`AnsweredCalls::committed`], and the call as the spool would keep it. An error: not
    /// noted, so the call is answered only once committed.
    pub(super) fn note_request(
        &self,
        request: &HookRequest,
        at: DateTime<Utc>,
    ) -> std::io::Result<(u64, SpooledCall)> {
        let call = SpooledCall::answered(request.clone(), self.store.clone(), at);
        let n = self.note(&call)?;
        Ok((n, call))
    }

    fn note(&self, call: &SpooledCall) -> std::io::Result<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let n = state.next;
        let mut line = serde_json::to_vec(&Line {
            n,
            call: Some(call.clone()),
        })?;
        line.push(b'\n');
        state.file.write_all(&line)?;
        state.next += 1;
        state.open.insert(n);
        Ok(n)
    }

    /// Call `n`'s record is committed: nothing to keep. The file is emptied when no other
    /// call waits for its commit.
    pub(super) fn committed(&self, n: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.open.remove(&n);
        let emptied = state.open.is_empty() && state.file.set_len(0).is_ok();
        if !emptied {
            // Others wait: a line says this one is done, for a start after a stop.
            if let Ok(mut line) = serde_json::to_vec(&Line { n, call: None }) {
                line.push(b'\n');
                let _ = state.file.write_all(&line);
            }
        }
    }

    /// Call `n`'s record did not commit (`why`): it goes to the spool, recorded late.
    pub(super) fn not_committed(
        &self,
        n: u64,
        mut call: SpooledCall,
        why: String,
    ) -> Result<(), SpoolError> {
        call.why = why;
        let kept = spool::keep(&self.anchor, &call).map(|_| ());
        // Kept or not, it is no longer this file's: the spool says what it could not keep.
        self.committed(n);
        kept
    }
}

/// Moves the calls a stopped app left in `path` (noted, never done) to the spool; how many.
fn move_leftovers(anchor: &Path, path: &Path) -> Result<usize, SpoolError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(io(path, err)),
    };
    let mut noted = Vec::new();
    let mut done = HashSet::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|err| io(path, err))?;
        // A line cut short by the stop (the last one) is a call never answered.
        let Ok(line) = serde_json::from_str::<Line>(&line) else {
            continue;
        };
        match line.call {
            Some(call) => noted.push((line.n, call)),
            None => {
                done.insert(line.n);
            }
        }
    }
    let mut moved = 0;
    for (_, mut call) in noted.into_iter().filter(|(n, _)| !done.contains(n)) {
        call.why = STOPPED.to_owned();
        spool::keep(anchor, &call)?;
        moved += 1;
    }
    std::fs::remove_file(path).map_err(|err| io(path, err))?;
    Ok(moved)
}

fn io(path: &Path, err: std::io::Error) -> SpoolError {
    SpoolError::Io {
        path: path.to_owned(),
        err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::hooks::{HookClient, PermitMode};
    use baton_store::sessions::{PermitSettings, SessionRef};

    fn call(session: &str) -> SpooledCall {
        let settings = PermitSettings::in_mode(PermitMode::Enforce);
        let session = SessionRef::in_checkout(HookClient::ClaudeCode, session, "/repo");
        let request = HookRequest::new(None, b"{}", &session, &settings);
        SpooledCall::answered(request, "store".into(), chrono::Utc::now())
    }

    fn spooled(anchor: &Path) -> Vec<SpooledCall> {
        std::fs::read_to_string(spool::spool_path(anchor))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn a_call_committed_leaves_nothing_and_the_file_empties_when_none_waits() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = dir.path().join("baton.sqlite3");
        let (calls, moved) = AnsweredCalls::open(&anchor, "store".into()).unwrap();
        assert_eq!(moved, 0);
        let a = calls.note(&call("a")).unwrap();
        let b = calls.note(&call("b")).unwrap();
        calls.committed(a);
        assert!(
            std::fs::metadata(answered_path(&anchor)).unwrap().len() > 0,
            "b waits"
        );
        calls.committed(b);
        assert_eq!(std::fs::metadata(answered_path(&anchor)).unwrap().len(), 0);
        drop(calls);
        let (_, moved) = AnsweredCalls::open(&anchor, "store".into()).unwrap();
        assert_eq!(moved, 0);
        assert!(spooled(&anchor).is_empty());
    }

    #[test]
    fn calls_a_stopped_app_answered_and_never_committed_go_to_the_spool_once() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = dir.path().join("baton.sqlite3");
        let (calls, _) = AnsweredCalls::open(&anchor, "store".into()).unwrap();
        let a = calls.note(&call("a")).unwrap();
        calls.note(&call("b")).unwrap();
        calls.note(&call("c")).unwrap();
        calls.committed(a);
        // The app stops here (its file as it was), and a line was being written as it did.
        drop(calls);
        let path = answered_path(&anchor);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"n\":3,\"call\":{\"v\":1,").unwrap();
        drop(file);
        let (_, moved) = AnsweredCalls::open(&anchor, "store".into()).unwrap();
        assert_eq!(moved, 2);
        let kept = spooled(&anchor);
        let sessions: Vec<&str> = kept.iter().map(|c| c.call.session_id.as_str()).collect();
        assert_eq!(sessions, ["b", "c"]);
        assert!(kept.iter().all(|c| c.why == STOPPED), "{kept:?}");
        // Opened again, nothing is moved twice.
        let (_, moved) = AnsweredCalls::open(&anchor, "store".into()).unwrap();
        assert_eq!(moved, 0);
        assert_eq!(spooled(&anchor).len(), 2);
    }

    #[test]
    fn a_record_that_did_not_commit_goes_to_the_spool_with_why() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = dir.path().join("baton.sqlite3");
        let (calls, _) = AnsweredCalls::open(&anchor, "store".into()).unwrap();
        let noted = call("a");
        let n = calls.note(&noted).unwrap();
        calls
            .not_committed(n, noted, "the store went away".into())
            .unwrap();
        assert_eq!(std::fs::metadata(answered_path(&anchor)).unwrap().len(), 0);
        let kept = spooled(&anchor);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].why, "the store went away");
    }
}
