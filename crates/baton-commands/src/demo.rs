//! "Start demo fleet": plays `baton-sim`'s story in-process on loopback (five agents that work
//! calmly and hit one coordination failure a minute) and registers its agents, rule, handoff
//! schema and windows; and "Run a scenario": one detector's scripted scenario, its agents,
//! rules and handoff schemas.

use baton_core::agent::{AgentConfig, AgentDraft};
use baton_core::rules::Rule;
use baton_core::views::ScenarioInfo;
use baton_engine::Engine;
use baton_sim::{story, Scenario, SimFleet};
use baton_store::watching::AppWatching;
use tokio::sync::Mutex;

use crate::error::{CommandError, CommandResult};
use crate::Commands;

/// A tick of the story: one incident a minute.
const DEMO_TICK_MS: u64 = 1_000;
/// Demo agents are named "<sim name> (demo)", which is how a restart recognises them.
const DEMO_SUFFIX: &str = " (demo)";
/// The demo polls a little faster than the default so the board fills quickly.
const DEMO_POLL_INTERVAL_MS: u64 = 1_000;
const DEMO_TIMEOUT_MS: u64 = 800;

/// The running demo fleet, if any; it lives as long as the app.
#[derive(Default)]
pub struct DemoFleet {
    fleet: Mutex<Option<SimFleet>>,
    /// Scenarios started from the app, each running until the app exits.
    scenarios: Mutex<Vec<SimFleet>>,
}

/// "Start demo fleet": the story's agents, added once.
pub async fn start_demo_fleet(c: &Commands) -> CommandResult<Vec<AgentConfig>> {
    refuse_fleets(c)?;
    c.demo().start(c.engine()).await
}

/// Why an app whose `watching` is off runs no demo fleet or scenario; None when it watches.
pub(crate) fn fleets_refused(watching: &AppWatching) -> Option<String> {
    (!watching.on).then(|| {
        "This app only views the store (watching is off): a demo's or a scenario's agents would \
         answer in this app, where no watcher polls them. Turn watching on in the store dialog \
         (from the next start) to try one."
            .to_owned()
    })
}

fn refuse_fleets(c: &Commands) -> CommandResult<()> {
    match fleets_refused(&c.place().watching) {
        Some(message) => Err(CommandError::Invalid {
            message,
            field: None,
        }),
        None => Ok(()),
    }
}

/// Every scripted scenario (one per detector) the app can run.
pub async fn list_scenarios(_: &Commands) -> CommandResult<Vec<ScenarioInfo>> {
    Ok(scenarios())
}

/// Runs one scenario on loopback and adds its agents (with its rules and handoff schemas).
pub async fn start_scenario(c: &Commands, name: String) -> CommandResult<Vec<AgentConfig>> {
    refuse_fleets(c)?;
    c.demo()
        .start_scenario(c.engine(), &name, crate::who())
        .await
}

/// Every scenario, one per detector.
pub fn scenarios() -> Vec<ScenarioInfo> {
    Scenario::ALL
        .iter()
        .map(|s| ScenarioInfo {
            name: s.name().to_owned(),
            description: s.description().to_owned(),
        })
        .collect()
}

/// How the demo registers a simulated agent: "<name><suffix>", polled every second.
fn demo_draft(sim_agent: baton_sim::SimAgentInfo, suffix: &str) -> AgentDraft {
    AgentDraft {
        poll_interval_ms: DEMO_POLL_INTERVAL_MS,
        timeout_ms: DEMO_TIMEOUT_MS,
        ..AgentDraft::new(format!("{}{suffix}", sim_agent.name), sim_agent.base_url)
    }
}

/// The suffix of a scenario's agents: " (write-collision)".
fn scenario_suffix(scenario: Scenario) -> String {
    format!(" ({scenario})")
}

/// The suffix of a scenario's agents' ids: "editor@deadlock".
fn scenario_id_suffix(scenario: Scenario) -> String {
    format!("@{scenario}")
}

/// A rule of a scenario, with its agents' names as the demo registers them.
fn demo_rule(mut rule: Rule, names: &[String], suffix: &str) -> Rule {
    let rename = |name: &mut String| {
        if names.iter().any(|n| n == name) {
            name.push_str(suffix);
        }
    };
    rename(&mut rule.owner);
    rule.readers.iter_mut().for_each(rename);
    rule.sequence.iter_mut().for_each(rename);
    rule
}

impl DemoFleet {
    /// Starts the story's agents (once) and adds each as an agent, with the story's windows;
    /// the rule and handoff schema it relies on are added first when missing. Idempotent: a
    /// second call returns the agents already registered.
    pub async fn start(&self, engine: &Engine) -> CommandResult<Vec<AgentConfig>> {
        let mut slot = self.fleet.lock().await;
        if slot.is_none() {
            let fleet = SimFleet::start_story(0, DEMO_TICK_MS)
                .await
                .map_err(|err| CommandError::Demo(err.to_string()))?;
            *slot = Some(fleet);
        }
        let fleet = slot.as_ref().expect("started above");
        let names: Vec<String> = fleet.agents().into_iter().map(|a| a.name).collect();
        add_story_rules(engine, &names).await?;
        let known = stored_agents(engine).await?;
        let windows = story::windows(std::time::Duration::from_millis(DEMO_TICK_MS));
        let mut added = Vec::new();
        for sim_agent in fleet.agents() {
            if let Some(config) = known.iter().find(|a| a.base_url == sim_agent.base_url) {
                added.push(config.clone());
                continue;
            }
            let config = engine
                .add_agent(demo_draft(sim_agent, DEMO_SUFFIX), None)
                .await?;
            engine
                .set_detect_windows(config.id, Some(windows.clone()), DEMO_WHO.into())
                .await?;
            added.push(config);
        }
        Ok(added)
    }

    /// Runs `name`'s scenario on loopback: its rules and handoff schemas first, then its agents
    /// (named "<name> (<scenario>)", so a restart clears them like the demo fleet's) with the
    /// daily budgets it sets.
    pub async fn start_scenario(
        &self,
        engine: &Engine,
        name: &str,
        who: String,
    ) -> CommandResult<Vec<AgentConfig>> {
        let scenario: Scenario =
            name.parse()
                .map_err(|err: baton_sim::scenario::UnknownScenario| {
                    CommandError::Demo(err.to_string())
                })?;
        // Beside the demo (or any fleet) its agents report ids of their own: a dependency on
        // `editor/style-guide` must not point at the demo's Editor.
        let fleet =
            SimFleet::start_scenario_beside(scenario, &scenario_id_suffix(scenario), 0, 1_000)
                .await
                .map_err(|err| CommandError::Demo(err.to_string()))?;
        let names: Vec<String> = fleet.agents().into_iter().map(|a| a.name).collect();
        let suffix = scenario_suffix(scenario);
        let known = stored_agents(engine).await?;
        if let Some(taken) = names.iter().find(|n| {
            known
                .iter()
                .any(|a| baton_core::agent::same_name(&a.name, &format!("{n}{suffix}")))
        }) {
            return Err(CommandError::Demo(format!(
                "{scenario} is already running: its agents ({taken}{suffix}, …) are on the Agents view"
            )));
        }
        for rule in scenario.rules() {
            engine
                .add_rule(demo_rule(rule, &names, &suffix), who.clone())
                .await?;
        }
        for (kind, schema) in scenario.handoff_schemas() {
            engine.set_handoff_schema(kind, schema, who.clone()).await?;
        }
        let mut added = Vec::new();
        for sim_agent in fleet.agents() {
            let budget = scenario
                .budgets()
                .into_iter()
                .find(|(id, _)| *id == sim_agent.id)
                .map(|(_, usd)| usd);
            let agent = engine
                .add_agent(demo_draft(sim_agent, &suffix), None)
                .await?;
            if let Some(usd) = budget {
                let id = agent.id;
                engine
                    .write(move |s| s.set_daily_budget(id, Some(usd), chrono::Utc::now()))
                    .await?;
            }
            added.push(agent);
        }
        tracing::info!(scenario = name, agents = added.len(), "scenario started");
        self.scenarios.lock().await.push(fleet);
        Ok(added)
    }

    /// At start-up: demo agents registered by an earlier run point at simulated agents that no
    /// longer exist (and whose event numbering restarts at 1). Their data is synthetic, so they
    /// are replaced by a fresh demo fleet instead of showing as down forever.
    pub async fn resume(&self, engine: &Engine) -> CommandResult<()> {
        let stale: Vec<AgentConfig> = stored_agents(engine)
            .await?
            .into_iter()
            .filter(is_demo_agent)
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        for agent in &stale {
            engine.remove_agent(agent.id).await?;
        }
        tracing::info!(
            agents = stale.len(),
            "restarting the demo fleet of the last run"
        );
        self.start(engine).await.map(drop)
    }
}

/// Who the demo's own changes are logged as.
const DEMO_WHO: &str = "demo fleet";

/// The story's rule (named for the demo's agents) unless an equal one is there (a restart, or a
/// rule the user already set), and its handoff schema.
async fn add_story_rules(engine: &Engine, names: &[String]) -> CommandResult<()> {
    let stored = engine.read(|store| store.rules()).await?;
    for rule in story::rules() {
        let rule = demo_rule(rule, names, DEMO_SUFFIX);
        let present = stored
            .iter()
            .any(|s| s.rule.kind == rule.kind && s.rule.pattern == rule.pattern);
        if !present {
            engine.add_rule(rule, DEMO_WHO.into()).await?;
        }
    }
    for (kind, schema) in story::handoff_schemas() {
        engine
            .set_handoff_schema(kind, schema, DEMO_WHO.into())
            .await?;
    }
    Ok(())
}

async fn stored_agents(engine: &Engine) -> CommandResult<Vec<AgentConfig>> {
    Ok(engine.read(|store| store.agents()).await?)
}

/// A demo fleet's or a scenario's agent (their simulated agents live only as long as the app).
fn is_demo_agent(agent: &AgentConfig) -> bool {
    let simulated = agent.name.ends_with(DEMO_SUFFIX)
        || Scenario::ALL
            .iter()
            .any(|s| agent.name.ends_with(&scenario_suffix(*s)));
    simulated && agent.base_url.starts_with("http://127.0.0.1:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_rule_names_the_agents_as_the_demo_registers_them() {
        let rule = Rule {
            readers: vec!["Support".into(), "Someone else".into()],
            ..Rule::new(baton_core::rules::RuleKind::Data, "crm://x/*", "Billing")
        };
        let suffix = scenario_suffix(Scenario::OwnershipViolation);
        let renamed = demo_rule(rule, &["Billing".into(), "Support".into()], &suffix);
        assert_eq!(renamed.owner, "Billing (ownership-violation)");
        assert_eq!(
            renamed.readers,
            ["Support (ownership-violation)", "Someone else"]
        );
        assert_eq!(scenarios().len(), Scenario::ALL.len());
    }
}
