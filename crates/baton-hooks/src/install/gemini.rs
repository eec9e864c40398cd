//! Gemini CLI's files, as its 0.61.0 reads them: command hooks in `settings.json` (the
//! project's `.gemini/settings.json`, the user's `~/.gemini/settings.json`), in Claude Code's
//! shape with the timeout in milliseconds; a project's settings only in a folder it trusts
//! (`~/.gemini/trustedFolders.json`, `{"<folder>": "TRUST_FOLDER"}`; folder trust is on unless
//! the person turned it off), so installing into a repository also trusts it. A project hook
//! it has not seen before is announced once ("project-level hooks have been detected"), then
//! runs. `GEMINI_CLI_HOME` stands for the home folder, `GEMINI_CLI_TRUSTED_FOLDERS_PATH` for the
//! trust file.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::files::{home, json_text, read_object, real_folder, write_with_backup};
use super::settings::{EventSpec, HOOK_TIMEOUT_SECONDS};
use crate::HooksError;

/// Milliseconds Gemini CLI waits for one of Baton's hooks (it answers in milliseconds, or lets
/// the call go on after 500 ms).
const QUICK_MS: u64 = HOOK_TIMEOUT_SECONDS * 1000;

/// Gemini CLI's events Baton listens to. Its matchers are regular expressions tested anywhere
/// in the tool's name, hence the anchors.
pub(super) const GEMINI_EVENTS: [EventSpec; 7] = [
    ("SessionStart", None, QUICK_MS),
    // A prompt was sent: a new turn.
    ("BeforeAgent", None, QUICK_MS),
    ("BeforeTool", Some("^(write_file|replace)$"), QUICK_MS),
    (
        "AfterTool",
        Some("^(write_file|replace|read_file)$"),
        QUICK_MS,
    ),
    // `ToolPermission`: its confirmation dialog waits for the person.
    ("Notification", None, QUICK_MS),
    // The turn's final answer.
    ("AfterAgent", None, QUICK_MS),
    ("SessionEnd", None, QUICK_MS),
];

/// Gemini CLI's own folder: `.gemini` in `$GEMINI_CLI_HOME`, else in the home.
pub(super) fn gemini_home() -> Result<PathBuf, HooksError> {
    let base = match std::env::var_os("GEMINI_CLI_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home()?,
    };
    Ok(base.join(".gemini"))
}

fn trust_file() -> Result<PathBuf, HooksError> {
    match std::env::var_os("GEMINI_CLI_TRUSTED_FOLDERS_PATH").filter(|f| !f.is_empty()) {
        Some(file) => Ok(PathBuf::from(file)),
        None => Ok(gemini_home()?.join("trustedFolders.json")),
    }
}

/// The trust file and what it holds (`{}` when there is none).
fn read_trust() -> Result<(PathBuf, Value), HooksError> {
    let path = trust_file()?;
    let trust = read_object(&path)?;
    Ok((path, trust))
}

/// The level the trust file gives `key`, or one of its parents (the longest rule wins, as in
/// Gemini CLI): Some(true) trusted, Some(false) not, None no rule.
fn trusted(trust: &Value, key: &str) -> Option<bool> {
    let rules = trust.as_object()?;
    rules
        .iter()
        .filter_map(|(rule, level)| {
            let level = level.as_str()?;
            let folder = if level == "TRUST_PARENT" {
                Path::new(rule).parent()?.to_path_buf()
            } else {
                PathBuf::from(rule)
            };
            Path::new(key)
                .starts_with(&folder)
                .then_some((rule.len(), level != "DO_NOT_TRUST"))
        })
        .max_by_key(|(length, _)| *length)
        .map(|(_, yes)| yes)
}

/// Trusts the repository in Gemini CLI's trust file (it reads no project hooks elsewhere); the
/// note says so. A folder the person said not to trust stays so, and the note says what follows.
pub(super) fn trust_folder(dir: &Path) -> Result<Option<String>, HooksError> {
    let (path, mut trust) = read_trust()?;
    let key = real_folder(dir);
    match trusted(&trust, &key) {
        Some(true) => return Ok(None),
        Some(false) => {
            return Ok(Some(format!(
                "Gemini CLI is told not to trust {key} ({}): it runs none of the project's hooks \
                 until you trust the folder in Gemini CLI",
                path.display()
            )))
        }
        None => {}
    }
    if let Some(rules) = trust.as_object_mut() {
        rules.insert(key.clone(), json!("TRUST_FOLDER"));
    }
    write_with_backup(&path, &json_text(&trust)?)?;
    Ok(Some(format!(
        "trusted {key} in {} (Gemini CLI reads a project's hooks only in a folder it trusts)",
        path.display()
    )))
}

/// What keeps Gemini CLI from running the repository's hooks, if anything.
pub(super) fn untrusted_note(dir: &Path) -> Result<Option<String>, HooksError> {
    let (path, trust) = read_trust()?;
    let key = real_folder(dir);
    if trusted(&trust, &key) == Some(true) {
        return Ok(None);
    }
    Ok(Some(format!(
        "Gemini CLI does not trust {key} ({}), so it runs none of its hooks (unless folder trust \
         is off, or GEMINI_CLI_TRUST_WORKSPACE=true): run `baton hooks install gemini --project \
         {}` again",
        path.display(),
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_rule_decides_as_in_gemini_cli() {
        let trust = json!({
            "/home/ana": "TRUST_FOLDER",
            "/home/ana/secret": "DO_NOT_TRUST",
            "/work/x/shop": "TRUST_PARENT",
            "/opt/other": "TRUST_FOLDER",
        });
        assert_eq!(trusted(&trust, "/home/ana/shop"), Some(true));
        assert_eq!(trusted(&trust, "/home/ana/secret/shop"), Some(false));
        assert_eq!(trusted(&trust, "/work/x/cart"), Some(true));
        assert_eq!(trusted(&trust, "/home/anabel"), None);
        assert_eq!(trusted(&trust, "/srv"), None);
        assert_eq!(trusted(&json!({"/a": 3}), "/a/b"), None);
    }
}
