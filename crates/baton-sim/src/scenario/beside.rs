//! A scenario run beside another fleet (the demo's story, another scenario): its agents report
//! ids of their own, and what names one of them follows.

use super::agent::ScenarioAgent;
use super::catalog;
use super::timeline::Action;
use super::Scenario;

impl Scenario {
    /// Fresh agents for a run beside other agents (the demo's story, another scenario), in
    /// fleet order: each reports its cast's id with `suffix` (`editor@deadlock`), and what
    /// names another agent of the scenario (a task's `depends_on` on another agent's task, a
    /// handoff's receiver) follows, so nothing points at another fleet's agent of the same id.
    pub fn agents_beside(self, suffix: &str) -> Vec<ScenarioAgent> {
        let (cast, beats) = catalog::script(self);
        let ids: Vec<&str> = cast.iter().map(|c| c.id).collect();
        cast.iter()
            .enumerate()
            .map(|(i, c)| {
                let mine = beats
                    .iter()
                    .filter(|b| b.agent == i)
                    .map(|b| (b.tick, renamed(b.action.clone(), &ids, suffix)))
                    .collect();
                ScenarioAgent::new(*c, mine).with_id(format!("{}{suffix}", c.id))
            })
            .collect()
    }
}

/// `action` with the scenario's agent ids (`ids`) it names given `suffix`.
fn renamed(action: Action, ids: &[&str], suffix: &str) -> Action {
    match action {
        Action::Start(mut spec) => {
            for dependency in &mut spec.depends_on {
                if let Some((agent, task)) = dependency.split_once('/') {
                    if ids.contains(&agent) {
                        *dependency = format!("{agent}{suffix}/{task}");
                    }
                }
            }
            Action::Start(spec)
        }
        Action::Handoff {
            task,
            to,
            resource,
            payload,
        } if ids.contains(&to.as_str()) => Action::Handoff {
            task,
            to: format!("{to}{suffix}"),
            resource,
            payload,
        },
        other => other,
    }
}
