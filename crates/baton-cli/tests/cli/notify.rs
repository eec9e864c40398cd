//! Routes through the real binary (issue 60): `baton notify add|list|test|remove`, and
//! `[[notify]]` in `baton.toml`: import makes the routes the file's, export writes them back
//! (token references, never a token), an import of the export reproduces them, and a bad
//! route exits 2 naming it with nothing changed.

use crate::common::Sandbox;

const ROUTES: &str = r#"
[[notify]]
name = "phone"
kind = "ntfy"
person = "ana"
server = "https://ntfy.example.org"
topic = "baton-out-0123456789abcdef"
reply_topic = "baton-back-0123456789abcdef"
token = { env = "NTFY_TOKEN" }
send = { warnings = "now", notes = "digest" }
digest_minutes = 60
quiet_hours = "22:00-07:00"
critical_in_quiet = false
storm_items = 0

[[notify]]
name = "team"
kind = "webhook"
url = "https://hooks.example.org/services/x"
shape = "slack"

[[notify]]
name = "desk"
kind = "desktop"
"#;

fn route_names(sandbox: &Sandbox) -> Vec<String> {
    let store = sandbox.open_store_result().unwrap();
    store
        .routes()
        .unwrap()
        .into_iter()
        .map(|r| r.route.draft.name)
        .collect()
}

#[test]
fn notify_add_list_and_remove() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&[
            "notify",
            "add",
            "phone",
            "--server",
            "https://ntfy.example.org",
            "--token-env",
            "NTFY_TOKEN",
        ])
        .expect_code(0)
        .expect_stdout("route phone added (ntfy https://ntfy.example.org/baton-");
    let store = sandbox.open_store_result().unwrap();
    let phone = store.route_named("phone").unwrap().route.draft;
    drop(store);
    // Long random topics, two different ones; the person is who ran it.
    let (topic, reply) = (phone.topic.unwrap(), phone.reply_topic.unwrap());
    assert_eq!(topic.len(), "baton-".len() + 32);
    assert_ne!(topic, reply);
    assert_eq!(phone.person, "tester");
    sandbox
        .run(&[
            "notify",
            "add",
            "team",
            "--kind",
            "webhook",
            "--url",
            "https://hooks.example.org/x",
            "--shape",
            "discord",
        ])
        .expect_code(0);
    // Refused, nothing stored: the same name, a bad topic, a webhook without a URL.
    sandbox
        .run(&["notify", "add", "phone"])
        .expect_code(2)
        .expect_stderr("already exists");
    sandbox
        .run(&["notify", "add", "bad", "--topic", "no spaces allowed"])
        .expect_code(2)
        .expect_stderr("is not a topic name");
    sandbox
        .run(&["notify", "add", "hook", "--kind", "webhook"])
        .expect_code(2)
        .expect_stderr("needs a url");
    let listed = sandbox.run(&["notify", "list"]);
    listed
        .expect_code(0)
        .expect_stdout("phone\ttester\tntfy ")
        .expect_stdout("token from env:NTFY_TOKEN");
    listed.expect_stdout("team\ttester\twebhook https://hooks.example.org/x (discord)");
    let json: serde_json::Value =
        serde_json::from_str(&sandbox.run(&["notify", "list", "--json"]).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["token"], "env:NTFY_TOKEN");
    sandbox
        .run(&["notify", "remove", "team"])
        .expect_code(0)
        .expect_stdout("route team removed");
    sandbox
        .run(&["notify", "remove", "team"])
        .expect_code(2)
        .expect_stderr("no route named \"team\"");
    assert_eq!(route_names(&sandbox), ["phone"]);
}

#[test]
fn notify_test_says_what_failed() {
    let sandbox = Sandbox::new();
    // Nothing listens on port 9 of loopback: the connection is refused.
    sandbox
        .run(&["notify", "add", "phone", "--server", "http://127.0.0.1:9"])
        .expect_code(0);
    sandbox
        .run(&["notify", "test", "phone"])
        .expect_code(2)
        .expect_stderr("cannot connect to the server");
    sandbox
        .run(&[
            "notify",
            "add",
            "named",
            "--server",
            "http://no-such-host.invalid",
        ])
        .expect_code(0);
    sandbox
        .run(&["notify", "test", "named"])
        .expect_code(2)
        .expect_stderr("route named: ");
    sandbox
        .run(&["notify", "test", "nope"])
        .expect_code(2)
        .expect_stderr("no route named");
}

#[test]
fn routes_round_trip_through_baton_toml() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("baton.toml", ROUTES);
    sandbox
        .run(&["import", file.to_str().unwrap()])
        .expect_code(0)
        .expect_stdout("3 routes added, 0 updated, 0 removed, 0 unchanged");
    assert_eq!(route_names(&sandbox), ["desk", "phone", "team"]);
    // The desktop route names nobody: who imports answers on it.
    let store = sandbox.open_store_result().unwrap();
    assert_eq!(
        store.route_named("desk").unwrap().route.draft.person,
        "tester"
    );
    drop(store);

    let exported = sandbox.run(&["export"]);
    exported
        .expect_code(0)
        .expect_stdout("[[notify]]\nname = \"phone\"\nkind = \"ntfy\"\nperson = \"ana\"\n");
    exported.expect_stdout("token = { env = \"NTFY_TOKEN\" }\n");
    exported.expect_stdout("shape = \"slack\"\n");
    exported.expect_stdout(
        "send = { warnings = \"now\", notes = \"digest\" }\ndigest_minutes = 60\n\
         quiet_hours = \"22:00-07:00\"\ncritical_in_quiet = false\nstorm_items = 0\n",
    );
    let elsewhere = Sandbox::new();
    let copy = elsewhere.write("baton.toml", &exported.stdout);
    elsewhere
        .run(&["import", copy.to_str().unwrap()])
        .expect_code(0);
    let (a, b) = (
        sandbox.open_store_result().unwrap(),
        elsewhere.open_store_result().unwrap(),
    );
    let drafts = |s: &baton_store::Store| -> Vec<_> {
        s.routes()
            .unwrap()
            .into_iter()
            .map(|r| r.route.draft)
            .collect()
    };
    assert_eq!(drafts(&a), drafts(&b));
    drop((a, b));
    // The same file again changes nothing; a file without the part leaves the routes.
    sandbox
        .run(&["import", file.to_str().unwrap()])
        .expect_stdout("0 routes added, 0 updated, 0 removed, 3 unchanged");
    let bare = sandbox.write(
        "bare.toml",
        "[[agents]]\nname = \"A\"\nurl = \"http://127.0.0.1:9/a\"\n",
    );
    sandbox
        .run(&["import", bare.to_str().unwrap()])
        .expect_code(0);
    assert_eq!(route_names(&sandbox).len(), 3);
}

#[test]
fn a_bad_route_in_a_file_exits_2_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let good = sandbox.write("good.toml", ROUTES);
    sandbox
        .run(&["import", good.to_str().unwrap()])
        .expect_code(0);
    for (bad, says) in [
        ("[[notify]]\nname = \"p\"\nkind = \"ntfy\"\nserver = \"https://x.org\"\ntopic = \"t\"\ntoken = \"tk_secret_value\"\n", "may not be written inline"),
        ("[[notify]]\nname = \"p\"\nkind = \"ntfy\"\nserver = \"https://x.org\"\n", "needs a topic"),
        ("[[notify]]\nname = \"p\"\nkind = \"pager\"\n", "unknown variant"),
        ("[[notify]]\nname = \"p\"\nkind = \"desktop\"\n[[notify]]\nname = \"p\"\nkind = \"desktop\"\n", "used twice"),
        ("[[notify]]\nname = \"p\"\nkind = \"webhook\"\nurl = \"https://u:pw@x.org/\"\n", "not a usable URL"),
        ("[[notify]]\nname = \"p\"\nkind = \"desktop\"\nsend = { warnings = \"soon\" }\n", "unknown variant"),
        ("[[notify]]\nname = \"p\"\nkind = \"desktop\"\nsend = { alarms = \"now\" }\n", "unknown field"),
        ("[[notify]]\nname = \"p\"\nkind = \"desktop\"\nquiet_hours = \"late\"\n", "is not quiet hours"),
        ("[[notify]]\nname = \"p\"\nkind = \"desktop\"\ndigest_minutes = 0\n", "a digest's period is 1 to 1440 minutes"),
        ("[[notify]]\nname = \"p\"\nkind = \"desktop\"\nstorm_items = 5000\n", "a storm is more than"),
    ] {
        let file = sandbox.write("bad.toml", bad);
        let run = sandbox.run(&["import", file.to_str().unwrap()]);
        run.expect_code(2).expect_stderr(says);
        assert!(!run.all().contains("tk_secret_value"), "{}", run.all());
        assert_eq!(route_names(&sandbox), ["desk", "phone", "team"]);
    }
}

#[test]
fn what_a_route_sends_is_set_with_the_cli() {
    let sandbox = Sandbox::new();
    sandbox
        .run(&[
            "notify",
            "add",
            "phone",
            "--server",
            "https://ntfy.example.org",
            "--send",
            "warnings=now,notes=digest",
            "--send",
            "silent=digest",
            "--quiet-hours",
            "22:00-07:00",
        ])
        .expect_code(0);
    let policy = |sandbox: &Sandbox| {
        let store = sandbox.open_store_result().unwrap();
        store.route_named("phone").unwrap().route.draft.policy
    };
    let set = policy(&sandbox);
    assert_eq!(
        set.sends.to_text(),
        "approvals=now,critical=now,limits=now,silent=digest,warnings=now,notes=digest"
    );
    assert_eq!(set.quiet.unwrap().to_string(), "22:00-07:00");
    assert!(set.critical_in_quiet);
    sandbox
        .run(&["notify", "list"])
        .expect_code(0)
        .expect_stdout("quiet 22:00-07:00 (critical still goes)");
    sandbox
        .run(&[
            "notify",
            "set",
            "phone",
            "--digest-minutes",
            "60",
            "--critical-in-quiet",
            "false",
            "--storm-items",
            "0",
        ])
        .expect_code(0)
        .expect_stdout("digest every 60 min; quiet 22:00-07:00; no storms");
    sandbox
        .run(&["notify", "set", "phone", "--no-quiet-hours"])
        .expect_code(0);
    let set = policy(&sandbox);
    assert_eq!(
        (set.digest_minutes, set.quiet, set.storm_items),
        (60, None, 0)
    );
    assert!(!set.critical_in_quiet);
    // Refused, nothing changed.
    for (args, says) in [
        (vec!["--send", "warnings=soon"], "is not what a route sends"),
        (vec!["--quiet-hours", "7-22"], "is not quiet hours"),
        (vec!["--digest-minutes", "0"], "a digest's period"),
    ] {
        let mut run = vec!["notify", "set", "phone"];
        run.extend(args);
        sandbox.run(&run).expect_code(2).expect_stderr(says);
    }
    sandbox
        .run(&["notify", "set", "tablet", "--storm-items", "3"])
        .expect_code(2)
        .expect_stderr("no route named");
    assert_eq!(policy(&sandbox), set);
}
