//! Helpers for Baton's end-to-end tests: a headless X display, tauri-driver, and a small W3C
//! WebDriver client (enough to click, type, read and take screenshots of the real app).

pub mod app;
pub mod app_memory;
pub mod coding_sessions;
pub mod display;
pub mod engine;
pub mod model_standin;
pub mod module_graph;
pub mod notification_daemon;
pub mod ntfy_server;
pub mod peers;
pub mod pss_samples;
pub mod samples;
pub mod webdriver;

use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Where end-to-end tests save their screenshots (`target/e2e-screenshots`).
pub fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("create screenshot dir");
    dir
}

/// The cargo target dir the tests were built into.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    // target/debug/deps/<test-binary> → target
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// A free TCP port on 127.0.0.1, never handed to another test meanwhile, in this process or
/// another ([`baton_testdb::free_port`]).
pub fn free_port() -> u16 {
    baton_testdb::free_port()
}

/// Finds a program on PATH or in ~/.cargo/bin.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}
