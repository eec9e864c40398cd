//! `baton decide`, `baton follow`, `baton unfollow`: acting on the queue and on A2A tasks from
//! the terminal, through the same engine calls as the app's buttons.

use std::sync::Arc;
use std::time::Duration;

use baton_core::agent::AgentConfig;
use baton_core::detect::FindingKind;
use baton_core::escalations::{BudgetShare, EscalationAction, MAX_SNOOZE_MINUTES};
use baton_engine::{Engine, EngineConfig, KeyringTokens};

use super::error::CliError;
use super::import::import_who;
use super::queue::{agent_names, render_deliveries};
use super::text::plain;
use crate::args::DecideAction;
use baton_store::StorePlace;

/// An engine on the store for one command: no pollers, the keyring's tokens (read only) for
/// delivering decisions to agents that need one.
fn engine(place: &StorePlace) -> Result<Engine, CliError> {
    Ok(Engine::new(
        place.open_handle(1)?,
        Arc::new(KeyringTokens::new()),
        EngineConfig {
            decides_in: baton_store::decide::DecidedIn::Cli,
            ..EngineConfig::default()
        },
    ))
}

/// The agent `who` names: its number, else its name (ignoring case and surrounding spaces).
fn find_agent<'a>(agents: &'a [AgentConfig], who: &str) -> Result<&'a AgentConfig, CliError> {
    let who = who.trim();
    let by_id = who
        .strip_prefix('#')
        .unwrap_or(who)
        .parse::<i64>()
        .ok()
        .and_then(|id| agents.iter().find(|a| a.id == id));
    by_id
        .or_else(|| {
            agents
                .iter()
                .find(|a| baton_core::agent::same_name(&a.name, who))
        })
        .ok_or_else(|| {
            CliError::Invalid(format!(
                "no agent named {} (`baton status` lists them)",
                plain(who)
            ))
        })
}

/// "30m", "2h", "1d", "45" (minutes) → minutes.
pub fn snooze_minutes(text: &str) -> Result<u32, CliError> {
    let text = text.trim();
    let bad = || {
        CliError::Invalid(format!(
            "snooze for how long? `{}` is not a duration like 30m, 2h or 1d",
            plain(text)
        ))
    };
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "m"),
    };
    let count: u32 = digits.parse().map_err(|_| bad())?;
    let per = match unit.trim() {
        "m" | "min" => 1,
        "h" => 60,
        "d" => 24 * 60,
        _ => return Err(bad()),
    };
    let minutes = count.checked_mul(per).ok_or_else(bad)?;
    if minutes == 0 || minutes > MAX_SNOOZE_MINUTES {
        return Err(CliError::Invalid(format!(
            "a snooze lasts from 1 minute to 7 days, not {}",
            plain(text)
        )));
    }
    Ok(minutes)
}

/// "Writer=60,Researcher=40" → shares by agent id.
pub fn split_shares(agents: &[AgentConfig], text: &str) -> Result<Vec<BudgetShare>, CliError> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (name, percent) = part.rsplit_once('=').ok_or_else(|| {
                CliError::Invalid(format!(
                    "`{}` is not NAME=PERCENT (e.g. Writer=60,Researcher=40)",
                    plain(part)
                ))
            })?;
            let percent = percent.trim().parse::<u32>().map_err(|_| {
                CliError::Invalid(format!("`{}` is not a percentage (0–100)", plain(percent)))
            })?;
            Ok(BudgetShare {
                agent_id: find_agent(agents, name)?.id,
                percent,
            })
        })
        .collect()
}

/// The engine's action for what the command line said, and the note that goes with it.
fn action_of(
    action: DecideAction,
    note: Option<String>,
    agents: &[AgentConfig],
    kind: FindingKind,
) -> Result<(EscalationAction, Option<String>), CliError> {
    Ok(match action {
        DecideAction::Approve => (EscalationAction::Approve, note),
        DecideAction::Reject => (EscalationAction::Reject, note),
        DecideAction::Retry => (EscalationAction::Retry, note),
        DecideAction::Give { agent } => (
            EscalationAction::GiveOwnership {
                agent_id: find_agent(agents, &agent)?.id,
            },
            note,
        ),
        DecideAction::Dismiss { reason } => (EscalationAction::Dismiss, Some(reason)),
        DecideAction::Snooze { duration } => (
            EscalationAction::Snooze {
                minutes: snooze_minutes(&duration)?,
            },
            note,
        ),
        DecideAction::Answer { text } => {
            if kind != FindingKind::NeedsApproval {
                return Err(CliError::Invalid(format!(
                    "this escalation is a {}, not an agent's question: nothing to answer \
                     (approve, reject or dismiss it, with --note to say why)",
                    kind.as_str()
                )));
            }
            if note.is_some() {
                return Err(CliError::Invalid(
                    "the answer is what the agent gets: leave out --note".into(),
                ));
            }
            (EscalationAction::Approve, Some(text))
        }
        DecideAction::Split { shares } => (
            EscalationAction::SplitBudget {
                shares: split_shares(agents, &shares)?,
            },
            note,
        ),
        DecideAction::Grant { session } => (
            EscalationAction::GrantLease {
                agent_id: find_agent(agents, &session)?.id,
            },
            note,
        ),
        DecideAction::Keep => (EscalationAction::KeepLease, note),
        DecideAction::AllowBothOnce => (EscalationAction::AllowBothOnce, note),
        DecideAction::Cancel { agent, task } => (
            EscalationAction::CancelTask {
                agent_id: find_agent(agents, &agent)?.id,
                task_id: task,
            },
            note,
        ),
        DecideAction::GiveFile { session, file } => (
            EscalationAction::GiveLease {
                agent_id: find_agent(agents, &session)?.id,
                resource: if file.starts_with("file://") || file.starts_with("repo://") {
                    file
                } else {
                    baton_core::hooks::file_resource(&file)
                },
            },
            note,
        ),
        DecideAction::StopTouching { session } => (
            EscalationAction::StopTouching {
                agent_id: find_agent(agents, &session)?.id,
            },
            note,
        ),
        DecideAction::HandToBranch { session } => (
            EscalationAction::HandToBranch {
                agent_id: find_agent(agents, &session)?.id,
            },
            note,
        ),
        DecideAction::LetBothGoOn => (EscalationAction::LetBothGoOn, note),
        DecideAction::PauseSessions => (EscalationAction::PauseSessions, note),
        DecideAction::LetSessionsGoOn => (EscalationAction::LetSessionsGoOn, note),
    })
}

/// `baton decide ID ACTION …`: decided as the app decides, then delivered at once; what the
/// agents did not take within `wait` the app or `baton watch` delivers later (their relay
/// carries on from the store).
pub async fn decide(
    place: &StorePlace,
    id: i64,
    action: DecideAction,
    note: Option<String>,
    who: Option<String>,
    wait: Duration,
) -> Result<(), CliError> {
    let engine = engine(place)?;
    let agents = engine.read(|s| s.agents()).await?;
    let escalation = engine.escalation(id).await?;
    let (action, note) = action_of(action, note, &agents, escalation.kind)?;
    let who = import_who(who);
    let decided = engine
        .decide_escalation(id, action.clone(), note, who.clone())
        .await?;
    println!(
        "escalation {id}: {} by {} ({})",
        action.log_action(),
        plain(&who),
        decided.state.as_str()
    );
    if decided.deliveries.is_empty() {
        return Ok(());
    }
    let delivered = engine.deliver_decision(id, wait).await?;
    print!("{}", render_deliveries(&delivered, &agent_names(&agents)));
    if delivered
        .deliveries
        .iter()
        .any(|d| d.delivered_at.is_none())
    {
        println!("  the app or `baton watch` keeps trying while it runs");
    }
    Ok(())
}

/// `baton follow AGENT TASK_ID` (`follow = true`) and `baton unfollow AGENT TASK_ID`.
pub async fn follow(
    place: &StorePlace,
    agent: &str,
    task_id: String,
    follow: bool,
) -> Result<(), CliError> {
    let engine = engine(place)?;
    let agents = engine.read(|s| s.agents()).await?;
    let agent = find_agent(&agents, agent)?;
    let name = plain(&agent.name);
    let task = plain(&task_id);
    if follow {
        let added = engine.follow_task(agent.id, task_id).await?;
        if added {
            println!("{name}: following task {task}; it shows from the next poll");
        } else {
            println!("{name}: task {task} was already known");
        }
    } else {
        let removed = engine.unfollow_task(agent.id, task_id).await?;
        if removed {
            println!("{name}: task {task} forgotten");
        } else {
            return Err(CliError::Invalid(format!(
                "{name} has no task {task} (`baton status` counts its tasks)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snoozes_read_minutes_hours_and_days_within_a_week() {
        assert_eq!(snooze_minutes("30m").unwrap(), 30);
        assert_eq!(snooze_minutes("45").unwrap(), 45);
        assert_eq!(snooze_minutes("2h").unwrap(), 120);
        assert_eq!(snooze_minutes(" 1d ").unwrap(), 1440);
        assert_eq!(snooze_minutes("7d").unwrap(), MAX_SNOOZE_MINUTES);
        for bad in ["", "0m", "8d", "soon", "2w", "-5m", "99999999999d"] {
            let err = snooze_minutes(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}: {err}");
        }
    }

    fn agents() -> Vec<AgentConfig> {
        ["Writer", "Researcher"]
            .iter()
            .enumerate()
            .map(|(i, name)| AgentConfig {
                id: i64::try_from(i).unwrap() + 1,
                name: (*name).to_owned(),
                base_url: format!("http://127.0.0.1:{}", 7700 + i),
                poll_interval_ms: 1000,
                timeout_ms: 1000,
                adapter: baton_core::agent::AdapterKind::Baton,
                has_token: false,
            })
            .collect()
    }

    #[test]
    fn shares_and_agents_are_found_by_name_or_number() {
        let agents = agents();
        let shares = split_shares(&agents, "writer=60, Researcher=40").unwrap();
        assert_eq!(
            shares,
            vec![
                BudgetShare {
                    agent_id: 1,
                    percent: 60
                },
                BudgetShare {
                    agent_id: 2,
                    percent: 40
                }
            ]
        );
        assert_eq!(find_agent(&agents, "#2").unwrap().name, "Researcher");
        assert_eq!(find_agent(&agents, "1").unwrap().name, "Writer");
        for bad in ["Nobody=50", "Writer", "Writer=lots"] {
            assert_eq!(
                split_shares(&agents, bad).unwrap_err().exit_code(),
                2,
                "{bad}"
            );
        }
    }

    #[test]
    fn an_answer_is_only_for_a_question() {
        let agents = agents();
        let (action, note) = action_of(
            DecideAction::Answer {
                text: "use the EU list".into(),
            },
            None,
            &agents,
            FindingKind::NeedsApproval,
        )
        .unwrap();
        assert_eq!(action, EscalationAction::Approve);
        assert_eq!(note.as_deref(), Some("use the EU list"));
        let err = action_of(
            DecideAction::Answer { text: "x".into() },
            None,
            &agents,
            FindingKind::WriteCollision,
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
