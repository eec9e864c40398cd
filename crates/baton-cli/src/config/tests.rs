use baton_core::rules::RuleKind;

use super::agents::TokenRef;
use super::*;

#[test]
fn parses_agents_with_defaults_and_token_references() {
    let file = parse(
        "baton.toml",
        r#"
            [[agents]]
            name = "Researcher"
            url = "http://127.0.0.1:7700"
            token = { env = "RESEARCHER_TOKEN" }

            [[agents]]
            name = "Writer"
            url = "http://127.0.0.1:7701"
            poll_interval_ms = 5000
            timeout_ms = 3000
            token = { keyring = "baton/writer" }
            "#,
    )
    .unwrap();
    assert_eq!(file.agents.len(), 2);
    // Left out: the defaults for a new agent (a known one keeps its own).
    assert_eq!(file.agents[0].poll_interval_ms, None);
    assert_eq!(file.agents[0].draft().poll_interval_ms, 2000);
    assert_eq!(file.agents[0].draft().timeout_ms, 1500);
    assert_eq!(
        file.agents[0].token,
        Some(TokenRef::Env {
            env: "RESEARCHER_TOKEN".into()
        })
    );
    assert_eq!(file.agents[1].draft().poll_interval_ms, 5000);
}

#[test]
fn a_left_out_timeout_fits_the_interval_the_file_gives() {
    let file = parse(
        "baton.toml",
        r#"
            [[agents]]
            name = "Quick"
            url = "http://127.0.0.1:7700"
            poll_interval_ms = 1000
            "#,
    )
    .unwrap();
    let draft = file.agents[0].draft();
    assert_eq!((draft.poll_interval_ms, draft.timeout_ms), (1000, 750));
    assert!(draft.validate().is_ok());
    // A known agent keeps its timeout while it fits the new interval, else gets one that does.
    let known = |timeout_ms| baton_core::agent::AgentConfig {
        id: 1,
        name: "Quick".into(),
        base_url: "http://127.0.0.1:7700".into(),
        poll_interval_ms: 5000,
        timeout_ms,
        adapter: baton_core::agent::AdapterKind::Baton,
        has_token: false,
    };
    assert_eq!(file.agents[0].draft_over(Some(&known(600))).timeout_ms, 600);
    assert_eq!(
        file.agents[0].draft_over(Some(&known(3000))).timeout_ms,
        750
    );
}

#[test]
fn rules_and_declarations_parse_and_agents_stay_the_same() {
    let text = r#"
            [[agents]]
            name = "Researcher"
            url = "http://127.0.0.1:7700"
            declares = { triggers = ["slack://research"], writes = ["crm://contacts/*#status"] }

            [[rules]]
            kind = "data"
            pattern = "crm://contacts/*#status"
            owner = "Researcher"
            readers = ["Writer"]
            note = "n"
            "#;
    let file = parse("baton.toml", text).unwrap();
    assert_eq!(file.agents[0].draft().name, "Researcher");
    let rules = validate_rules("baton.toml", text, &file).unwrap();
    assert_eq!(rules[0].kind, RuleKind::Data);
    assert_eq!(rules[0].readers, vec!["Writer".to_owned()]);
    assert_eq!(rules[0].note.as_deref(), Some("n"));
    let manifest = file.agents[0]
        .declares
        .as_ref()
        .unwrap()
        .manifest("Researcher");
    assert_eq!(
        manifest.declares.writes,
        vec!["crm://contacts/*#status".to_owned()]
    );
    assert_eq!(line_column(text, file.rules[0].pattern.span().start).0, 9);
}

#[test]
fn inline_tokens_are_refused() {
    let err = parse(
        "baton.toml",
        "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = \"sk-secret\"\n",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("tokens may not be written inline"), "{text}");
    assert!(!text.contains("sk-secret"), "the secret must not be echoed");
}

#[test]
fn bad_agents_are_named() {
    let err = parse(
        "b.toml",
        "[[agents]]\nname = \"a\"\nurl = \"http://x\"\npoll_interval_ms = 1000\ntimeout_ms = 1000\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "b.toml: agent \"a\": timeout (1000 ms) must be below the poll interval (1000 ms)"
    );
    let err = parse(
        "b.toml",
        "[[agents]]\nname = \"a\"\nurl = \"http://x\"\n[[agents]]\nname = \"A\"\nurl = \"http://y\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("used twice"));
    let err = parse(
        "b.toml",
        "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = { env = \"A\", keyring = \"s/u\" }\n",
    )
    .unwrap_err();
    assert!(
        err.to_string().ends_with(
            "line 4, column 9: token must be { env = \"VAR\" } or { keyring = \"service/user\" } (exactly one of them)"
        ),
        "{err}"
    );
    let err = parse(
        "b.toml",
        "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = { keyring = \"nouser\" }\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("must be \"service/user\""));
}

#[test]
fn malformed_toml_reports_line_and_column() {
    let err = parse("b.toml", "[[agents]]\nname = \n").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("b.toml: TOML parse error at line 2, column"),
        "{text}"
    );
    let err = parse(
        "b.toml",
        "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ncolour = 1\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `colour`"));
}

#[test]
fn toml_errors_never_quote_the_line_they_are_on() {
    for (text, line) in [
        (
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = { value = \"sk-123\" }\n",
            4,
        ),
        (
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ntoken = \"sk-123\n",
            4,
        ),
    ] {
        let err = parse("b.toml", text).unwrap_err().to_string();
        assert!(!err.contains("sk-123"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(
            err.starts_with(&format!("b.toml: TOML parse error at line {line}, column ")),
            "{err}"
        );
    }
}

#[test]
fn env_tokens_resolve_or_say_what_is_missing() {
    let entry = AgentEntry {
        name: "a".into(),
        url: "http://x".into(),
        poll_interval_ms: None,
        timeout_ms: None,
        protocol: None,
        windows: None,
        token: Some(TokenRef::Env {
            env: "BATON_TEST_TOKEN_THAT_IS_NOT_SET".into(),
        }),
        declares: None,
        daily_budget_usd: None,
    };
    let err = entry.resolve_token().unwrap_err();
    assert_eq!(
        err.to_string(),
        "agent \"a\": environment variable BATON_TEST_TOKEN_THAT_IS_NOT_SET is not set"
    );
    let none = AgentEntry {
        token: None,
        ..entry
    };
    assert_eq!(none.resolve_token().unwrap(), None);
}

#[test]
fn otlp_is_read_with_defaults_for_what_it_leaves_out_and_a_bad_address_refused() {
    let read = |text: &str| {
        let file = parse("baton.toml", text).unwrap();
        read_settings("baton.toml", std::path::Path::new("baton.toml"), &file)
    };
    assert_eq!(read("").unwrap().otlp, None, "left out: as it is");
    let off = read("[otlp]\nenabled = false\n").unwrap().otlp.unwrap();
    assert_eq!(
        (off.enabled, off.listen.as_str()),
        (false, "127.0.0.1:4318")
    );
    let wide = read("[otlp]\nlisten = \"0.0.0.0:4318\"\n")
        .unwrap()
        .otlp
        .unwrap();
    assert_eq!((wide.enabled, wide.listen.as_str()), (true, "0.0.0.0:4318"));
    let bad = read("[otlp]\nlisten = \"localhost:4318\"\n").unwrap_err();
    assert!(bad.to_string().contains("otlp"), "{bad}");
    assert!(
        parse("baton.toml", "[otlp]\nport = 4318\n").is_err(),
        "unknown keys refused"
    );
}
