//! `baton store copy`: a store the demo fleet filled (its story: tasks, events, findings, a
//! decision delivered) copied to the other engine and back, every view the same on each copy,
//! the decision log's chain verifying.

use baton_sim::SimFleet;

use crate::common::Sandbox;
use crate::{agent_toml, run_async};

/// What `baton` says of the store at `store`: agents, queue and decision log, as JSON.
fn views(sandbox: &Sandbox, store: &str) -> Vec<String> {
    [
        vec!["status", "--json"],
        vec!["escalations", "--all", "--json"],
        vec!["decisions", "export"],
    ]
    .iter()
    .map(|args| {
        let mut all = vec!["--store", store];
        all.extend(args.iter().copied());
        let run = sandbox.run(&all);
        run.expect_code(0);
        run.stdout
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_the_demo_filled_copies_to_the_other_engine_and_back_as_it_was() {
    let sandbox = Sandbox::new();
    let fleet = SimFleet::start_story(0, 50)
        .await
        .expect("the demo's story");
    let config: String = fleet
        .agents()
        .iter()
        .map(|a| agent_toml(&a.name, &a.base_url, 300, 250, ""))
        .collect();
    let config = sandbox.write("baton.toml", &config);
    let config = config.to_str().unwrap().to_owned();
    run_async(sandbox.baton(&["watch", "--config", &config, "--duration", "6"]))
        .await
        .expect_code(0);
    fleet.shutdown().await;
    let listed = sandbox.run(&["escalations", "--json"]);
    let items: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).unwrap();
    let first = items.first().expect("the story opened an item");
    sandbox
        .run(&[
            "decide",
            &first["id"].to_string(),
            "dismiss",
            "--reason",
            "seen",
        ])
        .expect_code(0);

    let here = match sandbox.store_url() {
        Some(url) => url.to_owned(),
        None => sandbox.db_path().display().to_string(),
    };
    let there = match sandbox.store_url() {
        Some(_) => sandbox.path("copy.sqlite3").display().to_string(),
        None => baton_testdb::server().fresh_database(),
    };
    let copied = sandbox.run(&["store", "copy", "--from", &here, "--to", &there]);
    copied.expect_code(0);
    copied.expect_stdout("entries verify");
    assert!(
        copied.stderr.contains("copying events"),
        "progress: {}",
        copied.all()
    );
    assert_eq!(views(&sandbox, &there), views(&sandbox, &here));
    sandbox
        .run(&["--store", &there, "decisions", "verify"])
        .expect_code(0);
    // Into a store that has something already: refused, nothing changed.
    let again = sandbox.run(&["store", "copy", "--from", &here, "--to", &there]);
    assert_eq!(again.code, Some(1), "{}", again.all());
    again.expect_stderr("not empty");

    let back = sandbox.path("back.sqlite3").display().to_string();
    sandbox
        .run(&["store", "copy", "--from", &there, "--to", &back])
        .expect_code(0);
    assert_eq!(views(&sandbox, &back), views(&sandbox, &here));
}
