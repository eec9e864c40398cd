//! Benchmark (ignored by `cargo test`; `make bench` runs it): the ownership map of 50 agents,
//! 500 rules and 600 declarations in the real app under Xvfb. Times are taken inside the page,
//! from the click to the DOM showing the result (backend call, re-lint, React commit), and
//! printed; nothing is asserted about them. Figures go to docs/performance.md.

use std::time::Duration;

use baton_core::agent::AgentDraft;
use baton_core::rules::{Declares, Rule, RuleKind};
use baton_store::Store;
use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::webdriver::Session;
use serde_json::json;

const AGENTS: usize = 50;
const RULES: usize = 500;
const AREAS: [&str; 5] = ["contacts", "deals", "accounts", "tickets", "invoices"];
const NEW: &str = "file:///bench/**";
const LONG: Duration = Duration::from_secs(60);

fn agent(i: usize) -> String {
    format!("agent-{i:02}")
}

fn pattern(kind: RuleKind, i: usize) -> String {
    let area = AREAS[i % AREAS.len()];
    match kind {
        RuleKind::Trigger => format!("mail://inbox/{area}-{}", i % 40),
        RuleKind::Output => format!("file:///reports/{area}/{}.md", i % 60),
        _ => format!("crm://{area}/*#field-{}", i % 80),
    }
}

/// 50 agents (on a closed port: they are polled and down, which the map does not mind), their
/// declarations and 500 rules, written straight into the app's store before it starts.
fn seed(dir: &std::path::Path) {
    let mut store = Store::open(&dir.join("baton.sqlite3")).expect("store");
    for i in 0..AGENTS {
        let mut draft = AgentDraft::new(agent(i), "http://127.0.0.1:9");
        draft.poll_interval_ms = 60_000;
        draft.timeout_ms = 1_000;
        let id = store.add_agent(&draft).expect("agent").id;
        let declares = Declares {
            triggers: vec![
                pattern(RuleKind::Trigger, i),
                pattern(RuleKind::Trigger, i + 1),
            ],
            reads: vec![format!("crm://{}/**", AREAS[i % 5])],
            writes: (0..6).map(|j| pattern(RuleKind::Data, i * 3 + j)).collect(),
            outputs: vec![
                pattern(RuleKind::Output, i),
                pattern(RuleKind::Output, i + 2),
            ],
        };
        store
            .set_declaration(id, Some(&declares), "bench")
            .expect("declaration");
    }
    let kinds = [
        RuleKind::Trigger,
        RuleKind::Data,
        RuleKind::Output,
        RuleKind::Exception,
    ];
    let rules: Vec<Rule> = (0..RULES)
        .map(|i| {
            let kind = kinds[i % 4];
            let owner = if kind == RuleKind::Exception {
                format!("person {}", i % 5)
            } else {
                agent((i * 7) % AGENTS)
            };
            let mut rule = Rule::new(kind, pattern(kind, i), owner);
            if kind == RuleKind::Exception {
                rule.pattern = format!("crm://{}/**", AREAS[i % 5]);
            }
            if kind == RuleKind::Data {
                rule.readers = vec![agent((i + 3) % AGENTS)];
            }
            rule
        })
        .collect();
    store.replace_rules(&rules, "bench").expect("rules");
    let map = store.ownership_map().expect("map");
    println!(
        "seeded {} agents, {} rules, {} conflicts on the map",
        map.agents.len(),
        map.rules.len(),
        map.conflicts.len()
    );
}

/// Clicks `click` and returns the milliseconds until `wait` is present (or absent), measured in
/// the page with a MutationObserver.
async fn timed(session: &Session, click: &str, wait: &str, present: bool) -> Result<f64, String> {
    // The previous edit may still be finishing (its buttons disabled): wait for this one.
    let deadline = std::time::Instant::now() + LONG;
    while session
        .execute(
            "const b = document.querySelector(arguments[0]); return !b || b.disabled;",
            vec![json!(click)],
        )
        .await?
        .as_bool()
        .unwrap_or(true)
    {
        if std::time::Instant::now() > deadline {
            return Err(format!("{click} stayed disabled"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    session
        .execute(
            "const [click, wait, present] = arguments;\
             window.__benchMs = null;\
             const done = () => (document.querySelector(wait) !== null) === present;\
             const t0 = performance.now();\
             const obs = new MutationObserver(() => {\
               if (done()) { window.__benchMs = performance.now() - t0; obs.disconnect(); }\
             });\
             obs.observe(document.body, { subtree: true, childList: true, attributes: true });\
             document.querySelector(click).click();",
            vec![json!(click), json!(wait), json!(present)],
        )
        .await?;
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let ms = session.execute("return window.__benchMs;", vec![]).await?;
        if let Some(ms) = ms.as_f64() {
            return Ok(ms);
        }
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "{wait} never became {present} after clicking {click}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Milliseconds of one backend command, called from the page (what the UI waits for).
async fn command_ms(session: &Session, command: &str) -> Result<f64, String> {
    session
        .execute(
            "window.__benchMs = null; const t0 = performance.now();\
             window.__TAURI_INTERNALS__.invoke(arguments[0]).then(\
               () => { window.__benchMs = performance.now() - t0; },\
               (e) => { window.__benchMs = -1; console.error(e); });",
            vec![json!(command)],
        )
        .await?;
    let deadline = std::time::Instant::now() + LONG;
    loop {
        if let Some(ms) = session
            .execute("return window.__benchMs;", vec![])
            .await?
            .as_f64()
        {
            return if ms < 0.0 {
                Err(format!("{command} failed"))
            } else {
                Ok(ms)
            };
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{command} did not answer"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn summary(what: &str, samples: &[f64]) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    println!(
        "{what:<58} best {:>7.1} ms  median {:>7.1} ms  mean {:>7.1} ms  ({} runs)",
        sorted[0],
        sorted[sorted.len() / 2],
        mean,
        sorted.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `make bench`"]
async fn ownership_map_of_50_agents_and_500_rules() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let data = tempfile::tempdir().unwrap();
    seed(data.path());
    let app = RunningApp::launch_in(data).await;
    let result = measure(app.session()).await;
    let result = match result {
        Ok(()) => Ok(()),
        Err(err) => Err(format!("{err}; {}", app.capture_failure("map-bench").await)),
    };
    app.close().await;
    result.unwrap();
}

async fn measure(session: &Session) -> Result<(), String> {
    session
        .wait_for("[data-testid=nav-ownership]", LONG)
        .await?;
    let mut calls = Vec::new();
    for _ in 0..5 {
        calls.push(command_ms(session, "ownership_map").await?);
    }
    summary(
        "ownership_map command alone (store, lint, IPC, JSON)",
        &calls,
    );
    let open = timed(
        session,
        "[data-testid=nav-ownership]",
        "[data-testid=map-actor]",
        true,
    )
    .await?;
    summary("open the map (graph: load, lint, layout, render)", &[open]);

    // One edit through the side panel, then undo / redo it: each is one backend call that
    // re-lints the whole map and answers with it, then a render.
    session.click_first("[data-testid=new-rule]", LONG).await?;
    for (field, value) in [("rule-pattern", NEW), ("rule-owner", "agent-01")] {
        let input = session
            .wait_for(&format!("[data-testid={field}]"), LONG)
            .await?;
        session.type_into(&input, value).await?;
    }
    session
        .wait_for_text("[data-testid=rule-check]", "No overlap", LONG)
        .await?;
    let resource = format!("[data-testid=map-resource][data-pattern='{NEW}']");
    let add = timed(session, "[data-testid=rule-save]", &resource, true).await?;
    summary("add a rule (graph)", &[add]);

    let (mut undo, mut redo) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        undo.push(timed(session, "[data-testid=undo]", &resource, false).await?);
        redo.push(timed(session, "[data-testid=redo]", &resource, true).await?);
    }
    summary("undo (remove the rule, re-lint, re-render graph)", &undo);
    summary("redo (add it again, re-lint, re-render graph)", &redo);

    let matrix = timed(
        session,
        "[data-testid=map-tab-matrix]",
        "[data-testid=matrix-row]",
        true,
    )
    .await?;
    summary("switch to the matrix", &[matrix]);
    let with = |n: usize| format!("[data-testid=ownership-view][data-rules='{n}']");
    let (mut undo, mut redo) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        undo.push(timed(session, "[data-testid=undo]", &with(RULES), true).await?);
        redo.push(timed(session, "[data-testid=redo]", &with(RULES + 1), true).await?);
    }
    summary("undo in the matrix", &undo);
    summary("redo in the matrix", &redo);
    Ok(())
}
