//! `baton readiness` and `baton costs`: whether each agent is ready for a second one beside it,
//! and what each agent's API calls cost, as tables or JSON (what the Agents view shows).

use std::collections::HashMap;
use std::fmt::Write;

use baton_core::cost::{dollars, AgentCost};
use baton_core::readiness::Readiness;

use super::error::CliError;
use super::text::{clip, plain};
use baton_store::StorePlace;

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).map_err(|e| CliError::Io(e.into()))?
    );
    Ok(())
}

/// `baton readiness`.
pub fn readiness(place: &StorePlace, json: bool) -> Result<(), CliError> {
    let store = place.open()?;
    let now = chrono::Utc::now();
    let readiness = store.readiness(now)?;
    if json {
        return print_json(&readiness);
    }
    let names = names(&store)?;
    print!("{}", render_readiness(&readiness, &names));
    Ok(())
}

/// `baton costs`.
pub fn costs(place: &StorePlace, json: bool) -> Result<(), CliError> {
    let store = place.open()?;
    let costs = store.agent_costs(chrono::Utc::now())?;
    if json {
        return print_json(&costs);
    }
    let names = names(&store)?;
    print!("{}", render_costs(&costs, &names));
    Ok(())
}

fn names(store: &baton_store::Store) -> Result<HashMap<i64, String>, CliError> {
    Ok(store
        .agents()?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    clip(&plain(names.get(&id).map_or("?", String::as_str)), 24)
}

/// The table `baton readiness` prints.
pub fn render_readiness(rows: &[Readiness], names: &HashMap<i64, String>) -> String {
    if rows.is_empty() {
        return "No polled agents.\n".into();
    }
    let mut out = format!(
        "{:<24}  {:<9}  {:>9}  WHAT IS MISSING\n",
        "AGENT", "READY", "DAYS"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<24}  {:<9}  {:>9}  {}",
            name_of(names, r.agent_id),
            if r.ready { "ready" } else { "not yet" },
            format!("{}/{}", r.stable_days.min(r.days_needed), r.days_needed),
            if r.ready { "—" } else { r.summary.as_str() }
        );
    }
    out
}

/// The table `baton costs` prints (UTC days).
pub fn render_costs(rows: &[AgentCost], names: &HashMap<i64, String>) -> String {
    if rows.is_empty() {
        return "No agents.\n".into();
    }
    let mut out = format!(
        "{:<24}  {:>10}  {:>10}  {:>10}  NOTE\n",
        "AGENT", "TODAY", "7 DAYS", "BUDGET"
    );
    for c in rows {
        let week: f64 = c.days.iter().map(|d| d.usd).sum();
        let mut notes = Vec::new();
        if c.daily_budget_usd.is_some_and(|b| c.today.usd > b) {
            notes.push("over budget".to_owned());
        }
        if c.today.upper_bound {
            notes.push("at most (tokens without an input/output split)".to_owned());
        }
        if c.today.unpriced_tokens > 0 {
            notes.push(format!(
                "{} tokens without a price",
                c.today.unpriced_tokens
            ));
        }
        let _ = writeln!(
            out,
            "{:<24}  {:>10}  {:>10}  {:>10}  {}",
            name_of(names, c.agent_id),
            dollars(c.today.usd),
            dollars(week),
            c.daily_budget_usd.map_or("—".to_owned(), dollars),
            notes.join("; ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::cost::{CostBreakdown, DayCost};
    use baton_core::readiness::{evaluate, ReadinessFacts, ReadinessThresholds};

    #[test]
    fn the_tables_say_what_is_missing_and_what_was_spent() {
        let names = HashMap::from([
            (1, "Writer".to_owned()),
            (2, "Re\u{1b}[2Jsearcher".to_owned()),
        ]);
        let now = chrono::Utc::now();
        let r = evaluate(
            1,
            &ReadinessFacts::default(),
            &ReadinessThresholds::default(),
            now,
        );
        let table = render_readiness(&[r], &names);
        assert!(
            table.contains("Writer") && table.contains("not yet"),
            "{table}"
        );
        assert!(
            table.contains("0/28") && table.contains("0 of 28 days"),
            "{table}"
        );
        let cost = AgentCost {
            agent_id: 2,
            today: CostBreakdown {
                usd: 6.5,
                upper_bound: true,
                ..CostBreakdown::default()
            },
            days: vec![DayCost {
                day: "2026-11-24".into(),
                usd: 6.5,
                tokens: 10,
            }],
            daily_budget_usd: Some(5.0),
        };
        let table = render_costs(&[cost], &names);
        assert!(!table.contains('\u{1b}'), "{table:?}");
        assert!(
            table.contains("$6.50") && table.contains("$5.00"),
            "{table}"
        );
        assert!(table.contains("over budget; at most"), "{table}");
    }
}
