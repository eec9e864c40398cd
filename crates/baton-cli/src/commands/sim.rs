//! `baton sim`: a simulated fleet speaking baton/1 on 127.0.0.1.

use baton_sim::{SimConfig, SimFleet};

use super::CliError;

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
