//! A route's click URL and how its reply stream fares (issue 60): kept with the route, changed
//! by a file, and a run of failures to read the reply topic recorded per route (whichever
//! watcher reads it), ended when it reads again, its last error kept for the record.

use baton_core::notify::{RouteDraft, RouteKind};

use super::support::*;

fn phone() -> RouteDraft {
    RouteDraft {
        server: Some("https://ntfy.example.org".into()),
        topic: Some("baton-out".into()),
        reply_topic: Some("baton-back".into()),
        click: Some("https://baton.example/items/{item}".into()),
        ..RouteDraft::new("phone", RouteKind::Ntfy, "ana")
    }
}

#[test]
fn a_routes_click_url_is_kept_and_replaced_by_a_file() {
    let mut store = fresh_store();
    store.add_route(&phone(), t(0)).unwrap();
    let stored = store.route_named("phone").unwrap();
    assert_eq!(
        stored.route.draft.click.as_deref(),
        Some("https://baton.example/items/{item}")
    );
    let moved = RouteDraft {
        click: Some("https://baton.example/q?item={item}".into()),
        ..phone()
    };
    let changes = store
        .replace_routes(std::slice::from_ref(&moved), t(1))
        .unwrap();
    assert_eq!(changes.updated, 1);
    assert_eq!(store.route_named("phone").unwrap().route.draft, moved);
    let none = RouteDraft {
        click: None,
        ..phone()
    };
    store.replace_routes(&[none], t(2)).unwrap();
    assert_eq!(store.route_named("phone").unwrap().route.draft.click, None);
}

#[test]
fn reply_stream_failures_are_kept_per_route_until_it_reads_again() {
    let mut store = fresh_store();
    let id = store.add_route(&phone(), t(0)).unwrap().id;
    let other = store
        .add_route(
            &RouteDraft {
                name: "tablet".into(),
                topic: Some("baton-out-2".into()),
                reply_topic: Some("baton-back-2".into()),
                ..phone()
            },
            t(0),
        )
        .unwrap()
        .id;
    for n in 1..=3 {
        store
            .record_reply_stream(id, Err("HTTP 503: unavailable"), t(n))
            .unwrap();
    }
    let stored = store.route(id).unwrap().unwrap();
    assert_eq!(stored.reply.failures, 3);
    assert_eq!(stored.reply.error.as_deref(), Some("HTTP 503: unavailable"));
    assert_eq!(stored.reply.error_at, Some(t(3)));
    let figures = store.route_figures(&stored).unwrap();
    assert!(figures
        .failing_words()
        .is_some_and(|w| w.contains("3 attempt(s) in a row): HTTP 503")));
    // The other route reads fine.
    let fine = store.route(other).unwrap().unwrap();
    assert_eq!(fine.reply.failures, 0);
    assert_eq!(store.route_figures(&fine).unwrap().failing_words(), None);

    // Read again: the run ends, the last error is kept.
    store.record_reply_stream(id, Ok(()), t(4)).unwrap();
    let stored = store.route(id).unwrap().unwrap();
    assert_eq!(stored.reply.failures, 0);
    assert_eq!(stored.reply.error.as_deref(), Some("HTTP 503: unavailable"));
    assert_eq!(store.route_figures(&stored).unwrap().failing_words(), None);

    // A route moved to another server or reply topic starts its record over.
    store
        .record_reply_stream(id, Err("HTTP 401"), t(5))
        .unwrap();
    let moved = RouteDraft {
        reply_topic: Some("baton-back-3".into()),
        ..phone()
    };
    let tablet = store.route(other).unwrap().unwrap().route.draft;
    store.replace_routes(&[moved, tablet], t(6)).unwrap();
    assert_eq!(store.route(id).unwrap().unwrap().reply.failures, 0);
}
