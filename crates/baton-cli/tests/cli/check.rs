//! `baton check`, the real binary: clean files exit 0, overlaps and manifest conflicts exit 1 with
//! the example resource in the report, malformed TOML and bad patterns exit 2 with line and column.

use crate::common;

use std::path::Path;

use crate::common::Run;
use tempfile::TempDir;

fn check(dir: &Path, files: &[(&str, &str)], args: &[&str]) -> Run {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write file");
    }
    let mut cmd = common::baton_command();
    cmd.current_dir(dir).arg("check").args(args);
    common::run(cmd)
}

fn checked(text: &str) -> Run {
    let dir = TempDir::new().unwrap();
    check(dir.path(), &[("baton.toml", text)], &["baton.toml"])
}

const CLEAN: &str = r#"
[[agents]]
name = "Researcher"
url = "http://127.0.0.1:7700"
declares = { triggers = ["slack://research"], reads = ["crm://contacts/**"], writes = ["crm://contacts/*#status"] }

[[agents]]
name = "Writer"
url = "http://127.0.0.1:7701"
declares = { reads = ["crm://contacts/*#status"], outputs = ["file:///drafts/**"] }

[[rules]]
kind = "data"
pattern = "crm://contacts/*#status"
owner = "Researcher"
readers = ["Writer"]

[[rules]]
kind = "output"
pattern = "file:///drafts/**"
owner = "writer"
note = "owner names compare case-insensitively"

[[rules]]
kind = "trigger"
pattern = "slack://billing"
owner = "Triage"

[[rules]]
kind = "exception"
pattern = "crm://contacts/**"
owner = "Dana"
sla_seconds = 3600
"#;

#[test]
fn a_clean_file_exits_0_with_one_line() {
    let run = checked(CLEAN);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(
        run.stdout,
        "ok: 4 rules, 2 agents, no overlaps\n",
        "{}",
        run.all()
    );
}

fn two_rules(kind: &str, first: &str, second: &str) -> String {
    format!(
        "[[rules]]\nkind = \"{kind}\"\npattern = \"{first}\"\nowner = \"Researcher\"\n\n\
         [[rules]]\nkind = \"{kind}\"\npattern = \"{second}\"\nowner = \"Writer\"\n"
    )
}

#[test]
fn overlapping_rules_of_each_kind_exit_1_naming_the_example() {
    for (kind, first, second, example) in [
        (
            "trigger",
            "slack://billing",
            "slack://billing#*",
            "slack://billing#field",
        ),
        (
            "data",
            "crm://contacts/*#status",
            "crm://contacts/42#*",
            "crm://contacts/42#status",
        ),
        (
            "output",
            "file:///drafts/**",
            "file:///drafts/brief-*.md",
            "file:///drafts/brief-x.md",
        ),
    ] {
        let run = checked(&two_rules(kind, first, second));
        assert_eq!(run.code, Some(1), "{kind}\n{}", run.all());
        assert!(
            run.stdout.contains(&format!("overlap ({kind})")),
            "{}",
            run.all()
        );
        assert!(
            run.stdout.contains(&format!("example resource: {example}")),
            "{}",
            run.all()
        );
        assert!(
            run.stdout
                .contains(&format!("rule 0 at line 3: {kind} {first} → Researcher")),
            "{}",
            run.all()
        );
        assert!(
            run.stdout
                .contains(&format!("rule 1 at line 8: {kind} {second} → Writer")),
            "{}",
            run.all()
        );
    }
    // Different kinds, or disjoint patterns: clean.
    let run = checked(&two_rules(
        "data",
        "crm://contacts/*#status",
        "crm://contacts/*#owner",
    ));
    assert_eq!(run.code, Some(0), "{}", run.all());
}

#[test]
fn a_manifest_overlapping_an_existing_rule_exits_1() {
    let dir = TempDir::new().unwrap();
    let manifest = "name = \"Newbie\"\ntriggers = [\"slack://billing\"]\nreads = [\"crm://contacts/**\"]\nwrites = [\"crm://contacts/42#status\"]\n";
    let run = check(
        dir.path(),
        &[("baton.toml", CLEAN), ("agent.toml", manifest)],
        &["baton.toml", "--manifest", "agent.toml"],
    );
    assert_eq!(run.code, Some(1), "{}", run.all());
    run.expect_stdout("conflict (trigger) of manifest agent.toml (agent \"Newbie\")");
    run.expect_stdout("example resource: slack://billing");
    // Two writers of one field: the rule gives it to its owner, so the manifest conflicts with
    // the rule. (That the owner also declares writing it is no second conflict: the rule decides.)
    run.expect_stdout("conflict (data)");
    run.expect_stdout("against:  rule 0 at line 14: data crm://contacts/*#status → Researcher");
    assert!(
        !run.stdout
            .contains("against:  agent \"Researcher\" declares crm://contacts/*#status"),
        "{}",
        run.all()
    );
    run.expect_stdout("example resource: crm://contacts/42#status");
    // A manifest that only reads is fine.
    let run = check(
        dir.path(),
        &[(
            "reader.toml",
            "name = \"Reader\"\nreads = [\"crm://contacts/**\"]\n",
        )],
        &["baton.toml", "--manifest", "reader.toml"],
    );
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert_eq!(run.stdout, "ok: 4 rules, 3 agents, no overlaps\n");
}

#[test]
fn malformed_toml_exits_2_with_line_and_column() {
    let run = checked("[[rules]]\nkind = \"data\"\npattern = \"crm://a\nowner = \"A\"\n");
    assert_eq!(run.code, Some(2), "{}", run.all());
    run.expect_stderr("baton.toml: TOML parse error at line 3, column");
    // Typos are refused, in rules, in declarations and at the top level.
    for (text, needle) in [
        (
            "[[rules]]\nkind = \"data\"\npattern = \"crm://a\"\nowner = \"A\"\nreader = [\"B\"]\n",
            "line 5, column 1: unknown field `reader`",
        ),
        (
            "[[rules]]\nkind = \"dat\"\npattern = \"crm://a\"\nowner = \"A\"\n",
            "line 2, column 8: unknown variant `dat`",
        ),
        (
            "[[agents]]\nname = \"a\"\nurl = \"http://x\"\ndeclares = { write = [] }\n",
            "unknown field `write`",
        ),
        ("[[rule]]\nkind = \"data\"\n", "unknown field `rule`"),
    ] {
        let run = checked(text);
        assert_eq!(run.code, Some(2), "{}", run.all());
        assert!(run.stderr.contains(needle), "{needle}\n{}", run.all());
    }
    let dir = TempDir::new().unwrap();
    let run = check(
        dir.path(),
        &[
            ("baton.toml", CLEAN),
            ("agent.toml", "name = \"N\"\ntriggers = [\"a://b\"\n"),
        ],
        &["baton.toml", "--manifest", "agent.toml"],
    );
    assert_eq!(run.code, Some(2), "{}", run.all());
    run.expect_stderr("agent.toml: TOML parse error at line");
}

#[test]
fn a_bad_pattern_exits_2_with_line_and_column() {
    let run =
        checked("\n[[rules]]\nkind = \"data\"\nowner = \"A\"\npattern = \"crm://contacts/***\"\n");
    assert_eq!(run.code, Some(2), "{}", run.all());
    run.expect_stderr(
        "baton.toml: line 5, column 27: rule 0 (data) \"crm://contacts/***\": column 16: `***`",
    );
    // In a manifest.
    let dir = TempDir::new().unwrap();
    let run = check(
        dir.path(),
        &[
            ("baton.toml", CLEAN),
            (
                "agent.toml",
                "name = \"N\"\noutputs = [\"file:///a\", \"file:///b//c\"]\n",
            ),
        ],
        &["baton.toml", "--manifest", "agent.toml"],
    );
    assert_eq!(run.code, Some(2), "{}", run.all());
    run.expect_stderr("agent.toml: line 2, column 36: agent \"N\" outputs[1] \"file:///b//c\": column 11: empty path segment");
    // A rule that is wrong for its kind.
    let run = checked("[[rules]]\nkind = \"trigger\"\npattern = \"slack://x\"\nowner = \"A\"\nreaders = [\"B\"]\n");
    assert_eq!(run.code, Some(2), "{}", run.all());
    run.expect_stderr("line 3, column 11: rule 0 (trigger): only data rules have readers");
}

#[test]
fn escape_sequences_in_names_are_shown_not_obeyed_in_reports_and_errors() {
    // An owner whose name clears the screen and sets the terminal's title.
    let hostile = "Writer\\u001b[2J\\u001b]0;pwned\\u0007";
    let run = checked(&format!(
        "[[rules]]\nkind = \"data\"\npattern = \"crm://contacts/*\"\nowner = \"Researcher\"\n\n\
         [[rules]]\nkind = \"data\"\npattern = \"crm://contacts/42\"\nowner = \"{hostile}\"\n"
    ));
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        !run.all().contains('\u{1b}') && !run.all().contains('\u{7}'),
        "{:?}",
        run.all()
    );
    run.expect_stdout("Writer\\u{1b}[2J");
    // The same name in an error.
    let run = checked(&format!(
        "[[agents]]\nname = \"{hostile}\"\nurl = \"http://127.0.0.1:9\"\npoll_interval_ms = 1000\ntimeout_ms = 5000\n"
    ));
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(!run.all().contains('\u{1b}'), "{:?}", run.all());
    run.expect_stderr("\\u{1b}]0;pwned\\u{7}");
}
