//! baton-sim's integration tests, one binary: the simulated agents over HTTP, their scenarios and
//! decisions, every answer against the protocol's schema, and the docs' examples conforming.

mod common;

mod decisions;
mod docs;
mod examples;
mod http;
mod scenarios;
mod schema;
