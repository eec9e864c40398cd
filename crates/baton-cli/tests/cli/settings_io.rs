//! Quotas, pressure settings and handoff schemas through `baton.toml`, the real binary:
//! import sets them, export writes them (schemas in files beside the export, or inline on
//! stdout), import of an export into an empty store reproduces it, a part left out stays, and
//! a bad entry exits 2 naming it with nothing changed.

use baton_core::ratelimit::Metric;
use baton_store::settings::FleetSettings;
use baton_store::DecisionFilter;

use crate::common::Sandbox;

const SETTINGS: &str = r#"
[[quotas]]
api = "openai"
metric = "tokens"
limit = 90000
window_seconds = 60

[[quotas]]
api = "openai"
key = "team-a"
metric = "requests"
limit = 500
window_seconds = 60

[[pressure]]
api = "openai"
share_percent = 70
horizon_minutes = 15

[[handoffs]]
type = "research_brief"
schema = "schemas/brief.json"

[[handoffs]]
type = "summary"
schema_json = '{"type": "string", "maxLength": 280}'

[[prices]]
api = "openai"
model = "gpt-4o*"
input_per_1k = 0.003
output_per_1k = 0.012

[[prices]]
api = "local"
input_per_1k = 0.0
output_per_1k = 0.0

[readiness]
days = 14
approval_percent = 80

[retention]
days = 90

[[agents]]
name = "Researcher"
url = "http://127.0.0.1:9/researcher"
daily_budget_usd = 2.5
"#;

const BRIEF: &str =
    r#"{"type": "object", "required": ["topic"], "properties": {"topic": {"type": "string"}}}"#;

fn settings_of(sandbox: &Sandbox) -> FleetSettings {
    sandbox
        .open_store_result()
        .expect("open store")
        .fleet_settings()
        .expect("settings")
}

fn imported() -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.path("schemas")).unwrap();
    sandbox.write("schemas/brief.json", BRIEF);
    sandbox.write("baton.toml", SETTINGS);
    let run = sandbox.run(&["import", "baton.toml"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains(
            "2 quota(s), 1 pressure setting(s), 2 handoff schema(s), 2 price(s), readiness \
             (new), retention (new) changed"
        ),
        "{}",
        run.all()
    );
    run.expect_stdout("1 daily budget(s) set");
    sandbox
}

#[test]
fn settings_imported_are_stored_as_the_file_says() {
    let sandbox = imported();
    let stored = settings_of(&sandbox);
    let quotas = stored.quotas.unwrap();
    assert_eq!(quotas.len(), 2);
    let team = quotas
        .iter()
        .find(|q| q.key.as_deref() == Some("team-a"))
        .unwrap();
    assert_eq!((team.metric, team.limit), (Metric::Requests, 500));
    assert_eq!(stored.pressure.unwrap()["openai"].share_percent, 70);
    let schemas = stored.handoff_schemas.unwrap();
    assert_eq!(
        schemas["research_brief"]["required"],
        serde_json::json!(["topic"])
    );
    assert_eq!(schemas["summary"]["maxLength"], 280);
    let prices = stored.prices.unwrap();
    assert_eq!(prices.len(), 2);
    assert!(prices.iter().any(|p| p.model.as_deref() == Some("gpt-4o*")));
    let readiness = stored.readiness.unwrap();
    assert_eq!(
        (
            readiness.days,
            readiness.approval_percent,
            readiness.poll_health_percent
        ),
        (14, 80, 95)
    );
    assert_eq!(stored.retention_days, Some(90));
    let store = sandbox.open_store_result().unwrap();
    let researcher = store.agents().unwrap()[0].id;
    assert_eq!(store.daily_budget(researcher).unwrap(), Some(2.5));
    // Audited like a schema set in the app.
    let audited = sandbox
        .open_store_result()
        .unwrap()
        .decisions(&DecisionFilter {
            subject_prefix: Some("handoff:".into()),
            ..DecisionFilter::default()
        })
        .unwrap();
    assert_eq!(audited.len(), 2);
    assert!(audited
        .iter()
        .all(|e| e.action == "handoff_schema.set" && e.who == "tester"));
    // Again: nothing changes.
    let again = sandbox.run(&["import", "baton.toml"]);
    assert!(
        again.stdout.contains(
            "0 quota(s), 0 pressure setting(s), 0 handoff schema(s), 0 price(s), readiness (as \
             it was), retention (as it was) changed"
        ),
        "{}",
        again.all()
    );
}

#[test]
fn an_export_imported_into_an_empty_store_reproduces_it() {
    let sandbox = imported();
    // To a file: schemas beside it.
    let run = sandbox.run(&["export", "--out", "out/export.toml"]);
    run.expect_code(0);
    let text = std::fs::read_to_string(sandbox.path("out/export.toml")).unwrap();
    assert!(
        text.contains("type = \"research_brief\"\nschema = \"schemas/research_brief.json\"\n"),
        "{text}"
    );
    assert!(sandbox.path("out/schemas/summary.json").exists());

    let elsewhere = Sandbox::new();
    let dir = elsewhere.path("in");
    copy_dir(&sandbox.path("out"), &dir);
    elsewhere.run(&["import", "in/export.toml"]).expect_code(0);
    assert_eq!(settings_of(&elsewhere), settings_of(&sandbox));
    // To stdout: inline, and the same store again.
    let inline = sandbox.run(&["export"]);
    inline.expect_code(0);
    assert!(
        inline.stdout.contains("schema_json = "),
        "{}",
        inline.stdout
    );
    let third = Sandbox::new();
    third.write("inline.toml", &inline.stdout);
    third.run(&["import", "inline.toml"]).expect_code(0);
    assert_eq!(settings_of(&third), settings_of(&sandbox));
    // Both exports name the same settings.
    let again = elsewhere.run(&["export"]);
    assert_eq!(again.stdout, inline.stdout);
}

#[test]
fn a_part_left_out_stays_and_an_empty_list_clears_it() {
    let sandbox = imported();
    sandbox.write("quotas_only.toml", "quotas = []\n");
    sandbox.run(&["import", "quotas_only.toml"]).expect_code(0);
    let stored = settings_of(&sandbox);
    assert_eq!(stored.quotas, Some(vec![]));
    assert_eq!(stored.pressure.unwrap().len(), 1);
    assert_eq!(stored.handoff_schemas.unwrap().len(), 2);
}

#[test]
fn a_bad_setting_exits_2_naming_it_and_changes_nothing() {
    let sandbox = imported();
    let before = settings_of(&sandbox);
    for (file, says) in [
        (
            "[[quotas]]\napi = \"openai\"\nmetric = \"tokens\"\nlimit = 0\nwindow_seconds = 60\n",
            "quotas[0] (openai): a quota's limit is 1 or more",
        ),
        (
            "[[quotas]]\napi = \"openai\"\nmetric = \"bananas\"\nlimit = 1\nwindow_seconds = 60\n",
            "unknown variant `bananas`",
        ),
        (
            "[[pressure]]\napi = \"openai\"\nshare_percent = 120\nhorizon_minutes = 5\n",
            "pressure[0] (openai): the pressure share is a percentage from 1 to 100",
        ),
        (
            "[[handoffs]]\ntype = \"x\"\nschema = \"nowhere.json\"\n",
            "handoffs[0] (x): cannot read the schema file",
        ),
        (
            "[[handoffs]]\ntype = \"x\"\nschema_json = '{\"type\": \"nope\"}'\n",
            "handoffs[0] (x):",
        ),
        (
            "[[handoffs]]\ntype = \"x\"\nschema_json = 'not json'\n",
            "handoffs[0] (x): the schema is not JSON",
        ),
        ("[[handoffs]]\ntype = \"x\"\n", "exactly one"),
        (
            "[[prices]]\napi = \"openai\"\ninput_per_1k = -1.0\noutput_per_1k = 0.0\n",
            "prices[0] (openai every model): the input price is a number of dollars, 0 or more",
        ),
        (
            "[readiness]\napproval_percent = 120\n",
            "readiness: the approval share is a percentage: 0 to 100",
        ),
        ("[readiness]\nweeks = 4\n", "unknown field `weeks`"),
        (
            "[retention]\ndays = 0\n",
            "retention: days: events are kept from 1 to 3660 days",
        ),
        (
            "[[agents]]\nname = \"R\"\nurl = \"http://127.0.0.1:9/r\"\ndaily_budget_usd = -5.0\n",
            "daily_budget_usd: dollars from 0 (no budget)",
        ),
    ] {
        sandbox.write("bad.toml", file);
        let run = sandbox.run(&["import", "bad.toml"]);
        run.expect_code(2);
        assert!(run.stderr.contains(says), "{file}\n{}", run.all());
        let check = sandbox.run(&["check", "bad.toml"]);
        check.expect_code(2);
        assert_eq!(settings_of(&sandbox), before, "{file}");
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
