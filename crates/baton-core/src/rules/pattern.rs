//! Resource patterns: which resource URIs a rule is about.
//!
//! A resource URI is `scheme://authority/seg/seg…#fragment`, for example `crm://contacts/42#status`,
//! `slack://billing`, `file:///drafts/a.md` (empty authority) or `api://openai`. Path segments are
//! never empty; a URI with an empty segment (`crm://a//b`, `crm://a/`) matches no pattern.
//!
//! A pattern has the same shape:
//!
//! * the scheme (`[A-Za-z0-9+.-]+`) and the authority are literal and compared exactly;
//! * a path segment is literal text, or `*` (exactly one segment, any text), or a glob with `*`
//!   inside it (`brief-*.md`: each `*` matches any run of characters, `/` excepted), or `**`
//!   (zero or more whole segments); `**` must be a segment of its own and `***` is refused;
//! * the fragment is absent (the resource itself with or without any fragment: the whole record
//!   and all of its fields), `#field` (exactly that fragment) or `#*` (any fragment, but one must
//!   be present).
//!
//! [`ResourcePattern::example_overlap`] decides exactly whether two patterns share a URI, and
//! names one when they do.

use std::fmt;

use thiserror::Error;

/// Why a pattern was refused; `column` is the 1-based character column inside the pattern.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PatternError {
    #[error("the pattern is empty")]
    Empty,
    #[error("column {column}: expected `scheme://` (no `://` found)")]
    NoSchemeSeparator { column: usize },
    #[error("column {column}: the scheme is empty")]
    EmptyScheme { column: usize },
    #[error("column {column}: `{found}` is not allowed in a scheme (letters, digits, `+`, `-`, `.`; schemes are literal)")]
    BadSchemeChar { column: usize, found: char },
    #[error("column {column}: `*` is not allowed in the authority (it is literal; `scheme://authority/**` covers all of it)")]
    WildcardInAuthority { column: usize },
    #[error("column {column}: empty path segment")]
    EmptySegment { column: usize },
    #[error("column {column}: `***` is not a wildcard; use `*` (one segment) or `**` (any number of segments)")]
    TripleStar { column: usize },
    #[error("column {column}: `**` must be a whole segment on its own")]
    MixedDoubleStar { column: usize },
    #[error("column {column}: the fragment after `#` is empty")]
    EmptyFragment { column: usize },
    #[error("column {column}: a fragment is either exact (`#field`) or `#*`; `*` cannot be mixed into it")]
    WildcardInFragment { column: usize },
}

impl PatternError {
    /// The 1-based character column of the problem inside the pattern (1 for an empty pattern).
    pub fn column(&self) -> usize {
        match *self {
            PatternError::Empty => 1,
            PatternError::NoSchemeSeparator { column }
            | PatternError::EmptyScheme { column }
            | PatternError::BadSchemeChar { column, .. }
            | PatternError::WildcardInAuthority { column }
            | PatternError::EmptySegment { column }
            | PatternError::TripleStar { column }
            | PatternError::MixedDoubleStar { column }
            | PatternError::EmptyFragment { column }
            | PatternError::WildcardInFragment { column } => column,
        }
    }
}

/// One piece of a glob segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum GlobChar {
    Lit(char),
    /// Any run (possibly empty) of characters within the segment.
    Star,
}

/// One path token of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Token {
    /// Exactly one non-empty segment matching the glob (a literal segment has no `Star`).
    Seg(Vec<GlobChar>),
    /// `**`: zero or more whole segments.
    Multi,
}

/// What a pattern says about the fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Fragment {
    /// No `#` in the pattern: any fragment, or none.
    Unconstrained,
    /// `#*`: some fragment must be present.
    Any,
    /// `#field`.
    Exact(String),
}

/// A parsed resource pattern. Parse once, then match and intersect as often as needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourcePattern {
    source: String,
    scheme: String,
    authority: String,
    path: Vec<Token>,
    fragment: Fragment,
}

impl fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for ResourcePattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourcePattern::parse(s)
    }
}

/// A URI split into its parts; `None` when it is not a well-formed resource URI.
struct UriParts<'a> {
    scheme: &'a str,
    authority: &'a str,
    segments: Vec<&'a str>,
    fragment: Option<&'a str>,
}

fn split_uri(uri: &str) -> Option<UriParts<'_>> {
    let (before, fragment) = match uri.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (uri, None),
    };
    let (scheme, rest) = before.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let segments: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path[1..].split('/').collect()
    };
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    Some(UriParts {
        scheme,
        authority,
        segments,
        fragment,
    })
}

impl ResourcePattern {
    /// Parses a pattern; the error names the problem and its 1-based character column.
    pub fn parse(text: &str) -> Result<ResourcePattern, PatternError> {
        if text.is_empty() {
            return Err(PatternError::Empty);
        }
        let chars: Vec<char> = text.chars().collect();
        let col = |byte: usize| text[..byte].chars().count() + 1;
        let sep = text.find("://").ok_or_else(|| {
            // Where `://` should have been: after the characters a scheme may hold.
            let at = text
                .char_indices()
                .find(|&(_, c)| !is_scheme_char(c))
                .map_or(text.len(), |(at, _)| at);
            PatternError::NoSchemeSeparator {
                column: col(at).min(chars.len()),
            }
        })?;
        let scheme = &text[..sep];
        if scheme.is_empty() {
            return Err(PatternError::EmptyScheme { column: 1 });
        }
        if let Some((at, found)) = scheme.char_indices().find(|&(_, c)| !is_scheme_char(c)) {
            return Err(PatternError::BadSchemeChar {
                column: col(at),
                found,
            });
        }
        let rest_start = sep + 3;
        let (before_end, fragment) = match text[rest_start..].find('#') {
            Some(hash) => {
                let hash = rest_start + hash;
                let frag = &text[hash + 1..];
                let fragment = if frag.is_empty() {
                    return Err(PatternError::EmptyFragment { column: col(hash) });
                } else if frag == "*" {
                    Fragment::Any
                } else if let Some(star) = frag.find('*') {
                    return Err(PatternError::WildcardInFragment {
                        column: col(hash + 1 + star),
                    });
                } else {
                    Fragment::Exact(frag.to_owned())
                };
                (hash, fragment)
            }
            None => (text.len(), Fragment::Unconstrained),
        };
        let rest = &text[rest_start..before_end];
        let (authority, path_start) = match rest.find('/') {
            Some(slash) => (&rest[..slash], rest_start + slash),
            None => (rest, before_end),
        };
        if let Some(star) = authority.find('*') {
            return Err(PatternError::WildcardInAuthority {
                column: col(rest_start + star),
            });
        }
        let mut path = Vec::new();
        if path_start < before_end {
            // `path_start` is a `/`; each segment starts after one.
            let mut start = path_start + 1;
            loop {
                let end = text[start..before_end]
                    .find('/')
                    .map_or(before_end, |i| start + i);
                path.push(parse_segment(text, start, end, &col)?);
                if end == before_end {
                    break;
                }
                start = end + 1;
            }
        }
        Ok(ResourcePattern {
            source: text.to_owned(),
            scheme: scheme.to_owned(),
            authority: authority.to_owned(),
            path,
            fragment,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `uri` is one of the resources this pattern names.
    pub fn matches(&self, uri: &str) -> bool {
        let Some(parts) = split_uri(uri) else {
            return false;
        };
        if parts.scheme != self.scheme || parts.authority != self.authority {
            return false;
        }
        let fragment_ok = match (&self.fragment, parts.fragment) {
            (Fragment::Unconstrained, _) => true,
            (Fragment::Any, found) => found.is_some(),
            (Fragment::Exact(want), found) => found == Some(want.as_str()),
        };
        fragment_ok && path_matches(&self.path, &parts.segments)
    }

    /// A concrete URI that both patterns match, or `None` when no URI matches both. Exact: the
    /// search runs over the product of the two patterns' token sequences (see [`lint`]).
    ///
    /// [`lint`]: super::lint
    pub fn example_overlap(&self, other: &ResourcePattern) -> Option<String> {
        if self.scheme != other.scheme || self.authority != other.authority {
            return None;
        }
        let fragment = match (&self.fragment, &other.fragment) {
            (Fragment::Unconstrained, Fragment::Unconstrained) => None,
            (Fragment::Exact(f), Fragment::Exact(g)) if f != g => return None,
            (Fragment::Exact(f), _) | (_, Fragment::Exact(f)) => Some(f.clone()),
            (Fragment::Any, _) | (_, Fragment::Any) => Some("field".to_owned()),
        };
        let segments = path_overlap(&self.path, &other.path)?;
        let mut uri = format!("{}://{}", self.scheme, self.authority);
        for segment in segments {
            uri.push('/');
            uri.push_str(&segment);
        }
        if let Some(fragment) = fragment {
            uri.push('#');
            uri.push_str(&fragment);
        }
        Some(uri)
    }
}

fn is_scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

fn parse_segment(
    text: &str,
    start: usize,
    end: usize,
    col: &dyn Fn(usize) -> usize,
) -> Result<Token, PatternError> {
    let segment = &text[start..end];
    if segment.is_empty() {
        return Err(PatternError::EmptySegment { column: col(start) });
    }
    if let Some(at) = segment.find("***") {
        return Err(PatternError::TripleStar {
            column: col(start + at),
        });
    }
    if segment == "**" {
        return Ok(Token::Multi);
    }
    if let Some(at) = segment.find("**") {
        return Err(PatternError::MixedDoubleStar {
            column: col(start + at),
        });
    }
    Ok(Token::Seg(
        segment
            .chars()
            .map(|c| {
                if c == '*' {
                    GlobChar::Star
                } else {
                    GlobChar::Lit(c)
                }
            })
            .collect(),
    ))
}

/// Whether `glob` matches the whole of `segment` (classic two-pointer wildcard match).
fn glob_matches(glob: &[GlobChar], segment: &str) -> bool {
    let text: Vec<char> = segment.chars().collect();
    let (mut g, mut t) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(GlobChar::Lit(c)) if *c == text[t] => {
                g += 1;
                t += 1;
            }
            Some(GlobChar::Star) => {
                back = Some((g, t));
                g += 1;
            }
            _ => match back {
                Some((star, from)) => {
                    g = star + 1;
                    t = from + 1;
                    back = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|c| *c == GlobChar::Star)
}

/// Whether the path tokens match the (non-empty) segments, memoised over positions.
fn path_matches(tokens: &[Token], segments: &[&str]) -> bool {
    let width = segments.len() + 1;
    // memo[i * width + j]: tokens[i..] against segments[j..]; None = not computed yet.
    let mut memo = vec![None; (tokens.len() + 1) * width];
    fn go(
        i: usize,
        j: usize,
        tokens: &[Token],
        segments: &[&str],
        memo: &mut [Option<bool>],
    ) -> bool {
        let width = segments.len() + 1;
        if let Some(known) = memo[i * width + j] {
            return known;
        }
        let result = match tokens.get(i) {
            None => j == segments.len(),
            Some(Token::Multi) => {
                go(i + 1, j, tokens, segments, memo)
                    || (j < segments.len() && go(i, j + 1, tokens, segments, memo))
            }
            Some(Token::Seg(glob)) => {
                j < segments.len()
                    && glob_matches(glob, segments[j])
                    && go(i + 1, j + 1, tokens, segments, memo)
            }
        };
        memo[i * width + j] = Some(result);
        result
    }
    go(0, 0, tokens, segments, &mut memo)
}

/// Some non-empty segment the glob matches: its text with every `*` read as `x`.
fn glob_example(glob: &[GlobChar]) -> String {
    glob.iter()
        .map(|c| match c {
            GlobChar::Lit(c) => *c,
            GlobChar::Star => 'x',
        })
        .collect()
}

/// A non-empty segment both globs match, or `None` when their languages share no non-empty
/// string. Product construction over (position in `a`, position in `b`): every move advances at
/// least one position, so the memoised search visits each of the (|a|+1)(|b|+1) states once.
/// The one move left out, a character eaten by a `*` on both sides at once, can be dropped from
/// any common string without breaking either match, so leaving it out loses no answer.
fn glob_overlap(a: &[GlobChar], b: &[GlobChar]) -> Option<String> {
    let width = b.len() + 1;
    let mut memo: Vec<Option<bool>> = vec![None; (a.len() + 1) * width];
    fn reachable(
        p: usize,
        q: usize,
        a: &[GlobChar],
        b: &[GlobChar],
        memo: &mut [Option<bool>],
    ) -> bool {
        let width = b.len() + 1;
        if let Some(known) = memo[p * width + q] {
            return known;
        }
        let result = (p == a.len() && q == b.len())
            || next_moves(p, q, a, b)
                .into_iter()
                .flatten()
                .any(|(np, nq, _)| reachable(np, nq, a, b, memo));
        memo[p * width + q] = Some(result);
        result
    }
    if !reachable(0, 0, a, b, &mut memo) {
        return None;
    }
    // Walk one accepting path, collecting the characters it eats.
    let (mut p, mut q) = (0, 0);
    let mut out = String::new();
    while !(p == a.len() && q == b.len()) {
        let (np, nq, c) = next_moves(p, q, a, b)
            .into_iter()
            .flatten()
            .find(|&(np, nq, _)| reachable(np, nq, a, b, &mut memo))
            .expect("a reachable state has a reachable successor");
        if let Some(c) = c {
            out.push(c);
        }
        (p, q) = (np, nq);
    }
    if out.is_empty() {
        // Both globs match the empty string, so both are stars only and match anything.
        out.push('x');
    }
    Some(out)
}

/// The moves out of state (p, q) of the glob product: (next p, next q, character eaten).
fn next_moves(
    p: usize,
    q: usize,
    a: &[GlobChar],
    b: &[GlobChar],
) -> [Option<(usize, usize, Option<char>)>; 3] {
    let mut moves = [None, None, None];
    // Epsilon moves: a star that eats nothing more.
    if a.get(p) == Some(&GlobChar::Star) {
        moves[0] = Some((p + 1, q, None));
    }
    if b.get(q) == Some(&GlobChar::Star) {
        moves[1] = Some((p, q + 1, None));
    }
    // One character eaten by both.
    moves[2] = match (a.get(p), b.get(q)) {
        (Some(GlobChar::Lit(x)), Some(GlobChar::Lit(y))) if x == y => {
            Some((p + 1, q + 1, Some(*x)))
        }
        (Some(GlobChar::Lit(x)), Some(GlobChar::Star)) => Some((p + 1, q, Some(*x))),
        (Some(GlobChar::Star), Some(GlobChar::Lit(y))) => Some((p, q + 1, Some(*y))),
        _ => None,
    };
    moves
}

/// A sequence of segments both token sequences match, or `None`. Product construction over
/// (token index in `a`, token index in `b`); see [`ResourcePattern::example_overlap`].
fn path_overlap(a: &[Token], b: &[Token]) -> Option<Vec<String>> {
    let width = b.len() + 1;
    // memo: None = not computed; Some(None) = no common path from here; Some(Some(segs)).
    let mut memo: Vec<Option<Option<Vec<String>>>> = vec![None; (a.len() + 1) * width];
    fn go(
        i: usize,
        j: usize,
        a: &[Token],
        b: &[Token],
        memo: &mut [Option<Option<Vec<String>>>],
    ) -> Option<Vec<String>> {
        let width = b.len() + 1;
        if let Some(known) = &memo[i * width + j] {
            return known.clone();
        }
        let prepend = |segment: String, rest: Option<Vec<String>>| {
            rest.map(|mut rest| {
                rest.insert(0, segment);
                rest
            })
        };
        let result = match (a.get(i), b.get(j)) {
            (None, None) => Some(Vec::new()),
            // `**` on either side may end here (eat nothing more) ...
            (Some(Token::Multi), other) | (other, Some(Token::Multi))
                if matches!(other, None | Some(Token::Multi)) =>
            {
                // Both `**`, or one `**` against the end: only ending one of them can help (a
                // segment eaten by both `**` can be dropped from any common path).
                let mut found = None;
                if a.get(i) == Some(&Token::Multi) {
                    found = go(i + 1, j, a, b, memo);
                }
                if found.is_none() && b.get(j) == Some(&Token::Multi) {
                    found = go(i, j + 1, a, b, memo);
                }
                found
            }
            (Some(Token::Multi), Some(Token::Seg(glob))) => {
                // ... or eat the segment the other side's glob matches.
                go(i + 1, j, a, b, memo)
                    .or_else(|| prepend(glob_example(glob), go(i, j + 1, a, b, memo)))
            }
            (Some(Token::Seg(glob)), Some(Token::Multi)) => go(i, j + 1, a, b, memo)
                .or_else(|| prepend(glob_example(glob), go(i + 1, j, a, b, memo))),
            (Some(Token::Seg(x)), Some(Token::Seg(y))) => match glob_overlap(x, y) {
                Some(segment) => prepend(segment, go(i + 1, j + 1, a, b, memo)),
                None => None,
            },
            (Some(Token::Seg(_)), None) | (None, Some(Token::Seg(_))) => None,
            (Some(Token::Multi), _) | (_, Some(Token::Multi)) => unreachable!("handled above"),
        };
        memo[i * width + j] = Some(result.clone());
        result
    }
    go(0, 0, a, b, &mut memo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ResourcePattern {
        ResourcePattern::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    fn overlap(a: &str, b: &str) -> Option<String> {
        let (a, b) = (p(a), p(b));
        let found = a.example_overlap(&b);
        assert_eq!(
            found,
            b.example_overlap(&a).map(|_| found.clone().unwrap()),
            "symmetric"
        );
        if let Some(uri) = &found {
            assert!(a.matches(uri) && b.matches(uri), "{uri}");
        }
        found
    }

    #[test]
    fn literal_patterns_match_themselves_and_every_fragment() {
        let pat = p("crm://contacts/42");
        assert!(pat.matches("crm://contacts/42"));
        assert!(pat.matches("crm://contacts/42#status"));
        assert!(!pat.matches("crm://contacts/43"));
        assert!(!pat.matches("crm://contacts/42/notes"));
        assert!(!pat.matches("crm://contacts"));
        assert!(!pat.matches("crm://other/42"));
        assert!(!pat.matches("crm://contacts//42"));
        assert!(!pat.matches("crm://contacts/42/"));
        assert!(!pat.matches("api://contacts/42"));
        assert!(!pat.matches("not a uri"));
        assert_eq!(pat.to_string(), "crm://contacts/42");
        assert!(p("slack://billing").matches("slack://billing"));
        assert!(!p("slack://billing").matches("slack://billing/x"));
        assert!(p("api://openai").matches("api://openai#gpt"));
        assert!(p("file:///drafts/a.md").matches("file:///drafts/a.md"));
        assert!(!p("file:///drafts/a.md").matches("file://x/drafts/a.md"));
    }

    #[test]
    fn star_is_exactly_one_segment() {
        let pat = p("crm://contacts/*#status");
        assert!(pat.matches("crm://contacts/42#status"));
        assert!(pat.matches("crm://contacts/a.b-c#status"));
        assert!(!pat.matches("crm://contacts/42"));
        assert!(!pat.matches("crm://contacts/42#owner"));
        assert!(!pat.matches("crm://contacts/42/x#status"));
        assert!(!pat.matches("crm://contacts#status"));
    }

    #[test]
    fn double_star_is_any_number_of_segments() {
        let pat = p("file:///drafts/**");
        assert!(pat.matches("file:///drafts"));
        assert!(pat.matches("file:///drafts/a.md"));
        assert!(pat.matches("file:///drafts/x/y/z.md#title"));
        assert!(!pat.matches("file:///draftsx"));
        let mid = p("crm://a/**/notes");
        assert!(mid.matches("crm://a/notes"));
        assert!(mid.matches("crm://a/1/2/notes"));
        assert!(!mid.matches("crm://a/1/2/notes/3"));
        assert!(p("crm://a/**/**").matches("crm://a"));
    }

    #[test]
    fn globs_inside_a_segment() {
        let pat = p("file:///drafts/brief-*.md");
        assert!(pat.matches("file:///drafts/brief-.md"));
        assert!(pat.matches("file:///drafts/brief-q3.md"));
        assert!(!pat.matches("file:///drafts/brief-q3.txt"));
        assert!(!pat.matches("file:///drafts/sub/brief-q3.md"));
        let two = p("x://h/*a*b*");
        assert!(two.matches("x://h/ab"));
        assert!(two.matches("x://h/zzazzbzz"));
        assert!(!two.matches("x://h/ba"));
    }

    #[test]
    fn fragments() {
        let exact = p("crm://contacts/42#status");
        assert!(exact.matches("crm://contacts/42#status"));
        assert!(!exact.matches("crm://contacts/42"));
        assert!(!exact.matches("crm://contacts/42#statuses"));
        let any = p("crm://contacts/42#*");
        assert!(any.matches("crm://contacts/42#status"));
        assert!(any.matches("crm://contacts/42#"));
        assert!(!any.matches("crm://contacts/42"));
    }

    #[test]
    fn every_pattern_error_names_its_column() {
        let cases: &[(&str, PatternError)] = &[
            ("", PatternError::Empty),
            ("crm", PatternError::NoSchemeSeparator { column: 3 }),
            ("crm:/a", PatternError::NoSchemeSeparator { column: 4 }),
            ("://a", PatternError::EmptyScheme { column: 1 }),
            (
                "c*m://a",
                PatternError::BadSchemeChar {
                    column: 2,
                    found: '*',
                },
            ),
            (
                "crm://a*/b",
                PatternError::WildcardInAuthority { column: 8 },
            ),
            ("crm://a//b", PatternError::EmptySegment { column: 9 }),
            ("crm://a/b/", PatternError::EmptySegment { column: 11 }),
            ("crm://a/***", PatternError::TripleStar { column: 9 }),
            ("crm://a/x**", PatternError::MixedDoubleStar { column: 10 }),
            ("crm://a/**.md", PatternError::MixedDoubleStar { column: 9 }),
            ("crm://a/b#", PatternError::EmptyFragment { column: 10 }),
            (
                "crm://a/b#st*",
                PatternError::WildcardInFragment { column: 13 },
            ),
            (
                "é://a",
                PatternError::BadSchemeChar {
                    column: 1,
                    found: 'é',
                },
            ),
            (
                "ké*://a",
                PatternError::BadSchemeChar {
                    column: 2,
                    found: 'é',
                },
            ),
            ("crm://é/*/**/***", PatternError::TripleStar { column: 14 }),
        ];
        for (text, want) in cases {
            let err = ResourcePattern::parse(text).unwrap_err();
            assert_eq!(&err, want, "{text}");
            assert!(err.column() >= 1);
        }
        assert_eq!(
            PatternError::TripleStar { column: 9 }.to_string(),
            "column 9: `***` is not a wildcard; use `*` (one segment) or `**` (any number of segments)"
        );
    }

    #[test]
    fn overlaps_between_every_form() {
        assert_eq!(
            overlap("crm://c/42", "crm://c/42").as_deref(),
            Some("crm://c/42")
        );
        assert_eq!(overlap("crm://c/42", "crm://c/43"), None);
        assert_eq!(overlap("crm://c/42", "api://c/42"), None);
        assert_eq!(overlap("crm://c/42", "crm://d/42"), None);
        assert_eq!(
            overlap("crm://c/*#status", "crm://c/42#*").as_deref(),
            Some("crm://c/42#status")
        );
        assert_eq!(overlap("crm://c/*#status", "crm://c/*#owner"), None);
        assert_eq!(
            overlap("crm://c/*", "crm://c/42#owner").as_deref(),
            Some("crm://c/42#owner")
        );
        assert_eq!(
            overlap("crm://c/*#*", "crm://c/*").as_deref(),
            Some("crm://c/x#field")
        );
        assert_eq!(overlap("crm://c/*", "crm://c/*/*"), None);
        assert_eq!(overlap("crm://c/**", "crm://c").as_deref(), Some("crm://c"));
        assert_eq!(
            overlap("crm://c/**/z", "crm://c/a/**").as_deref(),
            Some("crm://c/a/z")
        );
        assert_eq!(overlap("crm://c/**/z", "crm://c/a/*/y"), None);
        assert_eq!(overlap("f:///a*", "f:///*b").as_deref(), Some("f:///ab"));
        assert_eq!(overlap("f:///a*c", "f:///*b*").as_deref(), Some("f:///abc"));
        assert_eq!(overlap("f:///a*", "f:///b*"), None);
        assert_eq!(overlap("f:///*.md", "f:///*.txt"), None);
        assert_eq!(
            overlap("f:///brief-*.md", "f:///brief-q*").as_deref(),
            Some("f:///brief-q.md")
        );
        assert_eq!(
            overlap("f:///**/*.md", "f:///x/**").as_deref(),
            Some("f:///x/x.md")
        );
        assert_eq!(overlap("f:///*", "f:///*").as_deref(), Some("f:///x"));
        assert_eq!(
            overlap("f:///**/a/**", "f:///**/b/**").as_deref(),
            Some("f:///a/b")
        );
    }
}
