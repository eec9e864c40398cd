//! Tests of the store as a whole, on in-memory or temporary-file databases.

mod a2a;
mod agents;
mod board;
mod copy;
mod costs;
mod decisions;
mod detector_settings;
mod escalations;
mod findings;
mod groups;
mod history;
mod ingest;
mod ingest_checks;
mod manifests;
mod open;
mod ownership;
mod parallel_edits;
mod ratelimits;
mod readiness;
mod rules;
mod scale;
mod session_views;
mod sessions;
pub(crate) mod support;
mod texts;
mod timeline_counts;
mod writer;
