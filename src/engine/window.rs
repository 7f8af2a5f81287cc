//! Where a rule's regex runs: a window of text around each keyword occurrence (the keyword's line,
//! neighbouring lines for rules that ask for context, and further on for multi-line rules), capped for
//! very long lines.

use std::ops::Range;

/// How far (bytes) a window reaches left and right of a keyword when its line is very long (minified code).
const MAX_LINE_REACH: usize = 4096;
/// How far past the keyword's line a `multiline` rule's window reaches.
const MULTILINE_REACH: usize = 64 * 1024;

/// The text a rule's regex runs on for the keyword at `start..end`: the keyword's line and `context` lines
/// either side (each reach capped around the keyword for very long lines), extended past the last line
/// for multi-line rules.
pub fn keyword_window(
    bytes: &[u8],
    start: usize,
    end: usize,
    multiline: bool,
    context: usize,
) -> Range<usize> {
    let reach = MAX_LINE_REACH * (context + 1);
    // Back to the start of the keyword's line, and `context` lines more.
    let floor = start.saturating_sub(reach);
    let mut line_start = floor;
    let mut at = start;
    for _ in 0..=context {
        match memchr::memrchr(b'\n', &bytes[floor..at]) {
            Some(i) => {
                at = floor + i;
                line_start = at + 1;
            }
            None => {
                line_start = floor;
                break;
            }
        }
    }
    // On to the end of the keyword's line, and `context` lines more.
    let ceil = (end + reach).min(bytes.len());
    let mut line_end = ceil;
    let mut from = end;
    for _ in 0..=context {
        match memchr::memchr(b'\n', &bytes[from..ceil]) {
            Some(i) => {
                line_end = from + i;
                from = line_end + 1;
            }
            None => {
                line_end = ceil;
                break;
            }
        }
    }
    let window_end = if multiline {
        (line_end + MULTILINE_REACH).min(bytes.len())
    } else {
        line_end
    };
    line_start..window_end
}
