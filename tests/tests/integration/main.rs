//! End-to-end and real-peer tests, one binary (a module per subject): the real app under Xvfb
//! through tauri-driver (`e2e_*`, one at a time: nextest's `app` group), the real third-party peers
//! (`peer_*`), the examples polled, the import graph (`module_rings`), and the benchmarks
//! (`*_bench`, ignored: `make bench` runs them).

mod a2a_bench;
mod desktop_watch;
mod e2e_a2a;
mod e2e_a2a_adk;
mod e2e_app;
mod e2e_desktop;
mod e2e_escalations;
mod e2e_first_run;
mod e2e_layout;
mod e2e_live;
mod e2e_map_scale;
mod e2e_notifications;
mod e2e_ownership;
mod e2e_parallel;
mod e2e_pipelines;
mod e2e_ratelimits;
mod e2e_reopened;
mod e2e_roles;
mod e2e_sessions;
mod e2e_store;
mod e2e_too_new;
mod examples_polled;
mod floor_bench;
mod map_bench;
mod module_rings;
mod notify_bench;
mod notify_cli;
mod notify_click;
mod notify_desktop;
mod notify_ntfy;
mod notify_policy;
mod notify_reconnect;
mod notify_updates;
mod notify_watchers;
mod notify_webhook;
mod peer_a2a;
mod peer_a2a_frameworks;
mod peer_a2a_servers;
mod peer_claude_code;
mod peer_claude_code_asks;
mod peer_claude_code_phone;
mod peer_claude_code_worktrees;
mod peer_client_telemetry;
mod peer_codex;
mod peer_copilot;
mod peer_gemini;
mod peer_mocklimit;
mod peer_opencode;
mod peer_otel;
mod peer_two_machines;
mod peer_usage;
mod ratelimit_bench;
mod soak_bench;
