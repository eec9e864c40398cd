//! One line of the spool: a call as it is kept, with what the store needs to record it as it
//! happened, and reading it back (any field that cannot be read says which).

use baton_core::hooks::{parse_hook_payload, HookCall};
use baton_store::sessions::{PermitSettings, SessionRef, UncheckedCall};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::served::wire::HookRequest;

/// The spool's line format.
pub(crate) const VERSION: u32 = 1;

/// One call as the spool keeps it: the call as a hook hands it to the app (`call`: client,
/// event, payload, session, settings), and when and why it went ahead unchecked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SpooledCall {
    pub(crate) v: u32,
    pub(crate) call_id: String,
    /// The store it was meant for (its place's address, without a password).
    pub(crate) store: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) waited_ms: u64,
    pub(crate) why: String,
    pub(crate) call: HookRequest,
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
        let request = HookRequest::new(event.as_deref(), payload, session, settings);
        SpooledCall {
            waited_ms,
            why,
            ..SpooledCall::answered(request, store, at)
        }
    }

    /// The call `request`, made at `at` on the store at `store`, answered by a running app at
    /// its verdict: kept only if its record is not committed after all (then with why).
    pub(crate) fn answered(request: HookRequest, store: String, at: DateTime<Utc>) -> SpooledCall {
        SpooledCall {
            v: VERSION,
            call_id: format!("{:032x}", rand::random::<u128>()),
            store,
            at,
            waited_ms: 0,
            why: String::new(),
            call: request,
        }
    }

    /// The session, settings, call and its record of having gone ahead unchecked; why not,
    /// when a field cannot be read.
    pub(super) fn to_store(
        &self,
    ) -> Result<(SessionRef, PermitSettings, HookCall, UncheckedCall), String> {
        let (session, settings) = self.call.session()?;
        // The call happened: nobody is asked about it now.
        let settings = PermitSettings {
            ask_person: false,
            ..settings
        };
        let call = parse_hook_payload(
            session.client,
            self.call.payload.as_bytes(),
            self.call.event.as_deref(),
        )
        .map_err(|err| err.to_string())?;
        let late = UncheckedCall {
            call_id: self.call_id.clone(),
            at: self.at,
            waited_ms: self.waited_ms,
            why: self.why.clone(),
        };
        Ok((session, settings, call, late))
    }
}
