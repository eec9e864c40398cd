//! `baton export` and `baton import`, the real binary with a data directory of its own:
//!
//! * export of a clean store passes `baton check`; export → import → export is byte-identical;
//! * import reports added / updated / removed / unchanged and audits each change;
//! * a malformed file or a bad pattern exits 2 with line and column and changes nothing;
//! * overlaps are warnings, agents are never deleted, tokens are never exported.

use crate::common;

use baton_core::rules::RuleKind;
use baton_store::{DecisionEntry, DecisionFilter, ManifestSource, Store};

use crate::common::Sandbox;

impl Sandbox {
    fn store(&self) -> Store {
        self.open_store_result().expect("open store")
    }

    fn rule_entries(&self) -> Vec<DecisionEntry> {
        self.store()
            .decisions(&DecisionFilter {
                subject_prefix: Some("rule:".into()),
                ..DecisionFilter::default()
            })
            .expect("decisions")
    }

    fn export(&self) -> String {
        let run = self.run(&["export"]);
        run.expect_code(0);
        run.stdout.clone()
    }
}

/// Rules and agents in no particular order, with every optional field used once.
const FLEET: &str = r#"
[[agents]]
name = "Writer"
url = "http://127.0.0.1:7701/"
protocol = "a2a"
token = { env = "BATON_TEST_WRITER_TOKEN_NAME" }
declares = { reads = ["crm://contacts/*#status"], outputs = ["file:///drafts/**"] }

[[agents]]
name = "Researcher"
url = "http://127.0.0.1:7700"
poll_interval_ms = 5000
timeout_ms = 3000
protocol = "baton"
windows = { unreachable_polls = 5, stall_seconds = 1200 }

[[rules]]
kind = "exception"
pattern = "crm://contacts/**"
owner = "Dana"
sla_seconds = 3600
note = "Dana answers \"within the hour\""

[[rules]]
kind = "output"
pattern = "file:///drafts/**"
owner = "Writer"
sequence = ["Editor", "Publisher"]

[[rules]]
kind = "data"
pattern = "crm://contacts/*#status"
owner = "Researcher"
readers = ["Writer"]

[[rules]]
kind = "trigger"
pattern = "slack://billing"
owner = "Triage"
"#;

#[test]
fn an_empty_store_exports_a_file_that_checks_clean() {
    let sandbox = Sandbox::new();
    let text = sandbox.export();
    assert!(text.contains("# Tokens are not exported."), "{text}");
    sandbox.write("baton.toml", &text);
    let run = sandbox.run(&["check", "baton.toml"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "ok: 0 rules, 0 agents, no overlaps\n");
}

#[test]
fn import_then_export_round_trips_byte_for_byte_and_audits_each_rule() {
    let sandbox = Sandbox::new();
    sandbox.write("fleet.toml", FLEET);
    let run = sandbox.run(&["import", "fleet.toml"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "2 agents added, 0 updated, 0 unchanged\n4 rules added, 0 updated, 0 removed, 0 unchanged\n",
        "{}",
        run.all()
    );
    run.expect_stderr("token references are not imported (Writer)");
    assert!(!run.stderr.contains("warning"), "{}", run.all());

    let entries = sandbox.rule_entries();
    assert_eq!(entries.len(), 4);
    assert!(entries
        .iter()
        .all(|e| e.action == "rule.add" && e.who == "tester"));
    let store = sandbox.store();
    let agents = store.agents().unwrap();
    assert_eq!(agents.len(), 2);
    let writer = agents.iter().find(|a| a.name == "Writer").unwrap();
    assert_eq!(writer.base_url, "http://127.0.0.1:7701");
    assert!(!writer.has_token);
    let declared = store
        .manifest(writer.id, ManifestSource::User)
        .unwrap()
        .expect("the declaration is stored as the user's");
    assert_eq!(declared.manifest.declares.outputs, ["file:///drafts/**"]);
    drop(store);

    let first = sandbox.export();
    // Stable order: agents by name, rules by kind then pattern; no token, not even the reference.
    let names: Vec<&str> = first.lines().filter(|l| l.starts_with("name = ")).collect();
    assert_eq!(names, ["name = \"Researcher\"", "name = \"Writer\""]);
    let kinds: Vec<&str> = first.lines().filter(|l| l.starts_with("kind = ")).collect();
    assert_eq!(
        kinds,
        [
            "kind = \"trigger\"",
            "kind = \"data\"",
            "kind = \"output\"",
            "kind = \"exception\""
        ]
    );
    assert!(!first.contains("BATON_TEST_WRITER_TOKEN_NAME"), "{first}");
    assert!(!first.contains("\ntoken"), "{first}");
    assert!(
        first.contains("\n[[agents]]\nname = \"Researcher\"\nurl = \"http://127.0.0.1:7700\"\npoll_interval_ms = 5000\ntimeout_ms = 3000\nprotocol = \"baton\"\nwindows = { stall_seconds = 1200, unreachable_polls = 5 }\n\n"),
        "{first}"
    );
    assert!(first.contains("protocol = \"a2a\"\ndeclares = "), "{first}");
    assert!(
        first.contains("note = \"Dana answers \\\"within the hour\\\"\"\n"),
        "{first}"
    );
    assert!(
        first.contains("owner = \"Writer\"\nsequence = [\"Editor\", \"Publisher\"]\n"),
        "an accepted sequence survives the round trip: {first}"
    );

    // The export checks clean.
    sandbox.write("exported.toml", &first);
    sandbox.run(&["check", "exported.toml"]).expect_code(0);

    // Importing it again changes nothing and writes no entry; exporting again gives the same bytes.
    let run = sandbox.run(&["import", "exported.toml"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "0 agents added, 0 updated, 2 unchanged\n0 rules added, 0 updated, 0 removed, 4 unchanged\n",
        "{}",
        run.all()
    );
    assert_eq!(sandbox.rule_entries().len(), 4);
    assert_eq!(sandbox.export(), first);

    // Imported into a store of its own, the export makes the same store: the same export.
    let elsewhere = Sandbox::new();
    elsewhere.write("fleet.toml", &first);
    elsewhere.run(&["import", "fleet.toml"]).expect_code(0);
    assert_eq!(elsewhere.export(), first);
    let store = elsewhere.store();
    let agents = store.agents().unwrap();
    let writer = agents.iter().find(|a| a.name == "Writer").unwrap();
    assert_eq!(writer.adapter, baton_core::agent::AdapterKind::A2a);
    let researcher = agents.iter().find(|a| a.name == "Researcher").unwrap();
    let windows = store.detect_windows(researcher.id).unwrap();
    assert_eq!(
        (windows.stall_seconds, windows.unreachable_polls),
        (Some(1200), Some(5))
    );
    drop(store);

    // --out writes the same text to a file and nothing to stdout.
    let run = sandbox.run(&["export", "--out", "out.toml"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "");
    run.expect_stderr("wrote 2 agent(s) and 4 rule(s)");
    assert_eq!(
        std::fs::read_to_string(sandbox.path("out.toml")).unwrap(),
        first
    );
}

#[test]
fn a_changed_file_updates_removes_and_adds_with_one_entry_each() {
    let sandbox = Sandbox::new();
    sandbox.write("fleet.toml", FLEET);
    sandbox.run(&["import", "fleet.toml"]).expect_code(0);
    let before = sandbox.store().rules().unwrap();
    let status = before
        .iter()
        .find(|r| r.rule.kind == RuleKind::Data)
        .unwrap()
        .clone();

    // The data rule changes owner, the trigger rule goes, an output rule arrives; the
    // Researcher agent is not in the file and stays.
    let changed = r#"
[[agents]]
name = "writer"
url = "http://127.0.0.1:7702"

[[rules]]
kind = "exception"
pattern = "crm://contacts/**"
owner = "Dana"
sla_seconds = 3600
note = "Dana answers \"within the hour\""

[[rules]]
kind = "output"
pattern = "file:///drafts/**"
owner = "Writer"
sequence = ["Editor", "Publisher"]

[[rules]]
kind = "data"
pattern = "crm://contacts/*#status"
owner = "Writer"

[[rules]]
kind = "output"
pattern = "slack://general"
owner = "Researcher"
"#;
    sandbox.write("changed.toml", changed);
    let run = sandbox.run(&["import", "changed.toml", "--who", "Robin"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "0 agents added, 1 updated, 0 unchanged\n1 rules added, 1 updated, 1 removed, 2 unchanged\n",
        "{}",
        run.all()
    );

    let entries = sandbox.rule_entries();
    assert_eq!(entries.len(), 4 + 3);
    let new: Vec<&DecisionEntry> = entries.iter().filter(|e| e.who == "Robin").collect();
    let mut actions: Vec<&str> = new.iter().map(|e| e.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["rule.add", "rule.remove", "rule.update"]);
    let update = new.iter().find(|e| e.action == "rule.update").unwrap();
    assert_eq!(update.subject, format!("rule:{}", status.id));
    let detail = update.detail.as_ref().unwrap();
    assert_eq!(detail["before"]["owner"], "Researcher");
    assert_eq!(detail["after"]["owner"], "Writer");

    let store = sandbox.store();
    let agents = store.agents().unwrap();
    assert_eq!(agents.len(), 2, "import never deletes agents");
    let writer = agents.iter().find(|a| a.name == "writer").unwrap();
    assert_eq!(writer.base_url, "http://127.0.0.1:7702");
    assert_eq!(store.rules().unwrap().len(), 4);
}

#[test]
fn bad_files_exit_2_with_line_and_column_and_change_nothing() {
    let sandbox = Sandbox::new();
    sandbox.write("fleet.toml", FLEET);
    sandbox.run(&["import", "fleet.toml"]).expect_code(0);
    let rules = sandbox.store().rules().unwrap();
    let exported = sandbox.export();

    let bad_pattern = "[[agents]]\nname = \"New\"\nurl = \"http://127.0.0.1:7800\"\n\n[[rules]]\nkind = \"data\"\npattern = \"crm://contacts/***\"\nowner = \"New\"\n";
    sandbox.write("bad.toml", bad_pattern);
    let run = sandbox.run(&["import", "bad.toml"]);
    run.expect_code(2);
    run.expect_stderr("bad.toml: line 7, column 27: rule 0 (data) \"crm://contacts/***\"");
    assert_eq!(run.stdout, "");

    sandbox.write(
        "broken.toml",
        "[[rules]]\nkind = \"data\"\npattern = \"crm://a\nowner = \"A\"\n",
    );
    let run = sandbox.run(&["import", "broken.toml"]);
    run.expect_code(2);
    run.expect_stderr("broken.toml: TOML parse error at line 3, column");

    assert_eq!(sandbox.store().rules().unwrap(), rules);
    assert_eq!(sandbox.rule_entries().len(), 4);
    assert_eq!(sandbox.store().agents().unwrap().len(), 2);
    assert_eq!(sandbox.export(), exported);
}

#[test]
fn overlaps_are_warnings_and_who_defaults_to_user_then_cli() {
    let sandbox = Sandbox::new();
    let overlapping = r#"
[[rules]]
kind = "data"
pattern = "crm://contacts/*#status"
owner = "Researcher"

[[rules]]
kind = "data"
pattern = "crm://contacts/42#*"
owner = "Writer"
"#;
    sandbox.write("overlap.toml", overlapping);
    let run = sandbox.run_as(Some("alex"), &["import", "overlap.toml"]);
    run.expect_code(0);
    run.expect_stdout("2 rules added, 0 updated, 0 removed, 0 unchanged");
    run.expect_stderr("warning: overlap.toml: 1 overlap(s)");
    run.expect_stderr("example resource: crm://contacts/42#status");
    assert!(sandbox.rule_entries().iter().all(|e| e.who == "alex"));

    // The export of a store with an overlap fails the check, as the file did.
    sandbox.write("exported.toml", &sandbox.export());
    sandbox.run(&["check", "exported.toml"]).expect_code(1);

    sandbox.write("empty.toml", "");
    let run = sandbox.run_as(None, &["import", "empty.toml"]);
    run.expect_code(0);
    run.expect_stdout("0 rules added, 0 updated, 2 removed, 0 unchanged");
    let removed: Vec<DecisionEntry> = sandbox
        .rule_entries()
        .into_iter()
        .filter(|e| e.action == "rule.remove")
        .collect();
    assert_eq!(removed.len(), 2);
    assert!(removed.iter().all(|e| e.who == "cli"));

    // BATON_USER names the person over the OS user (a shared machine, a team's store).
    let mut import = sandbox.baton(&["import", "overlap.toml"]);
    import.env("USER", "alex").env("BATON_USER", "  Sam  ");
    common::run(import).expect_code(0);
    let added: Vec<DecisionEntry> = sandbox
        .rule_entries()
        .into_iter()
        .filter(|e| e.action == "rule.add")
        .collect();
    assert_eq!(added.len(), 4, "{added:?}");
    assert!(added[2..].iter().all(|e| e.who == "Sam"), "{added:?}");
}

#[test]
fn a_file_changes_only_what_it_says_of_an_agent_baton_knows() {
    let sandbox = Sandbox::new();
    sandbox.write("fleet.toml", FLEET);
    sandbox.run(&["import", "fleet.toml"]).expect_code(0);
    // Only the name and the address: the protocol, the times and the windows stay.
    sandbox.write(
        "short.toml",
        "[[agents]]\nname = \"Writer\"\nurl = \"http://127.0.0.1:7701\"\n\n[[agents]]\nname = \"Researcher\"\nurl = \"http://127.0.0.1:7700\"\n",
    );
    let before = sandbox.export();
    let run = sandbox.run(&["import", "short.toml"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with("0 agents added, 0 updated, 2 unchanged\n"),
        "{}",
        run.all()
    );
    let after = sandbox.export();
    let agents_part = |text: &str| {
        text.split("[[rules]]")
            .next()
            .unwrap()
            .trim_end()
            .to_owned()
    };
    assert_eq!(agents_part(&after), agents_part(&before));
    // What it does say changes, and windows = {} puts the defaults back.
    sandbox.write(
        "windows.toml",
        "[[agents]]\nname = \"Researcher\"\nurl = \"http://127.0.0.1:7700\"\npoll_interval_ms = 9000\nwindows = {}\n",
    );
    sandbox.run(&["import", "windows.toml"]).expect_code(0);
    let text = sandbox.export();
    assert!(
        text.contains("poll_interval_ms = 9000\ntimeout_ms = 3000\nprotocol = \"baton\"\n\n"),
        "{text}"
    );
    // A window out of range is refused with the agent's name, and nothing changes.
    sandbox.write(
        "bad.toml",
        "[[agents]]\nname = \"Researcher\"\nurl = \"http://127.0.0.1:7700\"\nwindows = { stall_seconds = 0 }\n",
    );
    let bad = sandbox.run(&["import", "bad.toml"]);
    bad.expect_code(2);
    bad.expect_stderr("agent \"Researcher\": windows: stall_seconds");
    let protocol = sandbox.write(
        "protocol.toml",
        "[[agents]]\nname = \"R\"\nurl = \"http://127.0.0.1:7700\"\nprotocol = \"grpc\"\n",
    );
    let bad = sandbox.run(&["import", protocol.to_str().unwrap()]);
    bad.expect_code(2);
    bad.expect_stderr("protocol");
}
