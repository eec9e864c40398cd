//! Free ports for tests, safe across the test processes that run at once.
//!
//! A port the system found free is free only until somebody binds it: between a test asking
//! for one and its server binding it (a slow server: a Python peer, PostgreSQL), another test,
//! in this process or another one, could be handed the same port, and one would talk to the
//! other's server (seen: mocklimit, 1 run in 10 under load). So each port handed out is claimed
//! by a file of its own in `baton-test-ports` under the temporary folder, created only if it
//! is not there; a claim older than [`STALE`] is taken for one left behind (by then its
//! server has long bound the port, and the system hands out no port that is bound).

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// How old a claim is when it no longer holds its port.
pub const STALE: Duration = Duration::from_secs(10 * 60);

/// The most ports the system may offer that others claimed before one is not.
const TRIES: usize = 1_000;

/// A TCP port on 127.0.0.1 that was free a moment ago and that no other test, in this process
/// or another, has been handed in the last ten minutes.
///
/// # Panics
/// When no port can be found (the system refuses to bind, or the claims' folder cannot be
/// written).
pub fn free_port() -> u16 {
    try_free_port().unwrap_or_else(|why| panic!("{why}"))
}

/// [`free_port`], with the reason when there is none.
pub fn try_free_port() -> Result<u16, String> {
    let dir = claims();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    sweep_once(&dir);
    for _ in 0..TRIES {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        if claim(&dir.join(port.to_string()))? {
            return Ok(port);
        }
    }
    Err(format!(
        "no free port: {TRIES} offered were all claimed in {}",
        dir.display()
    ))
}

/// The folder of claims (one per temporary folder, so per machine for the tests).
fn claims() -> PathBuf {
    std::env::temp_dir().join("baton-test-ports")
}

/// Claims `path`: true when it is ours now (new, or left behind and taken over).
fn claim(path: &Path) -> Result<bool, String> {
    for _ in 0..2 {
        match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if !is_stale(path) {
                    return Ok(false);
                }
                // Left behind: taken over. If another process removed and claimed it first,
                // `create_new` says so on the second turn.
                let _ = std::fs::remove_file(path);
            }
            Err(e) => return Err(format!("cannot claim {}: {e}", path.display())),
        }
    }
    Ok(false)
}

fn is_stale(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|made| SystemTime::now().duration_since(made).ok())
        .is_some_and(|age| age > STALE)
}

/// Removes the claims left behind, once per process, so the folder does not grow.
fn sweep_once(dir: &Path) {
    static SWEPT: OnceLock<()> = OnceLock::new();
    SWEPT.get_or_init(|| {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if is_stale(&entry.path()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_handed_out_once_until_its_claim_is_stale() {
        let port = free_port();
        let path = claims().join(port.to_string());
        assert!(path.exists(), "claimed");
        assert!(!claim(&path).unwrap(), "another process cannot claim it");
        // Left behind eleven minutes ago: taken over.
        let old = SystemTime::now() - STALE - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(claim(&path).unwrap(), "a stale claim is taken over");
        assert!(!claim(&path).unwrap(), "and holds again");
    }

    #[test]
    fn many_ports_at_once_are_all_different() {
        let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len());
    }
}
