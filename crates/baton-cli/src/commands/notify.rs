//! `baton notify add|list|test|remove`: the routes, where Baton reaches a person outside the
//! app (issue 60). Tokens are only ever referenced: an environment variable, or an OS keyring
//! entry (`--token-stdin` keeps the token in `dev.baton.app/route-NAME`).

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use baton_core::notify::policy::{PolicyError, QuietHours, SendPolicy};
use baton_core::notify::{topic_from, RouteDraft, RouteKind, SecretRef, WebhookShape};
use baton_engine::notify::keys::answer_key_in;
use baton_engine::notify::{test_route, TrialOutcome};
use baton_engine::secrets::KEYRING_SERVICE;
use baton_engine::{answer_key_entry, open_token_store, KeyringTokens, TokenStore};
use baton_store::StorePlace;
use serde_json::json;

use super::error::CliError;
use super::import::import_who;
use super::text::plain;
use crate::args::{NotifyAction, PolicyFlags};

/// The keyring entry Baton keeps a route's token in.
fn own_entry(name: &str) -> String {
    format!("route-{}", name.trim())
}

fn random_topic() -> String {
    topic_from("baton", rand::random::<[u8; 16]>())
}

pub async fn notify(place: &StorePlace, action: NotifyAction) -> Result<(), CliError> {
    match action {
        NotifyAction::Add(add) => {
            let crate::args::NotifyAdd {
                name,
                kind,
                person,
                server,
                topic,
                reply_topic,
                no_reply,
                url,
                shape,
                click,
                token_env,
                token_keyring,
                token_stdin,
                policy,
            } = *add;
            let kind = RouteKind::parse(&kind).unwrap_or(RouteKind::Ntfy);
            let mut draft = RouteDraft::new(&name, kind, &import_who(person));
            if kind == RouteKind::Ntfy {
                draft.server = Some(server);
                draft.topic = Some(topic.unwrap_or_else(random_topic));
                draft.reply_topic = match no_reply {
                    true => None,
                    false => Some(reply_topic.unwrap_or_else(random_topic)),
                };
            }
            draft.url = url;
            draft.policy = apply_flags(draft.policy, &policy)?;
            draft.click = click;
            draft.shape = shape.as_deref().and_then(WebhookShape::parse);
            draft.token = match (token_env, token_keyring, token_stdin) {
                (Some(var), _, _) => Some(SecretRef::Env(var)),
                (_, Some(entry), _) => Some(
                    SecretRef::parse(&format!("keyring:{entry}"))
                        .map_err(|err| CliError::Invalid(err.to_string()))?,
                ),
                (_, _, true) => Some(SecretRef::Keyring {
                    service: KEYRING_SERVICE.into(),
                    user: own_entry(&name),
                }),
                _ => None,
            };
            let draft = draft
                .check()
                .map_err(|err| CliError::Invalid(err.to_string()))?;
            let mut store = place.open()?;
            if store.route_named(&draft.name).is_ok() {
                return Err(CliError::Invalid(format!(
                    "a route named \"{}\" already exists",
                    draft.name
                )));
            }
            if token_stdin {
                let mut token = String::new();
                std::io::stdin().lock().read_line(&mut token)?;
                let token = token.trim().to_owned();
                if token.is_empty() {
                    return Err(CliError::Invalid("no token on stdin".into()));
                }
                let entry = own_entry(&draft.name);
                tokio::task::spawn_blocking(move || KeyringTokens::new().set_entry(&entry, &token))
                    .await
                    .map_err(|err| CliError::Invalid(err.to_string()))?
                    .map_err(|err| {
                        CliError::Invalid(format!(
                            "cannot keep the token: {err}; give --token-env VAR instead"
                        ))
                    })?;
            }
            let added = store.add_route(&draft, chrono::Utc::now())?;
            println!(
                "route {} added ({})",
                added.draft.name,
                describe(&added.draft)
            );
            if let (Some(server), Some(topic)) = (&added.draft.server, &added.draft.topic) {
                println!("subscribe to {server}/{topic} in the ntfy app; answers come back while the app or `baton watch` runs");
            }
            Ok(())
        }
        NotifyAction::List { json } => list(place, json),
        NotifyAction::Set {
            name,
            policy,
            no_quiet_hours,
        } => {
            let mut store = place.open()?;
            let mut settings = store.route_named(&name)?.route.draft.policy;
            if no_quiet_hours {
                settings.quiet = None;
            }
            let settings = apply_flags(settings, &policy)?;
            let route = store.set_route_policy(&name, settings, chrono::Utc::now())?;
            println!(
                "route {}: {}",
                route.draft.name,
                describe_policy(&route.draft.policy)
            );
            Ok(())
        }
        NotifyAction::Test { name, wait } => {
            let store = place.open()?;
            let route = store.route_named(&name)?.route;
            drop(store);
            let tokens: Arc<dyn TokenStore> = open_token_store();
            let key = answer_key_in(Arc::clone(&tokens), &answer_key_entry(place.data_dir())).await;
            let wait = (wait > 0).then(|| Duration::from_secs(wait));
            match test_route(tokens, &route, &key, wait).await {
                Ok(TrialOutcome::Sent) => println!("route {}: the server took the test message", route.draft.name),
                Ok(TrialOutcome::Answered) => println!("route {}: the test message went out and its button's answer came back", route.draft.name),
                Ok(TrialOutcome::NoAnswer) => {
                    return Err(CliError::Invalid(format!(
                        "route {}: the test message went out, but no answer came back on the reply topic in time",
                        route.draft.name
                    )))
                }
                Err(err) => return Err(CliError::Invalid(format!("route {}: {err}", route.draft.name))),
            }
            Ok(())
        }
        NotifyAction::Remove { name } => {
            let mut store = place.open()?;
            let route = store.route_named(&name)?.route;
            store.remove_route(&name)?;
            let ours = SecretRef::Keyring {
                service: KEYRING_SERVICE.into(),
                user: own_entry(&route.draft.name),
            };
            if route.draft.token.as_ref() == Some(&ours) {
                let entry = own_entry(&route.draft.name);
                let _ =
                    tokio::task::spawn_blocking(move || KeyringTokens::new().delete_entry(&entry))
                        .await;
            }
            println!("route {} removed", route.draft.name);
            Ok(())
        }
    }
}

/// `policy` with the flags given applied.
fn apply_flags(mut policy: SendPolicy, flags: &PolicyFlags) -> Result<SendPolicy, CliError> {
    let invalid = |err: PolicyError| CliError::Invalid(err.to_string());
    for send in &flags.send {
        policy.sends.apply(send).map_err(invalid)?;
    }
    if let Some(minutes) = flags.digest_minutes {
        policy.digest_minutes = minutes;
    }
    if let Some(quiet) = &flags.quiet_hours {
        policy.quiet = Some(QuietHours::parse(quiet).map_err(invalid)?);
    }
    if let Some(critical) = flags.critical_in_quiet {
        policy.critical_in_quiet = critical;
    }
    if let Some(items) = flags.storm_items {
        policy.storm_items = items;
    }
    policy.check().map_err(invalid)?;
    Ok(policy)
}

/// What a route sends and how often, in a few words.
fn describe_policy(policy: &SendPolicy) -> String {
    let quiet = match policy.quiet {
        Some(q) if policy.critical_in_quiet => format!("; quiet {q} (critical still goes)"),
        Some(q) => format!("; quiet {q}"),
        None => String::new(),
    };
    let storm = match policy.storm_items {
        0 => "; no storms".to_owned(),
        n => format!("; more than {n} new in 10 min: one message"),
    };
    format!(
        "sends {}; digest every {} min{quiet}{storm}",
        policy.sends.to_text(),
        policy.digest_minutes
    )
}

/// Where a route sends, in a few words (never its token).
fn describe(route: &RouteDraft) -> String {
    let token = route
        .token
        .as_ref()
        .map(|t| format!(", token from {}", t.to_text()))
        .unwrap_or_default()
        + &route
            .click
            .as_deref()
            .map(|c| format!(", a tap opens {c}"))
            .unwrap_or_default();
    match route.kind {
        RouteKind::Ntfy => format!(
            "ntfy {}/{}{}{token}",
            route.server.as_deref().unwrap_or_default(),
            route.topic.as_deref().unwrap_or_default(),
            route
                .reply_topic
                .as_deref()
                .map(|r| format!(", answers on {r}"))
                .unwrap_or_default()
        ),
        RouteKind::Webhook => format!(
            "webhook {} ({}){token}",
            route.url.as_deref().unwrap_or_default(),
            route.shape.map_or("generic", |s| s.as_str())
        ),
        RouteKind::Desktop => "desktop notifications".into(),
    }
}

fn list(place: &StorePlace, as_json: bool) -> Result<(), CliError> {
    let store = place.open()?;
    let routes = store.routes()?;
    let mut rows = Vec::new();
    for stored in &routes {
        let figures = store.route_figures(stored)?;
        let d = &stored.route.draft;
        if as_json {
            rows.push(json!({
                "name": d.name, "kind": d.kind.as_str(), "person": d.person, "server": d.server,
                "topic": d.topic, "reply_topic": d.reply_topic, "url": d.url,
                "shape": d.shape.map(|s| s.as_str()), "token": d.token.as_ref().map(SecretRef::to_text),
                "click": d.click, "items_sent": figures.items_sent, "failing": figures.failing,
                "last_error": figures.last_error, "reply_failures": figures.reply_failures,
                "reply_error": figures.reply_error, "failing_words": figures.failing_words(),
                "sends": d.policy.sends.to_text(), "digest_minutes": d.policy.digest_minutes,
                "quiet_hours": d.policy.quiet.map(|q| q.to_string()),
                "critical_in_quiet": d.policy.critical_in_quiet, "storm_items": d.policy.storm_items,
            }));
        } else {
            let state = figures
                .failing_words()
                .map(|w| format!("; FAILING: {}", plain(&w)))
                .unwrap_or_default();
            println!(
                "{}\t{}\t{}; {} item(s) sent{state}\n\t{}",
                d.name,
                d.person,
                describe(d),
                figures.items_sent,
                describe_policy(&d.policy)
            );
        }
    }
    if as_json {
        println!("{}", serde_json::Value::Array(rows));
    } else if routes.is_empty() {
        println!(
            "No routes. Add one with `baton notify add phone` (ntfy) or see docs/notifications.md."
        );
    }
    Ok(())
}

/// The routes for `baton status`: one line each, whether it works or what fails (empty when
/// there are no routes).
pub fn render_routes(store: &baton_store::Store) -> Result<String, CliError> {
    let mut out = String::new();
    for stored in store.routes()? {
        let figures = store.route_figures(&stored)?;
        let d = &stored.route.draft;
        let state = match figures.failing_words() {
            Some(words) => format!("FAILING: {}", plain(&words)),
            None => format!("ok, {} item(s) sent", figures.items_sent),
        };
        out.push_str(&format!(
            "route {} ({}, {}): {state}\n",
            plain(&d.name),
            d.kind.as_str(),
            plain(&d.person)
        ));
    }
    Ok(out)
}
