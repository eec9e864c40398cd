//! Read models that cross to the UI (and to `baton status --json`). Exported to TypeScript with
//! ts-rs into `ui/src/bindings/`; `tests/integration/bindings.rs` fails when the committed files are stale.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::a2a::AgentCard;
use crate::agent::{AgentConfig, AgentHealth};
use crate::protocol::{AgentState, EventKind};
use crate::task::{BoardColumn, TaskState};

/// Tasks per board column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ColumnCounts {
    pub queued: u32,
    pub working: u32,
    pub needs_human: u32,
    pub blocked: u32,
    pub done: u32,
    pub failed: u32,
}

impl ColumnCounts {
    pub fn add(&mut self, column: BoardColumn, n: u32) {
        let slot = match column {
            BoardColumn::Queued => &mut self.queued,
            BoardColumn::Working => &mut self.working,
            BoardColumn::NeedsHuman => &mut self.needs_human,
            BoardColumn::Blocked => &mut self.blocked,
            BoardColumn::Done => &mut self.done,
            BoardColumn::Failed => &mut self.failed,
        };
        *slot = slot.saturating_add(n);
    }

    pub fn total(&self) -> u32 {
        self.queued + self.working + self.needs_human + self.blocked + self.done + self.failed
    }
}

/// One row of the Agents view: configuration, what the agent says about itself, and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentRow {
    pub config: AgentConfig,
    pub health: AgentHealth,
    /// The id the agent reports for itself in its status document.
    pub remote_id: Option<String>,
    pub remote_name: Option<String>,
    pub remote_version: Option<String>,
    pub remote_state: Option<AgentState>,
    pub remote_detail: Option<String>,
    pub task_counts: ColumnCounts,
    /// For an agent that speaks A2A: its card as last read.
    pub a2a: Option<A2aSummary>,
    /// For a coding session: where it works, what it was asked, the files it holds.
    pub session: Option<SessionSummary>,
    /// For a subagent of a coding session: its session, type, what it does, the files it
    /// holds (the Agents view lists it under its session).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub subagent: Option<SubagentSummary>,
}

/// A coding session heard through its hooks, as the Agents view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionSummary {
    /// `claude-code`, `codex`, `copilot`, `gemini` or `opencode`.
    pub client: String,
    pub session_id: String,
    /// Its checkout's folder (a worktree's own folder).
    pub repo_root: Option<String>,
    /// Its repository's identity, the same in every worktree and clone
    /// (`github.com/acme/shop`, `root:<hash>`); None outside a repository.
    pub repository: Option<String>,
    /// The repository's name for a person (its main checkout's folder, or its remote's last
    /// part): `shop`.
    pub repository_name: Option<String>,
    pub branch: Option<String>,
    /// The machine its hooks run on (`BATON_HOST`, else the host name); None for sessions
    /// heard before Baton recorded it.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub host: Option<String>,
    /// The first line of the current (or last) turn's prompt.
    pub prompt: Option<String>,
    /// The last tool it called, as "Write /repo/src/app.rs".
    pub last_tool: Option<String>,
    /// Whether a turn is under way (between a prompt and its Stop).
    pub turn_open: bool,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// When the client said the session ended (SessionEnd); None while it may go on.
    pub ended_at: Option<DateTime<Utc>>,
    /// The files it holds, oldest first (lapsed ones included: see `last_write_at`).
    pub leases: Vec<SessionLease>,
    /// Its repository's default branch, when that moved since the session's branch forked
    /// from it: how far, and whether the session's work still merges into it (a line, not an
    /// alarm).
    pub base: Option<crate::hooks::BaseDrift>,
    /// `base` in a sentence: "main moved 3 commits since feature-a forked from it: merges
    /// cleanly".
    pub base_line: Option<String>,
    /// Its tokens and their cost, from what its client records (None: nothing read yet).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub usage: Option<crate::usage::SessionUsage>,
    /// Its subagents (Claude Code's `agent_id`s), in the order they started: each a worker of
    /// its own.
    #[serde(default)]
    pub subagents: Vec<SubagentSummary>,
}

/// A subagent of a coding session, as the Agents view lists it under its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SubagentSummary {
    /// Its own agent (its events, tasks and leases are under it).
    pub agent_id: i64,
    /// "repo·4f1c2a9e › general-purpose #2"
    pub name: String,
    /// Its session's agent.
    pub session_agent_id: i64,
    /// Its type as its client sent it (`general-purpose`, `Explore`); None when not sent.
    pub agent_type: Option<String>,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// When it stopped (SubagentStop, or its session's end); None while it works.
    pub stopped_at: Option<DateTime<Utc>>,
    /// The last tool it called, as "Write /repo/src/app.rs".
    pub last_tool: Option<String>,
    /// The files it holds, oldest first.
    pub leases: Vec<SessionLease>,
}

/// What installing Baton's hooks for a coding agent did (the app's "Watch coding sessions in a
/// repository…").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HooksInstalled {
    /// The settings file the hooks are in.
    pub file: String,
    /// False when they were there already.
    pub changed: bool,
    /// What else was done or is worth knowing (Codex's trust records, …), a sentence each.
    pub notes: Vec<String>,
}

/// A file a session holds: since when, and its last write of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionLease {
    /// `file:///…`
    pub resource: String,
    pub since: DateTime<Utc>,
    pub last_write_at: DateTime<Utc>,
}

/// What Baton knows of an A2A agent: its card, and whether it can list its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct A2aSummary {
    pub card: AgentCard,
    pub card_read_at: DateTime<Utc>,
    /// None until Baton has tried; false when the agent cannot list its tasks (A2A 0.3, or no
    /// `ListTasks`), so Baton follows only the tasks it is given by id.
    pub lists_tasks: Option<bool>,
}

/// Most cards of each finished column (Done, Failed) the board holds: the latest ones. Unfinished
/// tasks are always all there. (The UI keeps the same number: `FINISHED_KEPT` in
/// `ui/src/lib/board.ts`.)
pub const FINISHED_CARDS_KEPT: usize = 500;

/// One card on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TaskCard {
    pub agent_id: i64,
    pub agent_name: String,
    /// The agent's own task id (unique per agent).
    pub task_id: String,
    pub title: String,
    pub state: TaskState,
    pub column: BoardColumn,
    /// When the task entered its current state.
    pub state_since: DateTime<Utc>,
    /// When Baton last saw the task change.
    pub updated_at: DateTime<Utc>,
    pub depends_on: Vec<String>,
    pub detail: Option<String>,
}

/// One event in a task's detail drawer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EventRow {
    pub agent_id: i64,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub task_id: Option<String>,
    pub resource: Option<String>,
    /// A one-line description ("wrote crm://contacts/42#status", "state → blocked").
    pub summary: String,
    /// The event exactly as the agent sent it.
    pub raw: serde_json::Value,
}

/// An agent's health as its latest poll left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentHealthNow {
    pub agent_id: i64,
    pub health: AgentHealth,
}

/// What changed in the store; published on the engine's bus and forwarded to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeEvent {
    /// A poll was ingested: the cards that changed, and how many new events and usage rows.
    Ingested {
        agent_id: i64,
        tasks: Vec<TaskCard>,
        new_events: u32,
        new_usage: u32,
        /// Stored by another Baton process (read from the store's change feed), not by this
        /// one's poll: the counts then only say "some" (1) or "none" (0).
        elsewhere: bool,
        /// On a store shared by several watchers, the term of this watcher's lease on the agent
        /// the poll was stored under (checked in the write's transaction): one term, one
        /// poller. None when the watcher polls alone, or for `elsewhere`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        lease_epoch: Option<i64>,
    },
    /// An agent's health changed: a poll that failed, stored something, or found the agent
    /// back up.
    Health { agent_id: i64, health: AgentHealth },
    /// The healths of quiet polls (the agent up, nothing new: only the times and latency
    /// moved), published together when they are written, every couple of seconds, instead of
    /// one event a poll.
    Healths { healths: Vec<AgentHealthNow> },
    /// Agents were added, edited or removed.
    AgentsChanged,
    /// What an agent declares about itself changed (its status document's `agent.declares`):
    /// the ownership map and its conflicts may have changed.
    DeclarationsChanged { agent_id: i64 },
    /// The detectors opened new findings or updated open ones (ids).
    Findings { opened: Vec<i64>, updated: Vec<i64> },
    /// Escalations opened (ids), changed (decided, expired, a delivery moved on), or whose SLA
    /// is about to lapse (within `escalations::LAPSE_WARNING`; each told once per run of Baton).
    Escalations {
        opened: Vec<i64>,
        changed: Vec<i64>,
        lapsing: Vec<i64>,
    },
    /// Coding sessions called Baton's hooks (from their own processes): the sessions that did
    /// (their cards come as `Ingested`), how many wait for a person, and whether a file lease
    /// was taken, moved, written or freed (the ownership map shows them).
    SessionsHeard {
        agents: Vec<i64>,
        waiting: u32,
        leases_changed: bool,
    },
    /// Watchers joined or left the store, or agents changed hands between them: who polls
    /// which agents (the app's header, `baton status --watchers`) moved.
    Watchers,
    /// The store stopped answering (a PostgreSQL server restarting or out of reach): since
    /// when, and why. Polling waits meanwhile (the agents keep what they have not delivered);
    /// `unreachable_since: null` says it answers again.
    Store {
        unreachable_since: Option<DateTime<Utc>>,
        detail: Option<String>,
    },
}

impl ChangeEvent {
    /// The health this event gives agent `agent_id`, if it gives one (`Health`, or its entry
    /// in `Healths`).
    pub fn health_of(&self, agent_id: i64) -> Option<&AgentHealth> {
        match self {
            ChangeEvent::Health {
                agent_id: id,
                health,
            } if *id == agent_id => Some(health),
            ChangeEvent::Healths { healths } => healths
                .iter()
                .find(|h| h.agent_id == agent_id)
                .map(|h| &h.health),
            _ => None,
        }
    }
}

/// Which database engine holds the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreEngine {
    Sqlite,
    Postgres,
}

/// Where the store is and how big it is: the app's store panel and `baton status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreOverview {
    pub engine: StoreEngine,
    /// Its path, or its URL without a password.
    pub location: String,
    /// Who chose it, in words ("chosen for this data folder", "from BATON_STORE", …).
    pub chosen_by: String,
    /// True when the data folder's saved choice decides (so choosing another store in the app
    /// takes effect); false when `--store` or `BATON_STORE` override it.
    pub choice_applies: bool,
    /// True when it is the data folder's saved choice (not its own `baton.sqlite3`).
    pub saved_choice: bool,
    pub schema_version: i64,
    /// Bytes its rows take.
    pub bytes: u64,
    /// The size cap retention keeps it under, if any.
    pub max_bytes: Option<u64>,
    /// About how many bytes a day it grows, at the last day's pace.
    pub growth_per_day: u64,
    pub events: u64,
    /// The machines whose coding agents' hooks use it: each one's time for a hook call and
    /// its calls that went ahead unchecked today.
    pub machines: Vec<crate::machines::MachineLink>,
}

/// A scripted scenario the app can run next to the fleet (one per detector).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScenarioInfo {
    /// Its name, e.g. `write-collision`.
    pub name: String,
    /// One sentence: what happens.
    pub description: String,
}

/// The error shape every desktop command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErrorPayload {
    /// Stable machine-readable code, e.g. `invalid_config`, `not_found`, `store`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// The form field the error is about, when there is one.
    pub field: Option<String>,
}

/// One line summary of a protocol event.
pub fn summarize_event(event: &crate::protocol::Event) -> String {
    use crate::protocol::EventKind as K;
    let res = event.resource.as_deref().unwrap_or("?");
    match event.kind {
        K::State => format!("state → {}", event.state.map(|s| s.as_str()).unwrap_or("?")),
        K::Write => format!("wrote {res}"),
        K::Read => format!("read {res}"),
        K::Trigger => format!("triggered on {res}"),
        K::Handoff => format!("handed off {res} to {}", event.to.as_deref().unwrap_or("?")),
        // The whole request: the question, then the fields that came with it.
        K::NeedsApproval => format!(
            "asks for approval: {}",
            crate::protocol::limits::one_line(event.message.as_deref().unwrap_or(""))
        ),
        K::Claim => format!(
            "claims {} = {}",
            event.key.as_deref().unwrap_or("?"),
            event
                .value
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default()
        ),
        K::ApiCall => format!(
            "called {} → {}",
            event.api.as_deref().unwrap_or("?"),
            event
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "?".into())
        ),
    }
}

/// The outcome of "Test connection" in the Agents view: one poll, nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConnectionReport {
    pub ok: bool,
    /// What happened, for a person: "baton/1 agent \"researcher\" answered in 12 ms with 3 tasks",
    /// or the failure ("timed out after 1.5 s").
    pub message: String,
    pub latency_ms: Option<u64>,
    pub remote_id: Option<String>,
    pub remote_name: Option<String>,
    pub task_count: Option<u32>,
    /// What the agent declares about itself (`agent.declares`), if it does.
    pub declares: Option<crate::rules::Declares>,
    /// The protocol the agent answered in (detected: `baton/1` is tried, then A2A's card).
    pub adapter: Option<crate::agent::AdapterKind>,
    /// An A2A agent's card: name, skills, and the interface Baton will use (first).
    pub card: Option<crate::a2a::AgentCard>,
}

/// Where bearer tokens are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretBackend {
    /// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
    OsKeyring,
    /// Process memory only: tokens are forgotten when Baton quits.
    Memory,
}

/// Whether tokens are safely stored; the UI shows `warning` prominently when set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SecretsStatus {
    pub backend: SecretBackend,
    pub warning: Option<String>,
}
