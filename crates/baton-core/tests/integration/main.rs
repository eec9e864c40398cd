//! baton-core's integration tests, one binary: the committed TypeScript bindings are current, the
//! parsers fuzzed, rule patterns' properties, and the constants the UI shares.

mod bindings;
mod fuzz_parsers;
mod pattern_props;
mod ui_constants;
