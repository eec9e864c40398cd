//! One line of the spool: a call as it is kept, with what the store needs to record it as it
//! happened, and reading it back (any field that cannot be read says which).

use baton_core::hooks::{parse_hook_payload, HookCall, HookClient, ParallelMode, PermitMode};
use baton_core::rules::ResourcePattern;
use baton_store::sessions::{PermitSettings, SessionRef, UncheckedCall};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The spool's line format.
pub(crate) const VERSION: u32 = 1;

/// One call as the spool keeps it: what the store needs to record it as it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SpooledCall {
    pub(crate) v: u32,
    pub(crate) call_id: String,
    /// The store it was meant for (its place's address, without a password).
    pub(crate) store: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) waited_ms: u64,
    pub(crate) why: String,
    pub(crate) client: String,
    /// The event the hook was installed for (Copilot CLI's payloads do not name it).
    pub(crate) event: Option<String>,
    pub(crate) payload: String,
    pub(crate) session: SpooledSession,
    pub(crate) settings: SpooledSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SpooledSession {
    session_id: String,
    cwd: Option<String>,
    repo_root: Option<String>,
    repository: Option<String>,
    repository_name: Option<String>,
    branch: Option<String>,
    name: Option<String>,
    host: Option<String>,
    account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SpooledSettings {
    mode: String,
    lease_seconds: i64,
    parallel: String,
    /// The repository's per-path modes: (pattern, mode).
    path_modes: Vec<(String, String)>,
}

impl SpooledCall {
    /// The call `payload` of `session`, let go ahead at `at` after `waited_ms` because `why`,
    /// for the store at `store`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        store: String,
        at: DateTime<Utc>,
        waited_ms: u64,
        why: String,
        event: Option<String>,
        payload: &[u8],
        session: &SessionRef,
        settings: &PermitSettings,
    ) -> SpooledCall {
        SpooledCall {
            v: VERSION,
            call_id: format!("{:032x}", rand::random::<u128>()),
            store,
            at,
            waited_ms,
            why,
            client: session.client.as_str().to_owned(),
            event,
            payload: String::from_utf8_lossy(payload).into_owned(),
            session: SpooledSession {
                session_id: session.session_id.clone(),
                cwd: session.cwd.clone(),
                repo_root: session.repo_root.clone(),
                repository: session.repository.clone(),
                repository_name: session.repository_name.clone(),
                branch: session.branch.clone(),
                name: session.name.clone(),
                host: session.host.clone(),
                account: session.account.clone(),
            },
            settings: SpooledSettings {
                mode: settings.mode.as_str().to_owned(),
                lease_seconds: settings.lease_time.num_seconds(),
                parallel: settings.parallel.as_str().to_owned(),
                path_modes: settings
                    .path_modes
                    .iter()
                    .map(|(pattern, mode)| (pattern.as_str().to_owned(), mode.as_str().to_owned()))
                    .collect(),
            },
        }
    }

    /// The session, settings, call and its record of having gone ahead unchecked; why not,
    /// when a field cannot be read.
    pub(super) fn to_store(
        &self,
    ) -> Result<(SessionRef, PermitSettings, HookCall, UncheckedCall), String> {
        let client = HookClient::parse(&self.client)
            .ok_or_else(|| format!("{:?} is no client Baton knows", self.client))?;
        let mode = |word: &str| {
            PermitMode::parse(word).ok_or_else(|| format!("{word:?} is no permit mode"))
        };
        let path_modes = self
            .settings
            .path_modes
            .iter()
            .map(|(pattern, word)| {
                let pattern = ResourcePattern::parse(pattern).map_err(|err| err.to_string())?;
                Ok((pattern, mode(word)?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let settings = PermitSettings {
            mode: mode(&self.settings.mode)?,
            lease_time: Duration::seconds(self.settings.lease_seconds.clamp(1, 86_400)),
            ask_person: false,
            path_modes,
            parallel: ParallelMode::parse(&self.settings.parallel)
                .ok_or_else(|| format!("{:?} is no parallel-edit mode", self.settings.parallel))?,
            unchecked: None,
        };
        let call = parse_hook_payload(client, self.payload.as_bytes(), self.event.as_deref())
            .map_err(|err| err.to_string())?;
        let s = &self.session;
        let session = SessionRef {
            client,
            session_id: s.session_id.clone(),
            cwd: s.cwd.clone(),
            repo_root: s.repo_root.clone(),
            repository: s.repository.clone(),
            repository_name: s.repository_name.clone(),
            branch: s.branch.clone(),
            name: s.name.clone(),
            host: s.host.clone(),
            account: s.account.clone(),
        };
        let late = UncheckedCall {
            call_id: self.call_id.clone(),
            at: self.at,
            waited_ms: self.waited_ms,
            why: self.why.clone(),
        };
        Ok((session, settings, call, late))
    }
}
