//! `baton schema` (the JSON Schema each handoff type's payload must satisfy) and
//! `baton dead-letters` (the handoffs that failed theirs, payloads whole).

use std::path::Path;

use super::error::CliError;
use super::import::import_who;
use crate::config::ConfigFileError;
use baton_store::StorePlace;

/// `baton schema set TYPE FILE`: the file holds one JSON Schema (it must compile).
pub fn schema_set(
    place: &StorePlace,
    handoff_type: &str,
    file: &Path,
    who: Option<String>,
) -> Result<(), CliError> {
    let path = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|source| {
        CliError::Config(ConfigFileError::Read {
            path: path.clone(),
            source,
        })
    })?;
    let schema: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
        CliError::Config(ConfigFileError::Parse {
            path,
            message: format!("not JSON: {err}"),
        })
    })?;
    let mut store = place.open()?;
    store.set_handoff_schema(handoff_type, &schema, &import_who(who), chrono::Utc::now())?;
    println!(
        "handoff type {}: schema set; its handoffs are checked from the next detector run",
        handoff_type.trim()
    );
    Ok(())
}

pub fn schema_remove(
    place: &StorePlace,
    handoff_type: &str,
    who: Option<String>,
) -> Result<(), CliError> {
    let mut store = place.open()?;
    store.remove_handoff_schema(handoff_type, &import_who(who), chrono::Utc::now())?;
    println!("handoff type {}: schema removed", handoff_type.trim());
    Ok(())
}

pub fn schema_list(place: &StorePlace) -> Result<(), CliError> {
    let store = place.open()?;
    let schemas = store.handoff_schemas()?;
    if schemas.is_empty() {
        println!("No handoff schemas. Add one with `baton schema set TYPE FILE.json`.");
    }
    for (kind, schema) in schemas {
        println!("{kind}\t{schema}");
    }
    Ok(())
}

/// `baton dead-letters`: one JSON object per line, newest first.
pub fn dead_letters(place: &StorePlace) -> Result<(), CliError> {
    let store = place.open()?;
    for letter in store.dead_letters()? {
        println!(
            "{}",
            serde_json::to_string(&letter).map_err(|e| CliError::Io(e.into()))?
        );
    }
    Ok(())
}
