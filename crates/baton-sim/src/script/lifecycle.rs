//! How tasks are born, worked on, interrupted and finished: the random part of the script.

use baton_core::protocol::{EventKind, Task};
use baton_core::task::TaskState;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::json;

use super::usage::rate_limit_headers;
use super::{blank_event, AgentScript, SimTask};
use crate::roles;

impl AgentScript {
    pub(super) fn create_task(&mut self, now: DateTime<Utc>) {
        self.created += 1;
        let plan = roles::plan(self.role, &mut self.rng);
        let depends = self.rng.random_bool(0.3);
        let depends_on = match self.tasks.last() {
            Some(prev) if depends => vec![prev.task.id.clone()],
            _ => Vec::new(),
        };
        let id = format!("{}-{}", self.role.task_prefix, self.created);
        let task = Task {
            id: id.clone(),
            title: plan.title.clone(),
            state: TaskState::Submitted,
            created_at: Some(now),
            updated_at: Some(now),
            state_since: Some(now),
            depends_on,
            trigger: plan.trigger.clone(),
            reads: plan.reads.clone(),
            writes: plan.writes.clone(),
            output: None,
            next_stage: self
                .handoff_to
                .clone()
                .or_else(|| self.role.next.map(str::to_owned)),
            detail: None,
        };
        if let Some(trigger) = &plan.trigger {
            let mut event = blank_event(EventKind::Trigger, now, &id);
            event.resource = Some(trigger.clone());
            self.push(event);
        }
        self.tasks.push(SimTask {
            task,
            revision: 0,
            plan,
            ticks_left: 1,
            interrupted: false,
        });
        let i = self.tasks.len() - 1;
        self.set_state(i, TaskState::Submitted, None, now);
    }

    pub(super) fn advance(&mut self, i: usize, now: DateTime<Utc>) {
        let state = self.tasks[i].task.state;
        if state.is_terminal() {
            return;
        }
        if state == TaskState::Working {
            self.work(i, now);
        }
        let task = &mut self.tasks[i];
        task.ticks_left = task.ticks_left.saturating_sub(1);
        if task.ticks_left > 0 {
            return;
        }
        match state {
            TaskState::Submitted => {
                if self.rng.random_bool(0.04) {
                    let detail = Some("out of scope for this agent".to_owned());
                    self.set_state(i, TaskState::Rejected, detail, now);
                } else {
                    self.tasks[i].ticks_left = self.rng.random_range(1..=3);
                    self.set_state(i, TaskState::Working, None, now);
                    for resource in self.tasks[i].plan.reads.clone() {
                        let mut event = blank_event(EventKind::Read, now, &self.tasks[i].task.id);
                        event.resource = Some(resource);
                        self.push(event);
                    }
                }
            }
            TaskState::Working => self.finish_work(i, now),
            _ => {
                self.tasks[i].ticks_left = self.rng.random_range(1..=2);
                self.set_state(i, TaskState::Working, Some("resumed".into()), now);
            }
        }
    }

    /// One tick of work on a working task: API calls and writes.
    fn work(&mut self, i: usize, now: DateTime<Utc>) {
        let task_id = self.tasks[i].task.id.clone();
        if self.rng.random_bool(0.7) {
            let api = if self.rng.random_bool(0.8) {
                self.role.api
            } else if self.role.api == "openai" {
                "anthropic"
            } else {
                "openai"
            };
            let limited = self.rng.random_bool(0.05);
            let tokens: u64 = if limited {
                0
            } else {
                self.rng.random_range(200..=2400)
            };
            let remaining: u32 = if limited {
                0
            } else {
                self.rng.random_range(1..=480)
            };
            let headers = rate_limit_headers(api, remaining, limited, now);
            let mut event = blank_event(EventKind::ApiCall, now, &task_id);
            event.resource = Some(format!("api://{api}"));
            event.api = Some(api.to_owned());
            event.status = Some(if limited { 429 } else { 200 });
            event.headers = Some(headers);
            event.tokens = Some(tokens);
            self.push(event);
            self.record_usage(api, now, tokens, limited);
        }
        let writes = &self.tasks[i].plan.writes;
        let pick = self.rng.random_range(0..writes.len());
        if self.rng.random_bool(0.5) {
            let mut event = blank_event(EventKind::Write, now, &task_id);
            event.resource = Some(self.tasks[i].plan.writes[pick].clone());
            self.push(event);
        }
    }

    /// The work of a task is done: it stops once to wait (maybe), then completes or fails.
    fn finish_work(&mut self, i: usize, now: DateTime<Utc>) {
        let roll: f64 = self.rng.random();
        if !self.tasks[i].interrupted {
            let ask = self.role.asks_human;
            let (state, ticks, detail) = if roll < ask {
                (TaskState::InputRequired, self.rng.random_range(4..=7), None)
            } else if roll < ask + 0.10 {
                let api = self.role.api;
                let detail = format!("waiting for quota on api://{api}");
                (
                    TaskState::Blocked,
                    self.rng.random_range(2..=3),
                    Some(detail),
                )
            } else if roll < ask + 0.13 {
                let detail = "token for slack://marketing expired".to_owned();
                (
                    TaskState::AuthRequired,
                    self.rng.random_range(3..=5),
                    Some(detail),
                )
            } else {
                (TaskState::Working, 0, None)
            };
            if state != TaskState::Working {
                self.tasks[i].interrupted = true;
                self.tasks[i].ticks_left = ticks;
                let question = self.tasks[i].plan.question.clone();
                let detail = detail.or_else(|| Some(question.clone()));
                self.set_state(i, state, detail, now);
                if state == TaskState::InputRequired {
                    let mut event =
                        blank_event(EventKind::NeedsApproval, now, &self.tasks[i].task.id);
                    event.message = Some(question);
                    event.payload = Some(json!({ "options": ["approve", "reject"] }));
                    self.push(event);
                }
                return;
            }
        }
        if self.rng.random_bool(0.15) {
            let api = self.role.api;
            let detail = Some(format!("api://{api} returned 500 three times"));
            self.set_state(i, TaskState::Failed, detail, now);
            return;
        }
        let task_id = self.tasks[i].task.id.clone();
        let plan = self.tasks[i].plan.clone();
        let mut write = blank_event(EventKind::Write, now, &task_id);
        write.resource = Some(plan.output.clone());
        self.push(write);
        if let Some((key, value)) = plan.claim {
            let mut claim = blank_event(EventKind::Claim, now, &task_id);
            claim.key = Some(key);
            claim.value = Some(value);
            self.push(claim);
        }
        if let Some(to) = self.handoff_to.clone() {
            let mut handoff = blank_event(EventKind::Handoff, now, &task_id);
            handoff.resource = Some(plan.output.clone());
            handoff.to = Some(to);
            handoff.payload = Some(json!({ "task": task_id, "title": plan.title }));
            self.push(handoff);
        }
        self.task_mut(i).output = Some(plan.output);
        self.set_state(i, TaskState::Completed, None, now);
    }
}
