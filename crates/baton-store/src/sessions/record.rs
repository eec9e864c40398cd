//! What one hook call is about and what it did: the session and where it works, the permit
//! settings, the record of the call (its answer, clashes, parallel edits). The sessions'
//! modules all speak of these; this module imports none of them.

use baton_core::hooks::{
    file_resource, resource_in_checkout, HookAnswer, HookClient, ParallelMode, PermitConflict,
    PermitMode, PermitVerdict,
};
use baton_core::rules::ResourcePattern;
use chrono::{DateTime, Duration, Utc};

/// Characters of a prompt's first line kept as its turn's title.
pub(crate) const TITLE_CHARS: usize = 200;

/// Which session calls, and where it works (read by `baton hook` from the payload and `.git`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    pub client: HookClient,
    pub session_id: String,
    pub cwd: Option<String>,
    pub repo_root: Option<String>,
    /// The repository's identity, shared by its worktrees and clones (`github.com/acme/shop`,
    /// `root:<first commit>`): a file in `repo_root` is `repo://<identity>/<path inside>`.
    pub repository: Option<String>,
    /// The repository's name for a person (the folder of its main checkout, or its remote's
    /// last part: `repository_label`); None: named from its identity.
    pub repository_name: Option<String>,
    pub branch: Option<String>,
    /// The agent's name when the person chose one (`BATON_AGENT_NAME`); else
    /// `<repository>·<short id>`.
    pub name: Option<String>,
    /// The machine the session's hooks run on ([`crate::host::this_machine`]); None: not said.
    pub host: Option<String>,
    /// The account it draws on, from its client's config (its config folder, `~/.claude`):
    /// its limit windows are the account's. None: not said.
    pub account: Option<String>,
}

impl SessionRef {
    /// Session `session_id` of `client` working at the root of the checkout `root`, nothing
    /// else known (no repository identity, branch, name, machine or account): tests and
    /// benches set what they need on top.
    pub fn in_checkout(
        client: HookClient,
        session_id: impl Into<String>,
        root: &str,
    ) -> SessionRef {
        SessionRef {
            client,
            session_id: session_id.into(),
            cwd: Some(root.to_owned()),
            repo_root: Some(root.to_owned()),
            repository: None,
            repository_name: None,
            branch: None,
            name: None,
            host: None,
            account: None,
        }
    }
}

/// How permits are kept for this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitSettings {
    pub mode: PermitMode,
    pub lease_time: Duration,
    /// Whether a permission request goes to Baton's queue (when the app or `watch` runs).
    pub ask_person: bool,
    /// Modes for the files under a pattern (the repository's `.baton/hooks.toml`), first
    /// match wins over `mode`.
    pub path_modes: Vec<(ResourcePattern, PermitMode)>,
    /// What a write of a file another live branch of the repository changed does.
    pub parallel: ParallelMode,
    /// The call went ahead unchecked (the store too slow or away) and is recorded late, from
    /// its machine's spool: nothing is refused or asked any more, and a write onto a file
    /// another worker held becomes an item saying so. None: a call checked as it happens.
    pub unchecked: Option<UncheckedCall>,
}

/// A hook call that went ahead without the store's check (the store too slow or away), as its
/// machine's spool delivers it ([`crate::Store::record_unchecked_call`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncheckedCall {
    /// The hook's own random id of the call: a call delivered twice is stored once.
    pub call_id: String,
    /// When the client went ahead.
    pub at: DateTime<Utc>,
    /// How long the hook waited for the store.
    pub waited_ms: u64,
    /// Why it gave up waiting ("the store did not answer within 500 ms").
    pub why: String,
}

/// How long a session keeps a file it stopped writing, unless the hook says otherwise.
pub const DEFAULT_LEASE_MINUTES: u32 = 10;

impl PermitSettings {
    /// `mode` for every file, with the hooks' defaults for the rest: leases of
    /// [`DEFAULT_LEASE_MINUTES`], no question to a person, parallel edits in `warn`.
    pub fn in_mode(mode: PermitMode) -> PermitSettings {
        PermitSettings {
            mode,
            lease_time: Duration::minutes(i64::from(DEFAULT_LEASE_MINUTES)),
            ask_person: false,
            path_modes: Vec::new(),
            parallel: ParallelMode::Warn,
            unchecked: None,
        }
    }

    /// The mode for writing `resource`.
    pub fn mode_for(&self, resource: &str) -> PermitMode {
        self.path_modes
            .iter()
            .find(|(pattern, _)| pattern.matches(resource))
            .map_or(self.mode, |(_, mode)| *mode)
    }
}

/// A write that met another agent's claim: for the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitClash {
    pub path: String,
    pub resource: String,
    pub conflict: PermitConflict,
    /// Baton's id of the holder (the owner named by a rule may be no agent Baton knows).
    pub holder_id: Option<i64>,
    /// The holder's last stored write of the file (the finding's evidence).
    pub holder_seq: Option<u64>,
    pub verdict: PermitVerdict,
    /// The writer's machine, when the holder is on another one (the item names both).
    pub writer_host: Option<String>,
    /// The write went ahead unchecked, and is recorded late (the item says when, and why).
    pub unchecked: Option<UncheckedCall>,
}

/// What one hook call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRecord {
    pub agent_id: i64,
    pub agent_name: String,
    /// What the client is told.
    pub answer: HookAnswer,
    /// Writes that met another agent's claim (empty unless a write was asked for).
    pub clashes: Vec<PermitClash>,
    /// Writes of files another live branch of the repository changed too.
    pub parallel: Vec<ParallelMeet>,
    pub new_events: u32,
    /// The queue item of a permission request asked in Baton's queue: the hook waits for it.
    pub asked: Option<i64>,
    /// What the reading of the session's record file skipped (for the hook's stderr).
    pub usage_warnings: Vec<String>,
}

impl HookRecord {
    pub(super) fn for_row(row: &SessionRow) -> HookRecord {
        HookRecord {
            agent_id: row.agent_id,
            agent_name: row.name.clone(),
            answer: HookAnswer::GoOn,
            clashes: Vec::new(),
            parallel: Vec::new(),
            new_events: 0,
            asked: None,
            usage_warnings: Vec::new(),
        }
    }
}

pub(crate) struct SessionRow {
    pub(super) agent_id: i64,
    pub(super) name: String,
    pub(super) turns: i64,
    pub(super) turn_open: bool,
    /// The branch it works on (as stored; the call's own once recorded).
    pub(super) branch: Option<String>,
    /// The account it draws on (as stored; the call's own once recorded).
    pub(super) account: Option<String>,
    /// The latest pause of its account's sessions: until, and the reason its hooks answer.
    pub(super) paused: Option<(chrono::DateTime<chrono::Utc>, String)>,
    /// Where the reading of its record file stands.
    pub(super) usage: Option<crate::coding_usage::UsageCursor>,
    /// The seq its next event takes, when read with the row (advanced as the call adds
    /// events: [`super::turns::next_seq`]); None: read when needed.
    pub(super) next_seq: std::cell::Cell<Option<i64>>,
    /// How many of its subagents worked (started, not stopped) when the row was read; None:
    /// not read with it.
    pub(super) working_subagents: Option<u32>,
    /// Its turn's title (its prompt's first line), as the call leaves it.
    pub(super) prompt: Option<String>,
    /// Whether it held any file's lease when the row was read; None: not read with it.
    pub(super) held_leases: Option<bool>,
}

impl SessionRef {
    /// The resource a file the session names is: its repository's file when the file is in
    /// the session's checkout, else `file://<absolute path>`.
    pub fn resource(&self, path: &str) -> String {
        match (&self.repo_root, &self.repository) {
            (Some(root), Some(id)) => resource_in_checkout(path, root, id),
            _ => None,
        }
        .unwrap_or_else(|| file_resource(path))
    }
}

/// A write that meets another branch's change of the same file (for the finding).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParallelMeet {
    pub repository: String,
    /// The repository's name for a person (the item's title says it); None: the hook did not
    /// say it.
    pub repository_name: Option<String>,
    /// The file, inside the repository.
    pub path: String,
    pub branch: String,
    pub worktree: String,
    pub other_branch: String,
    pub other_worktree: String,
    pub other_id: i64,
    /// The other session's last write of the file (the evidence).
    pub other_seq: Option<u64>,
    pub refused: bool,
}
