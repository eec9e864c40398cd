//! Poll timing at the agents: lateness is the gap between two polls an agent received minus the
//! interval; over the whole run, and minute by minute (where a run goes wrong shows when).

use std::time::{Duration, Instant};

use super::percentile;

/// Poll timing at the agents, over [settled, end].
pub struct Lateness {
    pub polls: usize,
    pub expected: f64,
    pub gaps: usize,
    pub p50: Option<u32>,
    pub p99: Option<u32>,
    pub max: Option<u32>,
    /// The largest gap of any agent (the open gap up to the end included), ms.
    pub largest_gap: u32,
    /// Agents whose largest gap exceeded 3 intervals.
    pub starved: usize,
    pub never_polled: usize,
}

pub fn lateness(
    arrivals: &[Vec<Instant>],
    settled: Instant,
    end: Instant,
    interval_ms: u64,
) -> Lateness {
    lateness_in(arrivals, &[(settled, end)], interval_ms)
}

/// [`lateness`] over several stretches of the run (e.g. the calm between two incidents): the
/// gaps inside each, and the time between them left out.
pub fn lateness_in(
    arrivals: &[Vec<Instant>],
    stretches: &[(Instant, Instant)],
    interval_ms: u64,
) -> Lateness {
    let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
    let interval = u32::try_from(interval_ms).unwrap_or(u32::MAX);
    let seconds: f64 = stretches
        .iter()
        .map(|(from, to)| to.saturating_duration_since(*from).as_secs_f64())
        .sum();
    let mut late = Vec::new();
    let mut out = Lateness {
        polls: 0,
        expected: arrivals.len() as f64 * seconds * 1000.0 / interval_ms as f64,
        gaps: 0,
        p50: None,
        p99: None,
        max: None,
        largest_gap: 0,
        starved: 0,
        never_polled: 0,
    };
    for agent in arrivals {
        if agent.is_empty() {
            out.never_polled += 1;
            // Never polled at all: its gap is the whole window.
            out.starved += 1;
            let longest = stretches
                .iter()
                .map(|(from, to)| ms(to.saturating_duration_since(*from)))
                .max()
                .unwrap_or(0);
            out.largest_gap = out.largest_gap.max(longest);
            continue;
        }
        let mut largest = 0;
        for &(settled, end) in stretches {
            let points = around(agent, settled, end);
            out.polls += points.iter().filter(|&&t| t >= settled).count();
            for pair in points.windows(2) {
                let gap = ms(pair[1] - pair[0]);
                largest = largest.max(gap);
                late.push(gap.saturating_sub(interval));
            }
            // The open gap: from the last poll to the end of the stretch.
            if let Some(&last) = points.last() {
                largest = largest.max(ms(end.saturating_duration_since(last.max(settled))));
            }
        }
        out.largest_gap = out.largest_gap.max(largest);
        if u64::from(largest) > 3 * interval_ms {
            out.starved += 1;
        }
    }
    late.sort_unstable();
    out.gaps = late.len();
    out.p50 = percentile(&late, 0.50);
    out.p99 = percentile(&late, 0.99);
    out.max = late.last().copied();
    out
}

impl Lateness {
    /// Rows for a report's table, each label after `label` (e.g. "steady: ").
    pub fn rows(&self, label: &str, interval_ms: u64, agents: usize) -> Vec<Vec<String>> {
        let ms = |v: Option<u32>| v.map_or("n/a".into(), |v| format!("{v} ms"));
        let share = if self.expected > 0.0 {
            self.polls as f64 / self.expected * 100.0
        } else {
            0.0
        };
        vec![
            vec![
                format!("{label}polls received / expected"),
                format!("{} / {:.0} ({share:.1} %)", self.polls, self.expected),
            ],
            vec![
                format!("{label}lateness (gap − interval) p50 / p99 / max"),
                format!(
                    "{} / {} / {} (over {} gaps)",
                    ms(self.p50),
                    ms(self.p99),
                    ms(self.max),
                    self.gaps
                ),
            ],
            vec![
                format!("{label}largest gap of any agent (incl. up to the end)"),
                format!("{} ms", self.largest_gap),
            ],
            vec![
                format!(
                    "{label}agents with a gap > 3 intervals ({} ms)",
                    3 * interval_ms
                ),
                format!("{} of {agents}", self.starved),
            ],
            vec![
                format!("{label}agents never polled"),
                self.never_polled.to_string(),
            ],
        ]
    }
}

/// One minute of the run: the gaps that ended in it.
pub struct Minute {
    pub polls: usize,
    pub p99: Option<u32>,
    /// Gaps longer than 3 intervals.
    pub long_gaps: usize,
}

/// Lateness minute by minute over [settled, end] (gaps counted in the minute they end).
pub fn by_minute(
    arrivals: &[Vec<Instant>],
    settled: Instant,
    end: Instant,
    interval_ms: u64,
) -> Vec<Minute> {
    let minutes = end
        .saturating_duration_since(settled)
        .as_secs()
        .div_ceil(60) as usize;
    let mut late: Vec<Vec<u32>> = vec![Vec::new(); minutes];
    let mut long_gaps = vec![0; minutes];
    for agent in arrivals {
        for pair in agent.windows(2) {
            if pair[1] < settled || pair[1] > end {
                continue;
            }
            let minute = (pair[1] - settled).as_secs() as usize / 60;
            let Some(slot) = late.get_mut(minute) else {
                continue;
            };
            let gap = u32::try_from((pair[1] - pair[0]).as_millis()).unwrap_or(u32::MAX);
            slot.push(gap.saturating_sub(interval_ms as u32));
            if Duration::from_millis(u64::from(gap)) > Duration::from_millis(3 * interval_ms) {
                long_gaps[minute] += 1;
            }
        }
    }
    late.into_iter()
        .zip(long_gaps)
        .map(|(mut gaps, long_gaps)| {
            gaps.sort_unstable();
            Minute {
                polls: gaps.len(),
                p99: percentile(&gaps, 0.99),
                long_gaps,
            }
        })
        .collect()
}

/// Of one agent's polls (in order), the last before `from`, then every one up to `to`: the
/// points its gaps over `[from, to]` run between.
pub fn around(polls: &[Instant], from: Instant, to: Instant) -> &[Instant] {
    let first = polls.partition_point(|&t| t < from).saturating_sub(1);
    let end = polls.partition_point(|&t| t <= to);
    &polls[first..end.max(first)]
}

/// Polls received in each whole `bucket` of `[from, to)` (a shorter one left at the end is not
/// counted: it would read as polls missed): where in a stretch the polls were missed.
pub fn counts_by(
    arrivals: &[Vec<Instant>],
    (from, to): (Instant, Instant),
    bucket: Duration,
) -> Vec<usize> {
    let buckets =
        (to.saturating_duration_since(from).as_millis() / bucket.as_millis().max(1)) as usize;
    let mut counts = vec![0; buckets];
    for agent in arrivals {
        for &t in agent.iter().filter(|&&t| t >= from && t < to) {
            let slot = ((t - from).as_millis() / bucket.as_millis().max(1)) as usize;
            if let Some(count) = counts.get_mut(slot) {
                *count += 1;
            }
        }
    }
    counts
}

/// How evenly the polls of `[from, to)` fall within the interval: the share of them in the
/// busiest tenth of it (10 % when spread evenly). Polls bunched at one moment of the interval
/// come as bursts the watcher must absorb together.
pub fn busiest_tenth(
    arrivals: &[Vec<Instant>],
    (from, to): (Instant, Instant),
    interval: Duration,
) -> f64 {
    let tenth = (interval.as_micros() / 10).max(1);
    let mut counts = [0usize; 10];
    for agent in arrivals {
        for &t in agent.iter().filter(|&&t| t >= from && t < to) {
            let within = (t - from).as_micros() % interval.as_micros().max(1);
            counts[((within / tenth) as usize).min(9)] += 1;
        }
    }
    let total: usize = counts.iter().sum();
    let most = counts.iter().max().copied().unwrap_or(0);
    if total == 0 {
        0.0
    } else {
        most as f64 / total as f64
    }
}
