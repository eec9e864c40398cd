//! The changes of who polls which agent in a run. A takeover: a watcher is killed, the survivor
//! takes its agents once their leases lapse; the survivor's own agents should be polled on time
//! all along, the taken ones on time again once taken. A hand-back: the killed watcher starts
//! again, the survivor gives half back, the restarted one takes them; every poll of the agents
//! that move should still come on time. This measures, for the agents moved and for those kept,
//! the polls received against those due from the change's start to a while after it settled,
//! the poll slots missed between their requests there, and each agent's largest gap (an agent
//! not polled there at all shows in that, not in the slots).

use std::time::{Duration, Instant};

use crate::support::lateness::around;
use crate::support::percentile;

/// How long after the share settled a change is watched.
pub const AFTER: Duration = Duration::from_secs(6);

/// One change: from the kill (a takeover) or the restart (a hand-back) to every agent held again
/// (`settled`); the agents (fleet indices) that moved, and those that stayed with the survivor.
pub struct Change {
    pub from: Instant,
    pub settled: Instant,
    pub moved: Vec<usize>,
    pub kept: Vec<usize>,
}

/// Polls and gaps of a set of agents over the takeovers or the hand-backs.
#[derive(Default)]
pub struct Moves {
    pub polls: usize,
    pub expected: f64,
    /// Each agent's largest gap in each change, ms, sorted.
    pub largest: Vec<u32>,
    /// Polls received / due for each change.
    pub each: Vec<(usize, f64)>,
    /// Poll slots missed (a gap of 1.5 intervals or more misses one, 2.5 two, …) and slots in
    /// all, over the gaps from the last request before the change (a taken agent: from its
    /// first request after it, the failover being timed apart) to the end of the watch. Unlike
    /// received / due over a window, not swayed by where in its interval each agent is.
    pub slots: (usize, usize),
    /// The gap at the change of poller (the last request on one connection to the first on
    /// another), ms, sorted: the hand-over itself.
    pub switch: Vec<u32>,
}

impl Moves {
    /// Over `changes`, the agents `which` picks (moved or kept); `taken`: they were a killed
    /// watcher's (their slots count from their first request after the kill).
    pub fn measure(
        changes: &[Change],
        sources: &[Vec<(Instant, u16)>],
        interval: Duration,
        taken: bool,
        which: impl Fn(&Change) -> &[usize],
    ) -> Moves {
        let mut out = Moves::default();
        for back in changes {
            let (from, to) = (back.from, back.settled + AFTER);
            let due = to.saturating_duration_since(from).as_secs_f64() / interval.as_secs_f64();
            let mut polls = 0;
            for &agent in which(back) {
                // The last request before the change (the giver's, or the killed watcher's),
                // then those during it.
                let before = sources[agent].iter().rev().find(|(t, _)| *t < from);
                let seen: Vec<(Instant, u16)> = before
                    .into_iter()
                    .chain(
                        sources[agent]
                            .iter()
                            .filter(|(t, _)| *t >= from && *t <= to),
                    )
                    .copied()
                    .collect();
                let counted = if taken && before.is_some() {
                    &seen[1..]
                } else {
                    &seen[..]
                };
                for pair in counted.windows(2) {
                    let gap = pair[1].0.saturating_duration_since(pair[0].0);
                    let missed = (gap.as_secs_f64() / interval.as_secs_f64()).round() as usize;
                    let missed = missed.saturating_sub(1);
                    out.slots.0 += missed;
                    out.slots.1 += 1 + missed;
                }
                if let Some(w) = seen.windows(2).find(|w| w[0].1 != w[1].1) {
                    let gap = w[1].0.saturating_duration_since(w[0].0);
                    out.switch
                        .push(u32::try_from(gap.as_millis()).unwrap_or(u32::MAX));
                }
                let times: Vec<Instant> = sources[agent].iter().map(|(t, _)| *t).collect();
                // The last poll before the window, then those inside it, then its end.
                let mut points = around(&times, from, to).to_vec();
                polls += points.iter().filter(|&&t| t >= from).count();
                points.push(to);
                let largest = points
                    .windows(2)
                    .map(|w| w[1].saturating_duration_since(w[0]))
                    .max()
                    .unwrap_or(to - from);
                out.largest
                    .push(u32::try_from(largest.as_millis()).unwrap_or(u32::MAX));
            }
            let expected = due * which(back).len() as f64;
            out.polls += polls;
            out.expected += expected;
            out.each.push((polls, expected));
        }
        out.largest.sort_unstable();
        out.switch.sort_unstable();
        out
    }

    /// Report rows: received / due overall and per change, largest gaps.
    pub fn rows(&self, what: &str) -> Vec<Vec<String>> {
        let share = |p: usize, e: f64| if e > 0.0 { p as f64 / e * 100.0 } else { 0.0 };
        let each: Vec<String> = self
            .each
            .iter()
            .map(|(p, e)| format!("{:.1}", share(*p, *e)))
            .collect();
        let ms = |v: Option<u32>| v.map_or("n/a".into(), |v| format!("{v} ms"));
        vec![
            vec![
                format!("{what}: polls received / due (%), all; each, %"),
                format!(
                    "{} / {:.0} ({:.1} %); {}",
                    self.polls,
                    self.expected,
                    share(self.polls, self.expected),
                    each.join(" ")
                ),
            ],
            vec![
                format!("{what}: poll slots missed (gap ≥ 1.5 intervals) / slots"),
                format!(
                    "{} / {} ({:.2} %)",
                    self.slots.0,
                    self.slots.1,
                    share(self.slots.0, self.slots.1 as f64)
                ),
            ],
            vec![
                format!("{what}: gap where the poller changed, p50 / p99 / max"),
                format!(
                    "{} / {} / {} (over {} changes)",
                    ms(percentile(&self.switch, 0.5)),
                    ms(percentile(&self.switch, 0.99)),
                    ms(self.switch.last().copied()),
                    self.switch.len()
                ),
            ],
            vec![
                format!("{what}: each agent's largest gap, p50 / p99 / max"),
                format!(
                    "{} / {} / {} (over {} agents × changes)",
                    ms(percentile(&self.largest, 0.5)),
                    ms(percentile(&self.largest, 0.99)),
                    ms(self.largest.last().copied()),
                    self.largest.len()
                ),
            ],
        ]
    }
}

/// Writes, for a kept run, every change's agents (those moved, then those kept) and the
/// requests each received over the watched while and as long before (ms after `t0`, and the
/// port they came from), to look at one by one: `hand_backs.tsv`, `takeovers.tsv` with lines
/// `round agent from_ms settled_ms at_ms port moved|kept`.
pub fn write_polls(
    path: &std::path::Path,
    hand_backs: &[Change],
    sources: &[Vec<(Instant, u16)>],
    t0: Instant,
) -> std::io::Result<()> {
    use std::io::Write;
    let ms = |t: Instant| t.saturating_duration_since(t0).as_millis();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for (round, back) in hand_backs.iter().enumerate() {
        let (from, to) = (back.from - AFTER, back.settled + AFTER);
        let agents =
            (back.moved.iter().map(|a| (a, "moved"))).chain(back.kept.iter().map(|a| (a, "kept")));
        for (&agent, which) in agents {
            for &(at, port) in sources[agent]
                .iter()
                .filter(|(t, _)| *t >= from && *t <= to)
            {
                writeln!(
                    out,
                    "{round}\t{agent}\t{}\t{}\t{}\t{port}\t{which}",
                    ms(back.from),
                    ms(back.settled),
                    ms(at)
                )?;
            }
        }
    }
    out.flush()
}
