//! What a person may change of the detectors' windows for one agent: each field overrides the
//! default when set. Durations in seconds, from 1 s to 30 days; failed polls from 1 to 1,000.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Windows;

/// Longest window accepted: 30 days.
pub const MAX_WINDOW_SECONDS: u64 = 30 * 24 * 60 * 60;
/// Most failed polls accepted before "unreachable".
pub const MAX_UNREACHABLE_POLLS: u32 = 1_000;

/// One agent's overrides of the default windows (absent fields keep the default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct WindowOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_collision_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_collision_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_completion_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_budget_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_polls: Option<u32>,
}

/// A window out of range: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct WindowError {
    pub field: &'static str,
    pub message: String,
}

fn secs(value: u64) -> Duration {
    Duration::seconds(i64::try_from(value).unwrap_or(i64::MAX / 1_000))
}

impl WindowOverrides {
    pub fn is_empty(&self) -> bool {
        *self == WindowOverrides::default()
    }

    /// Checks every field is in range.
    pub fn check(&self) -> Result<(), WindowError> {
        let durations = [
            ("write_collision_seconds", self.write_collision_seconds),
            ("trigger_collision_seconds", self.trigger_collision_seconds),
            ("silent_completion_seconds", self.silent_completion_seconds),
            ("stall_seconds", self.stall_seconds),
            ("time_budget_seconds", self.time_budget_seconds),
        ];
        for (field, value) in durations {
            if let Some(value) = value {
                if value == 0 || value > MAX_WINDOW_SECONDS {
                    return Err(WindowError {
                        field,
                        message: "a window lasts from 1 second to 30 days".into(),
                    });
                }
            }
        }
        if let Some(polls) = self.unreachable_polls {
            if polls == 0 || polls > MAX_UNREACHABLE_POLLS {
                return Err(WindowError {
                    field: "unreachable_polls",
                    message: format!("from 1 to {MAX_UNREACHABLE_POLLS} failed polls"),
                });
            }
        }
        Ok(())
    }

    /// `defaults` with these overrides applied.
    pub fn apply(&self, defaults: &Windows) -> Windows {
        Windows {
            write_collision: self
                .write_collision_seconds
                .map_or(defaults.write_collision, secs),
            trigger_collision: self
                .trigger_collision_seconds
                .map_or(defaults.trigger_collision, secs),
            silent_completion: self
                .silent_completion_seconds
                .map_or(defaults.silent_completion, secs),
            stall: self.stall_seconds.map_or(defaults.stall, secs),
            time_budget: self.time_budget_seconds.map_or(defaults.time_budget, secs),
            unreachable_polls: self.unreachable_polls.unwrap_or(defaults.unreachable_polls),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_set_and_are_bounded() {
        let defaults = Windows::default();
        let overrides = WindowOverrides {
            stall_seconds: Some(3600),
            unreachable_polls: Some(2),
            ..WindowOverrides::default()
        };
        let windows = overrides.apply(&defaults);
        assert_eq!(windows.stall, Duration::hours(1));
        assert_eq!(windows.unreachable_polls, 2);
        assert_eq!(windows.write_collision, defaults.write_collision);
        assert!(overrides.check().is_ok());
        assert!(WindowOverrides::default().is_empty());
        let zero = WindowOverrides {
            stall_seconds: Some(0),
            ..WindowOverrides::default()
        };
        assert_eq!(zero.check().unwrap_err().field, "stall_seconds");
        let huge = WindowOverrides {
            time_budget_seconds: Some(MAX_WINDOW_SECONDS + 1),
            ..WindowOverrides::default()
        };
        assert_eq!(huge.check().unwrap_err().field, "time_budget_seconds");
        let polls = WindowOverrides {
            unreachable_polls: Some(0),
            ..WindowOverrides::default()
        };
        assert!(polls.check().is_err());
        // Unknown fields are refused, so a typo does not silently keep the default.
        assert!(serde_json::from_str::<WindowOverrides>(r#"{"stal_seconds": 5}"#).is_err());
    }
}
