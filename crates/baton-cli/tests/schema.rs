//! `baton schema` and `baton dead-letters`, the real binary: a schema must be JSON and compile,
//! changes are logged under the caller's name, and the dead-letter list prints as JSON Lines.

mod common;

use common::Sandbox;

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
    assert!(run.stderr.contains("junk.json: not JSON"), "{}", run.all());
    let bad = sandbox.write("bad.json", r#"{"type": 7}"#);
    let run = sandbox.run(&["schema", "set", "brief", bad.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("not a usable JSON Schema"),
        "{}",
        run.all()
    );
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

    let store = baton_store::Store::open(&sandbox.db_path()).unwrap();
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
