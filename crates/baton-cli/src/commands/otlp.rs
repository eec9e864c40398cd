//! `baton otlp`: where the OTLP receiver of the app and `baton watch` listens (issue 61),
//! which agents were heard through OpenTelemetry, and the receiver's bearer token (asked of
//! senders only when it listens off loopback). `baton otlp set` changes where it listens, as
//! `[otlp]` in `baton.toml` does; a running watcher takes it at its next start.

use std::sync::Arc;

use baton_core::otel::OtlpSettings;
use baton_engine::otlp::{otlp_token, otlp_token_entry};
use baton_engine::{answer_key_entry, open_token_store, TokenStore};
use baton_store::StorePlace;
use serde::Serialize;

use super::error::CliError;
use super::text::plain;
use crate::args::OtlpAction;

#[derive(Debug, Serialize)]
struct OtlpReport {
    settings: OtlpSettings,
    /// Whether senders must show the token (off loopback).
    token_asked: bool,
    agents: Vec<HeardAgent>,
}

#[derive(Debug, Serialize)]
struct HeardAgent {
    agent_id: i64,
    name: String,
    source_name: String,
    service: Option<String>,
    last_span_at: String,
}

/// Where `baton hooks install` turns a coding client's telemetry: the receiver of the data
/// folder's store on this machine (None, and why, when it cannot: the receiver is off, listens
/// off loopback, or the store does not open).
pub fn telemetry_endpoint(place: &StorePlace) -> Result<String, String> {
    let settings = place
        .open()
        .and_then(|store| store.otlp_settings())
        .map_err(|err| format!("cannot read where Baton's OTLP receiver listens: {err}"))?;
    settings.local_endpoint()
}

/// Whether `client`'s telemetry arrives, in words (`baton hooks status`).
pub fn telemetry_arriving(place: &StorePlace, client: baton_core::hooks::HookClient) -> String {
    let last = place
        .open()
        .and_then(|store| store.client_telemetry_last(client));
    match last {
        Ok(Some(at)) => {
            let ago = (chrono::Utc::now() - at).num_minutes().max(0);
            format!(
                "its telemetry last arrived {ago} min ago ({})",
                at.to_rfc3339()
            )
        }
        Ok(None) => format!(
            "no telemetry of {} has arrived yet (it comes while the app or `baton watch` runs)",
            client.label()
        ),
        Err(err) => format!("cannot tell whether its telemetry arrives: {err}"),
    }
}

/// Where the receiver listens, in words.
pub fn listening_words(settings: &OtlpSettings) -> String {
    if !settings.enabled {
        return "off ([otlp] enabled = false)".to_owned();
    }
    match settings.address() {
        Ok(address) if address.ip().is_loopback() => {
            format!("http://{address} (OTLP/HTTP; loopback: no token asked)")
        }
        Ok(address) => {
            format!(
                "http://{address} (OTLP/HTTP; senders show `baton otlp token` as a bearer token)"
            )
        }
        Err(reason) => format!("not listening: {reason}"),
    }
}

pub async fn otlp(
    place: &StorePlace,
    action: Option<OtlpAction>,
    json: bool,
) -> Result<(), CliError> {
    match action {
        None => show(place, json),
        Some(OtlpAction::Set { listen, on, off }) => {
            let mut store = place.open()?;
            let mut settings = store.otlp_settings()?;
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            if on || off {
                settings.enabled = on;
            }
            settings.address().map_err(CliError::Invalid)?;
            let changed = store.set_otlp_settings(&settings, chrono::Utc::now())?;
            let said = if changed { "" } else { " (as it was)" };
            println!("OTLP receiver: {}{said}", listening_words(&settings));
            Ok(())
        }
        Some(OtlpAction::Token) => {
            let tokens: Arc<dyn TokenStore> = open_token_store();
            let entry = otlp_token_entry(&answer_key_entry(place.data_dir()));
            println!("{}", otlp_token(tokens, &entry).await);
            Ok(())
        }
    }
}

fn show(place: &StorePlace, json: bool) -> Result<(), CliError> {
    let store = place.open()?;
    let settings = store.otlp_settings()?;
    let names: std::collections::HashMap<i64, String> = store
        .agents()?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let agents: Vec<HeardAgent> = store
        .otel_agents()?
        .into_iter()
        .map(|a| HeardAgent {
            name: names.get(&a.agent_id).cloned().unwrap_or_default(),
            agent_id: a.agent_id,
            source_name: a.source_name,
            service: a.service,
            last_span_at: a.last_span_at,
        })
        .collect();
    let token_asked = settings.address().is_ok_and(|a| !a.ip().is_loopback());
    if json {
        let report = OtlpReport {
            settings,
            token_asked,
            agents,
        };
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| CliError::Invalid(e.to_string()))?
        );
        return Ok(());
    }
    println!("OTLP receiver: {}", listening_words(&settings));
    if agents.is_empty() {
        println!("no agent heard through OpenTelemetry yet");
    }
    for agent in agents {
        let service = agent
            .service
            .map(|s| format!(", service {}", plain(&s)))
            .unwrap_or_default();
        println!(
            "{} (spans name it {}{service}), last spans {}",
            plain(&agent.name),
            plain(&agent.source_name),
            agent.last_span_at
        );
    }
    Ok(())
}
