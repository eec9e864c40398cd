//! Config files given to `baton watch`: tokens inline, in the environment and in the keyring;
//! malformed TOML and bad agents are refused before anything is stored.

use baton_core::agent::{AgentDraft, Reachability};

use crate::common::{run, Run, Sandbox};
use crate::{agent_toml, closed_url, row, run_async, sim_fleet};

/// Runs `watch` with a config that must be refused: exit 2, nothing stored.
fn refused(sandbox: &Sandbox, config_text: &str) -> Run {
    let config = sandbox.write("baton.toml", config_text);
    let run = sandbox.run(&[
        "watch",
        "--config",
        config.to_str().expect("utf-8 path"),
        "--duration",
        "1",
    ]);
    run.expect_code(2);
    assert!(run.stderr.starts_with("baton: "), "{}", run.all());
    assert!(
        !run.stdout.contains("watching"),
        "a refused config polls nothing\n{}",
        run.all()
    );
    run
}

/// No agent reached the store: a refused config changes nothing.
fn assert_nothing_stored(sandbox: &Sandbox) {
    if sandbox.db_path().exists() {
        assert_eq!(sandbox.rows(), vec![], "a refused config stored agents");
    }
}

#[test]
fn inline_tokens_are_refused_without_echoing_them() {
    let sandbox = Sandbox::new();
    let secret = "sk-live-DO-NOT-PRINT-1234";
    let run = refused(
        &sandbox,
        &agent_toml(
            "Inline",
            &closed_url(),
            2000,
            1500,
            &format!("token = \"{secret}\""),
        ),
    );
    run.expect_stderr("tokens may not be written inline");
    assert!(
        run.stderr.contains("\"Inline\""),
        "names the agent\n{}",
        run.all()
    );
    assert!(
        run.stderr.contains("token = { env = \"VAR\" }"),
        "says what to write instead\n{}",
        run.all()
    );
    assert!(
        !run.all().contains(secret),
        "the secret was echoed\n{}",
        run.all()
    );
    assert_nothing_stored(&sandbox);
}

#[test]
fn secrets_in_other_malformed_token_lines_are_not_echoed_either() {
    // A token written in a shape the file format does not know, and one in a broken string:
    // the TOML error must point at the line without printing it.
    let secret = "sk-live-SHAPE-5678";
    for token_line in [
        format!("token = {{ value = \"{secret}\" }}"),
        format!("token = \"{secret}"),
        format!("token = {{ keyring = \"a/b\", value = \"{secret}\" }}"),
    ] {
        let sandbox = Sandbox::new();
        let run = refused(
            &sandbox,
            &agent_toml("Shape", &closed_url(), 2000, 1500, &token_line),
        );
        assert!(
            run.stderr.contains("line 6"),
            "points at the token line ({token_line})\n{}",
            run.all()
        );
        assert!(
            !run.all().contains(secret),
            "the secret was echoed ({token_line})\n{}",
            run.all()
        );
        assert_nothing_stored(&sandbox);
    }
}

#[test]
fn malformed_toml_is_refused_with_its_line_and_column() {
    let sandbox = Sandbox::new();
    let run = refused(&sandbox, "[[agents]]\nname = \"Broken\"\nurl = \n");
    assert!(
        run.stderr.contains("baton.toml"),
        "names the file\n{}",
        run.all()
    );
    run.expect_stderr("line 3");
    run.expect_stderr("column");
    assert_nothing_stored(&sandbox);
}

#[test]
fn a_timeout_not_below_the_interval_is_refused_naming_the_agent() {
    let sandbox = Sandbox::new();
    let text = agent_toml("Fine", &closed_url(), 2000, 1500, "")
        + &agent_toml("Slowpoke", &closed_url(), 1000, 1000, "");
    let run = refused(&sandbox, &text);
    run.expect_stderr("agent \"Slowpoke\"");
    run.expect_stderr("timeout (1000 ms) must be below the poll interval (1000 ms)");
    assert!(!run.stderr.contains("\"Fine\""), "{}", run.all());
    assert_nothing_stored(&sandbox);
}

const TOKEN_VAR: &str = "BATON_CLI_TEST_AGENT_TOKEN";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_tokens_reach_an_agent_that_requires_one() {
    let sandbox = Sandbox::new();
    let fleet = sim_fleet(1).await;
    let token = format!("tok-{}-s3cret", std::process::id());
    fleet.set_token(0, Some(token.clone()));
    let info = &fleet.agents()[0];
    let config = sandbox.write(
        "baton.toml",
        &agent_toml(
            "Guarded",
            &info.base_url,
            500,
            400,
            &format!("token = {{ env = \"{TOKEN_VAR}\" }}"),
        ),
    );
    let mut cmd = sandbox.baton(&[
        "watch",
        "--config",
        config.to_str().expect("utf-8 path"),
        "--duration",
        "3",
    ]);
    cmd.env(TOKEN_VAR, &token);
    let watch = run_async(cmd).await;
    watch.expect_code(0);
    assert!(
        !watch.all().contains(&token),
        "the token was printed\n{}",
        watch.all()
    );
    assert!(fleet.poll_count(0) >= 2, "the agent was polled");

    let rows = sandbox.rows();
    assert_eq!(rows.len(), 1);
    let row = row(&rows, "Guarded");
    assert!(row.config.has_token, "{row:#?}");
    assert_eq!(
        row.health.reachability,
        Reachability::Up,
        "polled with the token: {row:#?}"
    );
    let refused = row
        .health
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("401"));
    assert!(!refused, "the agent never refused a poll: {row:#?}");
    assert!(row.task_counts.total() > 0, "{row:#?}");
    let store = sandbox.open_store_result().expect("open the store");
    assert_eq!(
        store.rows_holding(&token).expect("read every table"),
        Vec::<String>::new(),
        "the token was written to the store"
    );
    if sandbox.store_url().is_none() {
        // Nor anywhere in the file (freed pages and the WAL included).
        let db = std::fs::read(sandbox.db_path()).expect("read the database");
        assert!(
            !db.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token was written to SQLite"
        );
    }
    fleet.shutdown().await;
}

#[test]
fn an_unset_token_variable_is_refused_before_anything_is_stored() {
    let sandbox = Sandbox::new();
    // The first agent is fine: it must not be stored either when the second one is refused.
    let text = agent_toml("Open", &closed_url(), 2000, 1500, "")
        + &agent_toml(
            "Guarded",
            &closed_url(),
            2000,
            1500,
            &format!("token = {{ env = \"{TOKEN_VAR}\" }}"),
        );
    let config = sandbox.write("baton.toml", &text);
    let mut cmd = sandbox.baton(&[
        "watch",
        "--config",
        config.to_str().expect("utf-8 path"),
        "--duration",
        "1",
    ]);
    cmd.env_remove(TOKEN_VAR);
    let run = run(cmd);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains(&format!("environment variable {TOKEN_VAR} is not set")),
        "{}",
        run.all()
    );
    run.expect_stderr("agent \"Guarded\"");
    assert_nothing_stored(&sandbox);
}

#[test]
fn an_unreadable_keyring_reference_is_refused_not_a_crash() {
    // No Secret Service answers (see `Sandbox::baton`): the reference cannot be resolved.
    let sandbox = Sandbox::new();
    let run = refused(
        &sandbox,
        &agent_toml(
            "Keyed",
            &closed_url(),
            2000,
            1500,
            "token = { keyring = \"baton-cli-test/nobody\" }",
        ),
    );
    run.expect_stderr("agent \"Keyed\": keyring entry baton-cli-test/nobody:");
    assert!(!run.stderr.contains("panicked"), "{}", run.all());
    assert_nothing_stored(&sandbox);
}

/// An agent the desktop app stored with a token (kept in the OS keyring) and no config entry:
/// `watch` must look for the token where the app keeps it, not poll without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_agents_with_a_keyring_token_are_not_polled_without_it() {
    let sandbox = Sandbox::new();
    let fleet = sim_fleet(1).await;
    fleet.set_token(0, Some("kept-in-the-keyring".into()));
    let info = fleet.agents()[0].clone();
    {
        let mut store = sandbox.open_store_result().expect("open the store");
        let draft = AgentDraft {
            poll_interval_ms: 500,
            timeout_ms: 400,
            ..AgentDraft::new("From the app", info.base_url.clone())
        };
        let agent = store.add_agent(&draft).expect("add agent");
        store.set_has_token(agent.id, true).expect("flag token");
    }
    let watch = run_async(sandbox.baton(&["watch", "--duration", "2"])).await;
    watch.expect_code(0);
    watch.expect_stdout("watching 1 agent(s)");
    let rows = sandbox.rows();
    let row = row(&rows, "From the app");
    assert!(row.config.has_token, "the flag is kept: {row:#?}");
    assert_eq!(row.health.reachability, Reachability::Down, "{row:#?}");
    let error = row.health.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("keyring"),
        "the row says the token could not be read, got {error:?}"
    );
    assert_eq!(
        fleet.poll_count(0),
        0,
        "no request went out without the token"
    );
    fleet.shutdown().await;
}

#[test]
fn a_file_the_store_refuses_half_way_changes_nothing_and_names_match_by_unicode_case() {
    let sandbox = Sandbox::new();
    let (a, b, c) = (closed_url(), closed_url(), closed_url());
    let baton = "protocol = \"baton\"";
    let first = sandbox.write(
        "first.toml",
        &format!(
            "{}{}",
            agent_toml("Émile", &a, 2_000, 1_000, baton),
            agent_toml("Other", &c, 2_000, 1_000, baton)
        ),
    );
    sandbox
        .run(&["import", first.to_str().unwrap()])
        .expect_code(0);
    // "émile" is Émile; the third agent's URL is Other's, which the store refuses, after
    // "New one" would have been added.
    let second = sandbox.write(
        "second.toml",
        &format!(
            "{}{}{}",
            agent_toml("émile", &a, 3_000, 1_000, baton),
            agent_toml("New one", &b, 2_000, 1_000, baton),
            agent_toml("Clash", &c, 2_000, 1_000, baton)
        ),
    );
    for command in ["import", "watch"] {
        let run = if command == "import" {
            sandbox.run(&["import", second.to_str().unwrap()])
        } else {
            sandbox.run(&[
                "watch",
                "--config",
                second.to_str().unwrap(),
                "--duration",
                "1",
            ])
        };
        assert_ne!(run.code, Some(0), "{}", run.all());
        assert!(
            run.stderr.contains("Other"),
            "names the agent with that URL: {}",
            run.all()
        );
        let rows = sandbox.rows();
        let mut names: Vec<_> = rows.iter().map(|r| r.config.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["Other", "Émile"],
            "{command}: nothing of the file stayed"
        );
        assert_eq!(row(&rows, "Émile").config.poll_interval_ms, 2_000);
    }
    // Without the clash the file goes in whole, "émile" updating Émile rather than adding one.
    let third = sandbox.write(
        "third.toml",
        &format!(
            "{}{}",
            agent_toml("émile", &a, 3_000, 1_000, baton),
            agent_toml("New one", &b, 2_000, 1_000, baton)
        ),
    );
    sandbox
        .run(&["import", third.to_str().unwrap()])
        .expect_code(0);
    let rows = sandbox.rows();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert_eq!(row(&rows, "émile").config.poll_interval_ms, 3_000);
}

#[test]
fn a_store_url_with_a_password_is_refused_in_the_file_and_as_the_saved_choice() {
    let sandbox = Sandbox::new();
    let config = sandbox.write(
        "baton.toml",
        "[store]\nurl = \"postgres://ana:s3cret@db.example.org/baton\"\n",
    );
    for args in [
        vec![
            "watch",
            "--config",
            config.to_str().unwrap(),
            "--duration",
            "1",
        ],
        vec!["import", config.to_str().unwrap()],
        vec!["store", "use", "postgres://ana:s3cret@db.example.org/baton"],
    ] {
        let run = sandbox.run(&args);
        assert_ne!(run.code, Some(0), "{args:?}\n{}", run.all());
        assert!(run.stderr.contains("PGPASSWORD"), "{args:?}\n{}", run.all());
        assert!(!run.all().contains("s3cret"), "{args:?}\n{}", run.all());
    }
    assert!(!sandbox.data_dir().join("store.url").exists());
}

/// The PostgreSQL pass only (the sandbox's store is then a database): an export names a shared
/// store chosen for the data folder, never one named for a single run.
#[test]
fn export_names_the_store_chosen_for_the_data_folder_not_one_given_for_a_run() {
    let sandbox = Sandbox::new();
    let Some(url) = sandbox.store_url().map(str::to_owned) else {
        return;
    };
    let given = sandbox.run(&["export"]);
    given.expect_code(0);
    assert!(!given.stdout.contains("[store]"), "{}", given.all());

    let data = sandbox.data_dir();
    let data = data.to_str().unwrap();
    let own = |args: &[&str]| {
        let mut cmd = crate::common::baton_command();
        cmd.current_dir(sandbox.path(""))
            .args(["--data-dir", data])
            .args(args);
        run(cmd)
    };
    own(&["store", "use", &url]).expect_code(0);
    let saved = own(&["export"]);
    saved.expect_code(0);
    assert!(
        saved.stdout.contains(&format!("[store]\nurl = \"{url}\"")),
        "{}",
        saved.all()
    );
}
