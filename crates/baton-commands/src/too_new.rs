//! An app whose store a newer Baton wrote (its schema is newer than this app knows): the store
//! is left untouched, no engine starts, and the UI, instead of its views, says which schema the
//! store has, which this app knows, and what to do. `store_too_new` answers those facts; every
//! other command is refused with the store's own error.

use baton_core::presence::StoreTooNew;
use baton_core::views::StoreEngine;
use baton_store::{StoreError, StoreLocation, StorePlace};
use serde_json::Value;

use crate::error::{CommandError, CommandResult};
use crate::Commands;

/// In an app that opened its store: nothing is too new.
pub async fn store_too_new(_: &Commands) -> CommandResult<Option<StoreTooNew>> {
    Ok(None)
}

/// What an app that could not open its store (a newer Baton's) answers in place of the table.
#[derive(Debug, Clone)]
pub struct TooNew {
    facts: StoreTooNew,
}

impl TooNew {
    /// When `err` (opening the store at `place`) says a newer Baton wrote it, what the app
    /// answers; None for any other error.
    pub fn of(place: &StorePlace, err: &StoreError) -> Option<TooNew> {
        let StoreError::SchemaTooNew { found, supported } = *err else {
            return None;
        };
        Some(TooNew {
            facts: StoreTooNew {
                store_engine: match place.location {
                    StoreLocation::Postgres(_) => StoreEngine::Postgres,
                    _ => StoreEngine::Sqlite,
                },
                store_location: place.location.display(),
                found,
                supported,
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
            },
        })
    }

    pub fn facts(&self) -> &StoreTooNew {
        &self.facts
    }

    /// The answer to command `name`: the facts to `store_too_new`, the store's refusal to any
    /// other.
    pub fn answer(&self, name: &str) -> Result<Value, CommandError> {
        if name == "store_too_new" {
            return serde_json::to_value(Some(&self.facts))
                .map_err(|err| CommandError::Internal(err.to_string()));
        }
        Err(CommandError::Store(StoreError::SchemaTooNew {
            found: self.facts.found,
            supported: self.facts.supported,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> StorePlace {
        StorePlace::resolve(
            Some(std::path::Path::new("/data")),
            Some("/data/baton.sqlite3"),
        )
        .unwrap()
    }

    #[test]
    fn a_newer_schema_is_told_and_every_other_command_refused_with_it() {
        let too_new = TooNew::of(
            &place(),
            &StoreError::SchemaTooNew {
                found: 41,
                supported: 30,
            },
        )
        .expect("a newer schema is too new");
        let facts = too_new.answer("store_too_new").unwrap();
        assert_eq!(facts["found"], 41);
        assert_eq!(facts["supported"], 30);
        assert_eq!(facts["store_engine"], "sqlite");
        assert_eq!(facts["store_location"], "/data/baton.sqlite3");
        let refused = too_new.answer("list_agents").unwrap_err().payload();
        assert_eq!(refused.code, "schema_too_new");
        assert!(
            refused.message.contains("schema version 41"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn other_errors_are_not_a_store_too_new() {
        assert!(TooNew::of(&place(), &StoreError::NoRow).is_none());
    }
}
