//! The one spelling that differs between the store's SQL for SQLite and for PostgreSQL:
//! parameters. The store writes `?1`, `?2` (or a bare `?`, numbered in order); PostgreSQL reads
//! `$1`, `$2`. String literals, quoted names and comments are left as they are.

/// The statement with PostgreSQL's parameters.
pub(crate) fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_bare = 1;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // To the closing quote; a doubled quote is an escaped one and stays inside.
                while let Some(inner) = chars.next() {
                    out.push(inner);
                    if inner == c {
                        if chars.peek() == Some(&c) {
                            out.push(chars.next().unwrap_or(c));
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                out.push(c);
                let mut last = '\0';
                for inner in chars.by_ref() {
                    out.push(inner);
                    if last == '*' && inner == '/' {
                        break;
                    }
                    last = inner;
                }
            }
            '?' => {
                out.push('$');
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_dollar_numbers_outside_literals_and_comments() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = ?12 OR d = ?1"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 OR d = $1"
        );
        assert_eq!(to_postgres("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
        assert_eq!(
            to_postgres("SELECT '?1', 'it''s ?', \"odd?\" -- why?\n, ?2 /* ?3 */"),
            "SELECT '?1', 'it''s ?', \"odd?\" -- why?\n, $2 /* ?3 */"
        );
        assert_eq!(to_postgres("a - b / c"), "a - b / c");
    }
}
