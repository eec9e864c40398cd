//! The store panel: where the commands' store is and how big, and choosing another one for this
//! data folder (connected to before it is saved; used from the next start).

use baton_core::views::StoreOverview;
use baton_engine::{store_choice, KeyringTokens};
use chrono::Utc;

use crate::error::CommandResult;
use crate::Commands;

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
