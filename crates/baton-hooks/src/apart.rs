//! Processes a hook call starts apart (the spool's delivery, the hooks' own server): no client
//! waits for them, they read and print nothing the client sees, and they live on in a process
//! group of their own (a client that ends the hook's group at its time limit leaves them be).

use std::ffi::OsString;

/// Starts `command` (a program and its arguments) apart; nothing is said if it cannot start
/// (the call it helps has its answer already).
pub(crate) fn start_apart(command: &[OsString]) {
    let Some((program, args)) = command.split_first() else {
        return;
    };
    use std::os::unix::process::CommandExt;
    let _ = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn();
}
