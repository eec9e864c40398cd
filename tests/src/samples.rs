//! What the real clients send and record, captured during their tests: every payload a hook of
//! Baton's is handed (a `tee` in front of `baton-hook` in the installed command), and the files
//! a client keeps about its usage. The tests check these with the parsers every run; with
//! `BATON_RECORD_SAMPLES=1` they also keep one sample of each kind in the source tree, where the
//! parsers' unit tests read them (so no sample is ever written by hand).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{target_dir, workspace_root};

/// The payloads one test's hook calls were handed, kept in a folder of their own.
pub struct Recorder {
    dir: PathBuf,
}

impl Recorder {
    /// Puts a `tee` into `dir` in front of `baton-hook` in every command of the installed file
    /// `installed` (Gemini CLI's settings, OpenCode's plugin: the command is text in both).
    pub fn install(installed: &Path, dir: &Path) -> Recorder {
        let payloads = dir.join("payloads");
        std::fs::create_dir_all(&payloads).unwrap();
        let script = dir.join("record.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n# Keeps the payload, then hands it to Baton's hook.\n\
                 tee \"{}/$(date +%s%N)-$$.json\" | \"$@\"\n",
                payloads.display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let hook = format!("'{}'", target_dir().join("debug/baton-hook").display());
        let text = std::fs::read_to_string(installed).unwrap();
        assert!(text.contains(&hook), "no {hook} in {}", installed.display());
        let text = text.replace(&hook, &format!("'{}' {hook}", script.display()));
        std::fs::write(installed, text).unwrap();
        Recorder { dir: payloads }
    }

    /// Every payload handed over so far, oldest first: its bytes as sent, and as JSON; each
    /// must read as `client`'s (the test fails naming the one that does not).
    pub fn payloads(&self, client: baton_core::hooks::HookClient) -> Vec<(Vec<u8>, Value)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|file| {
                let bytes = std::fs::read(file).unwrap();
                let value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
                baton_core::hooks::parse_hook_payload(client, &bytes, None)
                    .unwrap_or_else(|err| panic!("{err}: {value}"));
                (bytes, value)
            })
            .collect()
    }
}

/// Whether this run keeps samples in the source tree (`BATON_RECORD_SAMPLES=1`).
pub fn recording() -> bool {
    std::env::var_os("BATON_RECORD_SAMPLES").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Keeps, when [`recording`], the first of `samples` of each name (as `name` gives it) as
/// `<folder>/<name>.json` under the workspace (e.g. `crates/baton-core/src/hooks/tests/
/// gemini-0.61.0`). The names kept.
pub fn keep_payloads(
    folder: &str,
    samples: &[(Vec<u8>, Value)],
    name: impl Fn(&Value) -> String,
) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for (bytes, sample) in samples {
        let name = name(sample);
        if kept.contains(&name) {
            continue;
        }
        keep_file(folder, &format!("{name}.json"), bytes);
        kept.push(name);
    }
    kept
}

/// What `parser` reads in `bytes` (a client's whole file, or lines of records): each response
/// once (by its key, with its largest figures), added up; and the lines it skipped.
pub fn usage_read(
    parser: &dyn baton_core::usage::UsageParser,
    bytes: &[u8],
) -> (baton_core::usage::TokenUse, Vec<String>) {
    use std::collections::BTreeMap;
    let read = baton_core::usage::read_lines(parser, bytes, 0, None, true);
    let mut responses: BTreeMap<String, baton_core::usage::TokenUse> = BTreeMap::new();
    for record in read.records {
        let seen = responses.entry(record.key).or_default();
        *seen = seen.max(record.tokens);
    }
    let mut sum = baton_core::usage::TokenUse::default();
    for tokens in responses.into_values() {
        sum.add(tokens);
    }
    (sum, read.warnings)
}

/// Keeps, when [`recording`], `bytes` as the file `<folder>/<name>` under the workspace.
pub fn keep_file(folder: &str, name: &str, bytes: &[u8]) {
    if recording() {
        let file = workspace_root().join(folder).join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, bytes).unwrap();
    }
}
