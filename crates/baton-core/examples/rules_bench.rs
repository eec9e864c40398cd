//! Ownership-rules benchmark: a map of 50 agents and 500 rules over the four kinds.
//!
//! `cargo run --release --locked -p baton-core --example rules_bench` (part of `make bench`).
//! Prints best and mean of many runs; asserts nothing. Figures go to `docs/performance.md`.
//!
//! * lint all 500 rules (what the map does when it opens);
//! * re-lint after changing one rule's owner (what the map does on each edit: the whole lint
//!   runs again on the edited list);
//! * pre-deploy check of one new agent's manifest against the 500 rules and 49 manifests;
//! * every conflict on the map (rule overlaps plus each of the 50 agents' pre-deploy check):
//!   what the app computes after every edit of the ownership map, before answering the UI.

use std::hint::black_box;
use std::time::{Duration, Instant};

use baton_core::rules::{
    lint, map_conflicts, predeploy_check, AgentManifest, Declares, Rule, RuleKind,
};

const AGENTS: usize = 50;
const RULES: usize = 500;

/// A small deterministic generator (xorshift64*), so every run measures the same map.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn agent(i: usize) -> String {
    format!("agent-{i:02}")
}

const CRM_OBJECTS: &[&str] = &["contacts", "deals", "accounts", "tickets", "invoices"];
const FIELDS: &[&str] = &[
    "status", "owner", "stage", "amount", "email", "notes", "priority",
];
const CHANNELS: &[&str] = &["billing", "support", "sales", "research", "ops", "alerts"];
const FOLDERS: &[&str] = &["drafts", "reports", "briefs", "exports", "summaries"];

/// A realistic pattern of the given kind (mostly specific, some wildcards, some broad) and the
/// area it is about (a channel, a CRM object, a folder), which mostly decides its owner.
fn pattern(rng: &mut Rng, kind: RuleKind, i: usize) -> (String, usize) {
    let area = rng.below(6);
    let text = match kind {
        RuleKind::Trigger => {
            let channel = CHANNELS[area % CHANNELS.len()];
            match rng.below(4) {
                0 => format!("slack://{channel}"),
                1 => format!("mail://inbox/{channel}-{}", i % 40),
                2 => format!("webhook://github/{channel}/*"),
                _ => format!("slack://{channel}/thread-{}", i % 30),
            }
        }
        RuleKind::Data | RuleKind::Exception => {
            let object = CRM_OBJECTS[area % CRM_OBJECTS.len()];
            match rng.below(6) {
                0 => format!("crm://{object}/*#{}", rng.pick(FIELDS)),
                1 => format!("crm://{object}/{}#{}", i % 50, rng.pick(FIELDS)),
                2 => format!("crm://{object}/{}#*", i % 50),
                3 => format!("crm://{object}/region-{}/**", i % 8),
                4 => format!("crm://{object}/{}/history/*", i % 50),
                _ => format!("crm://{object}/{}", i % 60),
            }
        }
        RuleKind::Output => {
            let folder = FOLDERS[area % FOLDERS.len()];
            match rng.below(4) {
                0 => format!("file:///{folder}/{}-*.md", rng.pick(CHANNELS)),
                1 => format!("file:///{folder}/team-{}/**", i % 10),
                2 => format!("file:///{folder}/{}/report-{}.pdf", i % 12, i % 7),
                _ => format!("gdrive://shared/{folder}/*"),
            }
        }
    };
    (text, area)
}

fn rules(rng: &mut Rng) -> Vec<Rule> {
    (0..RULES)
        .map(|i| {
            // 40 % data, 25 % trigger, 25 % output, 10 % exception.
            let kind = match i % 20 {
                0..=7 => RuleKind::Data,
                8..=12 => RuleKind::Trigger,
                13..=17 => RuleKind::Output,
                _ => RuleKind::Exception,
            };
            let (pattern, area) = pattern(rng, kind, i);
            // Each (kind, area) has its usual owner; one rule in ten names someone else, which is
            // where the overlaps come from.
            let usual = (area * 13 + kind as usize * 7) % AGENTS;
            let owner = if kind == RuleKind::Exception {
                format!("person-{}", area)
            } else if rng.below(10) == 0 {
                agent(rng.below(AGENTS))
            } else {
                agent(usual)
            };
            let readers = if kind == RuleKind::Data && rng.below(3) == 0 {
                (0..1 + rng.below(3))
                    .map(|_| agent(rng.below(AGENTS)))
                    .collect()
            } else {
                Vec::new()
            };
            Rule {
                readers,
                sla_seconds: (kind == RuleKind::Exception).then_some(3600),
                ..Rule::new(kind, pattern, owner)
            }
        })
        .collect()
}

fn manifest(rng: &mut Rng, i: usize) -> AgentManifest {
    let mut list = |kind: RuleKind, n: usize| -> Vec<String> {
        (0..n)
            .map(|j| pattern(rng, kind, i * 7 + j).0)
            .collect::<Vec<_>>()
    };
    Declares {
        triggers: list(RuleKind::Trigger, 2),
        reads: list(RuleKind::Data, 4),
        writes: list(RuleKind::Data, 4),
        outputs: list(RuleKind::Output, 2),
    }
    .to_manifest(agent(i))
}

/// Runs `f` `runs` times; returns (best, mean).
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut best = Duration::MAX;
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        let start = Instant::now();
        black_box(f());
        let took = start.elapsed();
        best = best.min(took);
        total += took;
    }
    (best, total / runs as u32)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn report(what: &str, runs: usize, (best, mean): (Duration, Duration)) {
    println!(
        "{what:<62} best {:>10}  mean {:>10}  ({runs} runs)",
        ms(best),
        ms(mean)
    );
}

fn main() {
    let mut rng = Rng(0x5EED_BA70_2026_1121);
    let rules = rules(&mut rng);
    let manifests: Vec<AgentManifest> = (0..AGENTS).map(|i| manifest(&mut rng, i)).collect();
    let (others, new) = manifests.split_at(AGENTS - 1);
    let new = &new[0];

    let per_kind: Vec<String> = RuleKind::ALL
        .iter()
        .map(|kind| {
            let n = rules.iter().filter(|r| r.kind == *kind).count();
            format!("{n} {}", kind.as_str())
        })
        .collect();
    let overlaps = lint(&rules);
    let conflicts = predeploy_check(new, &rules, others);
    println!(
        "{AGENTS} agents, {RULES} rules ({}); {} overlaps between rules; the new agent's manifest has {} declarations and {} conflicts",
        per_kind.join(", "),
        overlaps.len(),
        new.declares.lists().iter().map(|(_, l)| l.len()).sum::<usize>(),
        conflicts.len()
    );

    const RUNS: usize = 200;
    report("lint all 500 rules", RUNS, time(RUNS, || lint(&rules)));

    // Each edit changes one rule's owner (a different rule each time) and lints the whole list
    // again, as the map does.
    let mut edited = rules.clone();
    let mut edit = 0usize;
    report(
        "re-lint after changing one rule (owner of rule k, then lint)",
        RUNS,
        time(RUNS, || {
            let k = (edit * 37) % RULES;
            edit += 1;
            edited[k].owner = agent(edit % AGENTS);
            lint(&edited)
        }),
    );

    const CHECKS: usize = 1000;
    report(
        "pre-deploy check: 1 manifest vs 500 rules + 49 manifests",
        CHECKS,
        time(CHECKS, || predeploy_check(new, &rules, others)),
    );

    println!(
        "the whole map: {} conflicts",
        map_conflicts(&rules, &manifests).len()
    );
    report(
        "whole map after an edit: map_conflicts(500 rules, 50 agents)",
        RUNS,
        time(RUNS, || {
            let k = (edit * 41) % RULES;
            edit += 1;
            edited[k].owner = agent(edit % AGENTS);
            map_conflicts(&edited, &manifests)
        }),
    );
}
