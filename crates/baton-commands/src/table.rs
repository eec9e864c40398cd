//! The table: every command by name, its arguments (camelCase keys, as the UI sends them) and
//! the function that runs it. Adding a command is one line here, its name in [`crate::names`]
//! (a test checks they agree) and its function beside its kin.

use baton_core::agent::AgentDraft;
use baton_core::cost::Price;
use baton_core::detect::windows::WindowOverrides;
use baton_core::escalations::EscalationAction;
use baton_core::notify::view::{RouteInput, RoutePolicy};
use baton_core::ratelimit::view::PressureLimits;
use baton_core::ratelimit::Metric;
use baton_core::readiness::ReadinessThresholds;
use baton_core::rules::{Declares, Dispute, Resolution, Rule};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::CommandError;
use crate::{
    agents, demo, escalations, hooks, notify, ownership, pipelines, ratelimits, store, too_new,
    Commands,
};

/// Reads a command's arguments; null counts as no arguments.
fn parse<T: DeserializeOwned>(command: &str, args: Value) -> Result<T, CommandError> {
    let args = if args.is_null() {
        Value::Object(Default::default())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|err| CommandError::InvalidArgs {
        command: command.to_owned(),
        message: err.to_string(),
    })
}

fn answer<T: Serialize>(result: Result<T, CommandError>) -> Result<Value, CommandError> {
    serde_json::to_value(result?).map_err(|err| CommandError::Internal(err.to_string()))
}

/// `table! { name(arg: Type, …) => module::function; … }`: for each command, a struct of its
/// arguments (camelCase keys; an `Option` may be left out) and a match arm that reads them and
/// runs `function(commands, arg, …)`; and [`NAMES`], the names in the table.
macro_rules! table {
    ($($name:ident ($($arg:ident : $ty:ty),* $(,)?) => $func:path;)*) => {
        /// Every command the table answers, in its order.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        pub(crate) async fn dispatch(
            commands: &Commands,
            name: &str,
            args: Value,
        ) -> Result<Value, CommandError> {
            match name {
                $(stringify!($name) => {
                    #[derive(serde::Deserialize)]
                    #[serde(rename_all = "camelCase")]
                    struct Args {
                        $($arg: $ty,)*
                    }
                    let Args { $($arg,)* } = parse::<Args>(name, args)?;
                    answer($func(commands, $($arg),*).await)
                })*
                _ => Err(CommandError::UnknownCommand(name.to_owned())),
            }
        }
    };
}

table! {
    list_agents() => agents::list_agents;
    add_agent(draft: AgentDraft, token: Option<String>) => agents::add_agent;
    update_agent(id: i64, draft: AgentDraft, token: Option<String>, clear_token: bool) => agents::update_agent;
    remove_agent(id: i64) => agents::remove_agent;
    test_connection(draft: AgentDraft, token: Option<String>, agent_id: Option<i64>) => agents::test_connection;
    follow_task(agent_id: i64, task_id: String) => agents::follow_task;
    list_tasks(agent_id: Option<i64>) => agents::list_tasks;
    task_events(agent_id: i64, task_id: String) => agents::task_events;
    start_demo_fleet() => demo::start_demo_fleet;
    scenarios() => demo::list_scenarios;
    start_scenario(name: String) => demo::start_scenario;
    secrets_status() => agents::secrets_status;
    install_hooks(client: String, project: String, mode: String) => hooks::install_hooks;
    coding_clients() => hooks::coding_clients;
    ownership_map() => ownership::ownership_map;
    add_rule(rule: Rule) => ownership::add_rule;
    update_rule(id: i64, rule: Rule) => ownership::update_rule;
    remove_rule(id: i64) => ownership::remove_rule;
    check_rule(rule: Rule, editing: Option<i64>) => ownership::check_rule;
    set_declaration(agent_id: i64, declares: Option<Declares>) => ownership::set_declaration;
    predeploy_check(agent: String, declares: Declares) => ownership::predeploy_check;
    resolve_conflict(dispute: Dispute, resolution: Resolution) => ownership::resolve_conflict;
    decision_log(subject_prefix: Option<String>) => ownership::decision_log;
    verify_decisions() => ownership::verify_decisions;
    escalations() => escalations::escalations;
    escalation_timeline(id: i64) => escalations::escalation_timeline;
    parallel_edit(id: i64) => escalations::parallel_edit;
    decide_escalation(id: i64, action: EscalationAction, note: Option<String>) => escalations::decide_escalation;
    dead_letters() => escalations::dead_letters;
    handoff_schemas() => escalations::handoff_schemas;
    set_handoff_schema(handoff_type: String, schema: Value) => escalations::set_handoff_schema;
    remove_handoff_schema(handoff_type: String) => escalations::remove_handoff_schema;
    detect_windows(agent_id: i64) => escalations::detect_windows;
    set_detect_windows(agent_id: i64, windows: Option<WindowOverrides>) => escalations::set_detect_windows;
    rate_limits() => ratelimits::rate_limits;
    usage_series(api: String, key: Option<String>, metric: Metric, hours: u32) => ratelimits::usage_series;
    usage_heatmap(api: String, key: Option<String>, metric: Metric) => ratelimits::usage_heatmap;
    set_quota(api: String, key: Option<String>, metric: Metric, limit: u64, window_seconds: u32) => ratelimits::set_quota;
    remove_quota(api: String, key: Option<String>, metric: Metric) => ratelimits::remove_quota;
    set_pressure_limits(api: String, limits: PressureLimits) => ratelimits::set_pressure_limits;
    fleet_timeline(from: DateTime<Utc>, to: DateTime<Utc>, buckets: u32, agent_ids: Vec<i64>) => pipelines::fleet_timeline;
    replay_at(at: DateTime<Utc>) => pipelines::replay_at;
    readiness() => pipelines::readiness;
    set_readiness_thresholds(thresholds: ReadinessThresholds) => pipelines::set_readiness_thresholds;
    agent_costs() => pipelines::agent_costs;
    task_cost(agent_id: i64, task_id: String) => pipelines::task_cost;
    prices() => pipelines::prices;
    set_price(price: Price) => pipelines::set_price;
    remove_price(api: String, model: Option<String>) => pipelines::remove_price;
    set_daily_budget(agent_id: i64, usd: Option<f64>) => pipelines::set_daily_budget;
    retention_days() => pipelines::retention_days;
    set_retention_days(days: u32) => pipelines::set_retention_days;
    store_overview() => store::store_overview;
    choose_store(url: Option<String>, password: Option<String>) => store::choose_store;
    presence() => store::presence;
    set_watching(watching: Option<bool>) => store::set_watching;
    store_too_new() => too_new::store_too_new;
    notify_routes() => notify::notify_routes;
    add_route(route: RouteInput, token: Option<String>) => notify::add_route;
    remove_route(name: String) => notify::remove_route;
    test_route(name: String, wait_seconds: Option<u64>) => notify::test_route;
    set_route_policy(name: String, policy: RoutePolicy) => notify::set_route_policy;
    default_route_policy() => notify::default_route_policy;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table answers exactly the names the shell declares to Tauri's ACL.
    #[test]
    fn the_table_answers_exactly_the_declared_names() {
        let mut table: Vec<&str> = NAMES.to_vec();
        let mut declared: Vec<&str> = crate::names::COMMANDS.to_vec();
        table.sort_unstable();
        declared.sort_unstable();
        assert_eq!(table, declared);
        let mut unique = table.clone();
        unique.dedup();
        assert_eq!(unique.len(), table.len(), "a command is listed twice");
    }

    #[test]
    fn arguments_are_read_with_camel_case_keys_and_null_is_none() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(rename_all = "camelCase")]
        struct Args {
            agent_id: i64,
            subject_prefix: Option<String>,
        }
        let args: Args = parse("x", serde_json::json!({"agentId": 3})).unwrap();
        assert_eq!((args.agent_id, args.subject_prefix), (3, None));
        let err = parse::<Args>("task_events", serde_json::json!({"agent_id": 3})).unwrap_err();
        let payload = err.payload();
        assert_eq!(payload.code, "invalid_args");
        assert!(
            payload.message.contains("task_events"),
            "{}",
            payload.message
        );
        assert!(payload.message.contains("agentId"), "{}", payload.message);
        #[derive(serde::Deserialize)]
        struct None_ {}
        assert!(parse::<None_>("list_agents", Value::Null).is_ok());
    }
}
