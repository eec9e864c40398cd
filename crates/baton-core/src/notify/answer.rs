//! The signed answer a notification's button carries: single-use, for one item and one action,
//! until it expires. Its text is
//!
//! ```text
//! baton1.<route>.<item>.<action>.<expires, unix seconds>.<nonce>.<key id>.<mac>
//! ```
//!
//! where `mac` is HMAC-SHA256, under the data folder's answer key, of everything before it,
//! in hex. The key id (the first 16 hex digits of SHA-256 over the key) says which key signed
//! it: a watcher holding another key leaves the answer to the watcher that holds it. The nonce
//! makes each token unique; the store records each one used, so a replay is refused even after
//! a restart or by another watcher of a shared store.
//!
//! What it guarantees: only a holder of the key makes a token Baton accepts, a token is taken
//! once, for the item and the action it names, before it expires. What it does not: anyone who
//! can read the reply topic sees the answers posted there (already used, so harmless) and the
//! buttons of unanswered items (usable once, by whoever is first): protect the topics with
//! ntfy's access control.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::escalations::EscalationAction;

/// How long a button's answer is accepted by default.
pub const ANSWER_TTL: Duration = Duration::hours(1);
/// Longest answer text read: anything longer is refused unread.
pub const MAX_ANSWER_LEN: usize = 512;
/// Bytes of a freshly made answer key.
pub const KEY_LEN: usize = 32;
const PREFIX: &str = "baton1";

/// What a button may answer. Only actions that need nothing more than a tap (no agent to
/// choose, no budget to split) are offered away from the app. A dismissal's reason, which the
/// app asks for, is the tap itself: [`DISMISS_NOTE`], with the route in the log's detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneAction {
    Approve,
    Reject,
    Dismiss,
}

/// The reason a dismissal from a notification's button gives (the app asks a person for one).
pub const DISMISS_NOTE: &str = "not a real problem: dismissed from a notification's button";

impl PhoneAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneAction::Approve => "approve",
            PhoneAction::Reject => "reject",
            PhoneAction::Dismiss => "dismiss",
        }
    }

    pub fn parse(text: &str) -> Option<PhoneAction> {
        match text {
            "approve" => Some(PhoneAction::Approve),
            "reject" => Some(PhoneAction::Reject),
            "dismiss" => Some(PhoneAction::Dismiss),
            _ => None,
        }
    }

    /// The decision it stands for.
    pub fn decision(self) -> EscalationAction {
        match self {
            PhoneAction::Approve => EscalationAction::Approve,
            PhoneAction::Reject => EscalationAction::Reject,
            PhoneAction::Dismiss => EscalationAction::Dismiss,
        }
    }

    /// The note the decision carries (a dismissal needs a reason).
    pub fn note(self) -> Option<&'static str> {
        match self {
            PhoneAction::Dismiss => Some(DISMISS_NOTE),
            PhoneAction::Approve | PhoneAction::Reject => None,
        }
    }
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerClaim {
    /// The route it was sent on (its person is who answers).
    pub route_id: i64,
    pub escalation_id: i64,
    pub action: PhoneAction,
    pub expires_at: DateTime<Utc>,
    /// 32 hex digits, unique per token.
    pub nonce: String,
}

/// Why an answer was refused before anything was looked up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefused {
    #[error("the answer is longer than {MAX_ANSWER_LEN} bytes")]
    TooLong,
    #[error("the answer is not a Baton answer")]
    Malformed,
    /// Signed with another data folder's key: another watcher's to take.
    #[error("the answer was signed by another Baton (key {0})")]
    OtherKey(String),
    #[error("the answer was altered (its signature does not match)")]
    Altered,
    #[error("the answer expired at {}", .0.format("%H:%M:%S UTC"))]
    Expired(DateTime<Utc>),
}

impl AnswerRefused {
    /// A short word for logs and counts.
    pub fn word(&self) -> &'static str {
        match self {
            AnswerRefused::TooLong => "too_long",
            AnswerRefused::Malformed => "malformed",
            AnswerRefused::OtherKey(_) => "other_key",
            AnswerRefused::Altered => "altered",
            AnswerRefused::Expired(_) => "expired",
        }
    }
}

/// The id of an answer key: 16 hex digits of SHA-256 over it (names it, reveals nothing).
pub fn key_id(key: &[u8]) -> String {
    let digest = Sha256::digest(key);
    hex::encode(&digest[..8])
}

fn mac_of(key: &[u8], text: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(text.as_bytes());
    mac
}

/// The token for `claim`, signed with `key`.
pub fn sign_answer(key: &[u8], claim: &AnswerClaim) -> String {
    let text = format!(
        "{PREFIX}.{}.{}.{}.{}.{}.{}",
        claim.route_id,
        claim.escalation_id,
        claim.action.as_str(),
        claim.expires_at.timestamp(),
        claim.nonce,
        key_id(key)
    );
    let mac = hex::encode(mac_of(key, &text).finalize().into_bytes());
    format!("{text}.{mac}")
}

/// Reads and checks a token posted back at `now`: its form, its key, its signature (in
/// constant time), its expiry. Whether it was used already is the store's to say.
pub fn read_answer(
    key: &[u8],
    posted: &str,
    now: DateTime<Utc>,
) -> Result<AnswerClaim, AnswerRefused> {
    if posted.len() > MAX_ANSWER_LEN {
        return Err(AnswerRefused::TooLong);
    }
    let posted = posted.trim();
    let (signed, mac_hex) = posted.rsplit_once('.').ok_or(AnswerRefused::Malformed)?;
    let parts: Vec<&str> = signed.split('.').collect();
    let [prefix, route, item, action, expires, nonce, kid] = parts[..] else {
        return Err(AnswerRefused::Malformed);
    };
    let number = |t: &str| {
        t.parse::<i64>()
            .ok()
            .filter(|_| t.bytes().all(|b| b.is_ascii_digit()))
    };
    let (Some(route_id), Some(escalation_id), Some(action), Some(expires)) = (
        number(route),
        number(item),
        PhoneAction::parse(action),
        number(expires),
    ) else {
        return Err(AnswerRefused::Malformed);
    };
    let hex32 = |t: &str| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit());
    if prefix != PREFIX || !hex32(nonce) || kid.len() != 16 {
        return Err(AnswerRefused::Malformed);
    }
    if kid != key_id(key) {
        return Err(AnswerRefused::OtherKey(kid.to_owned()));
    }
    let mac = hex::decode(mac_hex).map_err(|_| AnswerRefused::Altered)?;
    mac_of(key, signed)
        .verify_slice(&mac)
        .map_err(|_| AnswerRefused::Altered)?;
    let expires_at = DateTime::from_timestamp(expires, 0).ok_or(AnswerRefused::Malformed)?;
    if expires_at <= now {
        return Err(AnswerRefused::Expired(expires_at));
    }
    Ok(AnswerClaim {
        route_id,
        escalation_id,
        action,
        expires_at,
        nonce: nonce.to_owned(),
    })
}
