//! A private Xvfb display and tauri-driver, stopped when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Xvfb server on its own display number.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Result<Xvfb, String> {
        let xvfb =
            crate::find_program("Xvfb").ok_or("Xvfb is not installed (make test installs it)")?;
        for number in 90..140 {
            if display_in_use(number) {
                continue;
            }
            // A socket left by a server that was killed would look ready before ours is.
            let socket = format!("/tmp/.X11-unix/X{number}");
            let _ = std::fs::remove_file(&socket);
            let child = Command::new(&xvfb)
                .arg(format!(":{number}"))
                .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start Xvfb: {e}"))?;
            let mut xvfb = Xvfb {
                child,
                display: format!(":{number}"),
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                // Ready when the display's lock names our server and its socket is there.
                if lock_pid(number) == Some(xvfb.child.id()) && Path::new(&socket).exists() {
                    return Ok(xvfb);
                }
                if let Ok(Some(_)) = xvfb.child.try_wait() {
                    break; // lost a race for this display number: try the next
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = xvfb.child.kill();
        }
        Err("no free X display between :90 and :139".into())
    }
}

impl Xvfb {
    /// Saves a PNG of the whole display with ImageMagick's `import` (an X-level capture).
    /// WebKitWebDriver's own screenshot sometimes never answers on a page that is not
    /// repainting, so the tests capture the display instead.
    pub fn screenshot(&self, path: &Path) -> Result<(), String> {
        let status = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run import (package imagemagick): {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("import failed for {}: {status}", path.display()))
        }
    }
}

/// A display is in use when its lock file names a running process. A lock left by a server
/// that died (or was killed) is stale: Xvfb replaces it when started on that number.
fn display_in_use(number: u32) -> bool {
    match std::fs::read_to_string(format!("/tmp/.X{number}-lock")) {
        Err(_) => false,
        Ok(text) => match text.trim().parse::<u32>() {
            Ok(pid) => Path::new(&format!("/proc/{pid}")).exists(),
            Err(_) => true,
        },
    }
}

/// The process id written in a display's lock file, if there is one.
fn lock_pid(number: u32) -> Option<u32> {
    std::fs::read_to_string(format!("/tmp/.X{number}-lock"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Asks a child to stop with SIGTERM (so it cleans up after itself), then kills it if it has
/// not stopped within `grace`.
pub(crate) fn terminate(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM lets Xvfb remove its lock file and socket.
        terminate(&mut self.child, Duration::from_secs(3));
    }
}

/// tauri-driver on free ports; stopped with SIGTERM so it also stops WebKitWebDriver.
pub struct TauriDriver {
    child: Child,
    pub port: u16,
}

impl TauriDriver {
    pub fn start(envs: &[(&str, &str)]) -> Result<TauriDriver, String> {
        let driver = crate::find_program("tauri-driver")
            .ok_or("tauri-driver is not installed (make test installs it)")?;
        if crate::find_program("WebKitWebDriver").is_none() {
            return Err("WebKitWebDriver is not installed (package webkit2gtk-driver)".into());
        }
        let port = crate::free_port();
        let native_port = loop {
            let other = crate::free_port();
            if other != port {
                break other;
            }
        };
        let mut command = Command::new(driver);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in envs {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start tauri-driver: {e}"))?;
        let driver = TauriDriver { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(driver);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("tauri-driver did not start listening within 15 s".into())
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver; SIGKILL would orphan it.
        terminate(&mut self.child, Duration::from_secs(5));
    }
}
