//! `baton sim`: simulated agents speaking baton/1 on 127.0.0.1: the role-based fleet, or one
//! scripted scenario per coordination detector.

use std::fmt::Write;

use baton_sim::scenario::Scenario;
use baton_sim::{story, SimAgentInfo, SimConfig, SimFleet};

use super::error::CliError;
use crate::export::{render_with_header, ExportAgent};

/// How often Baton should poll a scenario's agents (the baton.toml `baton sim` prints).
const SCENARIO_POLL_INTERVAL_MS: u64 = 1_000;
const SCENARIO_TIMEOUT_MS: u64 = 800;

/// `baton sim`: the role-based fleet, until Ctrl-C.
pub async fn sim(agents: usize, port: u16, seed: u64, tick_ms: u64) -> Result<(), CliError> {
    let fleet = SimFleet::start(SimConfig {
        agents,
        base_port: port,
        seed,
        tick_ms,
        ..SimConfig::default()
    })
    .await?;
    println!("baton sim: {agents} agent(s) speaking baton/1 (seed {seed}); Ctrl-C to stop");
    for agent in fleet.agents() {
        println!("  {:<20} {:<20} {}", agent.name, agent.id, agent.base_url);
    }
    let _ = tokio::signal::ctrl_c().await;
    fleet.shutdown().await;
    Ok(())
}

/// `baton sim --list-scenarios`: every scenario's name and what happens in it.
pub fn list_scenarios() -> String {
    let mut out =
        String::from("Scenarios, one per detector (run one with `baton sim --scenario NAME`):\n");
    for scenario in Scenario::ALL {
        let _ = writeln!(out, "  {:<20} {}", scenario.name(), scenario.description());
    }
    out
}

/// `baton sim --scenario NAME`: one scripted scenario, until Ctrl-C.
pub async fn sim_scenario(scenario: Scenario, port: u16, tick_ms: u64) -> Result<(), CliError> {
    let fleet = SimFleet::start_scenario(scenario, port, tick_ms).await?;
    print!("{}", scenario_intro(scenario, &fleet.agents(), tick_ms));
    let _ = tokio::signal::ctrl_c().await;
    fleet.shutdown().await;
    Ok(())
}

/// `baton sim --story`: the demo's story, until Ctrl-C.
pub async fn sim_story(port: u16, tick_ms: u64) -> Result<(), CliError> {
    let fleet = SimFleet::start_story(port, tick_ms).await?;
    print!("{}", story_intro(&fleet.agents(), tick_ms));
    let _ = tokio::signal::ctrl_c().await;
    fleet.shutdown().await;
    Ok(())
}

/// What `baton sim --story` prints: the agents, the incidents in order, and a baton.toml with
/// the agents and the story's rule.
pub fn story_intro(agents: &[SimAgentInfo], tick_ms: u64) -> String {
    let mut out = format!(
        "baton sim: the demo's story, {} agent(s) speaking baton/1; Ctrl-C to stop
",
        agents.len()
    );
    list_agents(&mut out, agents);
    let _ = writeln!(
        out,
        "Calm work, and one incident every {} ticks of {tick_ms} ms (the first {} ticks in), in \
         this order:",
        story::CYCLE_TICKS,
        story::INCIDENT_OFFSET
    );
    for incident in story::Incident::ALL {
        let _ = writeln!(out, "  {:<20} {}", incident.kind(), incident.description());
    }
    let windows = story::windows(std::time::Duration::from_millis(tick_ms.max(1)));
    let _ = writeln!(
        out,
        "Each agent's windows are the story's (stall {} s, silent completion {} s, unreachable \
         after {} polls), in the file below as in the app.\n",
        windows.stall_seconds.unwrap_or_default(),
        windows.silent_completion_seconds.unwrap_or_default(),
        windows.unreachable_polls.unwrap_or_default(),
    );
    let export: Vec<ExportAgent> = agents
        .iter()
        .map(|a| ExportAgent {
            name: a.name.clone(),
            url: a.base_url.clone(),
            poll_interval_ms: SCENARIO_POLL_INTERVAL_MS,
            timeout_ms: SCENARIO_TIMEOUT_MS,
            adapter: baton_core::agent::AdapterKind::Baton,
            windows: windows.clone(),
            declares: None,
            daily_budget_usd: None,
        })
        .collect();
    let header = "# Baton: the agents and rule of the demo's story, written by `baton sim --story`.\n\
                  # Load it with `baton import FILE` into a data dir of its own, then run `baton watch`.\n";
    out.push_str(&render_with_header(header, &export, &story::rules()));
    out
}

/// "Editor and Publisher" for a list of names.
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What `baton sim --scenario` prints: the agents, what to watch for, and a baton.toml with
/// the agents (and the scenario's rules) to load into Baton.
pub fn scenario_intro(scenario: Scenario, agents: &[SimAgentInfo], tick_ms: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "baton sim: scenario {scenario}, {} agent(s) speaking baton/1; Ctrl-C to stop",
        agents.len()
    );
    let _ = writeln!(out, "{}", scenario.description());
    list_agents(&mut out, agents);
    let _ = writeln!(
        out,
        "The timeline starts once Baton has polled every agent, one tick every {tick_ms} ms."
    );
    let expected = scenario.expected();
    let names: Vec<&str> = expected
        .agents
        .iter()
        .map(|id| {
            agents
                .iter()
                .find(|a| a.id == *id)
                .map_or(*id, |a| a.name.as_str())
        })
        .collect();
    let on = expected
        .resource
        .map(|r| format!(" on {r}"))
        .unwrap_or_default();
    let article = if expected.kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let _ = writeln!(
        out,
        "Watch for: {article} {} finding naming {}{on}, {}.",
        expected.kind,
        and_list(&names),
        expected.when
    );
    let rules = scenario.rules();
    if !rules.is_empty() {
        let _ = writeln!(
            out,
            "It needs {} ownership rule(s) (in the file below); add them before the agents.",
            rules.len()
        );
    }
    for (kind, schema) in scenario.handoff_schemas() {
        let _ = writeln!(
            out,
            "It checks {kind} handoffs against this schema; save it as {kind}.json and run \
             `baton --data-dir DIR schema set {kind} {kind}.json`:\n  {schema}"
        );
    }
    out.push_str(
        "To watch it headless, save the lines below as scenario.toml, then run\n  \
         baton --data-dir DIR import scenario.toml && baton --data-dir DIR watch\n\
         with a DIR of its own (import makes the store's rules exactly the file's). In the app, \
         add the agents by these names and URLs (and any rule on the ownership map).\n\n",
    );
    let export: Vec<ExportAgent> = agents
        .iter()
        .map(|a| ExportAgent {
            name: a.name.clone(),
            url: a.base_url.clone(),
            poll_interval_ms: SCENARIO_POLL_INTERVAL_MS,
            timeout_ms: SCENARIO_TIMEOUT_MS,
            adapter: baton_core::agent::AdapterKind::Baton,
            windows: Default::default(),
            declares: None,
            daily_budget_usd: scenario
                .budgets()
                .into_iter()
                .find(|(id, _)| *id == a.id)
                .map(|(_, usd)| usd),
        })
        .collect();
    let header = format!(
        "# Baton: the agents and rules of the scenario {scenario}, written by `baton sim`.\n\
         # Load it with `baton import FILE` into a data dir of its own, then run `baton watch`.\n"
    );
    out.push_str(&render_with_header(&header, &export, &rules));
    out
}

/// One line per agent: its name, its id and where it answers.
fn list_agents(out: &mut String, agents: &[baton_sim::SimAgentInfo]) {
    for agent in agents {
        let _ = writeln!(
            out,
            "  {:<20} {:<20} {}",
            agent.name, agent.id, agent.base_url
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(index: usize, id: &str, name: &str) -> SimAgentInfo {
        SimAgentInfo {
            index,
            id: id.into(),
            name: name.into(),
            base_url: format!("http://127.0.0.1:{}", 7700 + index),
            port: 7700 + index as u16,
        }
    }

    #[test]
    fn the_intro_names_the_agents_the_finding_and_a_loadable_file() {
        let agents = [info(0, "billing", "Billing"), info(1, "support", "Support")];
        let text = scenario_intro(Scenario::OwnershipViolation, &agents, 1000);
        assert!(
            text.contains("  Billing              billing              http://127.0.0.1:7700\n"),
            "{text}"
        );
        assert!(
            text.contains("Watch for: an ownership_violation finding naming Support and Billing on crm://invoices/311#status, "),
            "{text}"
        );
        assert!(text.contains("add them before the agents"), "{text}");
        let toml = &text[text.find("# Baton: the agents").unwrap()..];
        let file = crate::config::parse("scenario.toml", toml).unwrap();
        assert_eq!(file.agents.len(), 2);
        assert_eq!(file.agents[0].url, "http://127.0.0.1:7700");
        assert_eq!(file.agents[0].poll_interval_ms, Some(1000));
        let rules = crate::config::validate_rules("scenario.toml", toml, &file).unwrap();
        assert_eq!(rules, Scenario::OwnershipViolation.rules());

        let alone = scenario_intro(Scenario::Unreachable, &[info(0, "scraper", "Scraper")], 500);
        assert!(
            alone.contains("naming Scraper, after 5 failed polls"),
            "{alone}"
        );
        assert!(alone.contains("one tick every 500 ms"), "{alone}");
        assert!(!alone.contains("[[rules]]") && !alone.contains("add them before"));
    }

    #[test]
    fn the_story_intro_lists_the_incidents_and_a_loadable_file() {
        let agents = [
            info(0, "researcher", "Researcher"),
            info(1, "writer", "Writer"),
        ];
        let text = story_intro(&agents, 1000);
        assert!(text.contains("write_collision"), "{text}");
        assert!(text.contains("stall 45 s"), "{text}");
        let toml = &text[text.find("# Baton: the agents").unwrap()..];
        let file = crate::config::parse("story.toml", toml).unwrap();
        assert_eq!(file.agents.len(), 2);
        let rules = crate::config::validate_rules("story.toml", toml, &file).unwrap();
        assert_eq!(rules, story::rules());
    }

    #[test]
    fn the_list_has_every_scenario_with_its_sentence() {
        let list = list_scenarios();
        for scenario in Scenario::ALL {
            let line = format!("  {:<20} {}\n", scenario.name(), scenario.description());
            assert!(list.contains(&line), "{list}");
        }
    }
}
