//! People's roles on a shared PostgreSQL store from the terminal: `baton store grant` as the
//! superuser; a viewer lists the queue but its `decide` and `import` are refused by the
//! database, said in words naming who can decide; a decider decides; `store roles` lists who
//! is what. On SQLite, `store grant` says there are no roles. Always on the test PostgreSQL.

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_store::{Store, StoreLocation};

use crate::common::Sandbox;

/// A store owned by a role of its own (as docs/team.md sets it up), with one agent's question
/// in the queue: (owner's URL, the superuser's URL, the item's id).
fn shared_store() -> (String, String, i64) {
    let server = baton_testdb::server();
    let owner = server.login_role("owner");
    let owner_url = server.fresh_database_owned_by(&owner);
    let mut store = Store::open_at(&StoreLocation::parse(&owner_url).unwrap()).unwrap();
    let agent = store
        .add_agent(&baton_core::agent::AgentDraft::new(
            "Researcher",
            "http://127.0.0.1:9/researcher",
        ))
        .unwrap()
        .id;
    let recorded = store
        .record_findings(
            &[Finding::about(
                FindingKind::NeedsApproval,
                Severity::Warning,
                vec![agent],
                "Researcher asks: may I send the mail?",
                "ask-mail",
            )],
            chrono::Utc::now(),
        )
        .unwrap();
    let admin_url = baton_testdb::url_as(&owner_url, "postgres");
    (owner_url, admin_url, recorded.escalations[0])
}

#[test]
fn a_viewer_is_refused_in_words_and_a_decider_decides() {
    let sandbox = Sandbox::new();
    let (owner_url, admin_url, item) = shared_store();
    let server = baton_testdb::server();
    let (ana, bo) = (server.login_role("ana"), server.login_role("bo"));
    let as_role = |role: &str| baton_testdb::url_as(&owner_url, role);

    sandbox
        .run(&["--store", &admin_url, "store", "grant", &ana, "viewer"])
        .expect_code(0)
        .expect_stdout(&format!("{ana} is a viewer of"))
        .expect_stdout("sees everything and decides nothing");
    sandbox
        .run(&["--store", &admin_url, "store", "grant", &bo, "decider"])
        .expect_code(0)
        .expect_stdout(&format!("deciders: {bo}"))
        .expect_stdout(&format!("viewers:  {ana}"));

    // The viewer sees the queue...
    let ana_url = as_role(&ana);
    let listed = sandbox.run(&["--store", &ana_url, "escalations", "--json"]);
    listed.expect_code(0);
    assert!(
        listed.stdout.contains("may I send the mail"),
        "{}",
        listed.all()
    );
    // ...and the database refuses its decision and its rules, in words.
    let refused = sandbox.run(&[
        "--store",
        &ana_url,
        "decide",
        &item.to_string(),
        "approve",
        "--who",
        "ana",
    ]);
    refused
        .expect_code(1)
        .expect_stderr(&format!(
            "baton: you are a viewer on this store (PostgreSQL role {ana})"
        ))
        .expect_stderr(&format!("{bo} can decide"))
        .expect_stderr(&format!("`baton store grant {ana} decider`"));
    assert!(
        !refused.stderr.contains("database error"),
        "{}",
        refused.all()
    );
    let rules = sandbox.write(
        "rules.toml",
        "[[rules]]\nkind = \"data\"\npattern = \"crm://a/**\"\nowner = \"Researcher\"\n",
    );
    sandbox
        .run(&["--store", &ana_url, "import", rules.to_str().unwrap()])
        .expect_code(1)
        .expect_stderr("you are a viewer on this store");

    // The decider decides, and the log says who from which machine.
    let bo_url = as_role(&bo);
    let mut decide = sandbox.baton(&[
        "--store",
        &bo_url,
        "decide",
        &item.to_string(),
        "approve",
        "--who",
        "bo",
        "--wait",
        "0",
    ]);
    decide.env("BATON_HOST", "devbox-b");
    crate::common::run(decide).expect_code(0);
    sandbox
        .run(&["--store", &ana_url, "decisions", "export"])
        .expect_code(0)
        .expect_stdout("\"who\":\"bo\"")
        .expect_stdout("\"host\":\"devbox-b\"");
    sandbox
        .run(&["--store", &bo_url, "store", "roles"])
        .expect_code(0)
        .expect_stdout(&format!("deciders: {bo}"));
}

#[test]
fn a_sqlite_store_has_no_roles_to_grant() {
    let sandbox = Sandbox::new();
    let file = sandbox.path("team.sqlite3");
    sandbox
        .run(&[
            "--store",
            file.to_str().unwrap(),
            "store",
            "grant",
            "ana",
            "viewer",
        ])
        .expect_code(2)
        .expect_stderr("baton: a SQLite store has no roles")
        .expect_stderr("PostgreSQL");
    sandbox
        .run(&["store", "grant", "ana", "admin"])
        .expect_code(2)
        .expect_stderr("viewer");
}
