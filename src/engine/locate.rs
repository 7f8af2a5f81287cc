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
}
