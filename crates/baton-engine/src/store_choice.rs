//! Choosing the store of a data folder (the app's store dialog, `baton store use`): the store
//! is connected to, and its schema brought up to date, before the choice is saved, so a typo
//! never leaves every Baton of the folder without a store. A password given is kept in the OS
//! keyring; the saved choice never holds one.

use baton_core::views::StoreOverview;
use baton_store::{place::refuse_saved_password, PlaceSource, Store, StoreLocation, StorePlace};
use chrono::Utc;

use crate::error::EngineError;
use crate::secrets::KeyringTokens;

/// Makes `url` (a postgres:// URL without its password, or a SQLite file's path) the store
/// of `place`'s data folder from the next start, or, with `None`, the folder's own
/// `baton.sqlite3` again. `password` (PostgreSQL only) is used to connect and then kept in
/// `keyring`. Answers the chosen store's overview.
pub fn choose_store(
    place: &StorePlace,
    url: Option<&str>,
    password: Option<&str>,
    keyring: &KeyringTokens,
) -> Result<StoreOverview, EngineError> {
    let chosen = StorePlace {
        anchor: place.anchor.clone(),
        location: match url {
            Some(text) => StoreLocation::parse(text.trim())?,
            None => StoreLocation::Sqlite(place.anchor.clone()),
        },
        source: if url.is_some() {
            PlaceSource::Saved
        } else {
            PlaceSource::DataFolder
        },
    };
    refuse_saved_password(&chosen.location, "the store to use")?;
    let password = password.filter(|p| !p.is_empty());
    let connect = match password {
        Some(password) if chosen.location.needs_password().is_some() => {
            chosen.location.clone().with_password(password)
        }
        _ => keyring.with_store_password(chosen.location.clone()),
    };
    let store = Store::open_at(&connect)?;
    let overview = chosen.overview(&store, Utc::now())?;
    drop(store);
    if let (Some(password), Some(key)) = (password, chosen.location.needs_password()) {
        keyring.set_store_password(key, password)?;
    }
    let saved = url.is_some().then_some(&chosen.location);
    StorePlace::choose(place.data_dir(), saved)?;
    Ok(overview)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(dir: &std::path::Path) -> StorePlace {
        StorePlace {
            anchor: dir.join("baton.sqlite3"),
            location: StoreLocation::Sqlite(dir.join("baton.sqlite3")),
            source: PlaceSource::DataFolder,
        }
    }

    #[test]
    fn a_store_is_saved_only_once_it_opens_and_never_with_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let here = place(dir.path());
        let keyring = KeyringTokens::new();
        let other = dir.path().join("elsewhere").join("team.sqlite3");
        let overview = choose_store(&here, Some(other.to_str().unwrap()), None, &keyring).unwrap();
        assert_eq!(overview.location, other.display().to_string());
        assert!(overview.saved_choice && overview.schema_version > 0);
        let now = StorePlace::from_anchor(&here.anchor).unwrap();
        assert_eq!(now.location, StoreLocation::Sqlite(other.clone()));

        // A password in the URL, junk, a server that does not answer: refused, choice kept.
        for bad in [
            "postgres://ana:s3cret@127.0.0.1:1/baton",
            "mysql://db/baton",
            "postgres://ana@127.0.0.1:1/baton?sslmode=disable&connect_timeout=1",
        ] {
            let err = choose_store(&here, Some(bad), None, &keyring).unwrap_err();
            assert!(!err.to_string().contains("s3cret"), "{err}");
            let now = StorePlace::from_anchor(&here.anchor).unwrap();
            assert_eq!(now.location, StoreLocation::Sqlite(other.clone()), "{bad}");
        }

        // Back to the folder's own file.
        let overview = choose_store(&here, None, None, &keyring).unwrap();
        assert!(!overview.saved_choice);
        let now = StorePlace::from_anchor(&here.anchor).unwrap();
        assert_eq!(now.source, PlaceSource::DataFolder);
    }
}
