//! The fleet handle: starts one listener per simulated agent (of the role-based fleet, or of a
//! scripted scenario), drives the scripts on a timer, and lets tests stop, restart, step and
//! inspect agents.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use baton_core::protocol::DecisionDelivery;
use chrono::Utc;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::agent::SimAgent;
use crate::faults::{DecisionFaults, DecisionStats, FaultPlan};
use crate::scenario::Scenario;
use crate::script::AgentScript;
use crate::server::{self, AgentShared, Running};
use crate::story::StoryAgent;

/// How to run a simulated fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Number of agents.
    pub agents: usize,
    /// Agent `i` listens on `base_port + i`; 0 gives each agent an ephemeral port.
    pub base_port: u16,
    /// Same seed and same number of ticks give the same documents (wall-clock times aside).
    pub seed: u64,
    /// Milliseconds between automatic ticks; 0 means only [`SimFleet::step`] advances the script.
    pub tick_ms: u64,
    /// Most events one status answer carries.
    pub max_events_per_poll: usize,
}

/// Port the default configuration starts at.
pub const DEFAULT_BASE_PORT: u16 = 7700;

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            agents: 5,
            base_port: DEFAULT_BASE_PORT,
            seed: 42,
            tick_ms: 1000,
            max_events_per_poll: 500,
        }
    }
}

impl SimConfig {
    /// `agents` agents on ephemeral ports that move only when the test steps them
    /// ([`SimFleet::step`]): what tests start.
    pub fn stepped(agents: usize) -> SimConfig {
        SimConfig {
            agents,
            base_port: 0,
            tick_ms: 0,
            ..SimConfig::default()
        }
    }
}

/// Where one simulated agent can be reached, and who it says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimAgentInfo {
    pub index: usize,
    /// The id the agent reports, e.g. `researcher-1`.
    pub id: String,
    /// The display name the agent reports, e.g. `Researcher 1`.
    pub name: String,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    pub port: u16,
}

#[derive(Debug)]
struct Slot {
    info: SimAgentInfo,
    shared: Arc<AgentShared>,
    server: tokio::sync::Mutex<Option<Running>>,
}

impl Slot {
    /// One tick of the agent at `now`. When its script goes dark, the listener is closed:
    /// dropping the server handle starts its shutdown, and new connections are refused. When
    /// it relights, the same port listens again (on a runtime's thread, as the timer is).
    fn tick(&self, now: chrono::DateTime<Utc>) {
        let mut agent = self.shared.agent();
        agent.tick(now);
        if agent.dark_pending() {
            // Busy only while a test stops or restarts the agent: the next tick tries again.
            if let Ok(mut server) = self.server.try_lock() {
                server.take();
                agent.went_dark();
            }
        }
        if agent.relight_pending() {
            if let Ok(mut server) = self.server.try_lock() {
                if server.is_none() {
                    match bind_now(self.info.port) {
                        Ok(listener) => {
                            *server = Some(server::serve(listener, self.shared.clone()))
                        }
                        // The port was taken meanwhile: the next tick tries again.
                        Err(_) => return,
                    }
                }
                agent.relit();
            }
        }
    }
}

/// A running simulated fleet. Dropping it stops the timer and closes every listener;
/// [`SimFleet::shutdown`] does the same and waits until they are closed.
#[derive(Debug)]
pub struct SimFleet {
    slots: Arc<Vec<Slot>>,
    timer: Option<JoinHandle<()>>,
    scenario: Option<Scenario>,
}

async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
}

/// Binds without waiting, from a synchronous tick inside the runtime.
fn bind_now(port: u16) -> std::io::Result<TcpListener> {
    let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

/// One tick for every agent, all at the same moment.
fn step_all(slots: &[Slot]) {
    let now = Utc::now();
    for slot in slots {
        slot.tick(now);
    }
}

/// The port of agent `index`: `base_port + index`, or 0 (any free port) when `base_port` is 0.
fn port_of(base_port: u16, index: usize) -> std::io::Result<u16> {
    if base_port == 0 {
        return Ok(0);
    }
    u16::try_from(index)
        .ok()
        .and_then(|i| base_port.checked_add(i))
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("port {base_port} + {index} is beyond 65535"),
            )
        })
}

impl SimFleet {
    /// Binds every agent's listener on 127.0.0.1 and starts serving (and ticking, if `tick_ms > 0`).
    /// The first automatic tick happens `tick_ms` after start, so a fresh fleet has no tasks yet.
    pub async fn start(config: SimConfig) -> std::io::Result<SimFleet> {
        let agents = (0..config.agents)
            .map(|index| {
                SimAgent::Roles(Box::new(AgentScript::new(
                    index,
                    config.agents,
                    config.seed,
                )))
            })
            .collect();
        launch(
            agents,
            config.base_port,
            config.tick_ms,
            config.max_events_per_poll,
            Start::Now,
        )
        .await
    }

    /// Serves the agents of one scripted scenario on 127.0.0.1 (agent `i` on `base_port + i`,
    /// or on any free port when `base_port` is 0), ticking every `tick_ms` (0: only
    /// [`SimFleet::step`] advances the timeline). The timeline waits for its audience: tick 1
    /// is the first timer tick after every agent has received a status request, so a poller
    /// that starts late still sees the whole story unfold in order.
    pub async fn start_scenario(
        scenario: Scenario,
        base_port: u16,
        tick_ms: u64,
    ) -> std::io::Result<SimFleet> {
        SimFleet::play(scenario, scenario.agents(), base_port, tick_ms).await
    }

    /// [`SimFleet::start_scenario`] beside another fleet (the demo's story): the agents report
    /// ids of their own, their cast's with `suffix` ([`Scenario::agents_beside`]).
    pub async fn start_scenario_beside(
        scenario: Scenario,
        suffix: &str,
        base_port: u16,
        tick_ms: u64,
    ) -> std::io::Result<SimFleet> {
        let agents = scenario.agents_beside(suffix);
        SimFleet::play(scenario, agents, base_port, tick_ms).await
    }

    async fn play(
        scenario: Scenario,
        agents: Vec<crate::scenario::ScenarioAgent>,
        base_port: u16,
        tick_ms: u64,
    ) -> std::io::Result<SimFleet> {
        let agents = agents
            .into_iter()
            .map(|agent| SimAgent::Scenario(Box::new(agent)))
            .collect();
        let max_events = SimConfig::default().max_events_per_poll;
        launch(
            agents,
            base_port,
            tick_ms,
            max_events,
            Start::Scenario(scenario),
        )
        .await
    }

    /// Serves the demo's story (see [`crate::story`]) on 127.0.0.1, one tick every `tick_ms`
    /// (0: only [`SimFleet::step`] advances it). Like a scenario, it waits for its audience:
    /// tick 1 comes after every agent has been polled once.
    pub async fn start_story(base_port: u16, tick_ms: u64) -> std::io::Result<SimFleet> {
        let agents = StoryAgent::cast(Duration::from_millis(tick_ms.max(1)))
            .into_iter()
            .map(|agent| SimAgent::Story(Box::new(agent)))
            .collect();
        let max_events = SimConfig::default().max_events_per_poll;
        launch(agents, base_port, tick_ms, max_events, Start::WhenPolled).await
    }

    /// The scenario this fleet plays, if it was started with [`SimFleet::start_scenario`].
    pub fn scenario(&self) -> Option<Scenario> {
        self.scenario
    }

    fn slot(&self, index: usize) -> &Slot {
        self.slots.get(index).unwrap_or_else(|| {
            panic!(
                "no simulated agent {index}: the fleet has {}",
                self.slots.len()
            )
        })
    }

    /// Every agent, in index order.
    pub fn agents(&self) -> Vec<SimAgentInfo> {
        self.slots.iter().map(|s| s.info.clone()).collect()
    }

    /// The index of the agent serving at `base_url` (as Baton stores it), if one does.
    pub fn index_of(&self, base_url: &str) -> Option<usize> {
        self.slots
            .iter()
            .find(|s| s.info.base_url == base_url)
            .map(|s| s.info.index)
    }

    /// Advances every agent's script by one tick (what the timer does).
    pub fn step(&self) {
        step_all(&self.slots);
    }

    /// Advances one agent's script by one tick. Panics if `index` is out of range.
    pub fn step_agent(&self, index: usize) {
        self.slot(index).tick(Utc::now());
    }

    /// Closes the agent's listener (connections are refused) and ends its open connections.
    /// The script state is kept. Does nothing if it is already stopped.
    pub async fn stop_agent(&self, index: usize) {
        let running = self.slot(index).server.lock().await.take();
        if let Some(running) = running {
            running.stop().await;
        }
    }

    /// Listens again on the agent's port with its state intact. Does nothing if it is running.
    pub async fn restart_agent(&self, index: usize) -> std::io::Result<()> {
        let slot = self.slot(index);
        let mut server = slot.server.lock().await;
        if server.is_none() {
            let listener = bind(slot.info.port).await?;
            *server = Some(server::serve(listener, slot.shared.clone()));
        }
        Ok(())
    }

    /// The decisions the agent applied, in arrival order (each idempotency key once).
    pub fn decisions(&self, index: usize) -> Vec<DecisionDelivery> {
        self.slot(index).shared.agent().decisions().to_vec()
    }

    /// What a scripted agent (of a scenario or the story) held back because of decisions.
    pub fn obeyed(&self, index: usize) -> Vec<String> {
        let agent = self.slot(index).shared.agent();
        agent
            .scripted()
            .map(|a| a.obeyed().to_vec())
            .unwrap_or_default()
    }

    /// The tasks the agent reports now, oldest first.
    pub fn tasks(&self, index: usize) -> Vec<baton_core::protocol::Task> {
        self.slot(index).shared.agent().tasks()
    }

    /// With `Some(token)`, requests without `Authorization: Bearer <token>` are answered 401.
    pub fn set_token(&self, index: usize, token: Option<String>) {
        self.slot(index).shared.set_token(token);
    }

    /// Makes agent `index` (of a role fleet) report one extra event, given its next `seq`.
    pub fn inject_event(&self, index: usize, event: baton_core::protocol::Event) {
        self.slot(index).shared.agent().inject(event);
    }

    /// Puts faults on the agent's decisions endpoint (`None`: answer every request normally).
    pub fn set_decision_faults(&self, index: usize, faults: Option<DecisionFaults>) {
        self.slot(index)
            .shared
            .set_faults(faults.map(FaultPlan::new));
    }

    /// What the agent's decisions endpoint saw.
    pub fn decision_stats(&self, index: usize) -> DecisionStats {
        self.slot(index).shared.decision_stats()
    }

    /// The last `seq` agent `index` gave an event (0 before the first).
    pub fn last_seq(&self, index: usize) -> u64 {
        self.slot(index).shared.agent().last_seq()
    }

    /// Status requests the agent received (answered or refused with 401).
    pub fn poll_count(&self, index: usize) -> u64 {
        self.slot(index).shared.poll_count()
    }

    /// When the agent's status requests arrived (answered or refused), oldest first, to the
    /// millisecond; the latest 8,192 to 16,384 are kept. Benchmarks read poll lateness from it.
    pub fn poll_arrivals(&self, index: usize) -> Vec<std::time::Instant> {
        self.slot(index).shared.poll_arrivals()
    }

    /// [`SimFleet::poll_arrivals`] with the port each request came from on 127.0.0.1: a
    /// poller's connection, so two pollers of one agent show as two ports taking turns.
    pub fn poll_sources(&self, index: usize) -> Vec<(std::time::Instant, u16)> {
        self.slot(index).shared.poll_sources()
    }

    /// [`SimFleet::poll_arrivals`] with the cursor each request asked from (`since`; None when
    /// it named none): a poller that stored what it fetched asks from there next, so the cursors
    /// of one agent's requests never go back unless a poller asks again for what was stored.
    pub fn poll_cursors(&self, index: usize) -> Vec<(std::time::Instant, Option<u64>)> {
        self.slot(index).shared.poll_cursors()
    }

    /// Each status request's source port and the cursor it asked from, oldest first.
    pub fn poll_requests(&self, index: usize) -> Vec<(u16, Option<u64>)> {
        self.slot(index).shared.poll_requests()
    }

    /// Stops the timer and closes every listener, waiting until they are closed.
    pub async fn shutdown(mut self) {
        if let Some(timer) = self.timer.take() {
            timer.abort();
        }
        for index in 0..self.slots.len() {
            self.stop_agent(index).await;
        }
    }
}

impl Drop for SimFleet {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.abort();
        }
        // Each `Running` dropped with its slot starts its server's graceful shutdown.
    }
}

/// When the timer starts ticking.
enum Start {
    Now,
    /// After every agent was polled once (a scenario's timeline waits for its audience).
    Scenario(Scenario),
    /// Like a scenario, for the story.
    WhenPolled,
}

/// Binds a listener per agent, serves each, and starts the timer.
async fn launch(
    agents: Vec<SimAgent>,
    base_port: u16,
    tick_ms: u64,
    max_events: usize,
    start: Start,
) -> std::io::Result<SimFleet> {
    let (scenario, wait_for_polls) = match start {
        Start::Now => (None, false),
        Start::Scenario(scenario) => (Some(scenario), true),
        Start::WhenPolled => (None, true),
    };
    let mut slots = Vec::with_capacity(agents.len());
    for (index, agent) in agents.into_iter().enumerate() {
        let port = port_of(base_port, index)?;
        let listener = bind(port)
            .await
            .map_err(|err| std::io::Error::new(err.kind(), format!("127.0.0.1:{port}: {err}")))?;
        let port = listener.local_addr()?.port();
        let info = SimAgentInfo {
            index,
            id: agent.id().to_owned(),
            name: agent.name().to_owned(),
            base_url: format!("http://127.0.0.1:{port}"),
            port,
        };
        let shared = Arc::new(AgentShared::new(agent, max_events));
        let running = server::serve(listener, shared.clone());
        slots.push(Slot {
            info,
            shared,
            server: tokio::sync::Mutex::new(Some(running)),
        });
    }
    let slots = Arc::new(slots);
    let timer = (tick_ms > 0).then(|| {
        let slots = Arc::clone(&slots);
        let period = Duration::from_millis(tick_ms);
        tokio::spawn(async move {
            let mut interval =
                tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut started = !wait_for_polls;
            loop {
                interval.tick().await;
                started = started || slots.iter().all(|s| s.shared.poll_count() > 0);
                if started {
                    step_all(&slots);
                }
            }
        })
    });
    Ok(SimFleet {
        slots,
        timer,
        scenario,
    })
}
