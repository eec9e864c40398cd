//! Which machine a process of Baton runs on: what the decision log, the coding sessions and the
//! watchers record beside the person, so that a shared store says where each came from.

/// The environment variable that names this machine instead of its host name (a machine
/// whose host name says nothing, a container; tests standing for two machines on one).
pub const HOST_ENV: &str = "BATON_HOST";

/// Longest machine name kept (a host name has at most 255 bytes).
const MAX_HOST_CHARS: usize = 255;

/// This machine's name: `BATON_HOST` when set and not blank, else the OS's host name, else
/// `localhost`. Every process of one machine finds the same.
pub fn this_machine() -> String {
    machine_from(
        std::env::var(HOST_ENV).ok(),
        whoami::hostname().ok().as_deref(),
    )
}

fn machine_from(given: Option<String>, os: Option<&str>) -> String {
    given
        .as_deref()
        .into_iter()
        .chain(os)
        .map(|name| {
            name.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_HOST_CHARS)
                .collect::<String>()
        })
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_then_the_os_name_then_localhost() {
        assert_eq!(
            machine_from(Some(" build-box ".into()), Some("laptop")),
            "build-box"
        );
        assert_eq!(machine_from(Some("  ".into()), Some("laptop\n")), "laptop");
        assert_eq!(machine_from(None, Some("")), "localhost");
        assert_eq!(machine_from(None, None), "localhost");
        // Junk is cut to a name that prints on one line.
        let long = "x".repeat(1000);
        assert_eq!(machine_from(Some(long), None).len(), MAX_HOST_CHARS);
        assert_eq!(machine_from(Some("a\u{7}b\tc".into()), None), "abc");
        assert!(!this_machine().is_empty());
    }
}
