//! Whether the app of a data folder watches its store (polls the agents, runs the detectors,
//! delivers decisions) or only views it, a client of a store other watchers keep. The first of
//!
//! 1. the app's command line (`--no-watch`, `--watch`),
//! 2. `BATON_WATCH` in the environment (`0`/`off` or `1`/`on`),
//! 3. the choice saved in the data folder (`watching`: what the app's setting, `baton store
//!    watching` and `[watch] app` of an imported `baton.toml` write),
//! 4. on,
//!
//! decides. `baton watch` always watches.

use std::path::Path;

use crate::error::{Result, StoreError};
use crate::paths;

/// The environment variable that turns the app's watching on or off.
pub const WATCH_ENV: &str = "BATON_WATCH";
/// The file in the data folder that holds the app's saved choice.
pub const WATCHING_FILE: &str = "watching";

/// What decided an app's watching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchingSource {
    Flag,
    Environment,
    Saved,
    Default,
}

/// Whether an app watches, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppWatching {
    pub on: bool,
    pub source: WatchingSource,
    /// The data folder's saved choice (None: none saved).
    pub saved: Option<bool>,
}

/// On, by default (a process that always watches: `baton preview`, tests).
impl Default for AppWatching {
    fn default() -> Self {
        AppWatching {
            on: true,
            source: WatchingSource::Default,
            saved: None,
        }
    }
}

impl AppWatching {
    /// Resolves the app's watching for `data_dir`: `flag` (the command line's), else
    /// [`WATCH_ENV`], else the saved choice, else on. A value that is not on or off is
    /// refused, naming where it came from.
    pub fn resolve(data_dir: &Path, flag: Option<bool>) -> Result<AppWatching> {
        let saved = saved_choice(data_dir)?;
        let from_env = match std::env::var(WATCH_ENV) {
            Ok(text) if !text.trim().is_empty() => Some(parse(&text).ok_or_else(|| {
                StoreError::DataDir(format!("{WATCH_ENV}={text:?}: say on or off (1 or 0)"))
            })?),
            _ => None,
        };
        let (on, source) = match (flag, from_env, saved) {
            (Some(on), _, _) => (on, WatchingSource::Flag),
            (None, Some(on), _) => (on, WatchingSource::Environment),
            (None, None, Some(on)) => (on, WatchingSource::Saved),
            (None, None, None) => (true, WatchingSource::Default),
        };
        Ok(AppWatching { on, source, saved })
    }

    /// Why, in words ("from BATON_WATCH", …).
    pub fn chosen_by(&self) -> String {
        match self.source {
            WatchingSource::Flag if self.on => "--watch on the command line".to_owned(),
            WatchingSource::Flag => "--no-watch on the command line".to_owned(),
            WatchingSource::Environment => format!("from {WATCH_ENV}"),
            WatchingSource::Saved => "chosen for this data folder".to_owned(),
            WatchingSource::Default => "the default".to_owned(),
        }
    }

    /// True when the saved choice decides (nothing overrides it).
    pub fn choice_applies(&self) -> bool {
        matches!(self.source, WatchingSource::Saved | WatchingSource::Default)
    }
}

/// `on`, `1`, `true`, `yes` / `off`, `0`, `false`, `no` (any case, spaces around).
pub fn parse(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Some(true),
        "off" | "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// The data folder's saved choice (None: nothing saved).
pub fn saved_choice(data_dir: &Path) -> Result<Option<bool>> {
    let file = data_dir.join(WATCHING_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text).map(Some).ok_or_else(|| {
            StoreError::DataDir(format!(
                "{} says {:?}: on or off (or remove the file)",
                file.display(),
                text.trim()
            ))
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(StoreError::DataDir(format!("{}: {err}", file.display()))),
    }
}

/// Saves whether the app of `data_dir` watches from its next start (None: back to the
/// default, on).
pub fn save_choice(data_dir: &Path, on: Option<bool>) -> Result<()> {
    let file = data_dir.join(WATCHING_FILE);
    let Some(on) = on else {
        return match std::fs::remove_file(&file) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(StoreError::DataDir(format!("{}: {err}", file.display()))),
        };
    };
    paths::private_dir(data_dir)?;
    paths::create_private_file(&file)?;
    std::fs::write(&file, if on { "on\n" } else { "off\n" })
        .map_err(|err| StoreError::DataDir(format!("cannot write {}: {err}", file.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_choice_is_read_back_and_junk_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        assert_eq!(saved_choice(&data).unwrap(), None);
        save_choice(&data, Some(false)).unwrap();
        assert_eq!(saved_choice(&data).unwrap(), Some(false));
        // A flag wins over the file (the environment is the process's, left alone here).
        let flagged = AppWatching::resolve(&data, Some(true)).unwrap();
        assert!(flagged.on && !flagged.choice_applies());
        assert_eq!(flagged.saved, Some(false));
        save_choice(&data, None).unwrap();
        assert_eq!(saved_choice(&data).unwrap(), None);
        std::fs::write(data.join(WATCHING_FILE), "maybe\n").unwrap();
        let err = saved_choice(&data).unwrap_err().to_string();
        assert!(err.contains("maybe") && err.contains("on or off"), "{err}");
        assert_eq!(parse(" OFF "), Some(false));
        assert_eq!(parse("1"), Some(true));
    }
}
