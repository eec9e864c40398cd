//! No ring of files importing each other in any crate: every file of a crate imports only
//! downward (docs/architecture.md, "How the layers are checked"). The graph is read from the
//! sources with `syn` (`baton_tests::module_graph`).

use baton_tests::module_graph::{cycles, display, edges, read_crate, SourceFile};
use baton_tests::workspace_root;

/// Every crate of the workspace, by the folder that holds its `src`.
fn crates() -> Vec<std::path::PathBuf> {
    let root = workspace_root();
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    dirs.push(root.join("src-tauri"));
    dirs.push(root.join("tests"));
    dirs.sort();
    dirs
}

/// Rings that stood when this check came (2026-11-24): mostly a parent module and children
/// that use each other. A change may shrink this list, never grow it; `baton-engine` (issue
/// "One implementation of each behaviour") and `src-tauri` have none and must keep none.
const KNOWN_RINGS: &[&str] = &[
    "baton-cli: config, config::agents, config::load, config::rules, config::settings",
    "baton-core: agent, protocol, protocol::known, protocol::limits, protocol::parse, rules, rules::compiled, rules::draft, rules::lint, rules::manifest, rules::map, rules::predeploy, rules::resolve",
    "baton-core: a2a, a2a::card, a2a::clock, a2a::observe, a2a::task",
    "baton-core: detect, detect::agents, detect::book, detect::collisions, detect::deadlock, detect::dependencies, detect::handoff, detect::ownership, detect::recent, detect::state, detect::tasks",
    "baton-core: ratelimit, ratelimit::forecast, ratelimit::headers, ratelimit::pressure",
    "baton-core: escalations, escalations::alerts",
    "baton-core: hooks, hooks::effect, hooks::reply",
    "baton-hooks: served, served::server",
    "baton-hooks: call, project",
    "baton-hooks: install, install::codex_files, install::copilot",
    "baton-sim: answer, script",
    "baton-sim: scenario, scenario::catalog",
    "baton-sim: story, story::incidents, story::plan",
    "baton-store: ratelimits, settings",
    "baton-store: decide, decide::deliver",
];

#[test]
fn no_crate_has_a_ring_of_files_importing_each_other() {
    let mut new_rings = Vec::new();
    let mut seen = Vec::new();
    let mut total_edges = 0;
    for dir in crates() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let files = read_crate(&dir.join("src")).expect("read the sources");
        let found = edges(&files).expect("parse the sources");
        total_edges += found.len();
        for ring in cycles(&found) {
            let line = format!("{name}: {}", ring.join(", "));
            if !KNOWN_RINGS.contains(&line.as_str()) {
                let ring_edges: Vec<String> = found
                    .iter()
                    .filter(|(a, b)| ring.contains(&display(a)) && ring.contains(&display(b)))
                    .map(|(a, b)| format!("{} -> {}", display(a), display(b)))
                    .collect();
                new_rings.push(format!("{line}\n    {}", ring_edges.join("\n    ")));
            }
            seen.push(line);
        }
    }
    // The graph is not empty: the reader finds the imports it is meant to judge.
    assert!(total_edges > 100, "only {total_edges} imports found");
    assert!(
        new_rings.is_empty(),
        "files that import each other in a ring (make one of them import the other only):\n{}",
        new_rings.join("\n")
    );
    let gone: Vec<&&str> = KNOWN_RINGS
        .iter()
        .filter(|known| !seen.iter().any(|s| s == *known))
        .collect();
    assert!(
        gone.is_empty(),
        "rings no longer there (or changed): take them off KNOWN_RINGS: {gone:#?}"
    );
}

fn file(module: &str, text: &str) -> SourceFile {
    SourceFile {
        module: module
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        text: text.to_owned(),
    }
}

#[test]
fn the_reader_sees_imports_through_uses_paths_macros_children_and_the_facade() {
    let files = [
        file("", "mod a; mod b; mod c; mod d; pub use d::Thing;"),
        file("a", "use crate::b::{x, y as z};"),
        file("b", "fn f() { tracing::info!(\"{}\", crate::c::VALUE); }"),
        file(
            "c",
            "mod inner { use super::super::d; } fn g() -> crate::Thing { todo!() }",
        ),
        file("d", "mod kid; fn h() { kid::run(); }"),
        file("d::kid", "pub fn run() {}"),
    ];
    let found = edges(&files).unwrap();
    let pairs: Vec<(String, String)> = found
        .iter()
        .map(|(a, b)| (display(a), display(b)))
        .collect();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "d::kid")] {
        assert!(
            pairs.contains(&(from.into(), to.into())),
            "{from} -> {to} missing from {pairs:?}"
        );
    }
    assert!(cycles(&found).is_empty());
    // Closing the ring: d uses a.
    let mut ring = files.to_vec();
    ring[4] = file("d", "mod kid; use crate::a::X; fn h() { kid::run(); }");
    let rings = cycles(&edges(&ring).unwrap());
    assert_eq!(rings, vec![vec!["a", "b", "c", "d"]]);
}

#[test]
fn a_local_named_like_a_child_module_is_no_import() {
    let child = file("e::share", "use super::Engine; pub fn f(e: &Engine) {}");
    let with_parent = |text: &str| [file("", "mod e;"), file("e", text), child.clone()];
    let local = with_parent("mod share; pub struct Engine; fn g(share: u8) -> u8 { share }");
    assert!(cycles(&edges(&local).unwrap()).is_empty());
    // Naming the child with a path is an import, and closes the ring.
    let path = with_parent("mod share; pub struct Engine; fn g() { share::f(); }");
    assert_eq!(cycles(&edges(&path).unwrap()), vec![vec!["e", "e::share"]]);
}
