//! Property tests of the resource pattern language, on a tiny alphabet so that overlaps are
//! frequent: `example_overlap` is exact (never a false "no overlap", never a wrong example), and
//! `matches` agrees with an independent backtracking matcher written here from the pattern's
//! structure.

use baton_core::rules::ResourcePattern;
use proptest::prelude::*;

/// One path token of a generated pattern.
#[derive(Debug, Clone)]
enum Tok {
    /// `**`
    Multi,
    /// A glob segment: `None` is `*`, `Some(c)` a literal character.
    Glob(Vec<Option<char>>),
}

#[derive(Debug, Clone)]
enum Frag {
    Unconstrained,
    Any,
    Exact(String),
}

#[derive(Debug, Clone)]
struct Spec {
    scheme: String,
    authority: String,
    path: Vec<Tok>,
    fragment: Frag,
}

impl Spec {
    fn render(&self) -> String {
        let mut out = format!("{}://{}", self.scheme, self.authority);
        for tok in &self.path {
            out.push('/');
            match tok {
                Tok::Multi => out.push_str("**"),
                Tok::Glob(parts) => {
                    for part in parts {
                        out.push(part.unwrap_or('*'));
                    }
                }
            }
        }
        match &self.fragment {
            Frag::Unconstrained => {}
            Frag::Any => out.push_str("#*"),
            Frag::Exact(f) => {
                out.push('#');
                out.push_str(f);
            }
        }
        out
    }

    fn parsed(&self) -> ResourcePattern {
        let text = self.render();
        ResourcePattern::parse(&text).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    /// A URI built from the pattern by filling its wildcards from `fill`.
    fn instantiate(&self, fill: &[u8]) -> String {
        let mut bytes = fill.iter().copied().cycle();
        let mut next = move || bytes.next().unwrap_or(0);
        let word = |n: u8, min: usize| -> String {
            let len = min.max(usize::from(n % 3));
            (0..len)
                .map(|i| if (n >> (i + 2)) & 1 == 0 { 'a' } else { 'b' })
                .collect()
        };
        let mut out = format!("{}://{}", self.scheme, self.authority);
        for tok in &self.path {
            match tok {
                Tok::Multi => {
                    for _ in 0..next() % 3 {
                        out.push('/');
                        out.push_str(&word(next(), 1));
                    }
                }
                Tok::Glob(parts) => {
                    out.push('/');
                    let lone = parts.len() == 1 && parts[0].is_none();
                    for part in parts {
                        match part {
                            Some(c) => out.push(*c),
                            None => out.push_str(&word(next(), usize::from(lone))),
                        }
                    }
                }
            }
        }
        let f = next();
        match &self.fragment {
            Frag::Unconstrained => match f % 3 {
                0 => {}
                1 => out.push_str("#f"),
                _ => out.push_str("#g"),
            },
            Frag::Any => out.push_str(if f % 2 == 0 { "#f" } else { "#g" }),
            Frag::Exact(x) => {
                out.push('#');
                out.push_str(x);
            }
        }
        out
    }
}

/// Reference matcher: the pattern as a little regular expression over the URI's characters,
/// matched by plain backtracking.
#[derive(Debug, Clone, Copy, PartialEq)]
enum R {
    Lit(char),
    /// `[^/#]*`
    Run,
    /// `[^/#]+`
    RunPlus,
    /// `(/[^/#]+)*`
    Segments,
    /// `(#.*)?` then end
    FragOpt,
    /// `#.*` then end
    FragAny,
    End,
}

fn reference_program(spec: &Spec) -> Vec<R> {
    let mut prog: Vec<R> = format!("{}://{}", spec.scheme, spec.authority)
        .chars()
        .map(R::Lit)
        .collect();
    for tok in &spec.path {
        match tok {
            Tok::Multi => prog.push(R::Segments),
            Tok::Glob(parts) if parts.len() == 1 && parts[0].is_none() => {
                prog.push(R::Lit('/'));
                prog.push(R::RunPlus);
            }
            Tok::Glob(parts) => {
                prog.push(R::Lit('/'));
                prog.extend(parts.iter().map(|p| p.map_or(R::Run, R::Lit)));
            }
        }
    }
    match &spec.fragment {
        Frag::Unconstrained => prog.push(R::FragOpt),
        Frag::Any => prog.push(R::FragAny),
        Frag::Exact(f) => {
            prog.push(R::Lit('#'));
            prog.extend(f.chars().map(R::Lit));
            prog.push(R::End);
        }
    }
    prog
}

fn reference_matches(prog: &[R], text: &[char]) -> bool {
    let plain = |c: char| c != '/' && c != '#';
    match prog.first() {
        None => text.is_empty(),
        Some(R::End) => text.is_empty(),
        Some(R::FragOpt) => text.is_empty() || text[0] == '#',
        Some(R::FragAny) => !text.is_empty() && text[0] == '#',
        Some(R::Lit(c)) => {
            !text.is_empty() && text[0] == *c && reference_matches(&prog[1..], &text[1..])
        }
        Some(R::Run) | Some(R::RunPlus) => {
            let min = usize::from(prog[0] == R::RunPlus);
            let max = text.iter().take_while(|c| plain(**c)).count();
            (min..=max).any(|n| reference_matches(&prog[1..], &text[n..]))
        }
        Some(R::Segments) => {
            if reference_matches(&prog[1..], text) {
                return true;
            }
            if text.first() != Some(&'/') {
                return false;
            }
            let max = text[1..].iter().take_while(|c| plain(**c)).count();
            (1..=max).any(|n| reference_matches(prog, &text[1 + n..]))
        }
    }
}

fn reference(spec: &Spec, uri: &str) -> bool {
    let chars: Vec<char> = uri.chars().collect();
    reference_matches(&reference_program(spec), &chars)
}

fn glob() -> impl Strategy<Value = Vec<Option<char>>> {
    prop::collection::vec(
        prop_oneof![Just(Some('a')), Just(Some('b')), Just(None)],
        1..4,
    )
    .prop_map(|mut parts| {
        // `**` inside a segment is not a glob: keep stars apart.
        parts.dedup_by(|a, b| a.is_none() && b.is_none());
        parts
    })
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop_oneof![4 => Just("a"), 1 => Just("b")],
        prop_oneof![4 => Just("h"), 1 => Just("")],
        prop::collection::vec(
            prop_oneof![1 => Just(Tok::Multi), 3 => glob().prop_map(Tok::Glob)],
            0..5,
        ),
        prop_oneof![
            3 => Just(Frag::Unconstrained),
            2 => Just(Frag::Any),
            1 => Just(Frag::Exact("f".into())),
            1 => Just(Frag::Exact("g".into())),
        ],
    )
        .prop_map(|(scheme, authority, path, fragment)| Spec {
            scheme: scheme.into(),
            authority: authority.into(),
            path,
            fragment,
        })
}

fn uri() -> impl Strategy<Value = String> {
    (
        prop_oneof![4 => Just("a"), 1 => Just("b")],
        prop_oneof![4 => Just("h"), 1 => Just("")],
        prop::collection::vec("[ab]{1,3}", 0..5),
        prop_oneof![Just(""), Just("#f"), Just("#g"), Just("#"), Just("/")],
    )
        .prop_map(|(scheme, authority, segments, tail)| {
            let mut out = format!("{scheme}://{authority}");
            for s in segments {
                out.push('/');
                out.push_str(&s);
            }
            out.push_str(tail);
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// (a) Whenever some URI matches both patterns, `example_overlap` finds one (both ways).
    #[test]
    fn a_uri_matching_both_means_an_overlap_is_found(
        a in spec(), b in spec(), random in uri(), fill in prop::collection::vec(any::<u8>(), 1..8)
    ) {
        let (pa, pb) = (a.parsed(), b.parsed());
        for candidate in [random, a.instantiate(&fill), b.instantiate(&fill)] {
            if pa.matches(&candidate) && pb.matches(&candidate) {
                prop_assert!(pa.example_overlap(&pb).is_some(), "{} and {} share {}", pa, pb, candidate);
                prop_assert!(pb.example_overlap(&pa).is_some(), "{} and {} share {}", pb, pa, candidate);
            }
        }
    }

    /// (b) Every example `example_overlap` gives matches both patterns (checked by both matchers).
    #[test]
    fn every_example_matches_both(a in spec(), b in spec()) {
        let (pa, pb) = (a.parsed(), b.parsed());
        if let Some(example) = pa.example_overlap(&pb) {
            prop_assert!(pa.matches(&example) && pb.matches(&example), "{} / {}: {}", pa, pb, example);
            prop_assert!(reference(&a, &example) && reference(&b, &example), "{} / {}: {}", pa, pb, example);
        }
        prop_assert_eq!(pa.example_overlap(&pb).is_some(), pb.example_overlap(&pa).is_some());
    }

    /// (c) `matches` agrees with the reference matcher, on random URIs and on instances.
    #[test]
    fn matches_agrees_with_the_reference(
        a in spec(), b in spec(), random in uri(), fill in prop::collection::vec(any::<u8>(), 1..8)
    ) {
        let pa = a.parsed();
        let instance = a.instantiate(&fill);
        prop_assert!(pa.matches(&instance), "{} should match its own instance {}", pa, instance);
        for candidate in [random, instance, b.instantiate(&fill)] {
            prop_assert_eq!(pa.matches(&candidate), reference(&a, &candidate), "{} on {}", pa, candidate);
        }
    }
}
