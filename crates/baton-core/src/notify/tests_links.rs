//! A route's click URL (the item's link, in ntfy's `click` and webhook bodies) and what a
//! failing route says.

use super::tests::{item, ntfy};
use super::*;
use crate::detect::{FindingKind, Severity};

#[test]
fn a_click_url_is_checked_and_carries_the_item() {
    let with = |click: &str| RouteDraft {
        click: Some(click.into()),
        ..ntfy("phone")
    };
    let route = with(" https://baton.example/items/{item}?from=phone ")
        .check()
        .unwrap();
    assert_eq!(
        route.click_for(42).as_deref(),
        Some("https://baton.example/items/42?from=phone")
    );
    assert_eq!(with("").check().unwrap().click, None);
    for bad in [
        "baton.example/items/{item}",
        "ftp://baton.example/{item}",
        "https://ana:pw@baton.example/{item}",
        "https://baton.example/{id}",
        "https://baton.example/{item",
        "https://baton example/{item}",
        "https://baton.example/\n{item}",
    ] {
        assert!(
            matches!(with(bad).check(), Err(RouteError::Click(_))),
            "{bad:?} was taken"
        );
    }
    let long = format!("https://baton.example/{}", "a".repeat(MAX_CLICK_LEN));
    assert!(matches!(with(&long).check(), Err(RouteError::Click(_))));
    let desk = RouteDraft {
        click: Some("https://baton.example/{item}".into()),
        ..RouteDraft::new("desk", RouteKind::Desktop, "ana")
    };
    assert!(desk.check().unwrap_err().to_string().contains("click"));
}

#[test]
fn webhook_bodies_carry_the_items_link() {
    use super::webhook::webhook_body;
    let mut e = item(FindingKind::NeedsApproval, Severity::Critical);
    e.title = "deploy_prod".into();
    let link = Some("https://baton.example/items/7?a=1&b=2");
    let generic = webhook_body(WebhookShape::Generic, &e, link);
    assert_eq!(generic["link"], "https://baton.example/items/7?a=1&b=2");
    assert!(webhook_body(WebhookShape::Generic, &e, None)["link"].is_null());
    let slack = webhook_body(WebhookShape::Slack, &e, link);
    assert!(slack["text"]
        .as_str()
        .unwrap()
        .ends_with("\nhttps://baton.example/items/7?a=1&amp;b=2"));
    let discord = webhook_body(WebhookShape::Discord, &e, link);
    let content = discord["content"].as_str().unwrap();
    assert!(content.contains("deploy\\_prod"), "{content}");
    assert!(
        content.ends_with("\nhttps://baton.example/items/7?a=1&b=2"),
        "{content}"
    );
}

#[test]
fn a_failing_route_says_what_fails() {
    use super::view::RouteFigures;
    let sending = RouteFigures {
        items_sent: 4,
        failing: 2,
        last_error: Some("HTTP 401: wrong token".into()),
        ..Default::default()
    };
    assert_eq!(
        sending.failing_words().as_deref(),
        Some("sending fails for 2 item(s): HTTP 401: wrong token")
    );
    let reading = RouteFigures {
        reply_failures: 3,
        reply_error: Some("HTTP 503".into()),
        ..sending.clone()
    };
    assert_eq!(
        reading.failing_words().as_deref(),
        Some(
            "sending fails for 2 item(s): HTTP 401: wrong token; its reply topic cannot be read \
             (3 attempt(s) in a row): HTTP 503"
        )
    );
    // Read again: its last error is kept, but nothing fails now.
    let healed = RouteFigures {
        reply_failures: 0,
        reply_error: Some("HTTP 503".into()),
        ..Default::default()
    };
    assert_eq!(healed.failing_words(), None);
}
