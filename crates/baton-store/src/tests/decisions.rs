use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::support::*;
use crate::db::params;
use crate::decisions::{append_decision_in, canonical_json, GENESIS_HASH};
use crate::{ChainCheck, DecisionEntry, DecisionFilter, NewDecision, Store};

/// A store whose log holds `n` entries (seq 1..=n), at t(1)..t(n).
fn store_with_log(n: i64) -> (Store, Vec<DecisionEntry>) {
    let mut store = fresh_store();
    let entries = (1..=n)
        .map(|i| {
            let mut draft = NewDecision::new(
                if i % 2 == 0 { "bob" } else { "ann" },
                if i % 3 == 0 { "reject" } else { "approve" },
                &format!("escalation:{i}"),
            )
            .at(t(i))
            .escalation(i);
            if i % 2 == 1 {
                draft = draft.reason(&format!("reason {i}"));
            }
            if i == 2 {
                draft = draft.detail(json!({"z": [1, {"b": true, "a": null}], "a": "x"}));
            }
            if i == 3 {
                draft = draft.host("build-box");
            }
            store.append_decision(draft).unwrap()
        })
        .collect();
    (store, entries)
}

fn broken_at(store: &Store) -> i64 {
    match store.verify_decisions().unwrap() {
        ChainCheck::Broken { seq, .. } => seq,
        ok => panic!("expected a broken chain, got {ok:?}"),
    }
}

/// What someone with the database's own rights could do: take the log's guard away.
fn drop_trigger(store: &Store, which: &str) {
    let on = match store.dialect() {
        crate::Dialect::Sqlite => "",
        crate::Dialect::Postgres => " ON decisions",
    };
    store
        .db()
        .execute_batch(&format!(
            "DROP TRIGGER decisions_are_append_only_{which}{on}"
        ))
        .unwrap();
}

/// The documented formula, computed independently of the store's code.
fn expected_hash(prev: &str, line: &Value) -> String {
    let s = |key: &str| serde_json::to_string(&line[key]).unwrap();
    let detail = match &line["detail"] {
        Value::Null => "null".to_owned(),
        detail => canonical_json(detail),
    };
    // The machine is hashed when the entry names one (schema 20), and left out otherwise.
    let host = match line.get("host") {
        Some(host) => format!(",\"host\":{}", serde_json::to_string(host).unwrap()),
        None => String::new(),
    };
    let canonical = format!(
        "{{\"action\":{},\"at\":{},\"detail\":{detail},\"escalation_id\":{}{host},\"reason\":{},\"seq\":{},\"subject\":{},\"who\":{}}}",
        s("action"), s("at"), s("escalation_id"), s("reason"), s("seq"), s("subject"), s("who"),
    );
    hex::encode(Sha256::digest(format!("{prev}{canonical}").as_bytes()))
}

#[test]
fn an_empty_log_verifies() {
    let store = fresh_store();
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 0 }
    );
}

#[test]
fn a_chain_of_entries_verifies_and_links_each_to_the_previous() {
    let (store, entries) = store_with_log(5);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 5 }
    );
    assert_eq!(entries[0].prev_hash, GENESIS_HASH);
    assert_eq!(GENESIS_HASH.len(), 64);
    for (i, pair) in entries.windows(2).enumerate() {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].seq, i as i64 + 2);
    }
    for entry in &entries {
        assert_eq!(entry.hash.len(), 64);
        assert!(entry.hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    // What was returned on append is what is read back.
    assert_eq!(
        store.decisions(&DecisionFilter::default()).unwrap(),
        entries
    );
    assert_eq!(entries[0].reason.as_deref(), Some("reason 1"));
    assert_eq!(entries[1].escalation_id, Some(2));
}

#[test]
fn detail_is_stored_canonically() {
    let (store, _) = store_with_log(2);
    let text: String = store
        .db()
        .query_row(
            "SELECT detail FROM decisions WHERE seq = 2",
            params![],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(text, r#"{"a":"x","z":[1,{"a":null,"b":true}]}"#);
}

#[test]
fn tampering_with_any_field_of_one_entry_names_that_entry() {
    for (column, value) in [
        ("reason", "'nothing to see'"),
        ("who", "'mallory'"),
        ("action", "'approve!'"),
        ("subject", "'escalation:99'"),
        ("at", "'2026-05-01T12:00:03.000000001Z'"),
        ("escalation_id", "NULL"),
        ("detail", "'{}'"),
        ("hash", "'ab'"),
        ("prev_hash", "'cd'"),
        ("host", "'mallory-box'"),
        ("host", "NULL"),
    ] {
        let (store, _) = store_with_log(5);
        drop_trigger(&store, "update");
        store
            .db()
            .execute(
                &format!("UPDATE decisions SET {column} = {value} WHERE seq = 3"),
                params![],
            )
            .unwrap();
        assert_eq!(broken_at(&store), 3, "tampered {column}");
    }
}

#[test]
fn tampering_reports_a_reason() {
    let (store, _) = store_with_log(3);
    drop_trigger(&store, "update");
    store
        .db()
        .execute(
            "UPDATE decisions SET reason = 'edited' WHERE seq = 1",
            params![],
        )
        .unwrap();
    let check = store.verify_decisions().unwrap();
    assert!(
        matches!(&check, ChainCheck::Broken { seq: 1, reason } if reason.contains("hash")),
        "{check:?}"
    );
}

#[test]
fn deleting_a_middle_entry_is_detected() {
    let (store, _) = store_with_log(4);
    drop_trigger(&store, "delete");
    store
        .db()
        .execute("DELETE FROM decisions WHERE seq = 2", params![])
        .unwrap();
    assert_eq!(broken_at(&store), 3);
}

#[test]
fn deleting_the_last_entries_is_detected() {
    let (store, _) = store_with_log(4);
    drop_trigger(&store, "delete");
    store
        .db()
        .execute("DELETE FROM decisions WHERE seq >= 3", params![])
        .unwrap();
    assert_eq!(broken_at(&store), 3);
}

#[test]
fn the_log_stays_append_only_in_normal_use() {
    let (mut store, _) = store_with_log(3);
    for sql in [
        "UPDATE decisions SET reason = 'x' WHERE seq = 2",
        "DELETE FROM decisions WHERE seq = 3",
    ] {
        let err = store.db().execute(sql, params![]).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let next = store
        .append_decision(NewDecision::new("ann", "approve", "escalation:4"))
        .unwrap();
    assert_eq!(next.seq, 4);
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 4 }
    );
}

#[test]
fn an_entry_appended_in_a_rolled_back_transaction_leaves_no_trace() {
    let mut store = fresh_store();
    {
        let tx = store.write_tx().unwrap();
        let entry = append_decision_in(&tx, NewDecision::new("ann", "approve", "x")).unwrap();
        assert_eq!(entry.seq, 1);
        // dropped: rolled back
    }
    assert_eq!(rows(&store, "decisions"), 0);
    let entry = store
        .append_decision(NewDecision::new("bob", "reject", "y"))
        .unwrap();
    assert_eq!((entry.seq, entry.prev_hash.as_str()), (1, GENESIS_HASH));
    assert_eq!(
        store.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 1 }
    );
}

#[test]
fn jsonl_export_has_one_line_per_entry_that_rechecks_outside_the_store() {
    let (store, entries) = store_with_log(4);
    let mut out = Vec::new();
    assert_eq!(store.export_decisions_jsonl(&mut out).unwrap(), 4);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(text.ends_with('\n'));
    let mut prev = GENESIS_HASH.to_owned();
    for (line, entry) in lines.iter().zip(&entries) {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["seq"], entry.seq);
        assert_eq!(value["prev_hash"], prev.as_str());
        assert_eq!(expected_hash(&prev, &value), entry.hash, "{line}");
        assert_eq!(value["hash"], entry.hash.as_str());
        prev = entry.hash.clone();
    }
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["at"], "2026-05-01T12:00:01.000000000Z");
    assert_eq!(first["detail"], Value::Null);
    // Each entry says the machine it was made on: this process's, unless told another.
    assert_eq!(first["host"], crate::host::this_machine().as_str());
    let third: Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(third["host"], "build-box");
}

#[test]
fn decisions_filter_by_action_subject_prefix_and_who_newest_last() {
    let (mut store, _) = store_with_log(6);
    store
        .append_decision(NewDecision::new("ann", "rule.add", "rule:1").at(t(7)))
        .unwrap();
    let seqs = |filter: DecisionFilter| -> Vec<i64> {
        store
            .decisions(&filter)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect()
    };
    assert_eq!(seqs(DecisionFilter::default()), vec![1, 2, 3, 4, 5, 6, 7]);
    let action = |a: &str| DecisionFilter {
        action: Some(a.into()),
        ..Default::default()
    };
    assert_eq!(seqs(action("reject")), vec![3, 6]);
    assert_eq!(seqs(action("rule")), Vec::<i64>::new(), "action is exact");
    let prefix = |p: &str| DecisionFilter {
        subject_prefix: Some(p.into()),
        ..Default::default()
    };
    assert_eq!(seqs(prefix("rule:")), vec![7]);
    assert_eq!(seqs(prefix("escalation:")).len(), 6);
    assert_eq!(seqs(prefix("escalation:%")), Vec::<i64>::new(), "no LIKE");
    let who = DecisionFilter {
        who: Some("bob".into()),
        ..Default::default()
    };
    assert_eq!(seqs(who), vec![2, 4, 6]);
    let newest = DecisionFilter {
        who: Some("ann".into()),
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(seqs(newest), vec![5, 7]);
}

#[test]
fn an_entry_says_where_it_was_decided_and_the_export_keeps_only_what_was_hashed() {
    let mut store = fresh_store();
    let decided = |who: &str, detail: Option<Value>| {
        let draft = NewDecision::new(who, "approve", "escalation:1")
            .at(t(1))
            .escalation(1);
        match detail {
            Some(detail) => draft.detail(detail),
            None => draft,
        }
    };
    let phone = json!({"via": {"kind": "ntfy", "route": "phone"}});
    store.append_decision(decided("ana", Some(phone))).unwrap();
    store
        .append_decision(decided("bo", Some(json!({"in": "app"}))))
        .unwrap();
    store.append_decision(decided("cy", None)).unwrap();
    let places: Vec<Option<String>> = store
        .decisions(&DecisionFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.place)
        .collect();
    assert!(places.contains(&Some("via ntfy".to_owned())), "{places:?}");
    assert!(
        places.contains(&Some("in the app".to_owned())),
        "{places:?}"
    );
    assert!(places.contains(&None), "{places:?}");
    let mut out = Vec::new();
    store.export_decisions_jsonl(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("place"), "{text}");
    assert!(text.contains("\"via\""), "{text}");
}
