//! What the agents' API calls cost. Tokens are counted as they arrive (per agent, day, API,
//! model and task: the store's `api_costs`) and priced when read, from a price table per API and
//! model: the user's prices, then a few common defaults shipped with Baton and marked as such.
//! Editing a price reprices the past too.
//!
//! A call that gives `input_tokens` / `output_tokens` is priced at each rate; tokens given only
//! in all (`tokens`) are priced at the dearer of the two rates, so the cost shown is at most
//! that, and a budget is never passed unseen ([`TokenCount::unsplit`]).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::detect::{Finding, FindingKind, Severity};

/// What a thousand tokens of one API (and model) cost, in US dollars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Price {
    pub api: String,
    /// The model, or a prefix of model names ending in `*` (`claude-sonnet-4*`); None: every
    /// model of the API that has no price of its own.
    pub model: Option<String>,
    pub input_per_1k: f64,
    pub output_per_1k: f64,
    /// True for a price shipped with Baton (list prices when it was built: check them); the
    /// user's own price for the same API and model replaces it.
    pub default: bool,
}

impl Price {
    /// A person's own price for `api` (and `model`, or every model of it), in dollars per
    /// 1,000 tokens.
    pub fn own(api: &str, model: Option<&str>, input_per_1k: f64, output_per_1k: f64) -> Price {
        Price {
            api: api.into(),
            model: model.map(Into::into),
            input_per_1k,
            output_per_1k,
            default: false,
        }
    }
}

/// Prices Baton ships with, in dollars per 1,000 tokens (the providers' list prices per million
/// tokens as published in 2025, divided by 1,000). Marked as defaults wherever they are shown.
pub const DEFAULT_PRICES: &[(&str, &str, f64, f64)] = &[
    ("openai", "gpt-4o", 0.0025, 0.01),
    ("openai", "gpt-4o-mini*", 0.00015, 0.0006),
    ("openai", "gpt-4.1*", 0.002, 0.008),
    ("openai", "o3*", 0.002, 0.008),
    ("anthropic", "claude-opus-4*", 0.015, 0.075),
    ("anthropic", "claude-sonnet-4*", 0.003, 0.015),
    ("anthropic", "claude-3-5-haiku*", 0.0008, 0.004),
    ("anthropic", "claude-haiku-4*", 0.001, 0.005),
    ("google", "gemini-2.5-pro*", 0.00125, 0.01),
    ("google", "gemini-2.5-flash*", 0.0003, 0.0025),
];

/// Longest API or model name a price names, in bytes.
pub const MAX_PRICE_NAME: usize = 256;
/// Highest price accepted per 1,000 tokens: a thousand dollars (a typo guard).
pub const MAX_PRICE_PER_1K: f64 = 1000.0;

/// The defaults as prices.
pub fn default_prices() -> Vec<Price> {
    DEFAULT_PRICES
        .iter()
        .map(|&(api, model, input, output)| Price {
            api: api.to_owned(),
            model: Some(model.to_owned()),
            input_per_1k: input,
            output_per_1k: output,
            default: true,
        })
        .collect()
}

/// The price table in force: the user's prices, and each default the user has no price for
/// (same API and model). Sorted by API, then model.
pub fn price_table(user: &[Price]) -> Vec<Price> {
    let mut table: Vec<Price> = user
        .iter()
        .cloned()
        .map(|p| Price {
            default: false,
            ..p
        })
        .collect();
    for default in default_prices() {
        if !table
            .iter()
            .any(|p| p.api == default.api && p.model == default.model)
        {
            table.push(default);
        }
    }
    table.sort_by(|a, b| (&a.api, &a.model).cmp(&(&b.api, &b.model)));
    table
}

/// Why a price is refused: the field (`api`, `model`, `input_per_1k`, `output_per_1k`) and a
/// sentence.
pub fn check_price(price: &Price) -> Result<(), (&'static str, String)> {
    if price.api.trim().is_empty() {
        return Err(("api", "name the API the price is for".into()));
    }
    if price.api.len() > MAX_PRICE_NAME {
        return Err((
            "api",
            format!("an API's name is at most {MAX_PRICE_NAME} bytes"),
        ));
    }
    if let Some(model) = price.model.as_deref() {
        if model.len() > MAX_PRICE_NAME {
            return Err((
                "model",
                format!("a model's name is at most {MAX_PRICE_NAME} bytes"),
            ));
        }
        let stem = model.trim().trim_end_matches('*');
        if stem.trim().is_empty() {
            return Err((
                "model",
                "leave the model out for every model of the API".into(),
            ));
        }
        if stem.contains('*') {
            return Err((
                "model",
                "a model may end in * (a prefix of names), but holds no other *".into(),
            ));
        }
    }
    for (field, what, value) in [
        ("input_per_1k", "input", price.input_per_1k),
        ("output_per_1k", "output", price.output_per_1k),
    ] {
        if !value.is_finite() || value < 0.0 {
            return Err((
                field,
                format!("the {what} price is a number of dollars, 0 or more"),
            ));
        }
        if value > MAX_PRICE_PER_1K {
            return Err((
                field,
                format!("the {what} price is per 1,000 tokens: at most {MAX_PRICE_PER_1K} dollars"),
            ));
        }
    }
    Ok(())
}

/// The price of `model` of `api` in `table`: the model's own, else the longest prefix pattern
/// that matches it, else the API's price for every model. API names compare case-insensitively.
pub fn price_for<'a>(table: &'a [Price], api: &str, model: Option<&str>) -> Option<&'a Price> {
    let of_api = || table.iter().filter(|p| p.api.eq_ignore_ascii_case(api));
    let model = model.filter(|m| !m.is_empty());
    if let Some(model) = model {
        if let Some(exact) = of_api().find(|p| p.model.as_deref() == Some(model)) {
            return Some(exact);
        }
        let prefixed = of_api()
            .filter_map(|p| {
                let prefix = p.model.as_deref()?.strip_suffix('*')?;
                model.starts_with(prefix).then_some((prefix.len(), p))
            })
            .max_by_key(|(len, _)| *len);
        if let Some((_, p)) = prefixed {
            return Some(p);
        }
    }
    of_api().find(|p| p.model.is_none())
}

/// Tokens of some calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenCount {
    pub input: u64,
    pub output: u64,
    /// Tokens given only in all (no split): priced at the dearer rate.
    pub unsplit: u64,
}

impl TokenCount {
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.unsplit)
    }

    pub fn add(&mut self, other: TokenCount) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.unsplit = self.unsplit.saturating_add(other.unsplit);
    }

    /// The tokens of one call or report: split when it says how, else in all.
    pub fn of_call(tokens: Option<u64>, input: Option<u64>, output: Option<u64>) -> TokenCount {
        match (input, output) {
            (None, None) => TokenCount {
                unsplit: tokens.unwrap_or(0),
                ..TokenCount::default()
            },
            (input, output) => {
                let (input, output) = (input.unwrap_or(0), output.unwrap_or(0));
                // A total above the split counts the rest as unsplit (cached or reasoning tokens).
                let rest = tokens.map_or(0, |t| t.saturating_sub(input.saturating_add(output)));
                TokenCount {
                    input,
                    output,
                    unsplit: rest,
                }
            }
        }
    }

    /// The cost at `price`, in dollars.
    pub fn cost(&self, price: &Price) -> f64 {
        let dearer = price.input_per_1k.max(price.output_per_1k);
        (self.input as f64 * price.input_per_1k
            + self.output as f64 * price.output_per_1k
            + self.unsplit as f64 * dearer)
            / 1000.0
    }
}

/// The tokens of one agent's calls to one API and model (on one day, or for one task), from
/// its `api_call` events and from its usage reports. The two may count the same calls: the
/// larger is taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub api: String,
    pub model: Option<String>,
    pub calls: u64,
    pub events: TokenCount,
    pub reports: TokenCount,
}

impl Usage {
    /// What is priced: the events' count, or the reports' when they say more.
    pub fn counted(&self) -> TokenCount {
        if self.reports.total() > self.events.total() {
            self.reports
        } else {
            self.events
        }
    }
}

/// Tokens and dollars for one API and model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ModelCost {
    pub api: String,
    pub model: Option<String>,
    pub tokens: TokenCount,
    /// None: no price for it (its tokens are counted in `unpriced_tokens`).
    pub usd: Option<f64>,
    /// The price used was one of Baton's defaults.
    pub default_price: bool,
}

/// The cost of some usage: in all, and per API and model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct CostBreakdown {
    pub usd: f64,
    pub tokens: u64,
    /// Tokens of APIs and models with no price.
    pub unpriced_tokens: u64,
    /// Some tokens had no split and were priced at the dearer rate: `usd` is at most that.
    pub upper_bound: bool,
    pub by_model: Vec<ModelCost>,
}

/// Prices `usage` (rows of one API and model may repeat: they are added up first).
pub fn price_usage(usage: &[Usage], table: &[Price]) -> CostBreakdown {
    let mut merged: BTreeMap<(String, Option<String>), TokenCount> = BTreeMap::new();
    for u in usage {
        merged
            .entry((u.api.clone(), u.model.clone()))
            .or_default()
            .add(u.counted());
    }
    let mut out = CostBreakdown::default();
    for ((api, model), tokens) in merged {
        let price = price_for(table, &api, model.as_deref());
        let usd = price.map(|p| tokens.cost(p));
        out.tokens = out.tokens.saturating_add(tokens.total());
        match usd {
            Some(usd) => {
                out.usd += usd;
                out.upper_bound |= tokens.unsplit > 0;
            }
            None => out.unpriced_tokens = out.unpriced_tokens.saturating_add(tokens.total()),
        }
        out.by_model.push(ModelCost {
            api,
            model,
            tokens,
            usd,
            default_price: price.is_some_and(|p| p.default),
        });
    }
    out
}

/// One day of an agent's spending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DayCost {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub usd: f64,
    pub tokens: u64,
}

/// What an agent's calls cost: today (UTC), each of the last days, and against its budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AgentCost {
    pub agent_id: i64,
    /// Today so far, per API and model.
    pub today: CostBreakdown,
    /// The last [`COST_DAYS`] days, oldest first, today last.
    pub days: Vec<DayCost>,
    /// The agent's daily budget, in dollars.
    pub daily_budget_usd: Option<f64>,
}

/// How many days the Agents view shows.
pub const COST_DAYS: usize = 7;

/// What one task's calls cost (from the `api_call` events naming it).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TaskCost {
    pub agent_id: i64,
    pub task_id: String,
    pub calls: u64,
    pub cost: CostBreakdown,
}

/// The UTC day of a moment, as the store keys it.
pub fn day_of(at: DateTime<Utc>) -> String {
    at.date_naive().format("%Y-%m-%d").to_string()
}

/// The `n` days ending with the day of `now`, oldest first.
pub fn last_days(now: DateTime<Utc>, n: usize) -> Vec<String> {
    let today: NaiveDate = now.date_naive();
    (0..n)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back as u64)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect()
}

/// Dollars as people read them: `$0.0042`, `$1.27`, `$1,204`.
pub fn dollars(usd: f64) -> String {
    if usd == 0.0 {
        return "$0".into();
    }
    if usd < 0.01 {
        return format!("${usd:.4}");
    }
    if usd < 1000.0 {
        return format!("${usd:.2}");
    }
    let whole = usd.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("${out}")
}

/// An agent's spending today against its daily budget: one warning finding per agent and UTC
/// day once the budget is passed (it stays one item however much more is spent).
pub fn over_budget(
    agent_id: i64,
    agent_name: &str,
    spent_today: f64,
    budget: f64,
    now: DateTime<Utc>,
) -> Option<Finding> {
    if budget <= 0.0 || spent_today <= budget {
        return None;
    }
    let day = day_of(now);
    Some(Finding {
        kind: FindingKind::OverBudget,
        severity: Severity::Warning,
        agents: vec![agent_id],
        resource: None,
        summary: format!(
            "{agent_name} has spent {} today ({day}, UTC), past its daily budget of {}",
            dollars(spent_today),
            dollars(budget)
        ),
        evidence: Vec::new(),
        dedupe_key: format!("{}:{agent_id}:{day}", FindingKind::OverBudget.as_str()),
        continues: None,
    })
}

#[cfg(test)]
mod tests;
