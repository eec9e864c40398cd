//! The run's shared server: one PostgreSQL for every test process of a `make test` run, a
//! database per test, instead of a server per test process (nextest runs each test in a process
//! of its own; a server's `initdb` and start take a second or two).
//!
//! [`SHARED_ENV`] names a folder. The first test process that asks starts the server in
//! `<folder>/server` under an exclusive lock on `<folder>/lock`, and writes its port beside it
//! (`server/port`) and the command that stops it (`server/stop`); the others read the port.
//! The server is stopped, and its folder removed, once the process named in `<folder>/owner`
//! (the test script) has ended, or when no owner is named, the parent of the process that
//! started it (the test runner).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::lock::Lock;
use crate::server::{bin_dir, PgServer};

/// The environment variable naming the folder of the run's shared server.
pub const SHARED_ENV: &str = "BATON_TEST_PG_SHARED";

/// The run's shared server in `folder`: started here when no process of the run has yet.
pub(crate) fn shared_in(folder: &Path) -> Result<PgServer, String> {
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    // The server runs as `postgres` when the tests run as root: it must get through the folder
    // (`mktemp -d` makes it 0700).
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", folder.display()))?;
    let _lock = Lock::take(&folder.join("lock"))?;
    let server_dir = folder.join("server");
    let port_file = server_dir.join("port");
    if let Ok(port) = std::fs::read_to_string(&port_file) {
        let port = port
            .trim()
            .parse()
            .map_err(|_| format!("{} holds no port", port_file.display()))?;
        let bin = bin_dir().ok_or("no PostgreSQL binaries under /usr/lib/postgresql")?;
        return Ok(PgServer::at(server_dir, bin, port, true));
    }
    let owner = std::fs::read_to_string(folder.join("owner"))
        .ok()
        .and_then(|pid| pid.trim().parse().ok())
        // SAFETY: getppid has no preconditions and cannot fail.
        .unwrap_or_else(|| unsafe { libc::getppid() } as u32);
    let server = PgServer::start_in(server_dir.clone(), owner, true)?;
    let write = |name: &str, text: String| {
        std::fs::write(server_dir.join(name), text)
            .map_err(|e| format!("{}: {e}", server_dir.join(name).display()))
    };
    write("stop", server.stop_command())?;
    write("port", server.port().to_string())?;
    Ok(server)
}
