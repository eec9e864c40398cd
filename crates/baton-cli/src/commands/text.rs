//! Text from agents on the terminal: names, titles, messages and errors are the agents' words,
//! and an escape sequence in them would clear the screen, set the terminal's title or forge a
//! line of output. Every such text goes through [`plain`] before it is printed.

use baton_core::agent::Reachability;

/// `text` with every control character (escape, bell, carriage return, newline, tab, DEL and
/// the C1 range) written as a visible `\u{…}` escape; everything else as it is.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// [`plain`] for text of several lines that Baton writes itself around agents' words (errors,
/// reports): its line breaks stay, every other control character is shown escaped.
pub fn plain_lines(text: &str) -> String {
    text.split('\n').map(plain).collect::<Vec<_>>().join("\n")
}

/// At most `width` characters, the last one an ellipsis when cut.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A span for a person: "45s", "14m", "2h05m", "3d04h".
pub fn span(duration: chrono::Duration) -> String {
    let secs = duration.num_seconds().unsigned_abs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// How `status` and `watch` say whether an agent answers.
pub(super) fn reachability_word(r: Reachability) -> &'static str {
    match r {
        Reachability::Unknown => "not polled yet",
        Reachability::Up => "up",
        Reachability::Down => "down",
    }
}

#[cfg(test)]
mod tests {
    use super::{clip, plain, plain_lines, span};
    use chrono::Duration;

    #[test]
    fn clipped_text_keeps_its_width_in_characters() {
        assert_eq!(clip("Writer", 24), "Writer");
        assert_eq!(clip("Émile the researcher", 6), "Émile…");
    }

    #[test]
    fn spans_read_at_a_glance() {
        assert_eq!(span(Duration::seconds(45)), "45s");
        assert_eq!(span(Duration::minutes(-14)), "14m");
        assert_eq!(span(Duration::minutes(125)), "2h05m");
        assert_eq!(span(Duration::hours(76)), "3d04h");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(plain("Writer"), "Writer");
        assert_eq!(plain("Émile · 42 ✓"), "Émile · 42 ✓");
        assert_eq!(plain("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(plain("x\ragent 1: up\n"), "x\\u{d}agent 1: up\\u{a}");
        assert_eq!(plain("\u{7}\u{7f}\u{9b}"), "\\u{7}\\u{7f}\\u{9b}");
        assert_eq!(
            plain_lines("rule 1\n  owner \u{1b}]0;pwned\u{7}\r\n"),
            "rule 1\n  owner \\u{1b}]0;pwned\\u{7}\\u{d}\n"
        );
    }
}
