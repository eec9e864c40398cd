//! Chaining Claude Code's status line (`baton hooks install claude-code --statusline`): Claude
//! Code hands its status-line command the session's `rate_limits` and `cost`, which Baton
//! reads. Baton's command takes the `statusLine` entry of the same settings file the hooks are
//! in; a command the person had there is never dropped: Baton's runs it (`--then '<theirs>'`)
//! and prints its output, and uninstalling puts it back as it was.

use serde_json::{json, Value};

use crate::install::{
    json_text, quote, read_json, settings_file, write_with_backup, HooksReport, HooksTarget,
};
use crate::HooksError;

/// What marks Baton's own status-line command.
const MARK: &str = " --statusline";
const THEN: &str = " --then ";

/// The person's command inside Baton's (`--then '…'`, quoted as [`quote`] quotes).
fn theirs_in(ours: &str) -> Option<String> {
    let quoted = &ours[ours.find(THEN)? + THEN.len()..];
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("'\\''", "'"))
}

fn is_ours(entry: &Value) -> bool {
    entry["command"].as_str().is_some_and(|c| c.contains(MARK))
}

/// Puts Baton's status-line command in the Claude Code settings of `target`, chaining the
/// person's own.
pub fn status_line_install(target: &HooksTarget) -> Result<HooksReport, HooksError> {
    if target.client != "claude-code" {
        return Err(HooksError::Settings(format!(
            "{} hands no status line to a command: --statusline is for claude-code",
            target.client
        )));
    }
    let path = settings_file(target)?;
    let before = read_json(&path)?.unwrap_or_else(|| json!({}));
    let Some(settings) = before.as_object() else {
        return Err(HooksError::Settings(format!(
            "{} is not a JSON object; nothing was changed",
            path.display()
        )));
    };
    let current = settings.get("statusLine").cloned();
    let theirs = match &current {
        Some(entry) if is_ours(entry) => entry["command"].as_str().and_then(theirs_in),
        Some(entry) => entry["command"].as_str().map(str::to_owned),
        None => None,
    };
    let mut command = format!("{} claude-code{MARK}", target.command);
    if let Some(theirs) = &theirs {
        command.push_str(&format!("{THEN}{}", quote(theirs)));
    }
    let mut entry = current
        .clone()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({"type": "command"}));
    entry["type"] = json!("command");
    entry["command"] = json!(command);
    let mut after = before.clone();
    after["statusLine"] = entry;
    let changed = after != before;
    if changed {
        write_with_backup(&path, &json_text(&after)?)?;
    }
    let notes = vec![match &theirs {
        Some(theirs) => format!(
            "your status line ({theirs}) still shows: Baton's runs it and prints its output, and \
             reads the windows and cost Claude Code hands it"
        ),
        None => "the status line shows the account's windows (5-hour, weekly) as Baton reads them"
            .to_owned(),
    }];
    Ok(HooksReport {
        file: path,
        changed,
        notes,
    })
}

/// Takes Baton's status-line command out, putting back the person's own.
pub fn status_line_uninstall(target: &HooksTarget) -> Result<HooksReport, HooksError> {
    let path = settings_file(target)?;
    let unchanged = |path| HooksReport {
        file: path,
        changed: false,
        notes: Vec::new(),
    };
    let Some(before) = read_json(&path)? else {
        return Ok(unchanged(path));
    };
    let Some(entry) = before.get("statusLine").filter(|e| is_ours(e)) else {
        return Ok(unchanged(path));
    };
    let mut after = before.clone();
    let theirs = entry["command"].as_str().and_then(theirs_in);
    let notes = match &theirs {
        Some(theirs) => {
            after["statusLine"]["command"] = json!(theirs);
            vec![format!("your status line ({theirs}) is back as it was")]
        }
        None => {
            if let Some(settings) = after.as_object_mut() {
                settings.remove("statusLine");
            }
            Vec::new()
        }
    };
    write_with_backup(&path, &json_text(&after)?)?;
    Ok(HooksReport {
        file: path,
        changed: true,
        notes,
    })
}
