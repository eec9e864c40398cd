//! `baton decisions export` (the decision log as JSON Lines) and `baton decisions verify` (its
//! hash chain: exit 1 naming the first entry that does not fit).

use std::io::Write;
use std::path::Path;

use baton_store::ChainCheck;

use super::error::CliError;
use baton_store::StorePlace;

pub fn decisions_export(place: &StorePlace, out: Option<&Path>) -> Result<(), CliError> {
    let store = place.open()?;
    match out {
        Some(path) => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            let n = store.export_decisions_jsonl(&mut file)?;
            file.flush()?;
            eprintln!("{n} decision(s) written to {}", path.display());
        }
        None => {
            store.export_decisions_jsonl(&mut std::io::stdout().lock())?;
        }
    }
    Ok(())
}

/// True when the chain holds.
pub fn decisions_verify(place: &StorePlace) -> Result<bool, CliError> {
    let store = place.open()?;
    match store.verify_decisions()? {
        ChainCheck::Ok { entries } => {
            println!(
                "decision log intact: {entries} entr{}",
                if entries == 1 { "y" } else { "ies" }
            );
            Ok(true)
        }
        ChainCheck::Broken { seq, reason } => {
            println!("decision log broken at entry {seq}: {reason}");
            Ok(false)
        }
    }
}
