//! Permits, the reason a refused session reads, and replies in each client's format.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};

use crate::hooks::*;
use crate::rules::{CompiledRules, Rule, RuleKind};

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, minute, 0).unwrap()
}

fn lease(holder: &str, since: u32, last: u32) -> Lease {
    Lease {
        resource: "file:///repo/src/app.rs".into(),
        branch: None,
        holder: holder.into(),
        host: None,
        by_subagent: false,
        since: at(since),
        last_write_at: at(last),
    }
}

#[test]
fn a_live_lease_of_another_session_stands_in_the_way_as_the_mode_says() {
    let file = "file:///repo/src/app.rs";
    let none = CompiledRules::default();
    let ten = Duration::seconds(DEFAULT_LEASE_SECONDS);
    let leases = [lease("repo·a1", 1, 4)];
    let ask = |who: &str, mode, now| permit(who, file, &none, &leases, mode, ten, now);
    let held = Some(PermitConflict::Lease {
        holder: "repo·a1".into(),
        host: None,
        by_subagent: false,
        since: at(1),
    });
    assert_eq!(
        ask("repo·b2", PermitMode::Enforce, at(5)),
        Permit {
            verdict: PermitVerdict::Deny,
            conflict: held.clone()
        }
    );
    assert_eq!(
        ask("repo·b2", PermitMode::Warn, at(5)).verdict,
        PermitVerdict::AllowAndEscalate
    );
    assert_eq!(
        ask("repo·b2", PermitMode::Observe, at(5)),
        Permit {
            verdict: PermitVerdict::Allow,
            conflict: held
        }
    );
    // The holder itself, a lease past its time, another file: nothing in the way.
    assert_eq!(ask("REPO·A1", PermitMode::Enforce, at(5)).conflict, None);
    assert_eq!(
        ask("repo·b2", PermitMode::Enforce, at(14)).verdict,
        PermitVerdict::Allow
    );
    assert_eq!(
        permit(
            "repo·b2",
            "file:///repo/other.rs",
            &none,
            &leases,
            PermitMode::Enforce,
            ten,
            at(5)
        )
        .verdict,
        PermitVerdict::Allow
    );
}

#[test]
fn a_repository_file_has_a_lease_per_branch_and_any_other_file_one() {
    let app = "repo://root:abc/src/app.rs";
    assert_eq!(lease_branch(app, Some("main")), "main");
    assert_eq!(lease_branch(app, Some("feature-a")), "feature-a");
    // No branch (no repository, or HEAD unreadable): the one lease of every branch.
    assert_eq!(lease_branch(app, None), "");
    // A file outside any checkout is one place on disk: one lease, whatever the branch.
    assert_eq!(lease_branch("file:///tmp/notes.md", Some("main")), "");
    assert_eq!(lease_branch("file:///tmp/notes.md", None), "");

    // One branch meets itself; two branches do not meet (a parallel edit)...
    assert!(lease_meets("main", "main"));
    assert!(!lease_meets("main", "feature-a"));
    assert!(!lease_meets("feature-a", "main"));
    // ...and a lease or a write with no branch meets every branch.
    assert!(lease_meets("", "main"));
    assert!(lease_meets("main", ""));
    assert!(lease_meets("", ""));
}

#[test]
fn an_ownership_rule_comes_first_and_a_granted_lease_lets_another_session_through() {
    let file = "file:///repo/src/app.rs";
    let mut rule = Rule::new(RuleKind::Data, "file:///repo/src/**", "repo·a1");
    rule.sequence = vec!["Reviewer".into()];
    let rules = CompiledRules::new(vec![rule]);
    let ten = Duration::seconds(DEFAULT_LEASE_SECONDS);
    let enforce = |who: &str, leases: &[Lease]| {
        permit(who, file, &rules, leases, PermitMode::Enforce, ten, at(5))
    };
    // The owner writes whatever the leases say; so does an agent of the rule's sequence.
    assert_eq!(
        enforce("repo·a1", &[lease("repo·b2", 1, 4)]).verdict,
        PermitVerdict::Allow
    );
    assert_eq!(enforce("reviewer", &[]).verdict, PermitVerdict::Allow);
    // Anyone else is refused, naming the owner and the rule...
    assert_eq!(
        enforce("repo·b2", &[]).conflict,
        Some(PermitConflict::Owner {
            owner: "repo·a1".into(),
            pattern: "file:///repo/src/**".into()
        })
    );
    // ...unless the person granted it a lease.
    assert_eq!(
        enforce("repo·b2", &[lease("repo·b2", 4, 4)]).verdict,
        PermitVerdict::Allow
    );
}

#[test]
fn the_reason_names_the_file_the_holder_since_when_and_both_ways_on() {
    let reason = deny_reason(
        "/repo/src/app.rs",
        &PermitConflict::Lease {
            holder: "repo·a1".into(),
            host: None,
            by_subagent: false,
            since: at(1),
        },
        Duration::seconds(DEFAULT_LEASE_SECONDS),
        at(5),
    );
    assert!(!reason.contains("machine"), "{reason}");
    // A holder on another machine: the reason says which.
    let elsewhere = deny_reason(
        "/repo/src/app.rs",
        &PermitConflict::Lease {
            holder: "repo·a1".into(),
            host: Some("laptop-a".into()),
            by_subagent: false,
            since: at(1),
        },
        Duration::seconds(DEFAULT_LEASE_SECONDS),
        at(5),
    );
    assert!(
        elsewhere.contains("the session \"repo·a1\" on the machine laptop-a is working on"),
        "{elsewhere}"
    );
    for words in [
        "/repo/src/app.rs",
        "\"repo·a1\"",
        "09:01 UTC",
        "4 min ago",
        "10 min without",
        "wait for it",
        "ask in Baton",
    ] {
        assert!(reason.contains(words), "{words:?} in {reason}");
    }
    let owned = deny_reason(
        "/repo/x",
        &PermitConflict::Owner {
            owner: "Editor".into(),
            pattern: "file:///repo/**".into(),
        },
        Duration::seconds(60),
        at(5),
    );
    assert!(
        owned.contains("belongs to the agent \"Editor\"") && owned.contains("data file:///repo/**"),
        "{owned}"
    );
}

#[test]
fn replies_are_in_each_clients_format_and_stdout_is_json_or_nothing() {
    let reason = "Baton refused this write: …".to_string();
    for client in HookClient::ALL {
        let go_on = hook_reply(client, "PreToolUse", &HookAnswer::GoOn);
        assert_eq!(
            go_on,
            HookReply {
                exit_code: 0,
                stdout: String::new(),
                stderr: String::new()
            }
        );
        for answer in [
            HookAnswer::Deny(reason.clone()),
            HookAnswer::Ask(reason.clone()),
            HookAnswer::Failed("store busy".into()),
            HookAnswer::Permission(Ok(())),
            HookAnswer::Permission(Err("not now".into())),
        ] {
            let reply = hook_reply(client, "PreToolUse", &answer);
            assert!(
                reply.stdout.is_empty() || serde_json::from_str::<Value>(&reply.stdout).is_ok(),
                "{reply:?}"
            );
            // Copilot CLI and Gemini CLI read a refusal as JSON; OpenCode's plugin refuses a
            // call whose permission was refused too (it has no permission request of its own).
            let refused = match (client, &answer) {
                (HookClient::Copilot | HookClient::Gemini, _) => false,
                (HookClient::OpenCode, HookAnswer::Permission(Err(_))) => true,
                (_, answer) => matches!(answer, HookAnswer::Deny(_)),
            };
            assert_eq!(
                reply.exit_code == 2,
                refused,
                "{client:?} {answer:?}: only a refusal exits 2"
            );
        }
    }
    let claude = hook_reply(
        HookClient::ClaudeCode,
        "PreToolUse",
        &HookAnswer::Deny(reason.clone()),
    );
    assert_eq!(
        (
            claude.exit_code,
            claude.stdout.as_str(),
            claude.stderr.trim()
        ),
        (2, "", reason.as_str())
    );
    let ask: Value = serde_json::from_str(
        &hook_reply(
            HookClient::Codex,
            "PreToolUse",
            &HookAnswer::Ask(reason.clone()),
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(ask["hookSpecificOutput"]["permissionDecision"], "ask");
    assert_eq!(ask["hookSpecificOutput"]["hookEventName"], "PreToolUse");
    let copilot: Value = serde_json::from_str(
        &hook_reply(
            HookClient::Copilot,
            "preToolUse",
            &HookAnswer::Deny(reason.clone()),
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(
        copilot,
        json!({"permissionDecision": "deny", "permissionDecisionReason": reason})
    );
    // Copilot CLI 1.0.102 reads a permission request's answer as `behavior` (measured).
    for (decided, expected) in [
        (Ok(()), json!({"behavior": "allow"})),
        (
            Err("Keep out of src/".to_owned()),
            json!({"behavior": "deny", "message": "Keep out of src/"}),
        ),
    ] {
        let reply = hook_reply(
            HookClient::Copilot,
            "permissionRequest",
            &HookAnswer::Permission(decided),
        );
        assert_eq!(reply.exit_code, 0);
        assert_eq!(
            serde_json::from_str::<Value>(&reply.stdout).unwrap(),
            expected
        );
    }
    // A failure lets the call go ahead as allowed (exit 0, nothing on stdout) for every
    // client, never as a failed hook; the message on stderr.
    for (client, event) in [
        (HookClient::ClaudeCode, "Stop"),
        (HookClient::Codex, "PreToolUse"),
        (HookClient::Copilot, "agentStop"),
        (HookClient::Gemini, "BeforeTool"),
        (HookClient::OpenCode, "PreToolUse"),
    ] {
        let reply = hook_reply(client, event, &HookAnswer::Failed("x".into()));
        assert_eq!(
            (
                reply.exit_code,
                reply.stdout.as_str(),
                reply.stderr.as_str()
            ),
            (0, "", "baton: x\n"),
            "{client:?}"
        );
    }
}

#[test]
fn clients_and_modes_read_back_what_they_print() {
    for client in HookClient::ALL {
        assert_eq!(HookClient::parse(client.as_str()), Some(client));
    }
    assert_eq!(HookClient::parse("emacs"), None);
    for mode in [PermitMode::Observe, PermitMode::Warn, PermitMode::Enforce] {
        assert_eq!(PermitMode::parse(mode.as_str()), Some(mode));
    }
    assert_eq!(PermitMode::default(), PermitMode::Warn);
}

#[test]
fn a_permission_request_is_answered_with_the_persons_decision_as_json() {
    let allow: Value = serde_json::from_str(
        &hook_reply(
            HookClient::ClaudeCode,
            "PermissionRequest",
            &HookAnswer::Permission(Ok(())),
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(
        allow,
        serde_json::json!({"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": {"behavior": "allow"}}})
    );
    let deny = hook_reply(
        HookClient::Codex,
        "PermissionRequest",
        &HookAnswer::Permission(Err("Ana said no: use the test database".into())),
    );
    assert_eq!(deny.exit_code, 0);
    let deny: Value = serde_json::from_str(&deny.stdout).unwrap();
    assert_eq!(
        deny["hookSpecificOutput"]["decision"],
        serde_json::json!({"behavior": "deny", "message": "Ana said no: use the test database"})
    );
}

#[test]
fn a_clash_outcome_is_refused_only_when_the_write_is_denied() {
    assert_eq!(ClashOutcome::of(PermitVerdict::Deny), ClashOutcome::Refused);
    for verdict in [PermitVerdict::Allow, PermitVerdict::AllowAndEscalate] {
        assert_eq!(ClashOutcome::of(verdict), ClashOutcome::AllowedWithWarning);
    }
    assert_eq!(ClashOutcome::Refused.to_string(), "refused");
    assert_eq!(
        ClashOutcome::AllowedWithWarning.to_string(),
        "allowed (warn)"
    );
}

#[test]
fn two_subagents_of_one_session_are_two_writers_and_the_reason_names_the_holding_one() {
    let file = "file:///repo/src/app.rs";
    let none = CompiledRules::default();
    let ten = Duration::seconds(DEFAULT_LEASE_SECONDS);
    let first = "repo·4f1c2a9e › general-purpose #1";
    let second = "repo·4f1c2a9e › general-purpose #2";
    let mut held = lease(first, 1, 1);
    held.by_subagent = true;
    let leases = [held];
    let ask = |who: &str, mode| permit(who, file, &none, &leases, mode, ten, at(2));
    let refused = ask(second, PermitMode::Enforce);
    assert_eq!(refused.verdict, PermitVerdict::Deny);
    let Some(conflict) = refused.conflict else {
        panic!("no conflict")
    };
    assert_eq!(conflict.holder(), first);
    assert_eq!(
        ask(second, PermitMode::Warn).verdict,
        PermitVerdict::AllowAndEscalate
    );
    // The session's main thread is a writer of its own too; the holder itself goes on.
    assert_eq!(
        ask("repo·4f1c2a9e", PermitMode::Enforce).verdict,
        PermitVerdict::Deny
    );
    assert_eq!(
        ask(first, PermitMode::Enforce).verdict,
        PermitVerdict::Allow
    );
    let reason = deny_reason("/repo/src/app.rs", &conflict, ten, at(2));
    assert!(
        reason.contains(&format!(
            "the subagent \"{first}\" is working on /repo/src/app.rs"
        )) && reason.contains("the hold ends when it stops, or after 10 min"),
        "{reason}"
    );
}
