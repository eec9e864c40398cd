//! The crash test's short run (`make bench` runs it with 1,000 kills): `baton watch` killed
//! with SIGKILL 20 times during busy ingest, the store checked after each kill.

use std::path::PathBuf;
use std::process::Command;

/// The `crashtest` example beside the `baton` binary this test runs
/// (`target/<profile>/examples/crashtest`; `cargo test` builds the examples).
fn crashtest() -> PathBuf {
    let baton = PathBuf::from(env!("CARGO_BIN_EXE_baton"));
    baton.with_file_name("examples").join("crashtest")
}

#[test]
fn twenty_kills_during_busy_ingest_lose_nothing_acknowledged_and_break_nothing() {
    let program = crashtest();
    assert!(
        program.is_file(),
        "{} is missing: build it with `cargo build -p baton-cli --examples`",
        program.display()
    );
    let out = Command::new(&program)
        .args(["--kills", "20", "--batch", "1000", "--baton"])
        .arg(env!("CARGO_BIN_EXE_baton"))
        .output()
        .expect("run the crash test");
    let report = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}\n{errors}");
    let cell = |label: &str| {
        report
            .lines()
            .find(|line| line.starts_with(&format!("| {label} ")))
            .and_then(|line| line.split('|').nth(2))
            .map(|cell| cell.trim().to_owned())
            .unwrap_or_else(|| panic!("no {label:?} row in\n{report}"))
    };
    assert_eq!(cell("kills"), "20");
    assert_eq!(cell("kills after which a check failed"), "0", "{report}");
    assert_ne!(cell("events acknowledged, all stores"), "0", "{report}");
}
