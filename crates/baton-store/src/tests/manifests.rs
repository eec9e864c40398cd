use baton_core::protocol::{Declares, StatusDocument};
use baton_core::rules::manifest::AgentManifest;

use super::support::*;
use crate::db::params;
use crate::{ManifestSource, StoreError};

fn manifest(writes: &[&str]) -> AgentManifest {
    Declares {
        triggers: vec!["mail://inbox".into()],
        reads: vec!["crm://contacts/*".into()],
        writes: writes.iter().map(|w| w.to_string()).collect(),
        outputs: vec![],
    }
    .to_manifest("ignored")
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
        .map(|m| (m.agent_id, m.source, m.manifest.declares.writes))
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

fn declaring(declares: Option<Declares>, cursor: &str) -> StatusDocument {
    let mut d = doc(vec![], vec![], cursor);
    d.agent.declares = declares;
    d
}

fn declares(writes: &[&str]) -> Declares {
    Declares {
        triggers: vec!["slack://research-requests".into()],
        reads: vec!["api://search".into()],
        writes: writes.iter().map(|w| w.to_string()).collect(),
        outputs: vec!["file:///research/**".into()],
    }
}

#[test]
fn an_ingest_stores_agent_declares_as_the_agents_manifest() {
    let (mut store, id) = store_with_agent();
    let declared = declares(&["file:///research/**", "crm://contacts/*#industry"]);
    let s = store
        .ingest(id, &declaring(Some(declared.clone()), "0"), t(5))
        .unwrap();
    assert!(s.manifest_changed);
    assert!(!s.is_empty(), "a new manifest is a change");
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(stored.manifest, declared.to_manifest("Researcher"));
    assert_eq!(stored.updated_at, t(5));
    assert_eq!(store.manifest(id, ManifestSource::User).unwrap(), None);
}

#[test]
fn the_same_declaration_again_changes_nothing() {
    let (mut store, id) = store_with_agent();
    let declared = declares(&["file:///research/**"]);
    store
        .ingest(id, &declaring(Some(declared.clone()), "0"), t(5))
        .unwrap();
    let s = store
        .ingest(id, &declaring(Some(declared), "0"), t(9))
        .unwrap();
    assert!(!s.manifest_changed);
    assert!(s.is_empty());
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(
        stored.updated_at,
        t(5),
        "an unchanged manifest keeps its time"
    );
}

#[test]
fn a_changed_declaration_replaces_the_stored_one() {
    let (mut store, id) = store_with_agent();
    store
        .ingest(id, &declaring(Some(declares(&["file:///a/**"])), "0"), t(5))
        .unwrap();
    let s = store
        .ingest(id, &declaring(Some(declares(&["file:///b/**"])), "0"), t(9))
        .unwrap();
    assert!(s.manifest_changed);
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(stored.manifest.declares.writes, ["file:///b/**"]);
    assert_eq!(stored.updated_at, t(9));

    // Order matters: it is what the agent said, kept as given.
    let mut reordered = declares(&["file:///b/**", "file:///c/**"]);
    store
        .ingest(id, &declaring(Some(reordered.clone()), "0"), t(10))
        .unwrap();
    reordered.writes.reverse();
    let s = store
        .ingest(id, &declaring(Some(reordered), "0"), t(11))
        .unwrap();
    assert!(s.manifest_changed);

    // An empty declaration is a declaration: "I do nothing shared".
    let s = store
        .ingest(id, &declaring(Some(Declares::default()), "0"), t(12))
        .unwrap();
    assert!(s.manifest_changed);
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(
        stored.manifest,
        Declares::default().to_manifest("Researcher")
    );
}

#[test]
fn a_document_without_declares_leaves_the_stored_manifest_alone() {
    let (mut store, id) = store_with_agent();
    let declared = declares(&["file:///research/**"]);
    store
        .ingest(id, &declaring(Some(declared.clone()), "0"), t(5))
        .unwrap();
    let s = store.ingest(id, &declaring(None, "1"), t(9)).unwrap();
    assert!(!s.manifest_changed);
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(stored.manifest, declared.to_manifest("Researcher"));
    assert_eq!(stored.updated_at, t(5));

    // And a document without declares never creates one.
    let other = store.add_agent(&draft("Writer")).unwrap().id;
    store.ingest(other, &declaring(None, "0"), t(9)).unwrap();
    assert_eq!(store.manifest(other, ManifestSource::Agent).unwrap(), None);
}

#[test]
fn agent_declares_never_touch_the_users_manifest() {
    let (mut store, id) = store_with_agent();
    let typed = manifest(&["crm://contacts/*#status"]);
    store
        .set_manifest(id, ManifestSource::User, &typed)
        .unwrap();
    let s = store
        .ingest(id, &declaring(Some(declares(&["file:///x/**"])), "0"), t(5))
        .unwrap();
    assert!(s.manifest_changed);
    let user = store.manifest(id, ManifestSource::User).unwrap().unwrap();
    assert_eq!(user.manifest.declares.writes, typed.declares.writes);
    assert_eq!(rows(&store, "manifests"), 2);
}

#[test]
fn a_failed_ingest_keeps_no_declared_manifest() {
    let (mut store, id) = store_with_agent();
    store
        .ingest(id, &declaring(Some(declares(&["file:///a/**"])), "0"), t(5))
        .unwrap();
    fail_next_commit();
    store
        .ingest(id, &declaring(Some(declares(&["file:///b/**"])), "1"), t(9))
        .unwrap_err();
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(stored.manifest.declares.writes, ["file:///a/**"]);
    assert_eq!(stored.updated_at, t(5));
}

#[test]
fn an_undecodable_stored_manifest_is_replaced_by_the_declaration() {
    let (mut store, id) = store_with_agent();
    store
        .db()
        .execute(
            r#"INSERT INTO manifests (agent_id, source, declares, updated_at)
               VALUES (?1, 'agent', '{"triggers":[1],"reads":[],"writes":[],"outputs":[]}',
                       '2026-05-01T12:00:00.000Z')"#,
            params![id],
        )
        .unwrap();
    assert!(store.manifest(id, ManifestSource::Agent).is_err());
    let declared = declares(&["file:///a/**"]);
    let s = store
        .ingest(id, &declaring(Some(declared.clone()), "0"), t(5))
        .unwrap();
    assert!(s.manifest_changed);
    let stored = store.manifest(id, ManifestSource::Agent).unwrap().unwrap();
    assert_eq!(stored.manifest, declared.to_manifest("Researcher"));
}
