//! Tests of the store as a whole, on in-memory or temporary-file databases.

mod agents;
mod board;
mod ingest;
mod open;
mod scale;
pub(crate) mod support;
