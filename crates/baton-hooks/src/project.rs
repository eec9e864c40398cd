//! A repository's own settings for Baton's hooks, `.baton/hooks.toml` at its root: they win
//! over what the hooks were installed with, so that a team decides once, in the repository,
//! how strictly its files are kept.
//!
//! ```toml
//! mode = "enforce"        # observe | warn | enforce
//! lease_minutes = 15      # how long a session keeps a file it stopped writing
//! ask_seconds = 90        # how long a permission request waits in Baton's queue (0: never)
//! route_wait_seconds = 300 # how long it waits instead when a route can bring the answer from
//!                          # the phone (0: as ask_seconds); at most what the hooks were
//!                          # installed with (the client's own hook limit, less room)
//! unchecked = "refuse"    # allow (default) | refuse: a write Baton cannot check is refused
//! parallel = "enforce"    # off | warn (default) | enforce: a file another branch changed
//!
//! [[paths]]               # a mode for the files under a pattern (relative to the root)
//! pattern = "src/generated/**"
//! mode = "observe"
//! ```

use std::path::Path;

use baton_core::hooks::{ParallelMode, PermitMode};
use baton_core::rules::ResourcePattern;
use serde::Deserialize;

use crate::call::HookOptions;

/// Where the settings live in a repository.
pub const PROJECT_FILE: &str = ".baton/hooks.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    mode: Option<String>,
    lease_minutes: Option<u32>,
    ask_seconds: Option<u32>,
    route_wait_seconds: Option<u32>,
    unchecked: Option<String>,
    parallel: Option<String>,
    #[serde(default)]
    paths: Vec<PathShape>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathShape {
    pattern: String,
    mode: String,
}

/// The repository's settings, read and checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectHooks {
    pub mode: Option<PermitMode>,
    pub lease_minutes: Option<u32>,
    pub ask_seconds: Option<u32>,
    /// How long a permission request waits when a route can bring the answer from the phone
    /// (0: as `ask_seconds`); never longer than the hooks were installed with.
    pub route_wait_seconds: Option<u32>,
    /// A write Baton cannot check (store unreachable, over its budget) is refused.
    pub refuse_unchecked: bool,
    /// What a write of a file another live branch changed does (parallel edits).
    pub parallel: Option<ParallelMode>,
    /// Modes for the files under a pattern (`file:///<root>/<pattern>`), first match wins.
    pub paths: Vec<(ResourcePattern, PermitMode)>,
}

fn mode(word: &str, at: &str) -> Result<PermitMode, String> {
    PermitMode::parse(word)
        .ok_or_else(|| format!("{at}: \"{word}\" is not a mode (observe, warn or enforce)"))
}

/// Reads `text` (the file of the repository at `root`).
pub fn parse_project_hooks(text: &str, root: &str) -> Result<ProjectHooks, String> {
    let shape: FileShape = toml::from_str(text).map_err(|err| {
        // The message, and where: "… at line 1, column 8" (toml's own text spans lines).
        let place = err
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |at| at + 1) + 1;
                format!(" (line {line}, column {column})")
            })
            .unwrap_or_default();
        let message = err.message().trim();
        if message.is_empty() {
            format!("not valid TOML{place}")
        } else {
            format!("{message}{place}")
        }
    })?;
    let refuse_unchecked = match shape.unchecked.as_deref() {
        None | Some("allow") => false,
        Some("refuse") => true,
        Some(other) => {
            return Err(format!(
                "unchecked: \"{other}\" is neither \"allow\" nor \"refuse\""
            ))
        }
    };
    let parallel =
        match shape.parallel.as_deref() {
            None => None,
            Some(word) => Some(ParallelMode::parse(word).ok_or_else(|| {
                format!("parallel: \"{word}\" is not a mode (off, warn or enforce)")
            })?),
        };
    let mut paths = Vec::new();
    for (i, path) in shape.paths.iter().enumerate() {
        let at = format!("paths[{i}]");
        let relative = path
            .pattern
            .trim_start_matches("./")
            .trim_start_matches('/');
        let uri = format!("file://{}/{relative}", root.trim_end_matches('/'));
        let pattern = ResourcePattern::parse(&uri)
            .map_err(|err| format!("{at}: pattern \"{}\": {err}", path.pattern))?;
        paths.push((pattern, mode(&path.mode, &at)?));
    }
    Ok(ProjectHooks {
        mode: shape.mode.as_deref().map(|m| mode(m, "mode")).transpose()?,
        lease_minutes: shape.lease_minutes,
        ask_seconds: shape.ask_seconds,
        route_wait_seconds: shape.route_wait_seconds,
        refuse_unchecked,
        parallel,
        paths,
    })
}

/// The settings of the repository at `root`, if it has them.
pub fn read_project_hooks(root: &Path) -> Result<Option<ProjectHooks>, String> {
    let file = root.join(PROJECT_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse_project_hooks(&text, &root.to_string_lossy())
            .map(Some)
            .map_err(|err| format!("{}: {err}", file.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("{}: {err}", file.display())),
    }
}

impl ProjectHooks {
    /// The hook's options with the repository's settings in force. The wait for the phone is
    /// bounded by the one installed (`--route-wait`: the client's own hook limit less room;
    /// 0 where the client gives up sooner): past it, the client would kill the hook.
    pub fn apply(&self, options: &HookOptions) -> HookOptions {
        HookOptions {
            mode: self.mode.unwrap_or(options.mode),
            parallel: self.parallel.unwrap_or(options.parallel),
            lease_minutes: self.lease_minutes.unwrap_or(options.lease_minutes),
            ask_seconds: self.ask_seconds.unwrap_or(options.ask_seconds),
            route_wait: self
                .route_wait_seconds
                .map_or(options.route_wait, |wanted| wanted.min(options.route_wait)),
            ..options.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repositorys_settings_are_read_with_modes_per_path() {
        let project = parse_project_hooks(
            "mode = \"enforce\"\nlease_minutes = 15\nunchecked = \"refuse\"\nparallel = \"off\"\n\n\
             [[paths]]\npattern = \"src/generated/**\"\nmode = \"observe\"\n",
            "/work/shop/",
        )
        .unwrap();
        assert_eq!(project.mode, Some(PermitMode::Enforce));
        assert_eq!(project.lease_minutes, Some(15));
        assert!(project.refuse_unchecked);
        assert_eq!(project.parallel, Some(ParallelMode::Off));
        let (pattern, mode) = &project.paths[0];
        assert_eq!(*mode, PermitMode::Observe);
        assert!(pattern.matches("file:///work/shop/src/generated/api/types.rs"));
        assert!(!pattern.matches("file:///work/shop/src/app.rs"));
        assert_eq!(
            parse_project_hooks("", "/r").unwrap(),
            ProjectHooks::default()
        );
    }

    #[test]
    fn the_wait_for_the_phone_is_the_repositorys_within_the_clients_limit() {
        let installed = |route_wait| HookOptions {
            client: baton_core::hooks::HookClient::ClaudeCode,
            event: None,
            mode: PermitMode::Warn,
            parallel: ParallelMode::Warn,
            lease_minutes: 10,
            ask_seconds: 60,
            route_wait,
            name: None,
            budget: None,
            deliverer: None,
            own_server: None,
        };
        let project = |text: &str| parse_project_hooks(text, "/r").unwrap();
        let shorter = project("route_wait_seconds = 120");
        assert_eq!(shorter.route_wait_seconds, Some(120));
        assert_eq!(shorter.apply(&installed(585)).route_wait, 120);
        // Never past what the client allows: it would kill the hook.
        assert_eq!(
            project("route_wait_seconds = 3600")
                .apply(&installed(585))
                .route_wait,
            585
        );
        // A client installed without a wait for the phone (it gives up sooner) keeps none.
        assert_eq!(shorter.apply(&installed(0)).route_wait, 0);
        // 0: as ask_seconds; left out: as installed.
        assert_eq!(
            project("route_wait_seconds = 0")
                .apply(&installed(585))
                .route_wait,
            0
        );
        assert_eq!(project("").apply(&installed(585)).route_wait, 585);
    }

    #[test]
    fn mistakes_in_the_file_say_where() {
        for (text, says) in [
            ("mode = \"strict\"", "mode: \"strict\" is not a mode"),
            ("unchecked = \"maybe\"", "unchecked: \"maybe\""),
            (
                "parallel = \"observe\"",
                "parallel: \"observe\" is not a mode",
            ),
            ("lease = 3", "unknown field `lease`"),
            (
                "[[paths]]\npattern = \"a\"\nmode = \"loud\"",
                "paths[0]: \"loud\" is not a mode",
            ),
            ("lease_minutes = \"ten\"", "invalid type"),
            ("route_wait_seconds = -5", "invalid value"),
            ("mode = ", "(line 1, column"),
        ] {
            let err = parse_project_hooks(text, "/r").unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
