//! The TypeScript types in `ui/src/bindings/` are generated from these Rust types with ts-rs.
//! This test regenerates them into a temporary directory and fails when the committed files differ.
//! To refresh them: `UPDATE_BINDINGS=1 cargo test -p baton-core --test integration bindings::` (or `make bindings`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use baton_core::agent::{AgentConfig, AgentDraft};
use baton_core::cost::{AgentCost, Price, TaskCost};
use baton_core::decisions::{ChainCheck, DecisionEntry};
use baton_core::detect::handoff::{DeadLetter, HandoffSchema};
use baton_core::detect::windows::WindowOverrides;
use baton_core::escalations::{Escalation, EscalationAction, EscalationTimeline};
use baton_core::hooks::ParallelEditView;
use baton_core::notify::view::{RouteInput, RouteView};
use baton_core::presence::{Presence, StoreTooNew, WatcherView};
use baton_core::ratelimit::view::{ApiLedger, PressureLimits, UsageHeatmap, UsageSeries};
use baton_core::readiness::Readiness;
use baton_core::rules::{
    AgentManifest, Declares, Dispute, DraftCheck, Overlap, OwnershipMap, PredeployConflict,
    Resolution, Resolved, Rule, StoredRule,
};
use baton_core::timeline::{FleetTimeline, ReplayFrame};
use baton_core::views::{
    AgentRow, ChangeEvent, ConnectionReport, ErrorPayload, EventRow, HooksInstalled, ScenarioInfo,
    SecretsStatus, StoreOverview, TaskCard,
};
use ts_rs::{Config, TS};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings")
}

fn export_into(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    AgentDraft::export_all(&cfg).unwrap();
    AgentConfig::export_all(&cfg).unwrap();
    AgentRow::export_all(&cfg).unwrap();
    TaskCard::export_all(&cfg).unwrap();
    EventRow::export_all(&cfg).unwrap();
    ChangeEvent::export_all(&cfg).unwrap();
    ErrorPayload::export_all(&cfg).unwrap();
    ConnectionReport::export_all(&cfg).unwrap();
    SecretsStatus::export_all(&cfg).unwrap();
    RouteView::export_all(&cfg).unwrap();
    RouteInput::export_all(&cfg).unwrap();
    Rule::export_all(&cfg).unwrap();
    StoredRule::export_all(&cfg).unwrap();
    Overlap::export_all(&cfg).unwrap();
    AgentManifest::export_all(&cfg).unwrap();
    PredeployConflict::export_all(&cfg).unwrap();
    Declares::export_all(&cfg).unwrap();
    OwnershipMap::export_all(&cfg).unwrap();
    HooksInstalled::export_all(&cfg).unwrap();
    DraftCheck::export_all(&cfg).unwrap();
    Dispute::export_all(&cfg).unwrap();
    Resolution::export_all(&cfg).unwrap();
    Resolved::export_all(&cfg).unwrap();
    DecisionEntry::export_all(&cfg).unwrap();
    ChainCheck::export_all(&cfg).unwrap();
    Escalation::export_all(&cfg).unwrap();
    EscalationAction::export_all(&cfg).unwrap();
    EscalationTimeline::export_all(&cfg).unwrap();
    ParallelEditView::export_all(&cfg).unwrap();
    Presence::export_all(&cfg).unwrap();
    StoreTooNew::export_all(&cfg).unwrap();
    WatcherView::export_all(&cfg).unwrap();
    DeadLetter::export_all(&cfg).unwrap();
    HandoffSchema::export_all(&cfg).unwrap();
    ScenarioInfo::export_all(&cfg).unwrap();
    WindowOverrides::export_all(&cfg).unwrap();
    ApiLedger::export_all(&cfg).unwrap();
    UsageSeries::export_all(&cfg).unwrap();
    UsageHeatmap::export_all(&cfg).unwrap();
    PressureLimits::export_all(&cfg).unwrap();
    Price::export_all(&cfg).unwrap();
    AgentCost::export_all(&cfg).unwrap();
    TaskCost::export_all(&cfg).unwrap();
    Readiness::export_all(&cfg).unwrap();
    FleetTimeline::export_all(&cfg).unwrap();
    ReplayFrame::export_all(&cfg).unwrap();
    StoreOverview::export_all(&cfg).unwrap();
}

/// Every `.ts` file under `dir`, by path relative to it (ts-rs nests some, e.g. `serde_json/`).
fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, files);
            } else if path.extension().is_some_and(|ext| ext == "ts") {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

#[test]
fn committed_typescript_bindings_are_current() {
    let fresh = std::env::temp_dir().join(format!("baton-bindings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    export_into(&fresh);
    let generated = read_dir(&fresh);
    let _ = std::fs::remove_dir_all(&fresh);
    assert!(
        generated.len() >= 7,
        "ts-rs exported {} files",
        generated.len()
    );

    let committed_path = committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_path);
        std::fs::create_dir_all(&committed_path).unwrap();
        for (name, text) in &generated {
            let path = committed_path.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        return;
    }
    let committed = read_dir(&committed_path);
    let stale: Vec<&String> = generated
        .iter()
        .filter(|(name, text)| committed.get(*name) != Some(*text))
        .map(|(name, _)| name)
        .chain(
            committed
                .keys()
                .filter(|name| !generated.contains_key(*name)),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is stale ({stale:?}); run `make bindings` and commit the result"
    );
}
