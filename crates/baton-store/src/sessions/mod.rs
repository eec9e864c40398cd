//! Coding-agent sessions heard through their hooks: one hook call into the store in ONE short
//! transaction: the session (an agent of adapter `session`, added by its first call), its turn
//! (a task per prompt), the `write` / `read` events of its tool calls, its file leases, and the
//! permit a write asks for before it happens.
//!
//! `baton hook` calls [`Store::record_hook`] from its own process, whether or not the app or
//! `baton watch` runs; they pick the events up and run the detectors.

mod asks;
pub(crate) mod choices;
mod drift;
pub(crate) mod edits;
mod items;
mod merge_checks;
mod parallel;
mod permit_reads;
pub(crate) mod permits;
mod record;
mod subagent_stop;
mod subagents;
mod summary;
mod telemetry;
mod turns;
mod unchecked;
mod worker;

pub use asks::{PermissionDecided, WATCHER_FRESH};
pub use drift::BranchSession;
pub use edits::{MergeCheck, PairCheck, ParallelEdit};
pub use items::ItemsToFile;
pub use record::{
    HookRecord, ParallelMeet, PermitClash, PermitSettings, SessionRef, UncheckedCall,
    DEFAULT_LEASE_MINUTES,
};
pub(crate) use subagent_stop::stop_subagent_in;
pub use telemetry::ClientEventsStored;
pub use unchecked::MachineLink;

use crate::changes::{self, ChangeKind};
use crate::db::params;
use baton_core::hooks::{
    is_task_notification, tool_effect, HookAnswer, HookCall, HookEvent, PermitVerdict, ToolEffect,
};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};

use crate::codec::ts;
use crate::coding_usage::{record_usage_in, UsageFeed, UsageSession};
use crate::error::{Result, StoreError};
use crate::Store;
use asks::{ask_finding, record_ask, someone_watches};
use permit_reads::PermitReads;
use permits::{clash_finding, release_row_leases};
use subagents::{end_subagents, main_thread_works, note_running, turn_waits};
use turns::{end_turn, note_tool, session_row, set_turn_state, turn_title};
use unchecked::note_unchecked;
use worker::WorkerCall;

/// Told a call's record once its answer is known, before its write is committed
/// ([`Store::record_hook_filing_later`]), with the round trips its connection made so far
/// (what the verdict cost on a store far away).
pub type OnVerdict<'a> = dyn FnMut(&HookRecord, u64) + 'a;

/// How a call is recorded beyond what it says.
struct Recording<'a> {
    /// When its findings open: the call's time, or for a call recorded late
    /// (`settings.unchecked`), when it is delivered.
    found_at: DateTime<Utc>,
    /// Told the record at its verdict, unless the hook is to wait for an item.
    verdict: Option<&'a mut OnVerdict<'a>>,
}

impl Recording<'_> {
    fn at(found_at: DateTime<Utc>) -> Recording<'static> {
        Recording {
            found_at,
            verdict: None,
        }
    }
}

impl Store {
    /// Records one hook call of `session` at `now` and answers it.
    pub fn record_hook(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        now: DateTime<Utc>,
    ) -> Result<HookRecord> {
        self.record_hook_reading(session, call, settings, now, None)
    }

    /// [`Store::record_hook`], and in the same write what the session's record file holds
    /// past where it was last read (`usage`: its transcript or rollout file, read by the
    /// caller), counted in the turn under way.
    pub fn record_hook_reading(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        now: DateTime<Utc>,
        usage: Option<&mut dyn UsageFeed>,
    ) -> Result<HookRecord> {
        self.record_checked(session, call, settings, now, usage)
    }

    /// [`Store::record_hook_reading`] for a running app, which answers the hook sooner:
    /// `verdict` is told the call's record once its answer is known, before the call's write
    /// is committed (not for a permission request asked in the queue, whose item the hook
    /// waits for). On a store far away the commit is one more round trip: the app may answer
    /// at the verdict, since the write lock the call holds until it commits keeps every other
    /// call from changing what the verdict read; a record that then fails to commit is the
    /// app's to keep (it went ahead unchecked). The queue items the call opens are the
    /// caller's to file ([`ItemsToFile::file`]): a refusal's item (its finding, group and
    /// escalation) costs a dozen round trips more, which the session's next call should not
    /// wait for.
    pub fn record_hook_filing_later(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        now: DateTime<Utc>,
        usage: Option<&mut dyn UsageFeed>,
        verdict: &mut OnVerdict<'_>,
    ) -> Result<(HookRecord, ItemsToFile)> {
        let settings = PermitSettings {
            unchecked: None,
            ..settings
        };
        let recording = Recording {
            found_at: now,
            verdict: Some(verdict),
        };
        self.record_call(session, call, settings, now, usage, recording)?
            .ok_or(StoreError::NoRow)
    }

    /// A call recorded late (`settings.unchecked`), at its time `at`; its findings open at
    /// `found_at` (when it is delivered). None: delivered before.
    fn record_late_call(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        at: DateTime<Utc>,
        found_at: DateTime<Utc>,
    ) -> Result<Option<HookRecord>> {
        match self.record_call(session, call, settings, at, None, Recording::at(found_at))? {
            Some((record, items)) => {
                items.file(self)?;
                Ok(Some(record))
            }
            None => Ok(None),
        }
    }

    /// A call checked as it happens, its items filed.
    fn record_checked(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        now: DateTime<Utc>,
        usage: Option<&mut dyn UsageFeed>,
    ) -> Result<HookRecord> {
        let settings = PermitSettings {
            unchecked: None,
            ..settings
        };
        let (record, items) = self
            .record_call(session, call, settings, now, usage, Recording::at(now))?
            .ok_or(StoreError::NoRow)?;
        items.file(self)?;
        Ok(record)
    }

    /// One call of `session` at `now`, recorded as `recording` says, and the items it opens.
    /// None: a late call that was delivered before (nothing changed).
    fn record_call(
        &mut self,
        session: &SessionRef,
        call: &HookCall,
        settings: PermitSettings,
        now: DateTime<Utc>,
        usage: Option<&mut dyn UsageFeed>,
        recording: Recording<'_>,
    ) -> Result<Option<(HookRecord, ItemsToFile)>> {
        let Recording { found_at, verdict } = recording;
        let cwd = session.cwd.as_deref();
        // A write's permit reads the rules and the files' leases: with the session's row, in
        // one round trip.
        let writes = match &call.event {
            HookEvent::PreToolUse(tool) => match tool_effect(tool, cwd) {
                ToolEffect::Writes(paths) | ToolEffect::UnsureWrites { paths, .. } => paths,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let mut reads = (!writes.is_empty()).then(|| {
            let files = writes.iter().map(|path| {
                let resource = session.resource(path);
                let file = parallel::branch_file(session, &resource);
                (resource, file)
            });
            PermitReads::new(files.collect(), now)
        });
        let tx = self.write_tx()?;
        let mut row = session_row(&tx, session, now, reads.as_mut())?;
        if let Some(late) = &settings.unchecked {
            if !note_unchecked(&tx, row.agent_id, session, late, found_at)? {
                return Ok(None);
            }
        }
        changes::record(&tx, ChangeKind::Session, row.agent_id, "")?;
        let mut record = HookRecord::for_row(&row);
        if let Some(feed) = usage {
            let read = feed.read(session.client, row.usage.as_ref());
            let reading = UsageSession {
                agent_id: row.agent_id,
                client: session.client,
                account: row.account.as_deref(),
                turn: row.turns,
            };
            record_usage_in(&tx, &reading, &read, now)?;
            record.usage_warnings = read.warnings;
        }
        // A session whose account the person paused: every tool call is refused until then,
        // with the decision's words.
        let paused = row
            .paused
            .as_ref()
            .filter(|(until, _)| *until > now)
            .map(|(_, reason)| reason.clone());
        let mut ask: Option<(String, u64)> = None;
        // A subagent's call is its own (its leases, permits, events); the session's main
        // thread's below.
        if let Some(sub) = &call.subagent {
            let worker = WorkerCall {
                tx: &tx,
                session,
                row: &row,
                settings: &settings,
                now,
            };
            ask = worker.subagent_call(sub, call, writes, reads.as_ref(), paused, &mut record)?;
        } else {
            match &call.event {
                HookEvent::UserPromptSubmit { prompt } if is_task_notification(prompt) => {
                    // A background subagent's end handed to the main thread: its turn goes on
                    // (again, when it had ended), no new one.
                    main_thread_works(&tx, row.agent_id)?;
                    if !row.turn_open {
                        row.turn_open = true;
                        tx.execute(
                            "UPDATE sessions SET turn_open = 1 WHERE agent_id = ?1",
                            params![row.agent_id],
                        )?;
                    }
                    set_turn_state(&tx, &row, TaskState::Working, None, now, &mut record)?;
                }
                HookEvent::PreToolUse(tool) if paused.is_some() => {
                    note_tool(&tx, row.agent_id, tool, cwd)?;
                    record.answer = HookAnswer::Deny(paused.unwrap_or_default());
                }
                HookEvent::UserPromptSubmit { prompt } => {
                    if row.turn_open {
                        end_turn(&tx, &row, TaskState::Completed, now, &mut record)?;
                    }
                    main_thread_works(&tx, row.agent_id)?;
                    row.turns += 1;
                    row.turn_open = true;
                    let title = turn_title(prompt);
                    tx.execute(
                    "UPDATE sessions SET turns = ?2, turn_open = 1, prompt = ?3 WHERE agent_id = ?1",
                    params![row.agent_id, row.turns, &title],
                )?;
                    row.prompt = Some(title);
                    set_turn_state(&tx, &row, TaskState::Working, None, now, &mut record)?;
                }
                HookEvent::PreToolUse(tool) => {
                    note_tool(&tx, row.agent_id, tool, cwd)?;
                    let call = WorkerCall {
                        tx: &tx,
                        session,
                        row: &row,
                        settings: &settings,
                        now,
                    };
                    call.before_tool(tool, writes, reads.as_ref(), &mut record)?;
                }
                HookEvent::PostToolUse(tool) => {
                    note_tool(&tx, row.agent_id, tool, cwd)?;
                    let call = WorkerCall {
                        tx: &tx,
                        session,
                        row: &row,
                        settings: &settings,
                        now,
                    };
                    call.after_tool(tool, &mut record)?;
                }
                HookEvent::PermissionRequest(tool) => {
                    let what = note_tool(&tx, row.agent_id, tool, cwd)?;
                    if settings.ask_person && someone_watches(&tx, now)? {
                        let seq = record_ask(&tx, &row, &what, now, &mut record)?;
                        ask = Some((what, seq));
                    }
                }
                HookEvent::Notification { kind, message } => {
                    let waits =
                        matches!(kind.as_deref(), Some("permission_prompt" | "idle_prompt"));
                    if waits && row.turn_open {
                        let detail = message.clone().or_else(|| kind.clone());
                        set_turn_state(
                            &tx,
                            &row,
                            TaskState::InputRequired,
                            detail,
                            now,
                            &mut record,
                        )?;
                    }
                }
                HookEvent::Stop => {
                    // With subagents working, the turn waits for them (their leases stay theirs).
                    let running = &call.running_subagents;
                    let added = note_running(&tx, session, &row, running, now, &mut record)?;
                    if row.turn_open && !turn_waits(&tx, &row, added, now, &mut record)? {
                        end_turn(&tx, &row, TaskState::Completed, now, &mut record)?;
                    }
                    release_row_leases(&tx, &row)?;
                }
                HookEvent::SessionEnd => {
                    end_subagents(&tx, &row, now, &mut record)?;
                    if row.turn_open {
                        end_turn(&tx, &row, TaskState::Completed, now, &mut record)?;
                    }
                    release_row_leases(&tx, &row)?;
                    tx.execute(
                        "UPDATE sessions SET ended_at = ?2 WHERE agent_id = ?1",
                        params![row.agent_id, ts(now)],
                    )?;
                }
                // A start or stop naming no subagent is refused when the payload is read.
                HookEvent::SessionStart
                | HookEvent::SubagentStart
                | HookEvent::SubagentStop
                | HookEvent::Other(_) => {}
            }
        }
        if let (None, Some(verdict)) = (&ask, verdict) {
            verdict(&record, tx.round_trips());
        }
        tx.commit()?;
        if let Some((what, seq)) = ask {
            let finding = ask_finding(&record, &what, seq);
            self.record_findings(std::slice::from_ref(&finding), found_at)?;
            record.asked = self.escalation_of(&finding.dedupe_key)?;
        }
        let items = ItemsToFile {
            agent_id: record.agent_id,
            findings: record
                .clashes
                .iter()
                .filter(|clash| clash.verdict != PermitVerdict::Allow)
                .map(|clash| clash_finding(&record, clash))
                .collect(),
            parallel: record.parallel.clone(),
            found_at,
        };
        Ok(Some((record, items)))
    }
}
