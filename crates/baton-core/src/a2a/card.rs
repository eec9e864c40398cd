//! The agent card (`/.well-known/agent-card.json`): who the agent is, its skills, and where and
//! how to reach it. A 1.0 card lists `supportedInterfaces` (`url`, `protocolBinding`,
//! `protocolVersion`); a 0.3 card has a top-level `url` with `preferredTransport` and
//! `additionalInterfaces`. Both are read, and the best interface is chosen: JSON-RPC before
//! HTTP+JSON, 1.0 before 0.3 (gRPC is not spoken).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::A2aError;

/// How requests are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    JsonRpc,
    HttpJson,
}

/// Which A2A the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub enum ProtocolVersion {
    #[serde(rename = "1.0")]
    V1,
    #[serde(rename = "0.3")]
    V03,
}

/// One way to reach the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Interface {
    pub url: String,
    pub binding: Binding,
    pub version: ProtocolVersion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Skill {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
}

/// What Baton keeps of a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgentCard {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub skills: Vec<Skill>,
    /// Every interface Baton could use, best first.
    pub interfaces: Vec<Interface>,
}

impl AgentCard {
    /// The interface Baton talks to.
    pub fn preferred(&self) -> Option<&Interface> {
        self.interfaces.first()
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn binding(name: &str) -> Option<Binding> {
    match name.trim().to_ascii_uppercase().as_str() {
        "JSONRPC" | "JSON-RPC" | "JSON_RPC" => Some(Binding::JsonRpc),
        "HTTP+JSON" | "HTTP_JSON" | "REST" | "HTTPJSON" => Some(Binding::HttpJson),
        _ => None,
    }
}

/// `1.0`, `1`, `1.x` are 1.0; `0.3`, `0.3.x` and a missing version (0.3 cards) are 0.3.
fn version(text: Option<&str>) -> Option<ProtocolVersion> {
    let t = text.map(str::trim).unwrap_or("");
    if t.is_empty() || t == "0.3" || t.starts_with("0.3.") {
        Some(ProtocolVersion::V03)
    } else if t == "1" || t.starts_with("1.") {
        Some(ProtocolVersion::V1)
    } else {
        None
    }
}

/// A URL Baton can call: absolute http(s).
fn usable_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Parses a card. Fails when it is not a JSON object, names no agent, or offers no interface
/// Baton can use.
pub fn parse_card(body: &[u8]) -> Result<AgentCard, A2aError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| A2aError::NotJson(e.to_string()))?;
    if !v.is_object() {
        return Err(A2aError::InvalidCard("is not a JSON object".into()));
    }
    let name = text(&v, "name").ok_or_else(|| A2aError::InvalidCard("has no name".into()))?;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut add = |url: Option<String>, binding_name: Option<String>, v: Option<String>| {
        let (Some(url), Some(b)) = (url, binding_name.as_deref().and_then(binding)) else {
            return;
        };
        let Some(version) = version(v.as_deref()) else {
            return;
        };
        if usable_url(&url)
            && !interfaces
                .iter()
                .any(|i| i.url == url && i.binding == b && i.version == version)
        {
            interfaces.push(Interface {
                url,
                binding: b,
                version,
            });
        }
    };
    // 1.0
    for i in v
        .get("supportedInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add(
            text(i, "url"),
            text(i, "protocolBinding").or_else(|| text(i, "transport")),
            text(i, "protocolVersion").or_else(|| Some("1.0".into())),
        );
    }
    // 0.3: the main URL with its preferred transport (JSON-RPC when unsaid), then the others.
    let legacy_version = text(&v, "protocolVersion");
    add(
        text(&v, "url"),
        text(&v, "preferredTransport").or_else(|| Some("JSONRPC".into())),
        legacy_version.clone(),
    );
    for i in v
        .get("additionalInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add(text(i, "url"), text(i, "transport"), legacy_version.clone());
    }
    if interfaces.is_empty() {
        return Err(A2aError::NoUsableInterface);
    }
    interfaces.sort_by_key(|i| (i.version, i.binding));
    let skills = v
        .get("skills")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let id = text(s, "id")?;
            Some(Skill {
                name: text(s, "name").unwrap_or_else(|| id.clone()),
                id,
                description: text(s, "description"),
            })
        })
        .collect();
    Ok(AgentCard {
        name,
        description: text(&v, "description"),
        version: text(&v, "version"),
        skills,
        interfaces,
    })
}
