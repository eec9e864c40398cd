//! Simulated agents that call a real API: each call's response (status, rate-limit headers,
//! tokens) becomes an `api_call` event, as a well-behaved agent reports it to Baton. Used to
//! test the rate-limit ledger against real rate-limiting servers (e.g. `mocklimit`).

use std::collections::BTreeMap;

use baton_core::protocol::{Event, EventKind};
use chrono::Utc;
use serde_json::Value;

/// Calls one API endpoint with a bearer token.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    http: reqwest::Client,
    /// The API's name in Baton's ledger, e.g. `openai`.
    api: String,
    url: String,
    token: Option<String>,
}

impl ApiCaller {
    pub fn new(api: &str, url: &str, token: Option<&str>) -> ApiCaller {
        ApiCaller {
            http: reqwest::Client::new(),
            api: api.to_owned(),
            url: url.to_owned(),
            token: token.map(str::to_owned),
        }
    }

    /// POSTs `body` once and returns the `api_call` event reporting the response (seq 0: the
    /// agent numbers it when it holds it).
    pub async fn call(&self, task_id: &str, body: &Value) -> Result<Event, reqwest::Error> {
        let mut request = self.http.post(&self.url).json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let at = Utc::now();
        let status = response.status().as_u16();
        let headers = rate_limit_headers(response.headers());
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        Ok(Event {
            task_id: Some(task_id.to_owned()),
            resource: Some(format!("api://{}", self.api)),
            api: Some(self.api.clone()),
            status: Some(status),
            headers: Some(headers),
            tokens: Some(tokens_used(&answer)),
            ..Event::new(0, at, EventKind::ApiCall)
        })
    }
}

/// The response headers Baton reads for rate limits, names lower-cased.
pub fn rate_limit_headers(headers: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name.contains("ratelimit")
                || name.contains("rate-limit")
                || name.starts_with("retry-after")
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// Tokens a response says were used: OpenAI's `usage.total_tokens`, Anthropic's input plus
/// output tokens, or a plain `usage.tokens`; 0 when it says nothing.
pub fn tokens_used(answer: &Value) -> u64 {
    let usage = &answer["usage"];
    if let Some(total) = usage["total_tokens"].as_u64() {
        return total;
    }
    let input = usage["input_tokens"].as_u64();
    let output = usage["output_tokens"].as_u64();
    if input.is_some() || output.is_some() {
        return input.unwrap_or(0) + output.unwrap_or(0);
    }
    usage["tokens"].as_u64().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_in_each_providers_shape() {
        assert_eq!(tokens_used(&json!({"usage": {"total_tokens": 57}})), 57);
        assert_eq!(
            tokens_used(&json!({"usage": {"input_tokens": 10, "output_tokens": 5}})),
            15
        );
        assert_eq!(
            tokens_used(&json!({"usage": {"requests": 1, "tokens": 64}})),
            64
        );
        assert_eq!(
            tokens_used(&json!({"error": {"type": "rate_limit_error"}})),
            0
        );
        assert_eq!(tokens_used(&Value::Null), 0);
    }
}
