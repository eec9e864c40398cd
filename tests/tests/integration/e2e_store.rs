//! The real app on a PostgreSQL store (the data folder's saved choice, as `baton store use`
//! leaves it): the nav names the store, its dialog says where it is, and while the server is
//! stopped every view says since when the store has not answered, until it answers again.
//! The server is this test binary's own (baton-testdb), so stopping it touches no other test.
//!
//! `cargo test -p baton-tests --test integration e2e_store::`; needs Xvfb, tauri-driver, WebKitWebDriver and
//! PostgreSQL (`scripts/setup.sh --test`).

use std::time::Duration;

use baton_store::{StoreLocation, StorePlace};
use baton_tests::app::RunningApp;

const LONG: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_says_which_store_it_is_on_and_when_it_stops_answering() {
    let server = baton_testdb::own_server();
    let url = server.fresh_database();
    let data = tempfile::tempdir().unwrap();
    let location = StoreLocation::parse(&url).unwrap();
    StorePlace::choose(data.path(), Some(&location)).unwrap();
    two_machines_hooks(&location);
    // Its OTLP receiver on a port of its own (4318 may be another test's).
    let otlp = format!("127.0.0.1:{}", baton_tests::free_port());
    let settings = baton_core::otel::OtlpSettings {
        enabled: true,
        listen: otlp.clone(),
    };
    baton_store::Store::open_at(&location)
        .unwrap()
        .set_otlp_settings(&settings, chrono::Utc::now())
        .unwrap();
    let app = RunningApp::launch_in(data).await;
    let result = drive(&app, server, &otlp).await;
    // The server runs again whatever happened (the watchdog stops it when the binary ends).
    let _ = server.start_again();
    if let Err(err) = result {
        let page = app.capture_failure("store").await;
        panic!("{err}\n{page}");
    }
    app.close().await;
}

async fn drive(
    app: &RunningApp,
    server: &baton_testdb::PgServer,
    otlp: &str,
) -> Result<(), String> {
    let session = app.session();
    session
        .wait_for_text("[data-testid=store-line]", "127.0.0.1:", LONG)
        .await?;
    session
        .click_first("[data-testid=store-line]", LONG)
        .await?;
    session
        .wait_for_text("[data-testid=store-facts]", "PostgreSQL, schema", LONG)
        .await?;
    session
        .wait_for_text(
            "[data-testid=store-facts]",
            "chosen for this data folder",
            LONG,
        )
        .await?;
    // Each machine whose hooks use the store: its time for a hook call, its calls unchecked.
    session
        .wait_for_text(
            "[data-testid=store-machines]",
            "devbox-b: a hook call takes 412 ms · 1 unchecked today, recorded late",
            LONG,
        )
        .await?;
    session
        .wait_for_text(
            "[data-testid=store-machines]",
            "laptop-a: a hook call takes 31 ms · none unchecked today",
            LONG,
        )
        .await?;
    // Where agents that speak OpenTelemetry send it.
    session
        .wait_for_text(
            "[data-testid=presence-otlp]",
            &format!("takes OTLP/HTTP on http://{otlp}"),
            LONG,
        )
        .await?;
    app.screenshot("store-dialog")?;
    session.keys("\u{e00c}").await?; // Escape closes the dialog.

    server.stop()?;
    session
        .wait_for_text(
            "[data-testid=store-unreachable]",
            "has not answered since",
            LONG,
        )
        .await?;
    // One cause, one message: the views' failed reloads meanwhile add no banner of their own.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let banners = session.find_all(".banner--error").await?.len();
    if banners != 1 {
        return Err(format!("{banners} error banners while the store was away"));
    }
    app.screenshot("store-unreachable")?;
    server.start_again()?;
    let deadline = std::time::Instant::now() + LONG;
    while !session
        .find_all("[data-testid=store-unreachable]")
        .await?
        .is_empty()
    {
        if std::time::Instant::now() > deadline {
            return Err("the banner stayed after the store answered again".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Two machines' hooks on the store: laptop-a's calls take 31 ms; devbox-b's 412 ms, and one
/// of its writes went ahead unchecked (delivered from its spool since).
fn two_machines_hooks(location: &StoreLocation) {
    use baton_core::hooks::{parse_hook_payload, HookClient, PermitMode};
    use baton_store::sessions::{PermitSettings, SessionRef, UncheckedCall};
    let mut store = baton_store::Store::open_at(location).unwrap();
    let now = chrono::Utc::now();
    store.note_store_link("laptop-a", 31, now).unwrap();
    store.note_store_link("devbox-b", 412, now).unwrap();
    let mut session = SessionRef::in_checkout(HookClient::ClaudeCode, "bbbb2222", "/work/shop");
    session.host = Some("devbox-b".into());
    let payload = serde_json::json!({"hook_event_name": "PreToolUse", "tool_name": "Write",
        "tool_input": {"file_path": "/work/shop/src/app.rs", "content": "x"}});
    let call =
        parse_hook_payload(HookClient::ClaudeCode, payload.to_string().as_bytes(), None).unwrap();
    let late = UncheckedCall {
        call_id: "e2e-1".into(),
        at: now,
        waited_ms: 1200,
        why: "the store did not answer within 1200 ms".into(),
    };
    let settings = PermitSettings::in_mode(PermitMode::Warn);
    store
        .record_unchecked_call(&session, &call, settings, late, now)
        .unwrap()
        .expect("recorded");
}
