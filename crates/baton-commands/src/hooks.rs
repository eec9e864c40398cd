//! "Watch coding sessions in a repository…": installs Baton's hooks for a coding agent from
//! the app, as `baton hooks install <client> --project DIR` does. The hooks run the small
//! `baton-hook` binary next to the app's (or `baton`'s), on the commands' own store.

use std::path::{Path, PathBuf};

use baton_core::views::HooksInstalled;
use baton_hooks::{
    clients_found, hook_command, hooks_install, HooksError, HooksScope, HooksTarget,
};

use crate::error::{CommandError, CommandResult};
use crate::Commands;

/// The `baton-hook` binary beside `app` (the app's executable), if it is there.
pub fn hook_program(app: &Path) -> Option<PathBuf> {
    let program = app.with_file_name(format!("baton-hook{}", std::env::consts::EXE_SUFFIX));
    program.is_file().then_some(program)
}

/// The repository folder the person typed: a full path to a folder that exists.
fn project_dir(typed: &str) -> CommandResult<PathBuf> {
    let project = PathBuf::from(typed.trim());
    if project.is_absolute() && project.is_dir() {
        return Ok(project);
    }
    Err(CommandError::Invalid {
        message: format!(
            "{} is not a folder: give the repository's full path",
            if typed.trim().is_empty() {
                "(nothing)".into()
            } else {
                project.display().to_string()
            }
        ),
        field: Some("project"),
    })
}

fn refused(message: String) -> CommandError {
    CommandError::Invalid {
        message,
        field: None,
    }
}

pub async fn install_hooks(
    c: &Commands,
    client: String,
    project: String,
    mode: String,
) -> CommandResult<HooksInstalled> {
    let project = project_dir(&project)?;
    let app = &c.place().exe;
    let program = hook_program(app).ok_or_else(|| {
        refused(format!(
            "Baton's hook command (baton-hook) is not next to the app in {}: build it with \
             `cargo build -p baton-hooks`, or run `baton hooks install {client} --project {}` \
             in a terminal",
            app.parent().unwrap_or(Path::new("")).display(),
            project.display()
        ))
    })?;
    let data_dir = c.place().store.data_dir();
    // The client's telemetry goes to this store's receiver when a client on this machine can
    // reach it without a hand step; else the note says why not.
    let speaks_otlp = matches!(client.as_str(), "claude-code" | "codex" | "gemini");
    let endpoint = match speaks_otlp {
        true => Some(
            c.engine()
                .read(|s| s.otlp_settings())
                .await?
                .local_endpoint(),
        ),
        false => None,
    };
    let (telemetry, telemetry_note) = match endpoint {
        Some(Ok(endpoint)) => (Some(endpoint), None),
        Some(Err(why)) => (None, Some(format!("its telemetry is not turned on: {why}"))),
        None => (None, None),
    };
    let target = HooksTarget {
        client,
        scope: HooksScope::Project(project),
        command: hook_command(&program, Some(data_dir)).map_err(hooks_error)?,
        mode,
        parallel: None,
        telemetry,
    };
    let mut report = tokio::task::spawn_blocking(move || hooks_install(&target))
        .await
        .map_err(|err| CommandError::Internal(err.to_string()))?
        .map_err(hooks_error)?;
    report.notes.extend(telemetry_note);
    Ok(HooksInstalled {
        file: report.file.to_string_lossy().into_owned(),
        changed: report.changed,
        notes: report.notes,
    })
}

/// The coding agents found on this machine (their program on `PATH` or their folder in the
/// home), which "Watch coding sessions…" ticks.
pub async fn coding_clients(_c: &Commands) -> CommandResult<Vec<String>> {
    Ok(clients_found().into_iter().map(str::to_owned).collect())
}

fn hooks_error(err: HooksError) -> CommandError {
    match err {
        HooksError::Settings(message) => refused(message),
        HooksError::Io(err) => CommandError::Internal(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_must_be_a_folder_given_by_its_full_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.txt");
        std::fs::write(&file, b"").unwrap();
        let folder = dir.path().to_string_lossy().into_owned();
        assert_eq!(project_dir(&format!("  {folder} ")).unwrap(), dir.path());
        for bad in [
            String::new(),
            "shop".to_owned(),
            file.to_string_lossy().into_owned(),
            dir.path().join("missing").to_string_lossy().into_owned(),
        ] {
            let err = project_dir(&bad).unwrap_err().payload();
            assert_eq!(
                (err.code.as_str(), err.field.as_deref()),
                ("invalid", Some("project"))
            );
            assert!(
                err.message.contains("give the repository's full path"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn the_hook_program_is_the_one_beside_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("baton-app");
        assert_eq!(hook_program(&app), None);
        let program = dir.path().join("baton-hook");
        std::fs::write(&program, b"").unwrap();
        assert_eq!(hook_program(&app), Some(program));
    }
}
