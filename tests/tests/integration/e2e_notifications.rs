//! The real app's Settings → Notifications (issue 60), through WebDriver under Xvfb: a route is
//! added in the dialog (to the test ntfy server, its topics made up, what it sends set in the
//! Add form), listed, tested (the test message reaches the server and the dialog says so), what
//! it sends changed (the form inside the dialog at 1280×800), and removed.
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
    // What it sends, set as it is added: no storm messages.
    session
        .click_first("[data-testid=route-add-policy] summary", LONG)
        .await?;
    session
        .execute(
            &set_value("route-add-policy", "policy-storm-items", "0"),
            vec![],
        )
        .await?;
    let outside = session
        .execute(&fits("[data-testid=route-add-policy]"), vec![])
        .await?;
    if outside.as_array().is_none_or(|a| !a.is_empty()) {
        return Err(format!(
            "the Add form outside the dialog at 1280x800: {outside}"
        ));
    }
    session
        .execute(
            "document.querySelector('[data-testid=route-add]').scrollIntoView({ block: 'end' });\
             return document.querySelector('.modal-backdrop').scrollTop;",
            vec![],
        )
        .await?;
    // What the window shows once it has painted the scroll.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot("notifications-add")?;
    session.click_first("[data-testid=route-add]", LONG).await?;
    session
        .wait_for_text("[data-testid=route-phone]", "answers on baton-", LONG)
        .await?;
    session
        .wait_for_text("[data-testid=route-sends-phone]", "no storm messages", LONG)
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
    what_it_sends(app).await?;
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

/// A script that sets field `field` inside `within` to `value` as a person's typing would
/// (React hears the input event).
fn set_value(within: &str, field: &str, value: &str) -> String {
    format!(
        "const f = document.querySelector('[data-testid={within}] [data-testid={field}]');\
         const proto = f instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;\
         Object.getOwnPropertyDescriptor(proto, 'value').set.call(f, '{value}');\
         f.dispatchEvent(new Event(f instanceof HTMLSelectElement ? 'change' : 'input', {{ bubbles: true }}));\
         return f.value;"
    )
}

/// A script listing every element of `form` outside the dialog, and the dialog if it is
/// outside the window.
fn fits(form: &str) -> String {
    FITS.replace("FORM", form)
}

const FITS: &str = r#"
const dialog = document.querySelector('[data-testid=notifications-dialog]');
const form = document.querySelector('FORM');
const box = dialog.getBoundingClientRect();
const out = [];
if (box.right > window.innerWidth + 1 || box.left < -1) out.push('dialog ' + box.left + '..' + box.right);
for (const el of form.querySelectorAll('label, select, input, button')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0) continue;
  if (r.left < box.left - 1 || r.right > box.right + 1) out.push(el.outerHTML.slice(0, 60) + ' ' + r.left + '..' + r.right);
}
return out;
"#;

/// Changes what the route sends in the dialog: warnings at once, quiet hours at night.
async fn what_it_sends(app: &RunningApp) -> Result<(), String> {
    let session = app.session();
    session
        .click_first("[data-testid=route-edit-phone]", LONG)
        .await?;
    session
        .wait_for("[data-testid=route-policy-phone]", LONG)
        .await?;
    let outside = session
        .execute(&fits("[data-testid=route-policy-phone]"), vec![])
        .await?;
    if outside.as_array().is_none_or(|a| !a.is_empty()) {
        return Err(format!("outside the dialog at 1280x800: {outside}"));
    }
    app.screenshot("notifications-sends")?;
    session
        .execute(
            &set_value("route-policy-phone", "policy-warnings", "now"),
            vec![],
        )
        .await?;
    let quiet = session
        .wait_for(
            "[data-testid=route-policy-phone] [data-testid=policy-quiet-hours]",
            LONG,
        )
        .await?;
    session.type_into(&quiet, "22:00-07:00").await?;
    session
        .click_first("[data-testid=policy-save]", LONG)
        .await?;
    session
        .wait_for_text(
            "[data-testid=route-sends-phone]",
            "notes never · digest every 30 min · quiet 22:00-07:00 (critical still goes)",
            LONG,
        )
        .await?;
    app.screenshot("notifications-sent-settings")?;
    Ok(())
}
