//! What a simulated agent's server drives: the role-based random script of the demo fleet, or one
//! agent of a scripted scenario. Both answer polls and decisions the same way.

use baton_core::protocol::{DecisionDelivery, StatusDocument};
use chrono::{DateTime, Utc};

use crate::answer::TaskTexts;
use crate::held::Obeys;
use crate::scenario::ScenarioAgent;
use crate::script::AgentScript;
use crate::story::StoryAgent;

#[derive(Debug, Clone)]
pub enum SimAgent {
    /// A role of the random, seedable fleet (`SimFleet::start`).
    Roles(Box<AgentScript>),
    /// One agent of a scenario (`SimFleet::start_scenario`).
    Scenario(Box<ScenarioAgent>),
    /// One agent of the demo's story (`SimFleet::start_story`).
    Story(Box<StoryAgent>),
}

impl SimAgent {
    pub fn id(&self) -> &str {
        match self {
            SimAgent::Roles(script) => script.id(),
            SimAgent::Scenario(agent) => agent.id(),
            SimAgent::Story(story) => story.agent().id(),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            SimAgent::Roles(script) => script.name(),
            SimAgent::Scenario(agent) => agent.name(),
            SimAgent::Story(story) => story.agent().name(),
        }
    }

    /// One step of the agent's life at `now`.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        match self {
            SimAgent::Roles(script) => script.tick(now),
            SimAgent::Scenario(agent) => agent.tick(now),
            SimAgent::Story(story) => story.tick(now),
        }
    }

    /// The last `seq` the agent gave an event (0 before the first).
    pub fn last_seq(&self) -> u64 {
        match self {
            SimAgent::Roles(script) => script.last_seq(),
            SimAgent::Scenario(agent) => agent.last_seq(),
            SimAgent::Story(story) => story.agent().last_seq(),
        }
    }

    pub fn poll(&mut self, since: Option<&str>, max_events: usize) -> StatusDocument {
        match self {
            SimAgent::Roles(script) => script.poll(since, max_events),
            SimAgent::Scenario(agent) => agent.poll(since, max_events),
            SimAgent::Story(story) => story.poll(since, max_events),
        }
    }

    /// Writes the answer to a status poll into `out`: [`SimAgent::poll`] as JSON. A role agent's
    /// unchanged tasks are written from `texts` (a scenario or the story may repeat a task id on
    /// purpose, and answers a few polls a second: they are serialised whole).
    pub(crate) fn write_answer(
        &mut self,
        since: Option<&str>,
        max_events: usize,
        texts: &mut TaskTexts,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        match self {
            SimAgent::Roles(script) => texts.write(&script.poll_parts(since, max_events), out),
            _ => serde_json::to_writer(out, &self.poll(since, max_events)),
        }
    }

    /// Holds an extra event for the next poll (a role agent only; a scenario keeps its script).
    pub fn inject(&mut self, event: baton_core::protocol::Event) {
        if let SimAgent::Roles(script) = self {
            script.inject(event);
        }
    }

    /// Whatever drives it, as the agent that acts on decisions.
    pub fn obeying(&mut self) -> &mut dyn Obeys {
        match self {
            SimAgent::Roles(script) => script.as_mut(),
            SimAgent::Scenario(agent) => agent.as_mut(),
            SimAgent::Story(story) => story.as_mut(),
        }
    }

    pub fn decisions(&self) -> &[DecisionDelivery] {
        match self {
            SimAgent::Roles(script) => script.decisions(),
            SimAgent::Scenario(agent) => agent.decisions(),
            SimAgent::Story(story) => story.agent().decisions(),
        }
    }

    /// The tasks the agent reports now, oldest first.
    pub fn tasks(&self) -> Vec<baton_core::protocol::Task> {
        match self {
            SimAgent::Roles(script) => script.tasks(),
            SimAgent::Scenario(agent) => agent.tasks().to_vec(),
            SimAgent::Story(story) => story.agent().tasks().to_vec(),
        }
    }

    /// The scripted agent inside, if this is one (of a scenario or of the story).
    pub fn scripted(&self) -> Option<&ScenarioAgent> {
        match self {
            SimAgent::Roles(_) => None,
            SimAgent::Scenario(agent) => Some(agent),
            SimAgent::Story(story) => Some(story.agent()),
        }
    }

    fn scripted_mut(&mut self) -> Option<&mut ScenarioAgent> {
        match self {
            SimAgent::Roles(_) => None,
            SimAgent::Scenario(agent) => Some(agent),
            SimAgent::Story(story) => Some(story.agent_mut()),
        }
    }

    /// True when the script wants its endpoint closed (a `GoDark` beat played).
    pub fn dark_pending(&self) -> bool {
        self.scripted().is_some_and(ScenarioAgent::dark_pending)
    }

    /// The endpoint was closed.
    pub fn went_dark(&mut self) {
        if let Some(agent) = self.scripted_mut() {
            agent.went_dark();
        }
    }

    /// True when the script wants its endpoint open again (a `Relight` beat played).
    pub fn relight_pending(&self) -> bool {
        self.scripted().is_some_and(ScenarioAgent::relight_pending)
    }

    /// The endpoint was opened again.
    pub fn relit(&mut self) {
        if let Some(agent) = self.scripted_mut() {
            agent.relit();
        }
    }
}
