//! Every example in docs/protocol.md passes `parse_status` (or deserialises as the decision type
//! it shows) and the schema.

use crate::common::*;
use baton_core::protocol::{DecisionAck, DecisionDelivery};
use serde_json::Value;

/// Every ```json block in docs/protocol.md is checked by what it is: a status document, a
/// decision delivery, or a decision acknowledgement.
#[test]
fn every_example_in_the_spec_is_valid() {
    let path = docs_dir().join("protocol.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(
        blocks.len() >= 4,
        "found only {} json examples",
        blocks.len()
    );
    let delivery = def_validator("decision_delivery");
    let ack = def_validator("decision_ack");
    let (mut statuses, mut deliveries, mut acks) = (0, 0, 0);
    for block in blocks {
        let value: Value = serde_json::from_str(&block)
            .unwrap_or_else(|e| panic!("example is not JSON ({e}):\n{block}"));
        if value.get("protocol").is_some() {
            check_body(block.as_bytes());
            statuses += 1;
        } else if value.get("decision_id").is_some() {
            serde_json::from_value::<DecisionDelivery>(value.clone()).unwrap();
            assert!(schema_errors(&delivery, &value).is_empty(), "{block}");
            deliveries += 1;
        } else if value.get("accepted").is_some() {
            serde_json::from_value::<DecisionAck>(value.clone()).unwrap();
            assert!(schema_errors(&ack, &value).is_empty(), "{block}");
            acks += 1;
        } else if value.get("error").is_none() {
            panic!("an example of nothing known:\n{block}");
        }
    }
    assert!(
        statuses >= 2 && deliveries >= 1 && acks >= 1,
        "{statuses} {deliveries} {acks}"
    );
}
