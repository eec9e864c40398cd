//! `baton store`: which store this data folder uses, its schema, copying it to another, and
//! the password of a PostgreSQL store's user in the OS keyring.

use std::io::{BufRead, IsTerminal, Write};

use baton_engine::KeyringTokens;
use baton_store::copy::{copy_store, CopyProgress};
use baton_store::refusal::StoreRole;
use baton_store::roles::StoreRoles;
use baton_store::{Store, StoreLocation, StorePlace};

use super::error::CliError;
use crate::args::StoreAction;

/// `location` with its password from the OS keyring when the URL, `PGPASSWORD` and
/// `~/.pgpass` give none.
pub fn with_keyring_password(location: StoreLocation) -> StoreLocation {
    KeyringTokens::new().with_store_password(location)
}

/// What the app of `data_dir` will do, in words.
pub(super) fn watching_words(data_dir: &std::path::Path, on: bool) -> String {
    let does = if on {
        "watches its store (polls the agents, runs the detectors, delivers decisions)"
    } else {
        "only views its store (others watch it); it still decides"
    };
    format!(
        "the app of {} {does}, from its next start",
        data_dir.display()
    )
}

pub fn store(place: &StorePlace, action: StoreAction) -> Result<(), CliError> {
    match action {
        StoreAction::Watching { state } => {
            let dir = place.data_dir();
            if let Some(state) = state {
                let on = baton_store::watching::parse(&state);
                baton_store::watching::save_choice(dir, on)?;
            }
            let now = baton_store::watching::AppWatching::resolve(dir, None)?;
            println!("{} ({})", watching_words(dir, now.on), now.chosen_by());
        }
        StoreAction::Migrate => {
            let store = place.open()?;
            println!(
                "{} ({}) is at schema version {}, the latest this Baton knows",
                place.location.display(),
                engine_name(&store),
                store.schema_version()?
            );
        }
        StoreAction::Copy { from, to } => copy(&from, &to)?,
        StoreAction::Use { location, default } => {
            let url = location.filter(|_| !default);
            // Connected to (and migrated) before it is saved: a store that cannot be opened now
            // is refused rather than leave every Baton of the folder without one.
            let chosen = baton_engine::store_choice::choose_store(
                place,
                url.as_deref(),
                None,
                &KeyringTokens::new(),
            )?;
            println!(
                "every Baton using {} now uses {}",
                place.data_dir().display(),
                chosen.location
            );
        }
        StoreAction::Password => {
            let Some(key) = place.location.needs_password().map(str::to_owned) else {
                return Err(CliError::Invalid(match &place.location {
                    StoreLocation::Postgres(_) => {
                        "this store already has a password (from its URL, PGPASSWORD or ~/.pgpass)"
                            .into()
                    }
                    _ => "this data folder's store is not a PostgreSQL database: name one with \
                          --store postgres://… or `baton store use`"
                        .into(),
                }));
            };
            if std::io::stdin().is_terminal() {
                eprint!("password for {key}: ");
                let _ = std::io::stderr().flush();
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            if password.is_empty() {
                return Err(CliError::Invalid("no password given on stdin".into()));
            }
            KeyringTokens::new()
                .set_store_password(&key, password)
                .map_err(|err| CliError::Invalid(format!("the OS keyring: {err}")))?;
            Store::open_at(&place.location.clone().with_password(password))?;
            println!("the password for {key} is in the OS keyring, and the store answers with it");
        }
        StoreAction::Grant { role, what } => {
            let as_role = StoreRole::parse(&what)
                .ok_or_else(|| CliError::Invalid(format!("{what:?} is not viewer or decider")))?;
            let roles = place.open()?.grant_role(&role, as_role)?;
            println!(
                "{} is a {} of {}: {}",
                role.trim(),
                as_role.as_str(),
                place.location.display(),
                match as_role {
                    StoreRole::Viewer => "it sees everything and decides nothing",
                    StoreRole::Decider =>
                        "it decides, changes rules and grants files; the log stays append-only",
                }
            );
            print_roles(&roles);
        }
        StoreAction::Roles => {
            let roles = place.open()?.store_roles()?;
            println!("{}", place.location.display());
            print_roles(&roles);
        }
    }
    Ok(())
}

/// The store's roles, one line each.
fn print_roles(roles: &StoreRoles) {
    let names = |list: &[String]| {
        if list.is_empty() {
            "nobody".to_owned()
        } else {
            list.join(", ")
        }
    };
    println!(
        "  owner:    {}",
        roles.owner.as_deref().unwrap_or("(unknown)")
    );
    println!(
        "  deciders: {} (members of {})",
        names(&roles.deciders),
        roles.decider_role
    );
    println!(
        "  viewers:  {} (members of {})",
        names(&roles.viewers),
        roles.viewer_role
    );
}

fn engine_name(store: &Store) -> &'static str {
    match store.dialect() {
        baton_store::Dialect::Sqlite => "SQLite",
        baton_store::Dialect::Postgres => "PostgreSQL",
    }
}

/// `baton store copy --from … --to …`, with a line of progress on stderr.
fn copy(from: &str, to: &str) -> Result<(), CliError> {
    let from_location = with_keyring_password(StoreLocation::parse(from)?);
    let to_location = with_keyring_password(StoreLocation::parse(to)?);
    if from_location.display() == to_location.display() {
        return Err(CliError::Invalid(
            "--from and --to name the same store".into(),
        ));
    }
    let source = Store::open_at(&from_location)?;
    let mut target = Store::open_at(&to_location)?;
    let tty = std::io::stderr().is_terminal();
    let mut last_table = String::new();
    let report = copy_store(&source, &mut target, |p: CopyProgress<'_>| {
        if tty {
            eprint!(
                "\r\x1b[2Kcopying {}: {} of {} rows",
                p.table, p.copied, p.total
            );
        } else if p.table != last_table || p.copied == p.total {
            eprintln!("copying {}: {} of {} rows", p.table, p.copied, p.total);
        }
        last_table = p.table.to_owned();
    })?;
    if tty {
        eprintln!();
    }
    let rows: u64 = report.tables.iter().map(|(_, n)| n).sum();
    println!(
        "copied {rows} rows in {} tables from {} into {}; the decision log's {} entries verify",
        report.tables.len(),
        from_location.display(),
        to_location.display(),
        report.decisions
    );
    Ok(())
}
