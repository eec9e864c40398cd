use chrono::{Duration, TimeZone, Utc};

use super::answer::*;
use super::message::*;
use super::*;
use crate::detect::{FindingKind, Severity};
use crate::escalations::{Escalation, EscalationAction, EscalationDecision, EscalationState};

pub(super) fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

pub(super) fn item(kind: FindingKind, severity: Severity) -> Escalation {
    Escalation {
        id: 7,
        finding_id: Some(7),
        kind,
        severity,
        agents: vec![1],
        resource: None,
        title: "asks to run Bash:\n rm -rf /tmp/x\u{7}".into(),
        agent_id: Some(1),
        task_id: None,
        state: EscalationState::Open,
        opened_at: now(),
        due_at: now() + Duration::minutes(30),
        assignee: None,
        snoozed_until: None,
        closed_at: None,
        occurrences: 1,
        since_decision: 0,
        scope: None,
        resources: vec![],
        resource_count: 0,
        last_seen_at: now(),
        decision: None,
        deliveries: vec![],
        knot: None,
        parallel: None,
    }
}

pub(super) fn ntfy(name: &str) -> RouteDraft {
    RouteDraft {
        server: Some("https://ntfy.example.org/".into()),
        topic: Some("baton-out".into()),
        reply_topic: Some("baton-back".into()),
        ..RouteDraft::new(name, RouteKind::Ntfy, "ana")
    }
}

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

fn claim() -> AnswerClaim {
    AnswerClaim {
        route_id: 3,
        escalation_id: 7,
        action: PhoneAction::Approve,
        expires_at: now() + ANSWER_TTL,
        nonce: "00112233445566778899aabbccddeeff".into(),
    }
}

#[test]
fn routes_are_checked_per_kind() {
    let ok = ntfy(" phone ").check().unwrap();
    assert_eq!(ok.name, "phone");
    assert_eq!(ok.server.as_deref(), Some("https://ntfy.example.org"));
    assert!(ok.answers());
    let bad = |draft: RouteDraft| draft.check().unwrap_err().to_string();
    assert!(bad(RouteDraft {
        server: None,
        ..ntfy("p")
    })
    .contains("server"));
    assert!(bad(RouteDraft {
        topic: Some("a b".into()),
        ..ntfy("p")
    })
    .contains("topic name"));
    assert!(bad(RouteDraft {
        topic: Some("x".repeat(65)),
        ..ntfy("p")
    })
    .contains("topic name"));
    assert!(bad(RouteDraft {
        reply_topic: Some("baton-out".into()),
        ..ntfy("p")
    })
    .contains("differ"));
    for url in [
        "ftp://x",
        "https://u:p@x.org",
        "https://x.org/?q=1",
        "not a url",
    ] {
        assert!(
            bad(RouteDraft {
                server: Some(url.into()),
                ..ntfy("p")
            })
            .contains("URL"),
            "{url}"
        );
    }
    assert!(bad(RouteDraft {
        url: Some("https://x.org".into()),
        ..ntfy("p")
    })
    .contains("url"));
    assert_eq!(ntfy("").check(), Err(RouteError::Name));
    assert_eq!(ntfy("a\nb").check(), Err(RouteError::Name));
    assert_eq!(
        RouteDraft {
            person: " ".into(),
            ..ntfy("p")
        }
        .check(),
        Err(RouteError::Person)
    );
    let hook = RouteDraft {
        url: Some("https://hooks.slack.com/services/x".into()),
        shape: Some(WebhookShape::Slack),
        ..RouteDraft::new("team", RouteKind::Webhook, "ana")
    };
    assert!(hook.check().is_ok());
    assert!(!hook.answers());
    assert!(!hook.brings_answers());
    assert_eq!(
        RouteDraft::new("team", RouteKind::Webhook, "ana").check(),
        Err(RouteError::WebhookNeedsUrl)
    );
    let desk = RouteDraft::new("desk", RouteKind::Desktop, "ana");
    assert!(desk.check().is_ok());
    // Its buttons answer in the app, not on a reply topic.
    assert!(!desk.answers() && desk.brings_answers());
    assert!(ok.brings_answers());
    assert!(bad(RouteDraft {
        topic: Some("t".into()),
        ..desk
    })
    .contains("not for a desktop"));
}

#[test]
fn token_references_round_trip_and_refuse_the_rest() {
    for text in ["env:NTFY_TOKEN", "keyring:dev.baton.app/route-phone"] {
        assert_eq!(SecretRef::parse(text).unwrap().to_text(), text);
    }
    for text in ["tk_secret", "env:", "keyring:nouser", "keyring:/u", ""] {
        assert!(SecretRef::parse(text).is_err(), "{text}");
    }
    assert!(is_topic("baton-0a_Z"));
    assert!(!is_topic(""));
    assert_eq!(topic_from("baton", [0xab; 16]).len(), 6 + 32);
}

#[test]
fn an_answer_reads_back_as_signed() {
    let token = sign_answer(KEY, &claim());
    assert!(token.starts_with("baton1.3.7.approve."), "{token}");
    assert!(token.len() < MAX_ANSWER_LEN);
    assert_eq!(read_answer(KEY, &token, now()), Ok(claim()));
    // Whitespace a phone may add around a body is no change.
    assert_eq!(read_answer(KEY, &format!(" {token}\n"), now()), Ok(claim()));
}

#[test]
fn altered_expired_foreign_and_junk_answers_are_refused() {
    let token = sign_answer(KEY, &claim());
    // Another action, item or route, same signature: altered.
    for (from, to) in [
        (".approve.", ".reject."),
        (".3.7.", ".3.8."),
        ("baton1.3.", "baton1.4."),
    ] {
        let forged = token.replacen(from, to, 1);
        assert_eq!(
            read_answer(KEY, &forged, now()),
            Err(AnswerRefused::Altered),
            "{forged}"
        );
    }
    // A later expiry, same signature: altered.
    let exp = claim().expires_at.timestamp().to_string();
    let later = (claim().expires_at.timestamp() + 3600).to_string();
    let forged = token.replacen(&exp, &later, 1);
    assert_eq!(
        read_answer(KEY, &forged, now()),
        Err(AnswerRefused::Altered)
    );
    // One hex digit of the signature changed.
    let mut flipped = token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        read_answer(KEY, &flipped, now()),
        Err(AnswerRefused::Altered)
    );
    // Past its expiry.
    let late = now() + ANSWER_TTL + Duration::seconds(1);
    assert!(matches!(
        read_answer(KEY, &token, late),
        Err(AnswerRefused::Expired(_))
    ));
    // Signed by another data folder's key.
    let other = sign_answer(b"another key", &claim());
    assert!(matches!(
        read_answer(KEY, &other, now()),
        Err(AnswerRefused::OtherKey(_))
    ));
    // Junk and huge bodies.
    for junk in [
        "",
        "approve",
        "{\"a\":1}",
        "baton1.3.7.approve.1.2.3.4",
        "baton1.x.7.approve.1.00112233445566778899aabbccddeeff.0011223344556677.ab",
    ] {
        assert_eq!(
            read_answer(KEY, junk, now()),
            Err(AnswerRefused::Malformed),
            "{junk}"
        );
    }
    let huge = "a".repeat(MAX_ANSWER_LEN + 1);
    assert_eq!(read_answer(KEY, &huge, now()), Err(AnswerRefused::TooLong));
    assert_eq!(AnswerRefused::TooLong.word(), "too_long");
}

#[test]
fn what_goes_to_the_phone_and_with_which_buttons() {
    let ask = item(FindingKind::NeedsApproval, Severity::Critical);
    assert!(wants_notice(&ask, now()));
    assert!(!wants_notice(
        &item(FindingKind::Stall, Severity::Warning),
        now()
    ));
    assert!(wants_notice(
        &item(FindingKind::Deadlock, Severity::Critical),
        now()
    ));
    let mut snoozed = ask.clone();
    snoozed.snoozed_until = Some(now() + Duration::minutes(5));
    assert!(!wants_notice(&snoozed, now()));
    let labels: Vec<&str> = buttons(&ask, true).iter().map(|(_, l)| *l).collect();
    assert_eq!(labels, ["Allow", "Deny"]);
    let labels: Vec<&str> = buttons(&ask, false).iter().map(|(_, l)| *l).collect();
    assert_eq!(labels, ["Approve", "Reject", "Dismiss"]);
    assert_eq!(
        buttons(&ask, false)[2].0.decision(),
        EscalationAction::Dismiss
    );
    // Dismissing needs a reason in the app; the button gives one.
    assert!(EscalationAction::Dismiss
        .check(PhoneAction::Dismiss.note())
        .is_ok());
    assert_eq!(
        buttons(&item(FindingKind::Deadlock, Severity::Critical), false),
        [(PhoneAction::Dismiss, "Dismiss")]
    );
    assert_eq!(priority(Severity::Critical), 5);
    assert_eq!(priority(Severity::Info), 3);
}

#[test]
fn messages_are_clean_bounded_and_replace_each_other() {
    let mut ask = item(FindingKind::NeedsApproval, Severity::Critical);
    ask.title = format!("{}\u{1b}[31m", "x".repeat(300));
    ask.occurrences = 20;
    let actions = (0..5)
        .map(|n| {
            NtfyAction::answer(
                &format!("b{n}"),
                "https://ntfy.example.org/back",
                format!("t{n}"),
            )
        })
        .collect();
    let message = open_message("baton-out", &ask, actions);
    assert_eq!(message.title.chars().count(), MAX_TITLE);
    assert!(message.title.ends_with('…'));
    assert!(!message.title.chars().any(char::is_control));
    assert_eq!(message.actions.len(), MAX_BUTTONS);
    assert_eq!(message.sequence_id, "baton-item-7");
    assert!(
        message.message.contains("seen 20 times"),
        "{}",
        message.message
    );
    let json = serde_json::to_value(&message).unwrap();
    assert_eq!(json["actions"][0]["action"], "http");
    assert_eq!(json["actions"][0]["method"], "POST");
    assert_eq!(json["priority"], 5);
    assert!(json.get("click").is_none());
    assert_eq!(clean_text("a\n\tb  c", 10), "a b c");

    ask.state = EscalationState::Resolved;
    ask.decision = Some(EscalationDecision {
        seq: 1,
        action: "approve".into(),
        who: "ana".into(),
        host: None,
        reason: None,
        at: now(),
    });
    let settled = settled_message("baton-out", &ask, None);
    assert!(settled.actions.is_empty());
    assert_eq!(settled.sequence_id, message.sequence_id);
    assert_eq!(settled.message, "Settled: approve by ana at 12:00 UTC");
    // Where it was settled, as the log's entry says.
    let in_app = where_decided(Some(&serde_json::json!({"action": "approve", "in": "app"})));
    let settled = settled_message("baton-out", &ask, in_app.as_deref());
    assert_eq!(
        settled.message,
        "Settled: approve by ana in the app at 12:00 UTC"
    );
    let via = serde_json::json!({"via": {"kind": "ntfy", "route": "phone"}});
    assert_eq!(where_decided(Some(&via)).as_deref(), Some("via ntfy"));
    let cli = serde_json::json!({"in": "cli"});
    assert_eq!(
        where_decided(Some(&cli)).as_deref(),
        Some("with baton decide")
    );
    assert_eq!(where_decided(Some(&serde_json::json!({"in": "x"}))), None);
    assert_eq!(where_decided(None), None);
}

#[test]
fn the_apps_form_makes_a_route_with_random_topics_where_left_empty() {
    use super::view::{RouteInput, RouteView};
    let mut n = 0;
    let mut random = || {
        n += 1;
        format!("baton-random-{n}")
    };
    let input = RouteInput {
        name: "phone".into(),
        kind: "ntfy".into(),
        person: Some(" ".into()),
        server: None,
        topic: Some("".into()),
        reply_topic: None,
        url: None,
        shape: None,
        policy: None,
        click: Some(" https://baton.example/items/{item} ".into()),
    };
    let draft = input.draft("ana", &mut random).unwrap().check().unwrap();
    assert_eq!(
        draft.click.as_deref(),
        Some("https://baton.example/items/{item}")
    );
    assert_eq!(draft.server.as_deref(), Some("https://ntfy.sh"));
    assert_eq!(draft.topic.as_deref(), Some("baton-random-1"));
    assert_eq!(draft.reply_topic.as_deref(), Some("baton-random-2"));
    assert_eq!(draft.person, "ana");
    let bad = RouteInput {
        kind: "pager".into(),
        ..input.clone()
    };
    assert_eq!(
        bad.draft("ana", &mut random),
        Err(RouteError::Kind("pager".into()))
    );
    let shape = RouteInput {
        kind: "webhook".into(),
        shape: Some("irc".into()),
        ..input
    };
    assert!(matches!(
        shape.draft("ana", &mut random),
        Err(RouteError::Shape(_))
    ));
    let view = RouteView::of(
        &NotifyRoute { id: 3, draft },
        super::view::RouteFigures {
            items_sent: 2,
            ..Default::default()
        },
    );
    assert_eq!((view.kind.as_str(), view.token), ("ntfy", None));
    assert_eq!(view.failing_words, None);
    assert_eq!(
        view.click.as_deref(),
        Some("https://baton.example/items/{item}")
    );
}

#[test]
fn webhook_bodies_carry_no_markup_of_the_agents() {
    use super::webhook::webhook_body;
    let mut e = item(FindingKind::NeedsApproval, Severity::Critical);
    e.title = "ping <!channel> & <@U123> @everyone **bold** [x](http://evil)\n".into();
    let slack = webhook_body(WebhookShape::Slack, &e, None);
    let text = slack["text"].as_str().unwrap();
    assert!(
        text.contains("&lt;!channel&gt; &amp; &lt;@U123&gt;"),
        "{text}"
    );
    assert!(!text.contains('<') && !text.contains('\n'), "{text}");
    let discord = webhook_body(WebhookShape::Discord, &e, None);
    let content = discord["content"].as_str().unwrap();
    assert!(content.contains("@\u{200b}everyone"), "{content}");
    assert!(
        content.contains("\\*\\*bold\\*\\* \\[x\\]\\(http://evil\\)"),
        "{content}"
    );
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
    let generic = webhook_body(WebhookShape::Generic, &e, None);
    assert_eq!(generic["item"]["kind"], "needs_approval");
    assert_eq!(generic["item"]["id"], 7);
    assert!(generic["text"].as_str().unwrap().starts_with("Baton: ping"));
    let teams = webhook_body(WebhookShape::Teams, &e, None);
    assert!(teams["text"]
        .as_str()
        .unwrap()
        .contains("decide by 12:30 UTC"));
}
