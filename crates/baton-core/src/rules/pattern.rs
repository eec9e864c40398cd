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

mod overlap;

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

    /// Its scheme and authority: literal, so two patterns can only overlap when these are equal.
    pub fn scope(&self) -> (&str, &str) {
        (&self.scheme, &self.authority)
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

#[cfg(test)]
mod tests;
