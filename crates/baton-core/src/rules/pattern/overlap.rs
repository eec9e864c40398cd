//! The overlap search: whether two patterns share a resource URI, and an example of one.

use super::{Fragment, GlobChar, ResourcePattern, Token};

impl ResourcePattern {
    /// A concrete URI that both patterns match, or `None` when no URI matches both. Exact: the
    /// search runs over the product of the two patterns' token sequences (see [`lint`]).
    ///
    /// [`lint`]: crate::rules::lint
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
