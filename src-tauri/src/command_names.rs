/// Every command the UI may invoke. Shared by build.rs (permissions) and lib.rs (handler).
pub const COMMANDS: &[&str] = &[
    "list_agents",
    "add_agent",
    "update_agent",
    "remove_agent",
    "test_connection",
    "list_tasks",
    "task_events",
    "start_demo_fleet",
    "secrets_status",
];
