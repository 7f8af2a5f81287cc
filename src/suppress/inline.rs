//! Inline allow markers. Ours is `keyhound:allow` on the secret's line, or `keyhound:allow-next-line` on
//! the line before; the markers of gitleaks, betterleaks, TruffleHog, Kingfisher and detect-secrets are
//! honoured too, so a team switching tools keeps its annotations.

/// Markers that allow a secret on their own line.
const SAME_LINE: &[&[u8]] = &[
    b"keyhound:allow",
    b"gitleaks:allow",
    b"betterleaks:allow",
    b"trufflehog:ignore",
    b"kingfisher:ignore",
    b"pragma: allowlist secret",
];

/// Markers that allow a secret on the following line.
const NEXT_LINE: &[&[u8]] = &[
    b"keyhound:allow-next-line",
    b"pragma: allowlist nextline secret",
];

/// True when the line holding `offset`, or the line before it, carries an allow marker.
pub fn is_allowed_inline(bytes: &[u8], offset: usize) -> bool {
    marker(bytes, offset).is_some()
}

/// The allow marker on the line holding `offset` (or, for a next-line marker, on the line before it).
pub fn marker(bytes: &[u8], offset: usize) -> Option<&'static str> {
    let line = crate::engine::locate::line_range(bytes, offset);
    let this = &bytes[line.clone()];
    if !NEXT_LINE.iter().any(|m| contains(this, m)) {
        if let Some(m) = SAME_LINE.iter().find(|m| contains(this, m)) {
            return std::str::from_utf8(m).ok();
        }
    }
    if line.start == 0 {
        return None;
    }
    let prev = crate::engine::locate::line_range(bytes, line.start - 1);
    (NEXT_LINE.iter())
        .find(|m| contains(&bytes[prev.clone()], m))
        .and_then(|m| std::str::from_utf8(m).ok())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::is_allowed_inline;

    #[test]
    fn same_line_and_next_line_markers() {
        let text = b"a = 1\ntoken = 'abc' # keyhound:allow\n# keyhound:allow-next-line\nkey = 'def'\nother = 'ghi'\n";
        let at = |s: &str| {
            text.windows(s.len())
                .position(|w| w == s.as_bytes())
                .unwrap()
        };
        assert!(is_allowed_inline(text, at("abc")));
        assert!(is_allowed_inline(text, at("def")));
        assert!(!is_allowed_inline(text, at("ghi")));
        assert!(is_allowed_inline(b"x = 'q' // gitleaks:allow", 5));
        assert!(is_allowed_inline(b"x = 'q'  # pragma: allowlist secret", 5));
    }
}
