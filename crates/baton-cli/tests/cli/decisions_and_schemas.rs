//! `baton schema`, `baton dead-letters` and `baton decisions`, the real binary: a schema must be
//! JSON and compile, changes are logged under the caller's name, the dead-letter list and the
//! decision log print as JSON Lines, and verifying the log names a tampered entry.

use crate::common::Sandbox;

#[test]
fn schemas_are_set_listed_and_removed_and_bad_ones_refused() {
    let sandbox = Sandbox::new();
    let brief = sandbox.write(
        "brief.json",
        r#"{"type": "object", "required": ["title", "summary"]}"#,
    );
    let brief = brief.to_str().unwrap();
    sandbox
        .run(&["schema", "set", "brief", brief])
        .expect_code(0);
    let list = sandbox.run(&["schema", "list"]);
    list.expect_code(0);
    assert!(
        list.stdout.starts_with("brief\t{") && list.stdout.contains("summary"),
        "{}",
        list.all()
    );

    let junk = sandbox.write("junk.json", "{ not json");
    let run = sandbox.run(&["schema", "set", "brief", junk.to_str().unwrap()]);
    run.expect_code(2);
    run.expect_stderr("junk.json: not JSON");
    let bad = sandbox.write("bad.json", r#"{"type": 7}"#);
    let run = sandbox.run(&["schema", "set", "brief", bad.to_str().unwrap()]);
    run.expect_code(1);
    run.expect_stderr("not a usable JSON Schema");
    let missing = sandbox.run(&["schema", "set", "brief", "no-such-file.json"]);
    missing.expect_code(2);

    sandbox.run(&["schema", "remove", "brief"]).expect_code(0);
    let again = sandbox.run(&["schema", "remove", "brief"]);
    again.expect_code(1);
    assert!(
        again
            .stderr
            .contains("no schema for handoff type \"brief\""),
        "{}",
        again.all()
    );
    let empty = sandbox.run(&["schema", "list"]);
    assert!(
        empty.stdout.starts_with("No handoff schemas."),
        "{}",
        empty.all()
    );

    let store = sandbox.open_store_result().unwrap();
    let log = store
        .decisions(&baton_store::DecisionFilter::default())
        .unwrap();
    let entries: Vec<(&str, &str)> = log
        .iter()
        .map(|d| (d.action.as_str(), d.who.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            ("handoff_schema.set", "tester"),
            ("handoff_schema.remove", "tester")
        ]
    );
    let letters = sandbox.run(&["dead-letters"]);
    letters.expect_code(0);
    assert_eq!(letters.stdout, "");
}

#[test]
fn the_decision_log_exports_as_json_lines_and_verify_names_a_tampered_entry() {
    let sandbox = Sandbox::new();
    // Three changes (setting the schema it already has changes nothing, and logs nothing).
    for max in [1, 2, 3, 3] {
        let brief = sandbox.write(
            "brief.json",
            &format!(r#"{{"type": "object", "maxProperties": {max}}}"#),
        );
        sandbox
            .run(&["schema", "set", "brief", brief.to_str().unwrap()])
            .expect_code(0);
    }
    let export = sandbox.run(&["decisions", "export"]);
    export.expect_code(0);
    let lines: Vec<serde_json::Value> = export
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["seq"], 2);
    assert_eq!(lines[2]["prev_hash"], lines[1]["hash"]);
    let out = sandbox.path("log.jsonl");
    sandbox
        .run(&["decisions", "export", "--out", out.to_str().unwrap()])
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), export.stdout);

    let verify = sandbox.run(&["decisions", "verify"]);
    verify.expect_code(0);
    verify.expect_stdout("intact: 3 entries");
    // Tamper with entry 2 behind Baton's back (dropping the append-only trigger first).
    match sandbox.store_url() {
        None => {
            let conn = rusqlite::Connection::open(sandbox.db_path()).unwrap();
            conn.execute_batch(
                "DROP TRIGGER decisions_are_append_only_update;
                 UPDATE decisions SET who = 'mallory' WHERE seq = 2;",
            )
            .unwrap();
        }
        Some(url) => {
            // The database refuses the change while its guard stands, then takes it.
            let refused =
                baton_testdb::sql_at(url, "UPDATE decisions SET who = 'mallory' WHERE seq = 2");
            assert!(refused.unwrap_err().contains("append-only"));
            baton_testdb::sql_at(
                url,
                "DROP TRIGGER decisions_are_append_only_update ON decisions;
                 UPDATE decisions SET who = 'mallory' WHERE seq = 2;",
            )
            .unwrap();
        }
    }
    let broken = sandbox.run(&["decisions", "verify"]);
    broken.expect_code(1);
    broken.expect_stdout("broken at entry 2");
}
