//! `baton status`'s lines on each machine's link to the store: its hooks' measured time for a
//! call's work on the store, and how many of its calls went ahead unchecked today.

use baton_core::agent::human_duration_ms;
use baton_store::sessions::MachineLink;
use chrono::{DateTime, Utc};

use super::text::{clip, plain};

/// The table, or nothing when no machine's hooks measured their link yet.
pub fn render_machine_links(links: &[MachineLink], now: DateTime<Utc>) -> String {
    if links.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "{:<28} {:>16} {:>14}  {}\n",
        "MACHINE", "HOOK CALL", "MEASURED", "UNCHECKED TODAY"
    );
    for link in links {
        let call = link
            .call_ms
            .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms"));
        let measured = link.measured_at.map_or_else(
            || "-".to_owned(),
            |at| {
                let ms = u64::try_from((now - at).num_milliseconds().max(0)).unwrap_or(0);
                format!("{} ago", human_duration_ms(ms))
            },
        );
        let unchecked = match link.unchecked_today {
            0 => "none".to_owned(),
            n => format!("{n} (recorded late: `baton hooks deliver` sends what waits)"),
        };
        out.push_str(&format!(
            "{:<28} {:>16} {:>14}  {}\n",
            clip(&plain(&link.host), 28),
            call,
            measured,
            unchecked
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_machine_with_its_time_to_the_store_and_its_unchecked_calls() {
        let now = Utc::now();
        assert_eq!(render_machine_links(&[], now), "");
        let table = render_machine_links(
            &[
                MachineLink {
                    host: "laptop-a".into(),
                    call_ms: Some(31),
                    measured_at: Some(now - chrono::Duration::seconds(90)),
                    unchecked_today: 0,
                },
                MachineLink {
                    host: "devbox\u{1b}[2J-b".into(),
                    call_ms: None,
                    measured_at: None,
                    unchecked_today: 3,
                },
            ],
            now,
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(
            lines[1].starts_with("laptop-a") && lines[1].contains("31 ms"),
            "{table}"
        );
        assert!(lines[1].ends_with("none"), "{table}");
        // A machine's name is printed plain (no terminal escapes).
        assert!(!lines[2].contains('\u{1b}'), "{table}");
        assert!(lines[2].contains("3 (recorded late"), "{table}");
    }
}
