//! Faults a simulated agent can put on its decisions endpoint, for delivery tests: answer 500
//! without applying, apply and answer 500, or apply and hold the answer (the caller times out,
//! or is killed, before it hears back). Drawn per request from a seeded generator.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How likely each fault is on one `POST /baton/v1/decisions` (the rest are answered normally).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionFaults {
    pub seed: u64,
    /// Answer 500 and apply nothing.
    pub refuse: f64,
    /// Apply the decision, then answer 500.
    pub apply_then_fail: f64,
    /// Apply the decision, then hold the answer for a time drawn evenly from zero to `hold`.
    pub apply_then_hold: f64,
    pub hold: Duration,
}

/// What one request meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    Refuse,
    ApplyThenFail,
    ApplyThenHold(Duration),
}

/// The faults in force on one agent, and their generator.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    faults: DecisionFaults,
    rng: StdRng,
}

impl FaultPlan {
    pub(crate) fn new(faults: DecisionFaults) -> FaultPlan {
        FaultPlan {
            rng: StdRng::seed_from_u64(faults.seed),
            faults,
        }
    }

    pub(crate) fn draw(&mut self) -> Fault {
        let roll: f64 = self.rng.random();
        let f = &self.faults;
        if roll < f.refuse {
            Fault::Refuse
        } else if roll < f.refuse + f.apply_then_fail {
            Fault::ApplyThenFail
        } else if roll < f.refuse + f.apply_then_fail + f.apply_then_hold {
            Fault::ApplyThenHold(f.hold.mul_f64(self.rng.random()))
        } else {
            Fault::None
        }
    }
}

/// What the decisions endpoint saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecisionStats {
    /// Requests that carried a decision (refused ones included).
    pub requests: u64,
    /// Requests whose key had been applied before (answered `duplicate: true`).
    pub duplicates: u64,
    /// Requests met by a fault.
    pub faults: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_seed_and_the_shares() {
        let faults = DecisionFaults {
            seed: 7,
            refuse: 0.25,
            apply_then_fail: 0.25,
            apply_then_hold: 0.25,
            hold: Duration::from_millis(5),
        };
        let draws = |n| {
            let mut plan = FaultPlan::new(faults.clone());
            (0..n).map(|_| plan.draw()).collect::<Vec<_>>()
        };
        assert_eq!(draws(50), draws(50));
        let all = draws(4000);
        let none = all.iter().filter(|f| **f == Fault::None).count();
        assert!((800..1200).contains(&none), "{none}");
        assert!(all
            .iter()
            .any(|f| matches!(f, Fault::ApplyThenHold(d) if *d <= Duration::from_millis(5))));
    }
}
