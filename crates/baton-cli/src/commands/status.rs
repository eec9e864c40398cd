//! `baton status`: agents, their health and task counts, as a table or JSON.

use baton_core::agent::{human_duration_ms, Reachability};
use baton_core::views::AgentRow;

use super::error::CliError;
use super::text::reachability_word;
use super::text::{clip, plain};
use baton_store::watch_leases::WatcherView;
use baton_store::StorePlace;

fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Io(e.into()))?;
    println!("{text}");
    Ok(())
}

pub fn status(place: &StorePlace, json: bool, watchers: bool) -> Result<(), CliError> {
    let store = place.open()?;
    if watchers {
        let watchers = store.watchers_view()?;
        if json {
            print_json(&watchers)?;
        } else {
            print!("{}", render_watchers(&watchers));
        }
        return Ok(());
    }
    let rows = store.agent_rows()?;
    if json {
        print_json(&rows)?;
    } else {
        print!("{}", render_status(&rows, chrono::Utc::now()));
        let watchers = store.watchers_view()?;
        if !watchers.is_empty() {
            print!("\n{}", render_watchers(&watchers));
        }
        let now = chrono::Utc::now();
        let windows = store.usage_windows(now)?;
        if !windows.is_empty() {
            print!("\n{}", super::usage::render_windows(&windows, now));
        }
        let routes = super::notify::render_routes(&store)?;
        if !routes.is_empty() {
            print!("\n{routes}");
        }
        let links = store.machine_links(now)?;
        if !links.is_empty() {
            print!(
                "\n{}",
                super::machine_links::render_machine_links(&links, now)
            );
        }
        println!("\n{}", store_line(place, &store)?);
    }
    Ok(())
}

/// Where the store is (its URL without password), its engine and schema, its size against
/// its cap, and how fast it grows.
fn store_line(place: &StorePlace, store: &baton_store::Store) -> Result<String, CliError> {
    use baton_core::agent::human_bytes;
    use baton_core::views::StoreEngine;
    let overview = place.overview(store, chrono::Utc::now())?;
    let engine = match overview.engine {
        StoreEngine::Sqlite => "SQLite",
        StoreEngine::Postgres => "PostgreSQL",
    };
    let cap = match overview.max_bytes {
        Some(cap) => format!(" of {}", human_bytes(cap)),
        None => " (no cap)".into(),
    };
    Ok(format!(
        "store: {} ({engine}, schema {}, {}) · {} used{cap} · about {} a day at the last day's pace",
        plain(&overview.location),
        overview.schema_version,
        overview.chosen_by,
        human_bytes(overview.bytes),
        human_bytes(overview.growth_per_day)
    ))
}

/// The watchers sharing the store: each with its machine, last heartbeat, and what it holds.
pub fn render_watchers(watchers: &[WatcherView]) -> String {
    if watchers.is_empty() {
        return "No watcher has run on this store yet (`baton watch`).\n".into();
    }
    let mut out = format!(
        "{:<24} {:<6} {:<28} {:>14}  {}\n",
        "WATCHER", "STATE", "HOST:PID", "HEARTBEAT", "POLLS"
    );
    for w in watchers {
        let state = match (w.live, &w.left_at) {
            (true, _) => "live",
            (false, Some(_)) => "left",
            (false, None) => "silent",
        };
        let ms = u64::try_from(w.heartbeat_age_ms.max(0)).unwrap_or(0);
        let mut holds = if w.agents.is_empty() {
            "nothing".to_owned()
        } else {
            let names: Vec<String> = w.agents.iter().map(|(_, n)| plain(n)).collect();
            format!(
                "{} agent(s): {}",
                w.agents.len(),
                clip(&names.join(", "), 60)
            )
        };
        if w.detectors {
            holds.push_str(" + the detectors");
        }
        out.push_str(&format!(
            "{:<24} {:<6} {:<28} {:>14}  {}\n",
            clip(&plain(&w.name), 24),
            state,
            clip(&plain(&format!("{}:{}", w.host, w.pid)), 28),
            format!("{} ago", human_duration_ms(ms)),
            holds
        ));
    }
    out
}

/// The table `baton status` prints.
pub fn render_status(rows: &[AgentRow], now: chrono::DateTime<chrono::Utc>) -> String {
    if rows.is_empty() {
        return "No agents. Add some in the app, or run `baton watch --config baton.toml`.\n"
            .into();
    }
    let mut out = format!(
        "{:<24} {:<14} {:>8} {:>10} {:>5}  {:<28} {}\n",
        "AGENT", "HEALTH", "LATENCY", "LAST OK", "FAILS", "TASKS q/w/h/b/d/f", "LAST ERROR"
    );
    for row in rows {
        let h = &row.health;
        let latency = h
            .latency_ms
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_else(|| "-".into());
        let last_ok = h
            .last_success_at
            .map(|at| {
                let ms = (now - at).num_milliseconds().max(0) as u64;
                format!("{} ago", human_duration_ms(ms))
            })
            .unwrap_or_else(|| "never".into());
        let c = &row.task_counts;
        let counts = format!(
            "{}/{}/{}/{}/{}/{} ({})",
            c.queued,
            c.working,
            c.needs_human,
            c.blocked,
            c.done,
            c.failed,
            c.total()
        );
        let error = match h.reachability {
            Reachability::Down => h.last_error.clone().unwrap_or_default(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{:<24} {:<14} {:>8} {:>10} {:>5}  {:<28} {}\n",
            clip(&plain(&row.config.name), 24),
            reachability_word(h.reachability),
            latency,
            last_ok,
            h.consecutive_failures,
            counts,
            plain(&error)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::agent::{AdapterKind, AgentConfig, AgentHealth};
    use baton_core::views::ColumnCounts;
    use chrono::{TimeZone, Utc};

    fn row(id: i64, name: &str, health: AgentHealth, counts: ColumnCounts) -> AgentRow {
        AgentRow {
            config: AgentConfig {
                id,
                name: name.into(),
                base_url: format!("http://127.0.0.1:{}", 7700 + id),
                poll_interval_ms: 2000,
                timeout_ms: 1500,
                adapter: AdapterKind::Baton,
                has_token: false,
            },
            health,
            remote_id: None,
            remote_name: None,
            remote_version: None,
            remote_state: None,
            remote_detail: None,
            task_counts: counts,
            a2a: None,
            subagent: None,
            session: None,
        }
    }

    /// Where `needle` starts in `line`, in characters (what a terminal shows).
    fn column(line: &str, needle: &str) -> usize {
        let at = line
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {line:?}"));
        line[..at].chars().count()
    }

    #[test]
    fn render_status_shows_an_up_row_and_a_down_row_with_its_error() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap();
        let earlier = now - chrono::Duration::milliseconds(3_500);
        // Up again after a failure: the old error is not shown on an up row.
        let up = AgentHealth::default()
            .failed(earlier, "HTTP 503")
            .succeeded(earlier, 12);
        let down = AgentHealth::default()
            .failed(now, "timed out after 1.5 s")
            .failed(now, "connection refused");
        let counts = ColumnCounts {
            queued: 1,
            working: 2,
            needs_human: 0,
            blocked: 0,
            done: 3,
            failed: 1,
        };
        let text = render_status(
            &[
                row(1, "Researcher", up, counts),
                row(2, "Writer", down, ColumnCounts::default()),
            ],
            now,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            header,
            [
                "AGENT",
                "HEALTH",
                "LATENCY",
                "LAST",
                "OK",
                "FAILS",
                "TASKS",
                "q/w/h/b/d/f",
                "LAST",
                "ERROR"
            ]
        );
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            [
                "Researcher",
                "up",
                "12",
                "ms",
                "3.5",
                "s",
                "ago",
                "0",
                "1/2/0/0/3/1",
                "(7)"
            ],
            "{text}"
        );
        assert!(
            !lines[1].contains("503"),
            "an up row shows no old error: {text}"
        );
        assert_eq!(
            lines[2].split_whitespace().collect::<Vec<_>>(),
            [
                "Writer",
                "down",
                "-",
                "never",
                "2",
                "0/0/0/0/0/0",
                "(0)",
                "connection",
                "refused"
            ],
            "{text}"
        );
        assert!(lines[2].ends_with("connection refused"), "{text}");
        // Columns line up: the health column starts at the same place on every line.
        let health_at = column(lines[0], "HEALTH");
        assert_eq!(column(lines[1], "up "), health_at, "{text}");
        assert_eq!(column(lines[2], "down "), health_at, "{text}");
        let tasks_at = column(lines[0], "TASKS");
        assert_eq!(column(lines[1], "1/2/0"), tasks_at, "{text}");
        assert_eq!(column(lines[2], "0/0/0"), tasks_at, "{text}");
    }

    fn watcher(id: i64, live: bool, left: bool, agents: &[(i64, &str)]) -> WatcherView {
        WatcherView {
            id,
            name: format!("w{id}"),
            host: "box".into(),
            pid: 100 + id,
            started_at: "2026-11-25T12:00:00Z".into(),
            heartbeat_at: "2026-11-25T12:00:01Z".into(),
            heartbeat_age_ms: 1_500,
            ttl_ms: 6_666,
            live,
            left_at: left.then(|| "2026-11-25T12:00:02Z".into()),
            agents: agents.iter().map(|(i, n)| (*i, (*n).to_owned())).collect(),
            detectors: id == 1 && live,
        }
    }

    #[test]
    fn render_watchers_shows_each_one_its_heartbeat_and_what_it_polls() {
        assert!(render_watchers(&[]).starts_with("No watcher"));
        let text = render_watchers(&[
            watcher(1, true, false, &[(1, "Researcher"), (2, "Writer")]),
            watcher(2, false, true, &[]),
            watcher(3, false, false, &[]),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            [
                "w1",
                "live",
                "box:101",
                "1.5",
                "s",
                "ago",
                "2",
                "agent(s):",
                "Researcher,",
                "Writer",
                "+",
                "the",
                "detectors"
            ],
            "{text}"
        );
        assert!(
            lines[2].contains(" left ") && lines[2].ends_with("nothing"),
            "{text}"
        );
        assert!(lines[3].contains(" silent "), "{text}");
    }

    #[test]
    fn render_status_handles_no_agents_unpolled_agents_and_long_names() {
        let now = Utc::now();
        assert!(render_status(&[], now).starts_with("No agents."));
        let long = "An agent with a very long name indeed";
        let text = render_status(
            &[row(
                1,
                long,
                AgentHealth::default(),
                ColumnCounts::default(),
            )],
            now,
        );
        let line = text.lines().nth(1).unwrap();
        assert!(line.starts_with("An agent with a very lo… "), "{text}");
        assert!(line.contains(" not polled yet "), "{text}");
        assert!(line.contains(" never "), "{text}");
        // The longest health word still leaves the columns after it in place.
        let header = text.lines().next().unwrap();
        assert_eq!(
            column(line, "not polled yet"),
            column(header, "HEALTH"),
            "{text}"
        );
        assert_eq!(column(line, "0/0/0"), column(header, "TASKS"), "{text}");
    }

    #[test]
    fn what_agents_wrote_cannot_clear_the_screen_or_forge_a_row() {
        let now = Utc::now();
        let down = AgentHealth {
            reachability: Reachability::Down,
            last_error: Some("HTTP 500\n\u{1b}[2JWriter up\r".into()),
            ..AgentHealth::default()
        };
        let text = render_status(
            &[row(
                1,
                "Re\u{1b}]0;pwned\u{7}searcher",
                down,
                ColumnCounts::default(),
            )],
            now,
        );
        assert_eq!(text.lines().count(), 2, "one header, one row: {text:?}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(
            text.contains("HTTP 500\\u{a}\\u{1b}[2JWriter up\\u{d}"),
            "{text}"
        );
    }
}
