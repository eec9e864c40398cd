//! `baton usage`: coding agents' limit windows across their sessions (each window's use, burn
//! rate over 15 min, when it runs out at that rate, the sessions burning most) and each
//! session's tokens and cost today; `--json` for scripts. It first reads what the sessions'
//! record files on this machine hold past what the store has.

use baton_core::cost::dollars;
use baton_core::hooks::HookClient;
use baton_core::usage::{SessionUsage, UsageWindow};
use baton_core::views::AgentRow;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::CliError;
use super::text::{clip, plain};
use baton_store::StorePlace;

/// What `baton usage --json` prints.
#[derive(Debug, Serialize)]
struct UsageReport {
    windows: Vec<UsageWindow>,
    sessions: Vec<SessionLine>,
}

#[derive(Debug, Serialize)]
struct SessionLine {
    agent_id: i64,
    name: String,
    client: String,
    usage: SessionUsage,
}

pub fn usage(place: &StorePlace, json: bool) -> Result<(), CliError> {
    let mut store = place.open()?;
    for warning in baton_hooks::usage::catch_up::catch_up(&mut store) {
        eprintln!("baton: usage: {warning}");
    }
    let now = Utc::now();
    let windows = store.usage_windows(now)?;
    let sessions = sessions_of(&store.agent_rows()?);
    if json {
        let text = serde_json::to_string_pretty(&UsageReport { windows, sessions })
            .map_err(|e| CliError::Io(e.into()))?;
        println!("{text}");
    } else {
        print!("{}", render_windows(&windows, now));
        print!("\n{}", render_sessions(&sessions));
    }
    Ok(())
}

fn sessions_of(rows: &[AgentRow]) -> Vec<SessionLine> {
    rows.iter()
        .filter_map(|row| {
            let session = row.session.as_ref()?;
            Some(SessionLine {
                agent_id: row.config.id,
                name: row.config.name.clone(),
                client: session.client.clone(),
                usage: session.usage.clone()?,
            })
        })
        .collect()
}

fn at(time: Option<DateTime<Utc>>) -> String {
    time.map_or("—".into(), |t| t.format("%H:%M UTC").to_string())
}

/// The windows table (also under `baton status`).
pub fn render_windows(windows: &[UsageWindow], now: DateTime<Utc>) -> String {
    if windows.is_empty() {
        return "No coding agent's usage window seen yet (Codex reports them in its rollout \
                files; Claude Code to a chained status line: `baton hooks install claude-code \
                --statusline`).\n"
            .into();
    }
    let mut out = format!(
        "{:<12} {:<22} {:<16} {:>5} {:>9} {:>10} {:>10}  {}\n",
        "CLIENT", "ACCOUNT", "WINDOW", "USED", "BURN/H", "RUNS OUT", "RESETS", "BURNING MOST"
    );
    for w in windows {
        let client = HookClient::parse(&w.client).map_or(w.client.as_str(), |c| c.label());
        let burn = w.burn_per_hour.map_or("—".into(), |b| format!("{b:.0}%"));
        let mut runs_out = at(w.runs_out_at);
        if let Some(until) = w.paused_until.filter(|p| *p > now) {
            runs_out = format!("paused→{}", until.format("%H:%M"));
        }
        let names: Vec<String> = w
            .sessions
            .iter()
            .filter(|s| s.tokens > 0)
            .take(3)
            .map(|s| plain(&s.name))
            .collect();
        out.push_str(&format!(
            "{:<12} {:<22} {:<16} {:>4.0}% {:>9} {:>10} {:>10}  {}\n",
            client,
            clip(&plain(&w.account), 22),
            clip(&w.label, 16),
            w.used_percent,
            burn,
            runs_out,
            at(w.resets_at),
            names.join(", ")
        ));
    }
    out
}

fn render_sessions(sessions: &[SessionLine]) -> String {
    if sessions.is_empty() {
        return "No coding session's usage read yet.\n".into();
    }
    let mut out = format!(
        "{:<28} {:<12} {:>12} {:>10} {:>12} {:>10}\n",
        "SESSION", "CLIENT", "TOKENS TODAY", "COST TODAY", "TOKENS", "COST"
    );
    for s in sessions {
        let cost = |usd: Option<f64>| usd.map_or("—".into(), dollars);
        out.push_str(&format!(
            "{:<28} {:<12} {:>12} {:>10} {:>12} {:>10}\n",
            clip(&plain(&s.name), 28),
            s.client,
            s.usage.today.total(),
            cost(s.usage.today_usd),
            s.usage.models.iter().map(|m| m.tokens.total()).sum::<u64>(),
            cost(s.usage.usd)
        ));
    }
    out
}
