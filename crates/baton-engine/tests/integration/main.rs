//! The engine's integration tests, one binary (a module per subject): the engine over real HTTP
//! against `baton-sim` agents and scripted A2A peers on 127.0.0.1, on the store the run picks
//! (`BATON_TEST_STORE`). One binary links once; nextest still runs each test in its own process.

mod support;

mod a2a_bad_input;
mod a2a_delivery;
mod a2a_servers;
mod acknowledgements;
mod bad_input;
mod base_drift;
mod delivery;
mod detector_writes;
mod engine;
mod lifecycle;
mod live;
mod logs;
mod lying_agents;
mod merge_check;
mod otlp;
mod otlp_bad_input;
mod otlp_clients;
mod ownership;
mod replay;
mod routes;
mod scenarios;
mod sessions;
mod sharing;
mod sim;
mod story;
