//! The real app's Settings → Notifications (issue 60), through WebDriver under Xvfb: a route is
//! added in the dialog (to the test ntfy server, its topics made up), listed, tested (the test
//! message reaches the server and the dialog says so), and removed.
//!
//! `cargo test -p baton-tests --test integration e2e_notifications::`; needs Xvfb, tauri-driver
//! and WebKitWebDriver (`scripts/setup.sh --test`).

use std::time::Duration;

use baton_tests::app::RunningApp;
use baton_tests::ntfy_server::NtfyServer;

const LONG: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_is_added_tested_and_removed_in_the_app() {
    let server = NtfyServer::start(None).await;
    let app = RunningApp::launch().await;
    if let Err(err) = drive(&app, &server).await {
        let page = app.capture_failure("notifications").await;
        panic!("{err}\n{page}");
    }
    app.close().await;
}

async fn drive(app: &RunningApp, server: &NtfyServer) -> Result<(), String> {
    let session = app.session();
    session
        .click_first("[data-testid=notifications-open]", LONG)
        .await?;
    session.wait_for("[data-testid=routes-empty]", LONG).await?;
    let name = session.wait_for("[data-testid=route-name]", LONG).await?;
    session.type_into(&name, "phone").await?;
    let url = session.wait_for("[data-testid=route-server]", LONG).await?;
    session.type_into(&url, &server.url).await?;
    session.click_first("[data-testid=route-add]", LONG).await?;
    session
        .wait_for_text("[data-testid=route-phone]", "answers on baton-", LONG)
        .await?;
    session
        .click_first("[data-testid=route-test-phone]", LONG)
        .await?;
    session
        .wait_for_text(
            "[data-testid=route-tested]",
            "The server took the test message.",
            LONG,
        )
        .await?;
    app.screenshot("notifications")?;
    let routes = session.find_all("[data-testid=route-phone]").await?;
    let shown = session.text(&routes[0]).await?;
    let topic = shown
        .split('/')
        .nth(3)
        .and_then(|t| t.split(';').next())
        .ok_or_else(|| format!("no topic in {shown:?}"))?
        .to_owned();
    let sent = server.messages(&topic);
    if sent.len() != 1 || sent[0]["tags"][1] != "test" {
        return Err(format!("the server got {sent:?} on {topic}"));
    }
    session
        .click_first("[data-testid=route-remove-phone]", LONG)
        .await?;
    session.wait_for("[data-testid=routes-empty]", LONG).await?;
    Ok(())
}
