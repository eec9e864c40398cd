//! What a hook call and the app say to each other over the store's socket: one JSON request,
//! one JSON answer, each closed by the end of the writer's half of the connection.
//!
//! The hook sends the payload as it read it (the app parses it again with the same code) and
//! what it learnt around it (the session's repository and branch, the repository's settings).

use baton_core::hooks::{HookAnswer, HookClient, ParallelMode, PermitMode};
use baton_core::rules::ResourcePattern;
use baton_store::sessions::{PermitSettings, SessionRef};
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The version of this exchange; an app that speaks another asks the hook to go to the store.
pub(crate) const WIRE_VERSION: u32 = 1;

/// One hook call, as the hook hands it to the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HookRequest {
    pub v: u32,
    pub client: String,
    /// The event the hook was installed for, when the payload does not name it.
    pub event: Option<String>,
    /// The payload exactly as read on stdin.
    pub payload: String,
    pub session_id: String,
    pub cwd: Option<String>,
    pub repo_root: Option<String>,
    /// The repository's identity (absent from hooks built before it was sent).
    #[serde(default)]
    pub repository: Option<String>,
    /// The repository's name for a person (absent from hooks built before it was sent).
    #[serde(default)]
    pub repository_name: Option<String>,
    pub branch: Option<String>,
    pub name: Option<String>,
    /// The machine the hook runs on (absent from hooks built before it was sent).
    #[serde(default)]
    pub host: Option<String>,
    /// The account the session draws on (absent from hooks built before it was sent).
    #[serde(default)]
    pub account: Option<String>,
    pub mode: String,
    pub lease_seconds: i64,
    pub ask_person: bool,
    /// (pattern, mode) per path, first match wins.
    pub path_modes: Vec<(String, String)>,
    /// The parallel-edit mode (absent from hooks built before it was sent: `warn`).
    #[serde(default)]
    pub parallel: Option<String>,
}

impl HookRequest {
    pub fn new(
        event: Option<&str>,
        payload: &[u8],
        session: &SessionRef,
        settings: &PermitSettings,
    ) -> HookRequest {
        HookRequest {
            v: WIRE_VERSION,
            client: session.client.as_str().to_owned(),
            event: event.map(str::to_owned),
            payload: String::from_utf8_lossy(payload).into_owned(),
            session_id: session.session_id.clone(),
            cwd: session.cwd.clone(),
            repo_root: session.repo_root.clone(),
            repository: session.repository.clone(),
            repository_name: session.repository_name.clone(),
            branch: session.branch.clone(),
            name: session.name.clone(),
            host: session.host.clone(),
            account: session.account.clone(),
            mode: settings.mode.as_str().to_owned(),
            lease_seconds: settings.lease_time.num_seconds(),
            ask_person: settings.ask_person,
            path_modes: settings
                .path_modes
                .iter()
                .map(|(pattern, mode)| (pattern.as_str().to_owned(), mode.as_str().to_owned()))
                .collect(),
            parallel: Some(settings.parallel.as_str().to_owned()),
        }
    }

    /// The session and its settings, or why the request cannot be read.
    pub fn session(&self) -> Result<(SessionRef, PermitSettings), String> {
        if self.v != WIRE_VERSION {
            return Err(format!(
                "the hook speaks version {} of the exchange, this app {WIRE_VERSION}",
                self.v
            ));
        }
        let client = HookClient::parse(&self.client)
            .ok_or_else(|| format!("{:?} is not a client", self.client))?;
        let mode =
            |word: &str| PermitMode::parse(word).ok_or_else(|| format!("{word:?} is not a mode"));
        let path_modes = self
            .path_modes
            .iter()
            .map(|(pattern, word)| {
                let pattern = ResourcePattern::parse(pattern).map_err(|err| err.to_string())?;
                Ok((pattern, mode(word)?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let session = SessionRef {
            client,
            session_id: self.session_id.clone(),
            cwd: self.cwd.clone(),
            repo_root: self.repo_root.clone(),
            repository: self.repository.clone(),
            repository_name: self.repository_name.clone(),
            branch: self.branch.clone(),
            name: self.name.clone(),
            host: self.host.clone(),
            account: self.account.clone(),
        };
        let settings = PermitSettings {
            mode: mode(&self.mode)?,
            lease_time: Duration::seconds(self.lease_seconds.clamp(60, i64::from(u32::MAX) * 60)),
            ask_person: self.ask_person,
            path_modes,
            parallel: match self.parallel.as_deref() {
                None => ParallelMode::default(),
                Some(word) => ParallelMode::parse(word)
                    .ok_or_else(|| format!("{word:?} is not a parallel-edit mode"))?,
            },
            unchecked: None,
        };
        Ok((session, settings))
    }
}

/// What the app answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum HookResponse {
    /// The call is recorded and decided.
    Checked {
        agent_id: i64,
        answer: WireAnswer,
        /// The queue item of a permission request asked in Baton's queue.
        asked: Option<i64>,
        /// What the reading of the session's record file skipped (absent from older apps).
        #[serde(default)]
        warnings: Vec<String>,
    },
    /// The store failed: nothing was recorded.
    Failed { message: String },
    /// The app cannot read the request (another version of Baton): the hook goes to the store
    /// itself.
    Unreadable { message: String },
}

/// [`HookAnswer`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub(crate) enum WireAnswer {
    GoOn,
    Deny(String),
    Ask(String),
    Allowed,
    Refused(String),
    Failed(String),
}

impl From<&HookAnswer> for WireAnswer {
    fn from(answer: &HookAnswer) -> WireAnswer {
        match answer {
            HookAnswer::GoOn => WireAnswer::GoOn,
            HookAnswer::Deny(why) => WireAnswer::Deny(why.clone()),
            HookAnswer::Ask(why) => WireAnswer::Ask(why.clone()),
            HookAnswer::Permission(Ok(())) => WireAnswer::Allowed,
            HookAnswer::Permission(Err(why)) => WireAnswer::Refused(why.clone()),
            HookAnswer::Failed(why) => WireAnswer::Failed(why.clone()),
        }
    }
}

impl From<WireAnswer> for HookAnswer {
    fn from(answer: WireAnswer) -> HookAnswer {
        match answer {
            WireAnswer::GoOn => HookAnswer::GoOn,
            WireAnswer::Deny(why) => HookAnswer::Deny(why),
            WireAnswer::Ask(why) => HookAnswer::Ask(why),
            WireAnswer::Allowed => HookAnswer::Permission(Ok(())),
            WireAnswer::Refused(why) => HookAnswer::Permission(Err(why)),
            WireAnswer::Failed(why) => HookAnswer::Failed(why),
        }
    }
}
