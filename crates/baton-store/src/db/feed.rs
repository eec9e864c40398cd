//! What a connection needs of the change feed (`crate::changes`): the channel its commits
//! notify on PostgreSQL and the random mark it puts on the changes it records.

use std::hash::{BuildHasher, Hasher};

/// The PostgreSQL channel a commit that recorded changes notifies.
pub const CHANNEL: &str = "baton_changes";

/// A random mark for a new connection's changes.
pub(crate) fn new_origin() -> i64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    i64::try_from(hasher.finish() >> 1).unwrap_or(i64::MAX)
}
