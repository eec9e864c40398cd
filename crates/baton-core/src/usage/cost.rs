//! What a coding session's tokens cost, from the price table every agent's calls are priced
//! with (`crate::cost`): input and output at the model's rates, and the prompt cache as the
//! providers bill it: Anthropic reads at a tenth of the input rate and writes at 1.25 times
//! it; OpenAI reads cached input at a tenth (GPT-5 models) and has no separate write; Google reads
//! cached input at a quarter (Gemini 2.5).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::types::TokenUse;
use crate::cost::{price_for, Price};
use crate::hooks::HookClient;

/// The API whose prices a client's models are priced at.
pub fn usage_api(client: HookClient) -> &'static str {
    match client {
        HookClient::ClaudeCode => "anthropic",
        HookClient::Codex | HookClient::Copilot => "openai",
        HookClient::Gemini => "google",
        // OpenCode speaks to whichever provider its config names (and prices its messages
        // itself): no one API's prices fit, so its tokens are shown unpriced.
        HookClient::OpenCode => "opencode",
    }
}

/// (cache read, cache write) as multiples of the input rate.
fn cache_rates(api: &str) -> (f64, f64) {
    if api.eq_ignore_ascii_case("anthropic") {
        (0.1, 1.25)
    } else if api.eq_ignore_ascii_case("google") {
        // Gemini 2.5 bills cached input at a quarter of the input rate.
        (0.25, 1.0)
    } else {
        (0.1, 1.0)
    }
}

/// One model's tokens in a session (or a day), and what they cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UsageCost {
    pub model: Option<String>,
    pub tokens: TokenUse,
    /// None: no price for the model.
    pub usd: Option<f64>,
    /// The price used was one of Baton's defaults.
    pub default_price: bool,
    /// What it cost is the client's own figure (its telemetry priced each response), not
    /// Baton's table's.
    #[serde(default)]
    pub client_priced: bool,
}

/// Prices `tokens` of `model` (an API of `api`) at `table`.
pub fn price_tokens(
    table: &[Price],
    api: &str,
    model: Option<&str>,
    tokens: TokenUse,
) -> UsageCost {
    let price = price_for(table, api, model);
    let usd = price.map(|p| {
        let (read, write) = cache_rates(api);
        (tokens.input as f64 * p.input_per_1k
            + tokens.output as f64 * p.output_per_1k
            + tokens.cache_read as f64 * p.input_per_1k * read
            + tokens.cache_write as f64 * p.input_per_1k * write)
            / 1000.0
    });
    UsageCost {
        model: model.map(str::to_owned),
        tokens,
        usd,
        default_price: price.is_some_and(|p| p.default),
        client_priced: false,
    }
}

/// A coding session's tokens and their cost, as the Agents view and `baton usage` show them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionUsage {
    /// Today's tokens (UTC), all models.
    pub today: TokenUse,
    /// What today's tokens cost (None: none of its models has a price).
    pub today_usd: Option<f64>,
    /// The whole session, per model.
    pub models: Vec<UsageCost>,
    /// What the whole session cost (the priced models).
    pub usd: Option<f64>,
    /// Tokens of models with no price.
    pub unpriced_tokens: u64,
    /// What the client itself last said the session cost (Claude Code's status line), when it
    /// said.
    pub client_usd: Option<f64>,
}

/// A session's tokens of one model, and what the client itself said those of them cost (its
/// telemetry prices each response: Claude Code's `cost_usd`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTokens {
    pub model: Option<String>,
    pub tokens: TokenUse,
    /// None: the client priced none of them (Baton's table does).
    pub client_usd: Option<f64>,
}

impl ModelTokens {
    /// What the tokens cost: the client's own figure where it gave one, else `table`'s.
    fn priced(&self, table: &[Price], api: &str) -> UsageCost {
        let mut cost = price_tokens(table, api, self.model.as_deref(), self.tokens);
        if let Some(usd) = self.client_usd {
            cost.usd = Some(usd);
            cost.default_price = false;
            cost.client_priced = true;
        }
        cost
    }
}

impl SessionUsage {
    /// From the session's tokens per model, in all and today: each model's tokens the client
    /// priced apart from those it did not (the same model may come twice), joined per model
    /// here.
    pub fn priced(
        table: &[Price],
        api: &str,
        all: &[ModelTokens],
        today: &[ModelTokens],
    ) -> SessionUsage {
        let sum = |costs: &[UsageCost]| -> Option<f64> {
            costs
                .iter()
                .filter_map(|c| c.usd)
                .fold(None, |acc, usd| Some(acc.unwrap_or(0.0) + usd))
        };
        let unpriced = |costs: &[UsageCost]| -> u64 {
            costs
                .iter()
                .filter(|c| c.usd.is_none())
                .map(|c| c.tokens.total())
                .sum()
        };
        let all_costs: Vec<UsageCost> = all.iter().map(|m| m.priced(table, api)).collect();
        let today_costs: Vec<UsageCost> = today.iter().map(|m| m.priced(table, api)).collect();
        let mut today_tokens = TokenUse::default();
        for c in &today_costs {
            today_tokens.add(c.tokens);
        }
        SessionUsage {
            today: today_tokens,
            today_usd: sum(&today_costs),
            usd: sum(&all_costs),
            unpriced_tokens: unpriced(&all_costs),
            models: per_model(all_costs),
            client_usd: None,
        }
    }
}

/// The costs of one model joined (in the order first seen): tokens and dollars summed, priced
/// by the client only when all of it was.
fn per_model(costs: Vec<UsageCost>) -> Vec<UsageCost> {
    let mut joined: Vec<UsageCost> = Vec::with_capacity(costs.len());
    for cost in costs {
        match joined.iter_mut().find(|c| c.model == cost.model) {
            Some(same) => {
                same.tokens.add(cost.tokens);
                same.usd = match (same.usd, cost.usd) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
                same.default_price |= cost.default_price;
                same.client_priced &= cost.client_priced;
            }
            None => joined.push(cost),
        }
    }
    joined
}
