//! Go's `time.Duration` text (`6m0s`, `1s`, `12ms`, `1h2m3.5s`), as OpenAI sends its resets.

use chrono::Duration;

/// The longest duration accepted: anything longer is not a rate-limit reset.
const MAX_SECONDS: f64 = 366.0 * 24.0 * 3600.0;

/// Parses a Go duration; `None` when it is not one, is negative, or is longer than a year.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text == "0" {
        return Some(Duration::zero());
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return None;
    }
    let mut seconds = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        seconds += value * scale;
        if !seconds.is_finite() || seconds > MAX_SECONDS {
            return None;
        }
        rest = tail;
    }
    Some(Duration::microseconds((seconds * 1e6).round() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_as_openai_sends_them() {
        assert_eq!(parse_go_duration("6m0s"), Some(Duration::minutes(6)));
        assert_eq!(parse_go_duration("1s"), Some(Duration::seconds(1)));
        assert_eq!(parse_go_duration("12ms"), Some(Duration::milliseconds(12)));
        assert_eq!(
            parse_go_duration("1h2m3.5s"),
            Some(Duration::milliseconds(3_723_500))
        );
        assert_eq!(
            parse_go_duration("17.28s"),
            Some(Duration::milliseconds(17_280))
        );
        assert_eq!(parse_go_duration("0"), Some(Duration::zero()));
        assert_eq!(parse_go_duration("0s"), Some(Duration::zero()));
        assert_eq!(parse_go_duration("1µs"), Some(Duration::microseconds(1)));
    }

    #[test]
    fn anything_else_is_not_a_duration() {
        for junk in [
            "", "s", "6", "-1s", "6 m", "1.2.3s", "1d", "abc", ".s", "9999999h", "1e3s", "+",
        ] {
            assert_eq!(parse_go_duration(junk), None, "{junk:?}");
        }
    }
}
