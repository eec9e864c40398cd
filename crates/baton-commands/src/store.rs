//! The store panel: where the commands' store is and how big, and choosing another one for this
//! data folder (connected to before it is saved; used from the next start); and where the app
//! stands on it: who, watching or only viewing (a setting of the data folder, from the next
//! start), and which watcher polls which agents.

use baton_core::presence::Presence;
use baton_core::views::{StoreEngine, StoreOverview};
use baton_engine::{store_choice, KeyringTokens};
use baton_store::refusal::{Refusal, Standing};
use baton_store::{watching, StoreLocation};
use chrono::Utc;

use crate::error::CommandResult;
use crate::Commands;

/// Where the app stands: its store, who it acts as, whether it watches, the watchers, and what
/// it may offer the person (a viewer role changes nothing; an app that only views runs no
/// fleet).
pub async fn presence(c: &Commands) -> CommandResult<Presence> {
    let place = c.place().clone();
    let (watchers, standing) = c
        .engine()
        .read(|s| Ok((s.watchers_view()?, s.own_standing())))
        .await?;
    let saved = watching::saved_choice(place.store.data_dir())?;
    let cannot_change = standing.as_ref().and_then(Refusal::read_only);
    let cannot_run_fleets =
        crate::demo::fleets_refused(&place.watching).or_else(|| cannot_change.clone());
    Ok(Presence {
        store_engine: match place.store.location {
            StoreLocation::Postgres(_) => StoreEngine::Postgres,
            _ => StoreEngine::Sqlite,
        },
        store_location: place.store.location.display(),
        person: crate::who(),
        host: baton_store::host::this_machine(),
        watching: place.watching.on,
        watching_chosen_by: place.watching.chosen_by(),
        watching_choice_applies: place.watching.choice_applies(),
        watching_saved: saved,
        watchers,
        role: standing.and_then(|s| match s.standing {
            Standing::Is(role) => Some(role.as_str().to_owned()),
            Standing::Owner => Some("owner".to_owned()),
            Standing::Nothing | Standing::Unknown => None,
        }),
        cannot_change,
        cannot_run_fleets,
        otlp_listen: c.engine().otlp_address().await.map(|a| a.to_string()),
    })
}

/// Whether the app of this data folder watches from its next start (`null`: the default, on).
pub async fn set_watching(c: &Commands, watching: Option<bool>) -> CommandResult<Presence> {
    let dir = c.place().store.data_dir().to_owned();
    tokio::task::spawn_blocking(move || watching::save_choice(&dir, watching)).await??;
    presence(c).await
}

pub async fn store_overview(c: &Commands) -> CommandResult<StoreOverview> {
    let place = c.place().store.clone();
    Ok(c.engine()
        .read(move |s| place.overview(s, Utc::now()))
        .await?)
}

/// `url` (None: back to the data folder's own file) becomes this data folder's store from the
/// next start, once Baton could open it; `password` goes to the OS keyring.
pub async fn choose_store(
    c: &Commands,
    url: Option<String>,
    password: Option<String>,
) -> CommandResult<StoreOverview> {
    let place = c.place().store.clone();
    let chosen = tokio::task::spawn_blocking(move || {
        store_choice::choose_store(
            &place,
            url.as_deref(),
            password.as_deref(),
            &KeyringTokens::new(),
        )
    })
    .await??;
    Ok(chosen)
}
