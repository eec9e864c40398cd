//! The ownership map at the scale a busy person reaches, in the real app: 50 agents and 300
//! resources (imported from a baton.toml before the app starts). Each scheme's hundred
//! resources are one folded row; every label drawn is at least 11 px on screen (its font size
//! times the map's zoom); Find centres an agent far down the map, and a resource of a folded
//! group, opening it. Screenshots: target/e2e-screenshots/map-scale*.png.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use baton_tests::app::{RunningApp, ONE_APP};
use baton_tests::peers::debug_baton;

const AGENTS: usize = 50;
const RESOURCES: usize = 300;

/// 50 agents and 300 data rules over three schemes, each rule owned by one agent.
fn fleet() -> String {
    let mut text = String::new();
    for i in 0..AGENTS {
        writeln!(
            text,
            "[[agents]]\nname = \"Agent {i:02}\"\nurl = \"http://127.0.0.1:9/agent-{i}\"\n"
        )
        .unwrap();
    }
    for i in 0..RESOURCES {
        let pattern = match i % 3 {
            0 => format!("crm://contacts/{i}#status"),
            1 => format!("file:///work/site/page-{i}.md"),
            _ => format!("slack://channel-{i}"),
        };
        writeln!(
            text,
            "[[rules]]\nkind = \"data\"\npattern = \"{pattern}\"\nowner = \"Agent {:02}\"\n",
            i % AGENTS
        )
        .unwrap();
    }
    text
}

/// The smallest label on the map as drawn (font size × zoom), which one, and the zoom.
const SMALLEST_LABEL: &str = r#"
const viewport = document.querySelector('.react-flow__viewport');
const zoom = new DOMMatrix(getComputedStyle(viewport).transform).a;
let smallest = Infinity, which = '', labels = 0;
for (const el of viewport.querySelectorAll('*')) {
  const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
  if (!own) continue;
  labels += 1;
  const px = parseFloat(getComputedStyle(el).fontSize) * zoom;
  if (px < smallest) { smallest = px; which = `${el.tagName.toLowerCase()}.${String(el.className.baseVal ?? el.className)} "${el.textContent.trim().slice(0, 40)}"`; }
}
return { smallest, which, zoom, labels };
"#;

/// Whether the node matching the selector `arguments[0]` is drawn inside the map's panel.
const IN_VIEW: &str = r#"
const pane = document.querySelector('[data-testid=ownership-graph]').getBoundingClientRect();
const node = document.querySelector(arguments[0]);
if (!node) return false;
const r = node.getBoundingClientRect();
return r.top >= pane.top && r.bottom <= pane.bottom && r.left >= pane.left && r.right <= pane.right;
"#;

async fn drive(app: &RunningApp) -> Result<(), String> {
    let session = app.session();
    let long = Duration::from_secs(20);
    let nav = session
        .wait_for("[data-testid=nav-ownership]", long)
        .await?;
    session.click(&nav).await?;
    session.wait_for("[data-testid=map-actor]", long).await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    app.screenshot("map-scale")?;
    let measured = session.execute(SMALLEST_LABEL, vec![]).await?;
    let smallest = measured["smallest"].as_f64().unwrap_or(0.0);
    if measured["labels"].as_u64().unwrap_or(0) < 10 || smallest < 11.0 {
        return Err(format!("a label smaller than 11 px on screen: {measured}"));
    }
    let folds = session
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=map-fold]')).map(f => f.textContent.trim());",
            vec![],
        )
        .await?;
    let expected = serde_json::json!([
        "crm://contacts — 100 resources",
        "file:// — 100 resources",
        "slack:// — 100 resources"
    ]);
    if folds != expected {
        return Err(format!("folded groups: {folds}"));
    }
    // Find centres an agent drawn far below the first screen, then a folded group's resource.
    let find = session.wait_for("[data-testid=map-find]", long).await?;
    for (query, node) in [
        (
            "Agent 47",
            r#"[data-testid=map-actor][data-name="Agent 47"]"#,
        ),
        (
            "page-250.md",
            r#"[data-testid=map-resource][data-pattern="file:///work/site/page-250.md"]"#,
        ),
    ] {
        if session.execute(IN_VIEW, vec![node.into()]).await? == true {
            return Err(format!(
                "{query} is in view already: the test proves nothing"
            ));
        }
        session.type_into(&find, query).await?;
        session.keys("\u{E007}").await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        app.screenshot(&format!("map-scale-found-{}", query.replace(' ', "-")))?;
        if session.execute(IN_VIEW, vec![node.into()]).await? != true {
            return Err(format!("Find did not bring {query} into view"));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_of_50_agents_and_300_resources_stays_readable_and_find_centres_an_agent() {
    let _one_app_at_a_time = ONE_APP.lock().await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("fleet.toml");
    std::fs::write(&file, fleet()).unwrap();
    let import = Command::new(debug_baton())
        .arg("--data-dir")
        .arg(data.path())
        .arg("import")
        .arg(&file)
        .output()
        .unwrap();
    assert!(import.status.success(), "{import:?}");
    let app = RunningApp::launch_in(data).await;
    let mut result = drive(&app).await;
    if let Err(err) = &result {
        result = Err(format!("{err}; {}", app.capture_failure("map-scale").await));
    }
    app.close().await;
    if let Err(err) = result {
        panic!("map at scale: {err}");
    }
}
