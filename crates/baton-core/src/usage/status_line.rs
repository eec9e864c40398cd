//! What Claude Code hands a status-line command on stdin, every few seconds while a session is
//! open in its terminal (2.1.328, measured): the session, its `cost` (`total_cost_usd`) and,
//! for accounts with plan limits, `rate_limits` (`five_hour` / `seven_day`: `used_percentage`
//! 0–100, `resets_at` in epoch seconds). Baton reads it when the person lets it chain the
//! status line (`baton hooks install claude-code --statusline`).

use serde::Deserialize;

use super::types::{epoch_seconds, WindowReading};

/// The part of the status-line data Baton keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusLine {
    pub session_id: Option<String>,
    pub transcript_path: Option<String>,
    pub cwd: Option<String>,
    pub model: Option<String>,
    /// The session's cost so far, as Claude Code counts it.
    pub cost_usd: Option<f64>,
    pub windows: Vec<WindowReading>,
}

#[derive(Deserialize)]
struct Raw {
    session_id: Option<String>,
    transcript_path: Option<String>,
    cwd: Option<String>,
    model: Option<Model>,
    cost: Option<Cost>,
    rate_limits: Option<std::collections::BTreeMap<String, Option<RawWindow>>>,
}

#[derive(Deserialize)]
struct Model {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Cost {
    total_cost_usd: Option<f64>,
}

#[derive(Deserialize)]
struct RawWindow {
    used_percentage: Option<f64>,
    resets_at: Option<f64>,
}

/// The windows Claude Code names, and how long each is.
const WINDOW_MINUTES: &[(&str, u32)] = &[("five_hour", 300), ("seven_day", 10_080)];

/// Reads the status-line data; an error is a sentence for the person.
pub fn parse_status_line(bytes: &[u8]) -> Result<StatusLine, String> {
    let raw: Raw = serde_json::from_slice(bytes)
        .map_err(|err| format!("the status-line data is not what Claude Code sends ({err})"))?;
    let mut windows = Vec::new();
    for (name, window) in raw.rate_limits.into_iter().flatten() {
        let Some(window) = window else { continue };
        let Some(used) = window.used_percentage.filter(|u| u.is_finite()) else {
            continue;
        };
        windows.push(WindowReading {
            window_minutes: WINDOW_MINUTES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, m)| *m),
            window: name,
            used_percent: used.clamp(0.0, 1000.0),
            resets_at: window.resets_at.and_then(epoch_seconds),
            at: None,
        });
    }
    Ok(StatusLine {
        session_id: raw.session_id.filter(|id| !id.is_empty()),
        transcript_path: raw.transcript_path.filter(|p| !p.is_empty()),
        cwd: raw.cwd,
        model: raw.model.and_then(|m| m.id),
        cost_usd: raw
            .cost
            .and_then(|c| c.total_cost_usd)
            .filter(|c| c.is_finite()),
        windows,
    })
}
