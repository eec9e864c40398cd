//! Where a process of Baton finds its store. Every process (the app, `baton`, a coding agent's
//! hook) has a local data folder (`BATON_DATA_DIR`, else the OS's per-user one): the hooks'
//! socket lives there, and so does the store by default (`baton.sqlite3`). The store may be
//! elsewhere: the first of
//!
//! 1. `--store` on the command line,
//! 2. `BATON_STORE` in the environment,
//! 3. the choice saved in the data folder (`store.url`: what the app's settings and
//!    `baton store use` write),
//! 4. `baton.sqlite3` in the data folder,
//!
//! names it: a path (SQLite) or a `postgres://` URL (PostgreSQL), never with a password in a
//! file of Baton's.

use std::path::{Path, PathBuf};

use baton_core::views::{StoreEngine, StoreOverview};

use crate::db::StoreLocation;
use crate::error::{Result, StoreError};
use crate::paths::{self, DATA_DIR_ENV, DB_FILE_NAME};
use crate::{Store, StoreHandle};

/// The environment variable naming the store.
pub const STORE_ENV: &str = "BATON_STORE";
/// The file in the data folder that holds the chosen store.
pub const CHOSEN_STORE_FILE: &str = "store.url";

/// A process's store and local data folder.
#[derive(Debug, Clone, PartialEq)]
pub struct StorePlace {
    /// `baton.sqlite3` in the data folder: the default store, and what the hooks' socket is
    /// named after (`<anchor>-hooks.sock`) whichever engine the store is on.
    pub anchor: PathBuf,
    pub location: StoreLocation,
    /// What named the store.
    pub source: PlaceSource,
}

/// What named a process's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceSource {
    /// `--store` (or the caller's own choice).
    Given,
    /// `BATON_STORE`.
    Environment,
    /// The data folder's saved choice (`store.url`).
    Saved,
    /// Nothing: `baton.sqlite3` in the data folder.
    DataFolder,
}

impl PlaceSource {
    /// True when a file may still name the store (`[store] url` in `baton.toml`): nothing on
    /// the command line or in the environment did.
    pub fn yields_to_a_file(self) -> bool {
        matches!(self, PlaceSource::Saved | PlaceSource::DataFolder)
    }

    pub fn words(self) -> &'static str {
        match self {
            PlaceSource::Given => "given with --store",
            PlaceSource::Environment => "from BATON_STORE",
            PlaceSource::Saved => "chosen for this data folder",
            PlaceSource::DataFolder => "the data folder's own",
        }
    }
}

impl StorePlace {
    /// The place from a data folder (None: `BATON_DATA_DIR`, else the OS's) and a `--store`
    /// value, as the module docs order them.
    pub fn resolve(data_dir: Option<&Path>, store: Option<&str>) -> Result<StorePlace> {
        let anchor = match data_dir {
            Some(dir) => dir.join(DB_FILE_NAME),
            None => paths::path_from(std::env::var_os(DATA_DIR_ENV))?,
        };
        StorePlace::at_anchor(anchor, store)
    }

    /// The place of a process whose data folder holds `anchor` (a hook, given the app's
    /// database path): `BATON_STORE`, else the saved choice, else `anchor` itself.
    pub fn from_anchor(anchor: &Path) -> Result<StorePlace> {
        StorePlace::at_anchor(anchor.to_owned(), None)
    }

    fn at_anchor(anchor: PathBuf, store: Option<&str>) -> Result<StorePlace> {
        let from_env = std::env::var(STORE_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let (location, source) = match (store, from_env) {
            (Some(text), _) => (StoreLocation::parse(text)?, PlaceSource::Given),
            (None, Some(text)) => (StoreLocation::parse(&text)?, PlaceSource::Environment),
            (None, None) => match read_choice(&anchor)? {
                Some(location) => (location, PlaceSource::Saved),
                None => (
                    StoreLocation::Sqlite(anchor.clone()),
                    PlaceSource::DataFolder,
                ),
            },
        };
        Ok(StorePlace {
            anchor,
            location,
            source,
        })
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        self.anchor.parent().unwrap_or_else(|| Path::new("."))
    }

    /// Opens one connection (brought up to date).
    pub fn open(&self) -> Result<Store> {
        Store::open_at(&self.location)
    }

    /// Opens one connection for a short process (a hook call): see
    /// [`Store::open_for_short_process`].
    pub fn open_for_short_process(&self) -> Result<Store> {
        Store::open_for_short_process(&self.location)
    }

    /// Opens the store as a long-running process shares it (a writer and `readers` readers).
    pub fn open_handle(&self, readers: usize) -> Result<StoreHandle> {
        StoreHandle::open_at(&self.location, readers)
    }

    /// Where the store is, who chose it, and its size, for the app's store panel and
    /// `baton status`.
    pub fn overview(
        &self,
        store: &Store,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<StoreOverview> {
        let size = store.store_size(now)?;
        Ok(StoreOverview {
            engine: match store.dialect() {
                crate::db::Dialect::Sqlite => StoreEngine::Sqlite,
                crate::db::Dialect::Postgres => StoreEngine::Postgres,
            },
            location: self.location.display(),
            chosen_by: self.source.words().to_owned(),
            choice_applies: self.source.yields_to_a_file(),
            saved_choice: self.source == PlaceSource::Saved,
            schema_version: store.schema_version()?,
            bytes: size.bytes,
            max_bytes: size.max_bytes,
            growth_per_day: size.growth_per_day(),
            events: size.events,
            machines: store.machine_links(now)?,
        })
    }

    /// Saves `location` as the store of every process using this data folder (the app's
    /// settings, `baton store use`); `None` goes back to `baton.sqlite3` there. A URL with a
    /// password is refused: the password belongs in `PGPASSWORD`, `~/.pgpass` or the keyring.
    pub fn choose(data_dir: &Path, location: Option<&StoreLocation>) -> Result<()> {
        let file = data_dir.join(CHOSEN_STORE_FILE);
        let Some(location) = location else {
            return match std::fs::remove_file(&file) {
                Ok(()) => Ok(()),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(err) => Err(StoreError::DataDir(format!("{}: {err}", file.display()))),
            };
        };
        refuse_saved_password(location, &file.display().to_string())?;
        paths::private_dir(data_dir)?;
        paths::create_private_file(&file)?;
        std::fs::write(&file, format!("{}\n", location.display()))
            .map_err(|err| StoreError::DataDir(format!("cannot write {}: {err}", file.display())))
    }
}

/// Refuses a PostgreSQL URL with a password where it would be kept in a file (`source`).
pub fn refuse_saved_password(location: &StoreLocation, source: &str) -> Result<()> {
    if let StoreLocation::Postgres(target) = location {
        if target.has_password_in_url() {
            return Err(StoreError::InvalidLocation(format!(
                "{source}: the store's URL {} carries a password, which Baton never keeps in a \
                 file; remove it from the URL and give it in PGPASSWORD, in ~/.pgpass, or in the \
                 OS keyring (`baton store password`)",
                target.display()
            )));
        }
    }
    Ok(())
}

/// The store saved in the data folder of `anchor`, if any.
fn read_choice(anchor: &Path) -> Result<Option<StoreLocation>> {
    let Some(dir) = anchor.parent() else {
        return Ok(None);
    };
    let file = dir.join(CHOSEN_STORE_FILE);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(StoreError::DataDir(format!("{}: {err}", file.display()))),
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let location = StoreLocation::parse(text)?;
    refuse_saved_password(&location, &file.display().to_string())?;
    Ok(Some(location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_saved_choice_then_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let anchor = dir.path().join(DB_FILE_NAME);
        // BATON_STORE is read too; these tests leave it unset (the test binary's env).
        if std::env::var_os(STORE_ENV).is_some() {
            return;
        }
        let place = StorePlace::resolve(Some(dir.path()), None).unwrap();
        assert_eq!(place.location, StoreLocation::Sqlite(anchor.clone()));
        let pg = StoreLocation::parse("postgres://ana@db.example.org/baton").unwrap();
        StorePlace::choose(dir.path(), Some(&pg)).unwrap();
        assert_eq!(StorePlace::from_anchor(&anchor).unwrap().location, pg);
        let flag = StorePlace::resolve(Some(dir.path()), Some("/tmp/other.sqlite3")).unwrap();
        assert_eq!(
            flag.location,
            StoreLocation::Sqlite("/tmp/other.sqlite3".into())
        );
        assert_eq!(flag.anchor, anchor, "the socket stays in the data folder");
        StorePlace::choose(dir.path(), None).unwrap();
        assert_eq!(
            StorePlace::from_anchor(&anchor).unwrap().location,
            StoreLocation::Sqlite(anchor)
        );
    }

    #[test]
    fn a_password_is_never_saved_and_a_saved_one_is_refused_naming_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let with = StoreLocation::parse("postgres://ana:s3cret@db.example.org/baton").unwrap();
        let err = StorePlace::choose(dir.path(), Some(&with))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("PGPASSWORD") && !err.contains("s3cret"),
            "{err}"
        );
        assert!(!dir.path().join(CHOSEN_STORE_FILE).exists());
        std::fs::write(
            dir.path().join(CHOSEN_STORE_FILE),
            "postgres://ana:s3cret@db.example.org/baton\n",
        )
        .unwrap();
        let err = StorePlace::from_anchor(&dir.path().join(DB_FILE_NAME))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("store.url") && !err.contains("s3cret"),
            "{err}"
        );
    }
}
