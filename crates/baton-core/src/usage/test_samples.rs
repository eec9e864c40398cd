//! What the usage parsers' tests share: the files the real clients wrote here (kept by the
//! real-client tests in `tests/`, `BATON_RECORD_SAMPLES=1`), read whole, read in two pieces cut
//! inside a line, and behind a line too long to read.

use super::{read_lines, LinesRead, UsageParser, UsageRecord, MAX_LINE_BYTES};

/// `samples/<folder>/<name>`.
pub(super) fn sample(folder: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/src/usage/samples/{folder}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// `bytes` read whole, as a file that ends there.
pub(super) fn read_all(parser: &dyn UsageParser, bytes: &[u8]) -> LinesRead {
    read_lines(parser, bytes, 0, None, true)
}

/// `bytes` read as a file that had only its first `cut` bytes at the first read (the rest
/// written later): the records of both reads, and where the first read stopped.
pub(super) fn read_in_two(
    parser: &dyn UsageParser,
    bytes: &[u8],
    cut: usize,
) -> (Vec<UsageRecord>, usize) {
    let first = read_lines(parser, &bytes[..cut], 0, None, false);
    let rest = read_lines(
        parser,
        &bytes[first.consumed..],
        first.consumed as u64,
        None,
        true,
    );
    let mut all = first.records;
    all.extend(rest.records);
    (all, first.consumed)
}

/// A line that starts as `start` and runs past [`MAX_LINE_BYTES`], then `rest`.
pub(super) fn huge_line_then(start: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut huge = start.to_vec();
    huge.resize(MAX_LINE_BYTES + 10, b'x');
    huge.extend_from_slice(b"\"}\n");
    huge.extend_from_slice(rest);
    huge
}
