//! The merge check of a parallel edit (`baton_engine::merge_check`): two worktrees of one
//! repository, each branch changing `--files` files (half of them on both branches, some on
//! the same lines, half of each branch's changes not committed), checked with real git as the
//! engine does after a write. What `make bench` records in docs/performance.md; the goal is
//! under 1 s for 200 files a branch.
//! `cargo run --release -p baton-engine --example merge_check_bench [--files N] [--rounds N]`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use baton_core::hooks::MergeForecast;
use baton_engine::merge_check::check_parallel_edit;
use baton_store::sessions::{MergeCheck, ParallelEdit};
use chrono::Utc;

/// The merge check of two branches with many changed files.
#[derive(clap::Parser)]
struct Flags {
    /// Files each branch changes.
    #[arg(long, default_value_t = 200)]
    files: usize,
    /// Checks measured.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@localhost")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@localhost")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A file of 40 lines, line `changed` replaced by `by` (0: none).
fn body(changed: usize, by: &str) -> String {
    (1..=40)
        .map(|i| {
            if i == changed {
                format!("{by}\n")
            } else {
                format!("line {i}\n")
            }
        })
        .collect()
}

fn main() {
    let flags = <Flags as clap::Parser>::parse();
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let repo = tmp.path().join("repo");
    let total = flags.files * 3 / 2;
    std::fs::create_dir_all(repo.join("src")).expect("src");
    git(&repo, &["init", "-q", "-b", "main"]);
    for i in 0..total {
        std::fs::write(repo.join(format!("src/f{i}.rs")), body(0, "")).expect("write");
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["worktree", "add", "-q", "-b", "a", "../a"]);
    git(&repo, &["worktree", "add", "-q", "-b", "b", "../b"]);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    // Branch a changes files 0..n, b changes n/2..n/2+n: n/2 on both, a tenth of those on the
    // same line; half of each branch's changes committed.
    let n = flags.files;
    for (dir, range, line) in [(&a, 0..n, 5), (&b, n / 2..n / 2 + n, 30)] {
        for (k, i) in range.clone().enumerate() {
            let same = i % 10 == 0 && (n / 2..n).contains(&i);
            let at = if same { 10 } else { line };
            let who = dir.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::write(dir.join(format!("src/f{i}.rs")), body(at, &who)).expect("write");
            if k == n / 2 {
                git(dir, &["commit", "-q", "-am", "half"]);
            }
        }
    }
    let (a_dir, b_dir) = (a.to_string_lossy(), b.to_string_lossy());
    let edit = ParallelEdit::of_checkouts(
        1,
        "bench",
        &[("a", &*a_dir), ("b", &*b_dir)],
        &[],
        Utc::now(),
    );
    let mut times = Vec::with_capacity(flags.rounds);
    let mut last = None;
    for _ in 0..flags.rounds {
        let started = Instant::now();
        let check = check_parallel_edit(&edit).pop().map(|pair| pair.check);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        last = check;
    }
    times.sort_by(f64::total_cmp);
    let (files, conflicted) = match last {
        Some(MergeCheck::Overlap {
            files,
            forecast: MergeForecast::Conflicts { files: c, more },
        }) => (files.len(), c.len() + more),
        other => panic!("expected conflicts, got {other:?}"),
    };
    println!(
        "merge check, {} files changed on each branch ({files} on both, {conflicted} conflicting), \
         {} rounds: p50 {:.0} ms, max {:.0} ms (goal: under 1000 ms)",
        flags.files,
        flags.rounds,
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
