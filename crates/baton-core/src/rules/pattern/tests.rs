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
