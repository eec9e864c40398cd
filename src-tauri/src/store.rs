//! The store panel: where the app's store is and how big, and choosing another one for this
//! data folder (connected to before it is saved; used from the next start).

use baton_core::views::StoreOverview;
use baton_engine::{store_choice, Engine, KeyringTokens};
use baton_store::StorePlace;
use chrono::Utc;
use tauri::State;

use crate::error::CommandResult;

#[tauri::command]
pub async fn store_overview(
    engine: State<'_, Engine>,
    place: State<'_, StorePlace>,
) -> CommandResult<StoreOverview> {
    let place = place.inner().clone();
    Ok(engine.read(move |s| place.overview(s, Utc::now())).await?)
}

/// `url` (None: back to the data folder's own file) becomes this data folder's store from the
/// next start, once Baton could open it; `password` goes to the OS keyring.
#[tauri::command]
pub async fn choose_store(
    place: State<'_, StorePlace>,
    url: Option<String>,
    password: Option<String>,
) -> CommandResult<StoreOverview> {
    let place = place.inner().clone();
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
