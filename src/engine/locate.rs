//! Byte offsets to 1-based lines and columns. Columns count Unicode scalar values (invalid UTF-8 bytes count
//! one each), which is what SARIF's `unicodeCodePoints` column kind means.

/// Line and column of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in code points.
    pub column: usize,
}

/// Finds the position of `offset` in `bytes`.
pub fn position(bytes: &[u8], offset: usize) -> Position {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map(|i| i + 1).unwrap_or(0);
    let column = String::from_utf8_lossy(&bytes[line_start..offset])
        .chars()
        .count()
        + 1;
    Position { line, column }
}

/// The byte offset of `at` in `bytes` (the inverse of [`position`]): `None` when `bytes` has no such line
/// or the line no such column. Columns count as [`position`] counts them (a run of invalid UTF-8 is one).
pub fn offset(bytes: &[u8], at: Position) -> Option<usize> {
    let mut start = 0;
    for _ in 1..at.line {
        start += memchr::memchr(b'\n', &bytes[start..])? + 1;
    }
    let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
    let mut column = 1;
    let mut here = start;
    for chunk in bytes[start..end].utf8_chunks() {
        for c in chunk.valid().chars() {
            if column == at.column {
                return Some(here);
            }
            column += 1;
            here += c.len_utf8();
        }
        if !chunk.invalid().is_empty() {
            if column == at.column {
                return Some(here);
            }
            column += 1;
            here += chunk.invalid().len();
        }
    }
    (column == at.column).then_some(here)
}

/// The byte range of the line that contains `offset` (without its newline).
pub fn line_range(bytes: &[u8], offset: usize) -> std::ops::Range<usize> {
    let offset = offset.min(bytes.len());
    let start = memchr::memrchr(b'\n', &bytes[..offset])
        .map(|i| i + 1)
        .unwrap_or(0);
    let end = memchr::memchr(b'\n', &bytes[offset..])
        .map(|i| offset + i)
        .unwrap_or(bytes.len());
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "ab\ncdé\nfg".as_bytes();
        assert_eq!(position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(position(text, 3), Position { line: 2, column: 1 });
        // after 'é' (2 bytes)
        assert_eq!(position(text, 7), Position { line: 2, column: 4 });
        assert_eq!(line_range(text, 4), 3..7);
    }

    #[test]
    fn offset_inverts_position() {
        let text = b"ab\ncd\xc3\xa9x\xff\xfeyz\n\nend";
        for at in 0..=text.len() {
            let p = position(text, at);
            if at < text.len() && p == position(text, at + 1) {
                continue; // inside an invalid run or a multi-byte character
            }
            assert_eq!(offset(text, p), Some(at), "{at} {p:?}");
        }
        assert_eq!(offset(text, Position { line: 9, column: 1 }), None);
        assert_eq!(offset(text, Position { line: 1, column: 9 }), None);
    }
}
