//! People's roles on a shared store, enforced by PostgreSQL: a viewer reads everything and the
//! database refuses its decisions, rule changes and lease grants (said in words, naming who
//! can decide); a decider does all of it but cannot change the log or the schema; the tables
//! stay the owner's. SQLite has no roles, and says so.

use baton_core::detect::{Finding, FindingKind, Severity};
use baton_core::escalations::{EscalationAction, EscalationState};
use baton_core::rules::{Rule, RuleKind};

use super::parallel_edits::{on_branch, write_with};
use super::support::*;
use crate::refusal::StoreRole;
use crate::sessions::PermitSettings;
use crate::{ChainCheck, Store, StoreError, StoreLocation};

fn open(url: &str) -> Store {
    Store::open_at(&StoreLocation::parse(url).unwrap()).unwrap()
}

fn rule(pattern: &str, owner: &str) -> Rule {
    Rule {
        kind: RuleKind::Data,
        pattern: pattern.into(),
        owner: owner.into(),
        readers: vec![],
        sequence: vec![],
        sla_seconds: None,
        note: None,
    }
}

/// A store owned by a role of its own, with an agent's question, a write collision between
/// two sessions (the second refused) and a rule; the owner's URL, the superuser's, the items.
struct Shared {
    owner_url: String,
    admin_url: String,
    question: i64,
    collision: i64,
    refused_session: i64,
}

fn shared_store() -> Shared {
    let server = baton_testdb::server();
    let owner = server.login_role("owner");
    let owner_url = server.fresh_database_owned_by(&owner);
    let admin_url = baton_testdb::url_as(&owner_url, "postgres");
    let mut store = open(&owner_url);
    let agent = store.add_agent(&draft("Researcher")).unwrap().id;
    let recorded = store
        .record_findings(
            &[Finding::about(
                FindingKind::NeedsApproval,
                Severity::Warning,
                vec![agent],
                "Researcher asks: may I send the mail?",
                "ask-mail",
            )],
            t(1),
        )
        .unwrap();
    store
        .add_rule(&rule("crm://a/**", "Researcher"), "owner")
        .unwrap();
    let settings = PermitSettings::in_mode(baton_core::hooks::PermitMode::Enforce);
    let a = on_branch("aaaa1111", "main");
    let b = on_branch("bbbb2222", "main");
    write_with(&mut store, &a, "/work/wt/main/src/app.rs", &settings, 2);
    let refused = write_with(&mut store, &b, "/work/wt/main/src/app.rs", &settings, 3);
    let collision = super::sessions::open_escalations(&store)
        .into_iter()
        .find(|e| e.kind == FindingKind::WriteCollision)
        .unwrap()
        .id;
    Shared {
        owner_url,
        admin_url,
        question: recorded.escalations[0],
        collision,
        refused_session: refused.agent_id,
    }
}

fn is_postgres() -> bool {
    baton_testdb::engine() == baton_testdb::Engine::Postgres
}

#[test]
fn a_sqlite_store_has_no_roles_and_says_so() {
    if is_postgres() {
        return;
    }
    let mut store = fresh_store();
    for err in [
        store.grant_role("ana", StoreRole::Viewer).unwrap_err(),
        store.store_roles().unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Roles(_)), "{err:?}");
        assert!(
            err.to_string().starts_with("a SQLite store has no roles"),
            "{err}"
        );
        assert_eq!(err.code(), "roles");
    }
}

#[test]
fn a_viewer_sees_everything_and_the_database_refuses_its_decisions_rules_and_grants() {
    if !is_postgres() {
        return;
    }
    let shared = shared_store();
    let server = baton_testdb::server();
    let (ana, bo) = (server.login_role("ana"), server.login_role("bo"));
    let mut admin = open(&shared.admin_url);
    admin.grant_role(&ana, StoreRole::Viewer).unwrap();
    let roles = admin.grant_role(&bo, StoreRole::Decider).unwrap();
    assert_eq!(roles.viewers, vec![ana.clone()]);
    assert_eq!(roles.deciders, vec![bo.clone()]);

    let mut viewer = open(&baton_testdb::url_as(&shared.owner_url, &ana));
    // Sees all.
    assert_eq!(
        viewer.escalation(shared.question).unwrap().id,
        shared.question
    );
    assert_eq!(viewer.rules().unwrap().len(), 1);
    assert_eq!(
        viewer.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 1 }
    );
    // Decides nothing: the database refuses, and the error says so in words.
    let refusals = [
        viewer
            .decide_escalation(
                shared.question,
                &EscalationAction::Approve,
                None,
                "ana",
                t(4),
            )
            .unwrap_err(),
        viewer
            .add_rule(&rule("crm://b/**", "Researcher"), "ana")
            .unwrap_err(),
        viewer
            .decide_escalation(
                shared.collision,
                &EscalationAction::GrantLease {
                    agent_id: shared.refused_session,
                },
                None,
                "ana",
                t(4),
            )
            .unwrap_err(),
    ];
    for err in refusals {
        assert!(matches!(err, StoreError::NotAllowed(_)), "{err:?}");
        assert_eq!(err.code(), "not_allowed");
        let said = err.to_string();
        assert!(
            said.starts_with(&format!(
                "you are a viewer on this store (PostgreSQL role {ana})"
            )),
            "{said}"
        );
        assert!(said.contains(&format!("{bo} can decide")), "{said}");
        assert!(
            said.contains(&format!("`baton store grant {ana} decider`")),
            "{said}"
        );
        assert!(!said.contains("database error"), "{said}");
    }
    // Nothing of it landed.
    let item = admin.escalation(shared.question).unwrap();
    assert_eq!(item.state, EscalationState::Open);
    assert_eq!(admin.rules().unwrap().len(), 1);

    // A decider decides, changes rules and grants the file.
    let mut decider = open(&baton_testdb::url_as(&shared.owner_url, &bo));
    decider
        .decide_escalation(
            shared.question,
            &EscalationAction::Approve,
            None,
            "bo",
            t(5),
        )
        .unwrap();
    decider
        .add_rule(&rule("crm://b/**", "Researcher"), "bo")
        .unwrap();
    decider
        .decide_escalation(
            shared.collision,
            &EscalationAction::GrantLease {
                agent_id: shared.refused_session,
            },
            None,
            "bo",
            t(5),
        )
        .unwrap();
    assert_eq!(
        decider.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 4 }
    );
    // … but cannot change the log, nor take its guard away: it does not own it.
    for sql in [
        "UPDATE decisions SET who = 'mallory'",
        "DELETE FROM decisions",
        "TRUNCATE decisions",
        "ALTER TABLE decisions DISABLE TRIGGER ALL",
        "DROP TRIGGER decisions_are_append_only_update ON decisions",
        "UPDATE decisions_head SET seq = 0",
    ] {
        let err = decider.db().execute_batch(sql).unwrap_err();
        assert!(
            err.is_not_allowed() || err.to_string().contains("append-only"),
            "{sql}: {err}"
        );
    }
    assert_eq!(
        decider.verify_decisions().unwrap(),
        ChainCheck::Ok { entries: 4 }
    );
    // Made a decider, the viewer decides; made a viewer again, it is refused again.
    admin.grant_role(&ana, StoreRole::Decider).unwrap();
    let mut ana_now = open(&baton_testdb::url_as(&shared.owner_url, &ana));
    ana_now
        .add_rule(&rule("crm://c/**", "Researcher"), "ana")
        .unwrap();
    let roles = admin.grant_role(&ana, StoreRole::Viewer).unwrap();
    assert_eq!(roles.deciders, vec![bo.clone()]);
    assert!(ana_now
        .add_rule(&rule("crm://d/**", "Researcher"), "ana")
        .unwrap_err()
        .is_not_allowed());
}

#[test]
fn a_role_with_no_rights_and_an_old_schema_are_said_in_words() {
    if !is_postgres() {
        return;
    }
    let shared = shared_store();
    let server = baton_testdb::server();
    let (nobody, bo) = (server.login_role("nobody"), server.login_role("bo"));
    let mut admin = open(&shared.admin_url);
    admin.grant_role(&bo, StoreRole::Decider).unwrap();
    // A role nobody granted anything reads nothing.
    let err = Store::open_at(
        &StoreLocation::parse(&baton_testdb::url_as(&shared.owner_url, &nobody)).unwrap(),
    )
    .and_then(|store| store.rules())
    .unwrap_err();
    let said = err.to_string();
    assert!(
        said.starts_with(&format!(
            "the PostgreSQL role {nobody} has no rights on this store"
        )) && said.contains(&format!("`baton store grant {nobody} viewer`")),
        "{said}"
    );
    // A schema behind this Baton: only the owner may migrate it, and a decider hears so.
    let behind = crate::LATEST_VERSION - 1;
    let set_version = |v: i64| format!("UPDATE baton_schema SET version = {v}");
    baton_testdb::sql_at(&shared.owner_url, &set_version(behind)).unwrap();
    let err = Store::open_at(
        &StoreLocation::parse(&baton_testdb::url_as(&shared.owner_url, &bo)).unwrap(),
    )
    .unwrap_err();
    assert!(
        matches!(err, StoreError::MigrationNeedsOwner { found, .. } if found == behind),
        "{err:?}"
    );
    assert!(err.to_string().contains("`baton store migrate`"), "{err}");
    baton_testdb::sql_at(&shared.owner_url, &set_version(crate::LATEST_VERSION)).unwrap();
    // Bad asks of `grant`.
    for (role, words) in [
        ("no_such_role_anywhere", "there is no PostgreSQL role"),
        ("postgres", "is a superuser"),
        ("", "is not a PostgreSQL role name"),
    ] {
        let err = admin.grant_role(role, StoreRole::Viewer).unwrap_err();
        assert!(err.to_string().contains(words), "{role}: {err}");
    }
    // A role that may not create roles cannot grant, and is told what can.
    let mut as_bo = open(&baton_testdb::url_as(&shared.owner_url, &bo));
    let err = as_bo.grant_role(&nobody, StoreRole::Viewer).unwrap_err();
    assert!(
        matches!(err, StoreError::Roles(_)) && err.to_string().contains("superuser"),
        "{err}"
    );
}
