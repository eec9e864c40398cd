//! `baton-hook claude-code --statusline [--then COMMAND]`: Claude Code's status-line command,
//! when the person let Baton chain it (`baton hooks install claude-code --statusline`). It
//! records what Claude Code hands it (the account's `rate_limits` windows, the session's
//! `cost`), then runs the person's own status-line command (`--then`) with the same input and
//! prints what that prints; without one it prints the windows in a line of its own.
//!
//! Claude Code waits for it on every refresh: the store gets [`STATUS_BUDGET`] and the line is
//! printed whatever the store did; nothing but the line goes to stdout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use baton_core::hooks::HookClient;
use baton_core::usage::{parse_status_line, window_label, StatusLine};
use baton_store::StorePlace;
use chrono::Utc;

use super::account_of;

/// How long the status line waits for the store.
pub const STATUS_BUDGET: Duration = Duration::from_millis(300);
/// The most of its input read.
const MAX_INPUT: u64 = 1024 * 1024;

/// Records the status-line data read from `input` in the store at `db` and returns what to
/// print (the person's command's output, else Baton's line) and what to say on stderr.
pub fn status_line(
    db: PathBuf,
    client: HookClient,
    then: Option<&str>,
    input: &mut dyn Read,
) -> (String, String) {
    let mut bytes = Vec::new();
    if let Err(err) = input.take(MAX_INPUT).read_to_end(&mut bytes) {
        return (
            String::new(),
            format!("baton: cannot read the status-line data: {err}\n"),
        );
    }
    let mut said = String::new();
    let status = match parse_status_line(&bytes) {
        Ok(status) => {
            let (done, result) = mpsc::channel();
            let record = status.clone();
            let account = account_of(client);
            std::thread::spawn(move || {
                let _ = done.send(record_status(&db, client, account.as_deref(), &record));
            });
            match result.recv_timeout(STATUS_BUDGET) {
                Ok(Ok(())) => {}
                Ok(Err(err)) => said.push_str(&format!("baton: {err}\n")),
                Err(_) => said.push_str("baton: the store did not answer in time\n"),
            }
            Some(status)
        }
        Err(err) => {
            said.push_str(&format!("baton: {err}\n"));
            None
        }
    };
    let out = match then {
        Some(command) => run_theirs(command, &bytes, &mut said),
        None => status.as_ref().map(own_line).unwrap_or_default(),
    };
    (out, said)
}

fn record_status(
    db: &Path,
    client: HookClient,
    account: Option<&str>,
    status: &StatusLine,
) -> Result<(), String> {
    let mut store = StorePlace::from_anchor(db)
        .and_then(|place| place.open_for_short_process())
        .map_err(|err| format!("could not record the status line ({err})"))?;
    store
        .record_status_line(client, account, status, Utc::now())
        .map_err(|err| format!("could not record the status line ({err})"))?;
    let _ = store.close_short_process();
    Ok(())
}

/// The person's own status-line command, run as Claude Code runs it (`sh -c`), with the same
/// input; its output as it printed it.
fn run_theirs(command: &str, input: &[u8], said: &mut String) -> String {
    let child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) => {
            said.push_str(&format!("baton: cannot run your status line ({err})\n"));
            return String::new();
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    match child.wait_with_output() {
        Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
        Err(err) => {
            said.push_str(&format!("baton: your status line failed ({err})\n"));
            String::new()
        }
    }
}

/// "5-hour 60% · weekly 12%": the windows, when the person has no status line of their own.
fn own_line(status: &StatusLine) -> String {
    let parts: Vec<String> = status
        .windows
        .iter()
        .map(|w| {
            format!(
                "{} {:.0}%",
                window_label(&w.window, w.window_minutes),
                w.used_percent
            )
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}\n", parts.join(" · "))
    }
}
