use baton_core::rules::manifest::AgentManifest;

use super::support::*;
use crate::{ManifestSource, StoreError};

fn manifest(writes: &[&str]) -> AgentManifest {
    AgentManifest {
        agent: "ignored".into(),
        triggers: vec!["mail://inbox".into()],
        reads: vec!["crm://contacts/*".into()],
        writes: writes.iter().map(|w| w.to_string()).collect(),
        outputs: vec![],
    }
}

#[test]
fn a_manifest_round_trips_with_the_agents_current_name() {
    let (mut store, id) = store_with_agent();
    let declared = manifest(&["crm://contacts/*#status"]);
    store
        .set_manifest(id, ManifestSource::Agent, &declared)
        .unwrap();
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(
        (stored.agent_id, stored.source),
        (id, ManifestSource::Agent)
    );
    assert_eq!(
        stored.manifest,
        AgentManifest {
            agent: "Researcher".into(),
            ..declared
        }
    );
    assert_eq!(store.manifest(id, ManifestSource::User).unwrap(), None);
}

#[test]
fn one_manifest_per_agent_and_source_the_latest_wins() {
    let (mut store, a) = store_with_agent();
    let b = store.add_agent(&draft("Writer")).unwrap().id;
    store
        .set_manifest(b, ManifestSource::User, &manifest(&["x://1"]))
        .unwrap();
    store
        .set_manifest(a, ManifestSource::User, &manifest(&["x://1"]))
        .unwrap();
    store
        .set_manifest(a, ManifestSource::Agent, &manifest(&["x://2"]))
        .unwrap();
    store
        .set_manifest(a, ManifestSource::User, &manifest(&["x://3"]))
        .unwrap();
    let all = store.manifests().unwrap();
    let keys: Vec<(i64, ManifestSource, Vec<String>)> = all
        .into_iter()
        .map(|m| (m.agent_id, m.source, m.manifest.writes))
        .collect();
    assert_eq!(
        keys,
        vec![
            (a, ManifestSource::Agent, vec!["x://2".to_owned()]),
            (a, ManifestSource::User, vec!["x://3".to_owned()]),
            (b, ManifestSource::User, vec!["x://1".to_owned()]),
        ]
    );
    assert_eq!(rows(&store, "manifests"), 3);
}

#[test]
fn manifests_of_an_unknown_agent_are_refused_and_go_with_their_agent() {
    let (mut store, id) = store_with_agent();
    let err = store
        .set_manifest(id + 1, ManifestSource::User, &manifest(&[]))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AgentNotFound(i) if i == id + 1),
        "{err:?}"
    );
    store
        .set_manifest(id, ManifestSource::User, &manifest(&[]))
        .unwrap();
    store.remove_agent(id).unwrap();
    assert!(store.manifests().unwrap().is_empty());
    assert_eq!(rows(&store, "manifests"), 0);
}

#[test]
fn remove_manifest_says_whether_there_was_one() {
    let (mut store, id) = store_with_agent();
    store
        .set_manifest(id, ManifestSource::Agent, &manifest(&["a://b"]))
        .unwrap();
    assert!(!store.remove_manifest(id, ManifestSource::User).unwrap());
    assert!(store.remove_manifest(id, ManifestSource::Agent).unwrap());
    assert!(store.manifests().unwrap().is_empty());
}

#[test]
fn manifest_sources_round_trip_and_match_serde() {
    for source in [ManifestSource::Agent, ManifestSource::User] {
        assert_eq!(ManifestSource::parse(source.as_str()), Some(source));
        let json = serde_json::to_value(source).unwrap();
        assert_eq!(json.as_str(), Some(source.as_str()));
    }
    assert_eq!(ManifestSource::parse("robot"), None);
}
