//! Reading a chunk of a record file line by line.

use super::types::{LineItem, UsageParser, UsageRecord, WindowReading, MAX_LINE_BYTES};

/// What a chunk of a file said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinesRead {
    pub records: Vec<UsageRecord>,
    pub windows: Vec<WindowReading>,
    /// Lines skipped, one sentence each (with the line's byte offset in the file).
    pub warnings: Vec<String>,
    /// Bytes of the chunk read through the last whole line (the rest waits for its newline).
    pub consumed: usize,
    /// The last model named (carried to the next chunk).
    pub model: Option<String>,
}

/// Reads the whole lines of `chunk`, which starts at byte `offset` of its file; `model` is the
/// last model named before it. A line that is not JSON, or longer than [`MAX_LINE_BYTES`], is
/// skipped with a warning; a line without its newline yet is left (not consumed) unless
/// `at_end` says the file ends there and the line reads whole.
pub fn read_lines(
    parser: &dyn UsageParser,
    chunk: &[u8],
    offset: u64,
    model: Option<String>,
    at_end: bool,
) -> LinesRead {
    let mut out = LinesRead {
        model,
        ..LinesRead::default()
    };
    let mut start = 0;
    while start < chunk.len() {
        let Some(at) = memchr::memchr(b'\n', &chunk[start..]) else {
            // A last line without its newline may be half written: read only when the file
            // ends there and it reads whole, else left for the next read.
            let line = &chunk[start..];
            if at_end && parser.wants(line) {
                if let Ok(items) = parser.parse(line, out.model.as_deref()) {
                    take(&mut out, items);
                    out.consumed = chunk.len();
                }
            }
            break;
        };
        let (line, next) = (&chunk[start..start + at], start + at + 1);
        let line_offset = offset + start as u64;
        if line.len() > MAX_LINE_BYTES {
            out.warnings.push(format!(
                "the line at byte {line_offset} is longer than {MAX_LINE_BYTES} bytes: skipped"
            ));
        } else if parser.wants(line) {
            match parser.parse(line, out.model.as_deref()) {
                Ok(items) => take(&mut out, items),
                Err(why) => out
                    .warnings
                    .push(format!("the line at byte {line_offset} is skipped: {why}")),
            }
        }
        start = next;
        out.consumed = next;
    }
    out
}

fn take(out: &mut LinesRead, items: Vec<LineItem>) {
    for item in items {
        match item {
            LineItem::Usage(record) => out.records.push(record),
            LineItem::Window(window) => out.windows.push(window),
            LineItem::Model(model) => out.model = Some(model),
        }
    }
}
