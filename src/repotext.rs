//! Text the scanned repository controls, made safe to carry into reports: the bounds on how much of it a
//! report copies, and the lossless text form of paths whose bytes are not UTF-8. This module owns both
//! rules and knows nothing of findings or formats; the places that take such text in call it:
//!
//! * [`bound`] cuts a string at a character boundary and says how much was cut. Commit facts are bounded
//!   where they are read (`sources::git::commit_meta`), rule names and descriptions where rules compile,
//!   and every finding, error and note once more when the scan's outcome is finished
//!   (`Finding::bound_text`, `ScanOutcome::finish`), so that every report format gets bounded text.
//! * [`bound_unique`] does the same for text that is also an identity (paths, rule ids): its marker
//!   carries a hash of the whole text, so that two long paths never print the same.
//! * [`path_text`] turns a path's bytes into text without losing any: bytes that are not UTF-8 become
//!   `\xNN`, and a backslash that could be read as the start of such an escape is doubled. [`path_bytes`]
//!   turns the text back into the very bytes, so that fingerprints hash what is on disk or in git.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// The most a report copies of a commit subject, an author name or email, or a rule name (bytes).
pub const MAX_FIELD: usize = 1024;
/// The most a report copies of a rule description, an error message or a note (bytes).
pub const MAX_TEXT: usize = 4096;
/// The most a report copies of a path or a rule id (bytes); no file system path is longer.
pub const MAX_PATH: usize = 4096;

/// `text` cut at a character boundary and followed by a marker giving the whole length
/// (`…[truncated, 52428800 bytes in all]`), at most `max` bytes with the marker (so that bounding twice
/// changes nothing); `text` itself when it fits.
pub fn bound(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let marker = marker(text.len());
    let cut = floor_boundary(text, max.saturating_sub(marker.len()));
    Cow::Owned(format!("{}{marker}", &text[..cut]))
}

/// [`bound`] for bytes that should be UTF-8 (an author name, a commit subject): only the kept head is
/// decoded (lossily), so that a 50 MB subject costs no 50 MB string.
pub fn bound_lossy(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let marker = marker(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..max.saturating_sub(marker.len())]);
    // a character cut in two at the limit decodes to one replacement character: drop it
    let head = head.strip_suffix('\u{FFFD}').unwrap_or(&head);
    let head = &head[..floor_boundary(head, max.saturating_sub(marker.len()))];
    format!("{head}{marker}")
}

/// What stands for the part left out of text `total` bytes long.
fn marker(total: usize) -> String {
    format!("…[truncated, {total} bytes in all]")
}

/// [`bound`] for text that identifies something (a path, a rule id): the marker also holds the first 16
/// hex digits of the SHA-256 of the whole text, so that different texts stay different. A cut never
/// splits a `\xNN` escape of [`path_text`].
pub fn bound_unique(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let digest = Sha256::digest(text.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let marker = format!("…[truncated, {} bytes in all, sha256 {hash}]", text.len());
    let mut cut = floor_boundary(text, max.saturating_sub(marker.len()));
    if let Some(slash) = text.as_bytes()[cut.saturating_sub(3)..cut]
        .iter()
        .rposition(|&b| b == b'\\')
    {
        cut = cut.saturating_sub(3) + slash;
    }
    Cow::Owned(format!("{}{marker}", &text[..cut]))
}

/// Replaces `text` by its bound when it is longer than `max`.
pub fn bound_in_place(text: &mut String, max: usize) {
    if let Cow::Owned(bounded) = bound(text, max) {
        *text = bounded;
    }
}

/// The largest character boundary of `text` at or below `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The text form of a path's bytes: UTF-8 as it is, each byte that is not part of valid UTF-8 as `\xNN`
/// (lowercase hex), and a backslash followed by `x` or by another backslash doubled, so that the text
/// reads back to exactly these bytes ([`path_bytes`]). Paths that are UTF-8 and hold no `\x` or `\\`
/// are unchanged.
pub fn path_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        push_escaping_backslashes(&mut out, chunk.valid(), !chunk.invalid().is_empty());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Appends `valid`, doubling each backslash that [`path_bytes`] would otherwise read as an escape: one
/// followed by `x` or `\`, or one at the end when an escape follows (`then_escape`).
fn push_escaping_backslashes(out: &mut String, valid: &str, then_escape: bool) {
    let bytes = valid.as_bytes();
    for (i, c) in valid.char_indices() {
        out.push(c);
        if c == '\\' {
            let next = bytes.get(i + 1).copied();
            if matches!(next, Some(b'x') | Some(b'\\')) || (next.is_none() && then_escape) {
                out.push('\\');
            }
        }
    }
}

/// The bytes a [`path_text`] stands for: `\\` is one backslash, `\xNN` one byte, anything else itself.
pub fn path_bytes(text: &str) -> Cow<'_, [u8]> {
    if !text.contains('\\') {
        return Cow::Borrowed(text.as_bytes());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) if hex_byte(&bytes[i + 2..]).is_some() => {
                out.extend(hex_byte(&bytes[i + 2..]));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// The path a [`path_text`] stands for (on platforms whose paths are not bytes, the text read lossily).
pub fn path_buf(text: &str) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&path_bytes(text)))
    }
    #[cfg(not(unix))]
    {
        std::path::PathBuf::from(String::from_utf8_lossy(&path_bytes(text)).into_owned())
    }
}

/// The byte two hex digits at the start of `digits` stand for.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    let digits = std::str::from_utf8(digits.get(..2)?).ok()?;
    u8::from_str_radix(digits, 16).ok()
}

/// True when `text` (a [`path_text`]) stands for bytes that are not UTF-8: reports flag such paths.
pub fn is_escaped_path(text: &str) -> bool {
    text.contains('\\') && std::str::from_utf8(&path_bytes(text)).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cut_at_character_boundaries_and_say_how_much() {
        assert_eq!(bound("short", 10), "short");
        let long = "é".repeat(100); // 200 bytes
        let marker = "…[truncated, 200 bytes in all]"; // 32 bytes
        assert_eq!(bound(&long, 37), format!("éé{marker}"));
        assert_eq!(bound(&bound(&long, 37), 37), bound(&long, 37));
        let unique = bound_unique(&long, 61);
        assert!(unique.starts_with("éé…[truncated, 200 bytes in all, sha256 "));
        assert!(unique.len() <= 61);
        assert_ne!(
            bound_unique(&format!("{long}a"), 70),
            bound_unique(&format!("{long}b"), 70)
        );
        let mut s = "x".repeat(50);
        bound_in_place(&mut s, 40);
        assert_eq!(s, "xxxxxxxxx…[truncated, 50 bytes in all]");
        let mut bytes = b"ab\xc3\xa9".repeat(20); // 80 bytes
        assert_eq!(bound_lossy(&bytes, 80).chars().count(), 60);
        bytes.push(b'c');
        assert_eq!(
            bound_lossy(&bytes, 38),
            "ab\u{e9}ab…[truncated, 81 bytes in all]"
        );
    }

    #[test]
    fn a_cut_never_splits_an_escape() {
        let text = path_text(b"ab\xff\xfe");
        assert_eq!(text, "ab\\xff\\xfe");
        for max in 60..text.len() + 60 {
            let b = bound_unique(&text, max);
            let kept = b.split('…').next().unwrap();
            assert!(
                matches!(kept, "" | "a" | "ab" | "ab\\xff" | "ab\\xff\\xfe"),
                "{max}: {kept}"
            );
        }
    }

    #[test]
    fn paths_round_trip_and_stay_distinct() {
        let cases: &[&[u8]] = &[
            b"plain/path.env",
            b"caf\xc3\xa9",
            b"a\xff",
            b"a\xfe",
            b"a\\xff",
            b"a\\\\b",
            b"a\\",
            b"a\\\xff",
            b"\\x",
            b"x\\y",
        ];
        let texts: Vec<String> = cases.iter().map(|c| path_text(c)).collect();
        for (case, text) in cases.iter().zip(&texts) {
            assert_eq!(&*path_bytes(text), *case, "{text}");
            assert_eq!(is_escaped_path(text), std::str::from_utf8(case).is_err());
        }
        let distinct: std::collections::HashSet<&String> = texts.iter().collect();
        assert_eq!(distinct.len(), texts.len(), "{texts:?}");
        assert_eq!(path_text(b"plain/path.env"), "plain/path.env");
        assert_eq!(path_text(b"x\\y"), "x\\y");
    }
}
