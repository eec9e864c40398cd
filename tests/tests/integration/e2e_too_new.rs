//! The real app on a store a newer Baton wrote (its schema one past what this build knows):
//! instead of panicking in setup, the window says which schema the store has, which this app
//! knows and what to do; the store is left untouched.
//!
//! `cargo test -p baton-tests --test integration e2e_too_new::`; needs Xvfb, tauri-driver and
//! WebKitWebDriver (`scripts/setup.sh --test`).

use std::time::Duration;

use baton_store::{Store, LATEST_VERSION};
use baton_tests::app::RunningApp;

const LONG: Duration = Duration::from_secs(30);

fn user_version(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_older_than_its_store_says_so_instead_of_panicking() {
    let data = tempfile::tempdir().unwrap();
    let path = data.path().join("baton.sqlite3");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", LATEST_VERSION + 1)
        .unwrap();
    let app = RunningApp::launch_in(data).await;
    let result = drive(&app).await;
    let store = app.data_dir().join("baton.sqlite3");
    let result = result.and_then(|()| match user_version(&store) {
        v if v == LATEST_VERSION + 1 => Ok(()),
        v => Err(format!("the store's schema moved to {v}")),
    });
    app.finish("too-new", result).await;
}

async fn drive(app: &RunningApp) -> Result<(), String> {
    let session = app.session();
    let found = format!("SQLite, schema {}", LATEST_VERSION + 1);
    session
        .wait_for_text("[data-testid=too-new-found]", &found, LONG)
        .await?;
    session
        .wait_for_text(
            "[data-testid=too-new-supported]",
            &format!("knows schema up to {LATEST_VERSION}"),
            LONG,
        )
        .await?;
    session
        .wait_for_text("[data-testid=store-too-new-steps]", "Update Baton", LONG)
        .await?;
    session
        .wait_for_text("[data-testid=store-too-new-steps]", "ask them", LONG)
        .await?;
    app.screenshot("store-too-new")?;
    // Still running a while later (a panic in setup would have ended the process and the
    // session with it), and nothing else of Baton is shown.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let shown = session
        .execute(
            "return [document.querySelectorAll('[data-testid=store-too-new]').length,\
                     document.querySelectorAll('nav, main').length];",
            vec![],
        )
        .await?;
    if shown != serde_json::json!([1, 0]) {
        return Err(format!("expected the dialog alone, found {shown}"));
    }
    Ok(())
}
