//! A coding client's own telemetry joined to the session its hooks reported (issue 61, point
//! 2): each event of [`ClientEvent`] onto the session with the client's session id, in one
//! write per export request.
//!
//! - A model response that names its request (Claude Code's `request_id`) is the session's
//!   usage row of that key, the key the transcript gives it too: whichever source is read
//!   first, the response counts once, and the client's own price of it (`cost_usd`) is kept
//!   beside its tokens in place of Baton's estimate.
//! - Every model call and API error is an `api_call` event of the session (its client's API,
//!   its account as the key): on the timeline, and counted in the rate-limit ledger, a 429 or
//!   529 as a refusal, as an HTTP agent's are. It carries no tokens: the session's tokens are
//!   its usage rows, never counted twice.
//! - Tool decisions and results are `state` events of the session's turn, as a line.
//!
//! Events of a session Baton has not heard through its hooks are counted, not kept (telemetry
//! joins sessions; it never makes one).

use std::collections::BTreeMap;

use baton_core::hooks::HookClient;
use baton_core::otel::{ClientAction, ClientEvent};
use baton_core::protocol::{Event, EventKind};
use baton_core::task::TaskState;
use baton_core::usage::usage_api;
use chrono::{DateTime, Utc};

use super::record::SessionRow;
use super::turns::{find_session, next_seq, turn_id};
use crate::changes::{self, ChangeKind};
use crate::codec::ts;
use crate::coding_usage::{record_usage_row, UsageRow};
use crate::db::{params, Db};
use crate::error::Result;
use crate::events::{insert_events_known, Inserted, StoredEvents};
use crate::poll_calls::PollCalls;
use crate::Store;

/// What one write of client events did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEventsStored {
    /// The sessions that took events: (agent id, new events, usage rows written).
    pub sessions: Vec<(i64, u32, u32)>,
    /// Events of sessions Baton does not know (no hook call of theirs was stored).
    pub unjoined: usize,
}

impl Store {
    /// Joins `events` to their sessions and stores what they say, in one write.
    pub fn record_client_events(
        &mut self,
        events: &[ClientEvent],
        now: DateTime<Utc>,
    ) -> Result<ClientEventsStored> {
        let mut by_session: BTreeMap<(&str, &str), (HookClient, Vec<&ClientEvent>)> =
            BTreeMap::new();
        for event in events {
            by_session
                .entry((event.client.as_str(), event.session_id.as_str()))
                .or_insert_with(|| (event.client, Vec::new()))
                .1
                .push(event);
        }
        let mut stored = ClientEventsStored::default();
        let tx = self.write_tx()?;
        for ((client_name, session_id), (client, events)) in by_session {
            let Some(row) = find_session(
                &tx,
                "s.client = ?1 AND s.session_id = ?2",
                params![client_name, session_id],
            )?
            else {
                stored.unjoined += events.len();
                continue;
            };
            let (new_events, usage) = record_for_session(&tx, &row, client, &events, now)?;
            stored.sessions.push((row.agent_id, new_events, usage));
        }
        tx.commit()?;
        Ok(stored)
    }
}

impl Store {
    /// When `client`'s telemetry last joined one of its sessions (None: never).
    pub fn client_telemetry_last(&self, client: HookClient) -> Result<Option<DateTime<Utc>>> {
        let last: Option<String> = self.db.query_row(
            "SELECT max(telemetry_at) FROM sessions WHERE client = ?1",
            params![client.as_str()],
            |row| row.get(0),
        )?;
        crate::codec::parse_opt_ts(last)
    }
}

/// One session's events: its usage rows, events, ledger, and when its telemetry last came.
fn record_for_session(
    tx: &Db,
    row: &SessionRow,
    client: HookClient,
    events: &[&ClientEvent],
    now: DateTime<Utc>,
) -> Result<(u32, u32)> {
    let mut usage = 0;
    let mut kept = Vec::with_capacity(events.len());
    for event in events {
        let at = event.at.unwrap_or(now);
        if let ClientAction::ModelCall {
            request_id: Some(key),
            model,
            tokens: Some(tokens),
            cost_usd,
            ..
        } = &event.what
        {
            let usage_row = UsageRow {
                agent_id: row.agent_id,
                turn: row.turns,
                key,
                at,
                model: model.as_deref(),
            };
            record_usage_row(tx, &usage_row, tokens, *cost_usd)?;
            usage += 1;
        }
        if let Some(event) = session_event(tx, row, client, &event.what, at)? {
            kept.push(event);
        }
    }
    let inserted = insert_events_known(tx, row.agent_id, &kept, now, &StoredEvents::default())?;
    let mut calls = PollCalls::default();
    let mut new_events = 0;
    for (event, inserted) in kept.iter().zip(inserted) {
        if matches!(inserted, Inserted::New { .. }) {
            new_events += 1;
            if event.kind == EventKind::ApiCall {
                calls.add(tx, event)?;
            }
        }
    }
    calls.write(tx, row.agent_id)?;
    tx.execute_later(
        "UPDATE sessions SET telemetry_at = ?2 WHERE agent_id = ?1",
        params![row.agent_id, ts(now)],
    )?;
    if new_events > 0 || usage > 0 {
        changes::record(tx, ChangeKind::Events, row.agent_id, "")?;
    }
    Ok((new_events, usage))
}

/// The event the session's timeline shows for `what` (None: a tool's line outside any turn).
fn session_event(
    tx: &Db,
    row: &SessionRow,
    client: HookClient,
    what: &ClientAction,
    at: DateTime<Utc>,
) -> Result<Option<Event>> {
    let turn = (row.turns > 0).then(|| turn_id(row));
    let mut event = match what {
        ClientAction::ModelCall { model, status, .. } => {
            let mut event = Event::new(0, at, EventKind::ApiCall);
            event.model.clone_from(model);
            event.status = Some(*status);
            event
        }
        ClientAction::ApiError { model, status, .. } => {
            let mut event = Event::new(0, at, EventKind::ApiCall);
            event.model.clone_from(model);
            event.status = *status;
            event
        }
        ClientAction::ToolDecision { .. } | ClientAction::ToolResult { .. } => {
            if turn.is_none() {
                return Ok(None);
            }
            let mut event = Event::new(0, at, EventKind::State);
            event.state = Some(TaskState::Working);
            event
        }
    };
    if event.kind == EventKind::ApiCall {
        event.api = Some(usage_api(client).to_owned());
        // The account's quota is the account's: a subscription apart from an API key.
        event.key.clone_from(&row.account);
    }
    event.task_id = turn;
    event.message = Some(what.line());
    event.seq = u64::try_from(next_seq(tx, row)?).unwrap_or(1);
    Ok(Some(event))
}
