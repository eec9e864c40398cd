use super::*;

fn draft() -> AgentDraft {
    AgentDraft::new("Researcher", "http://127.0.0.1:7700/")
}

#[test]
fn defaults_are_valid() {
    assert_eq!(draft().validate(), Ok(()));
    assert_eq!(draft().normalised_base_url(), "http://127.0.0.1:7700");
}

#[test]
fn every_field_is_checked() {
    let mut d = draft();
    d.name = "  ".into();
    d.base_url = "ftp://x".into();
    d.poll_interval_ms = 10;
    d.timeout_ms = 50;
    let problems = d.problems();
    assert_eq!(
        problems,
        vec![
            ConfigError::EmptyName,
            ConfigError::BadScheme {
                scheme: "ftp".into()
            },
            ConfigError::IntervalOutOfRange {
                min_ms: 250,
                max_ms: 3_600_000
            },
            ConfigError::TimeoutTooShort { min_ms: 100 },
        ]
    );
    let fields: Vec<_> = problems.iter().map(ConfigError::field).collect();
    assert_eq!(
        fields,
        vec!["name", "base_url", "poll_interval_ms", "timeout_ms"]
    );
}

#[test]
fn timeout_must_be_below_interval() {
    let mut d = draft();
    d.timeout_ms = 2_000;
    assert_eq!(
        d.validate(),
        Err(ConfigError::TimeoutNotBelowInterval {
            timeout_ms: 2_000,
            interval_ms: 2_000
        })
    );
    assert_eq!(
        d.validate().unwrap_err().to_string(),
        "timeout (2000 ms) must be below the poll interval (2000 ms)"
    );
    d.timeout_ms = 1_999;
    assert_eq!(d.validate(), Ok(()));
}

#[test]
fn junk_urls_are_rejected() {
    for url in ["", "not a url", "127.0.0.1:7700", "http://"] {
        let mut d = draft();
        d.base_url = url.into();
        assert!(
            matches!(d.validate(), Err(ConfigError::BadUrl { .. })),
            "{url:?} gave {:?}",
            d.validate()
        );
    }
    let mut d = draft();
    d.name = "x".repeat(81);
    assert_eq!(d.validate(), Err(ConfigError::NameTooLong { max: 80 }));
}

fn config(id: i64, url: &str) -> AgentConfig {
    AgentConfig {
        id,
        name: "a".into(),
        base_url: url.into(),
        poll_interval_ms: 2_000,
        timeout_ms: 1_500,
        adapter: AdapterKind::Baton,
        has_token: false,
    }
}

#[test]
fn urls_are_built_with_an_encoded_cursor() {
    let a = config(1, "http://h:1/base/");
    assert_eq!(a.status_url(None), "http://h:1/base/baton/v1/status");
    assert_eq!(a.status_url(Some("")), "http://h:1/base/baton/v1/status");
    assert_eq!(
        a.status_url(Some("a b&c")),
        "http://h:1/base/baton/v1/status?since=a+b%26c"
    );
    assert_eq!(a.decisions_url(), "http://h:1/base/baton/v1/decisions");
}

#[test]
fn start_offsets_are_stable_in_range_and_spread() {
    let offsets: Vec<u64> = (1..=50)
        .map(|id| config(id, "http://127.0.0.1:7700").start_offset_ms())
        .collect();
    let again: Vec<u64> = (1..=50)
        .map(|id| config(id, "http://127.0.0.1:7700").start_offset_ms())
        .collect();
    assert_eq!(offsets, again);
    assert!(offsets.iter().all(|&o| o < 2_000));
    let distinct: std::collections::HashSet<_> = offsets.iter().map(|o| o / 200).collect();
    assert!(
        distinct.len() >= 7,
        "50 agents should land in most of 10 slices, got {distinct:?}"
    );
    assert_eq!(start_offset_ms(1, "x", 0), 0);
}

#[test]
fn health_moves_between_up_and_down() {
    let t0 = Utc::now();
    let h = AgentHealth::default()
        .failed(t0, "HTTP 503")
        .failed(t0, "HTTP 503");
    assert_eq!(h.reachability, Reachability::Down);
    assert_eq!(h.consecutive_failures, 2);
    let h = h.succeeded(t0, 12);
    assert_eq!(h.reachability, Reachability::Up);
    assert_eq!(h.consecutive_failures, 0);
    assert_eq!(h.latency_ms, Some(12));
    assert_eq!(
        h.last_error.as_deref(),
        Some("HTTP 503"),
        "the last error stays visible"
    );
}

#[test]
fn durations_and_sizes_read_naturally() {
    assert_eq!(human_duration_ms(1_500), "1.5 s");
    assert_eq!(human_duration_ms(2_000), "2 s");
    assert_eq!(human_duration_ms(250), "250 ms");
    assert_eq!(human_duration_ms(1_999), "2 s");
    assert_eq!(human_bytes(4 * 1024 * 1024), "4 MiB");
    assert_eq!(human_bytes(512 * 1024), "512 KiB");
    assert_eq!(human_bytes(900), "900 bytes");
    let span = |secs: i64| human_span(chrono::Duration::seconds(secs));
    assert_eq!(span(40), "40 s");
    assert_eq!(span(-720), "12 min");
    assert_eq!(span(3 * 3600 + 300), "3 h 05 min");
    assert_eq!(span(86_400 + 3 * 3600), "1 day 3 h");
    assert_eq!(span(50 * 86_400), "50 days 0 h");
    assert_eq!(span(27_000 * 86_400 + 5), "27,000 days");
}

#[test]
fn a_pasted_card_or_status_url_stands_for_the_agents_base_url() {
    for pasted in [
        "http://127.0.0.1:7700/.well-known/agent-card.json",
        " http://127.0.0.1:7700/.well-known/agent.json/ ",
        "http://127.0.0.1:7700/baton/v1/status",
    ] {
        let d = AgentDraft::new("A", pasted);
        assert_eq!(d.normalised_base_url(), "http://127.0.0.1:7700", "{pasted}");
    }
    let under = AgentDraft::new("A", "http://h/a2a/.well-known/agent-card.json");
    assert_eq!(under.normalised_base_url(), "http://h/a2a");
    // Only a whole path segment is the card's.
    let lookalike = AgentDraft::new("A", "http://h/my.well-known/agent-card.json");
    assert_eq!(
        lookalike.normalised_base_url(),
        "http://h/my.well-known/agent-card.json"
    );
}

#[test]
fn urls_with_credentials_a_query_or_no_host_are_refused_with_the_way_on() {
    for (url, wanted) in [
        (
            "http://user:secret@127.0.0.1:7700",
            ConfigError::UserInfoInUrl,
        ),
        ("http://user@127.0.0.1:7700", ConfigError::UserInfoInUrl),
        ("http://127.0.0.1:7700/?x=1", ConfigError::QueryInUrl),
        ("http://127.0.0.1:7700/#frag", ConfigError::QueryInUrl),
        (
            "http:///x",
            ConfigError::BadUrl {
                reason: "no host".into(),
            },
        ),
    ] {
        let d = AgentDraft::new("A", url);
        assert_eq!(d.validate(), Err(wanted), "{url}");
    }
    let said = ConfigError::UserInfoInUrl.to_string();
    assert!(said.contains("token = { env = \"VAR\" }"), "{said}");
    assert_eq!(ConfigError::QueryInUrl.field(), "base_url");
    assert_eq!(AgentDraft::new("A", "https://h:1/a2a/x").validate(), Ok(()));
}

#[test]
fn a_name_with_control_characters_is_refused() {
    for name in [
        "Writer\u{1b}[2J",
        "a\tb",
        "two\nlines",
        "bell\u{7}",
        "c1\u{9b}",
    ] {
        let draft = AgentDraft::new(name, "http://127.0.0.1:7700");
        assert_eq!(
            draft.validate(),
            Err(ConfigError::NameControlChars),
            "{name:?}"
        );
    }
    assert_eq!(
        AgentDraft::new(" Émile · 2 ", "http://127.0.0.1:7700").validate(),
        Ok(())
    );
}

#[test]
fn the_default_timeout_fits_every_interval() {
    assert_eq!(
        default_timeout_ms(DEFAULT_POLL_INTERVAL_MS),
        DEFAULT_TIMEOUT_MS
    );
    assert_eq!(default_timeout_ms(1_000), 750);
    assert_eq!(default_timeout_ms(MIN_POLL_INTERVAL_MS), 187);
    for interval in [
        MIN_POLL_INTERVAL_MS,
        300,
        1_000,
        1_999,
        2_000,
        MAX_POLL_INTERVAL_MS,
    ] {
        let draft = AgentDraft {
            poll_interval_ms: interval,
            timeout_ms: default_timeout_ms(interval),
            ..AgentDraft::new("Writer", "http://127.0.0.1:7700")
        };
        assert!(
            draft.problems().is_empty(),
            "{interval}: {:?}",
            draft.problems()
        );
    }
}

#[test]
fn names_are_one_agent_by_unicode_case_not_ascii_case() {
    assert!(same_name("Ärzte-Bot", "ärzte-bot"));
    assert!(same_name(" ÄRZTE-BOT ", "ärzte-bot"));
    // An ASCII-only comparison misses these: the one lookup must not.
    assert!(!"Ärzte-Bot".eq_ignore_ascii_case("ärzte-bot"));
    assert!(same_name("İstanbul", "İSTANBUL"));
    assert_eq!(name_key("İstanbul"), name_key("İSTANBUL"));
    assert!(same_name("Émile", "émile "));
    assert!(!same_name("Ärzte-Bot", "Arzte-Bot"));
    assert!(!same_name("İstanbul", "Istanbul"));
    assert!(!same_name("Writer", "Writer2"));
}
