//! Repository text made safe for a terminal. Paths, commit subjects, author names, rule text and error
//! messages come from the scanned repository; written raw they could move the cursor, clear the screen,
//! set the window title, hide text behind a carriage return or reorder it with a bidi override. Every
//! text writer and every stderr message that shows repository data passes it through [`terminal`].
//! JSON and SARIF do not need it: JSON escapes control characters itself. The HTML report passes the
//! same text through [`html`], which makes the same characters visible and escapes HTML's own.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal raw: C0 and C1 controls and DEL (escape sequences, CR,
/// backspace, bell, line breaks), Unicode line/paragraph separators, and the invisible formatting
/// characters that reorder or hide text (bidi embeddings, overrides and isolates, marks, zero-width
/// characters, the BOM).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `s` with each unsafe character (see [`is_unsafe`]) written as a visible escape: `\t`, `\n`, `\r`,
/// `\x1b` for the other controls below U+0100, `\u{202e}` above. Text without them is returned as is.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A multi-line message (an error with its causes) escaped line by line: its own line breaks stay,
/// everything else unsafe is escaped.
pub fn terminal_lines(s: &str) -> String {
    s.split('\n')
        .map(|line| terminal(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `s` safe in HTML text and in a double- or single-quoted attribute value: unsafe characters made
/// visible as [`terminal`] does (controls and bidi overrides cannot hide or reorder text in a page
/// either), then `&`, `<`, `>`, `"` and `'` written as character references. Nothing in the result can
/// open or close a tag, an attribute or a comment.
pub fn html(s: &str) -> String {
    let visible = terminal(s);
    let mut out = String::with_capacity(visible.len() + 16);
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        assert!(matches!(terminal("src/ä/config.rs"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_and_bidi_are_visible() {
        assert_eq!(terminal("a\x1b]0;pwn\x07b"), "a\\x1b]0;pwn\\x07b");
        assert_eq!(terminal("x\r\ny\tz\x08\x7f"), "x\\r\\ny\\tz\\x08\\x7f");
        assert_eq!(terminal("evil\u{202E}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(terminal("\u{9b}2J"), "\\x9b2J");
        assert_eq!(terminal_lines("a\x1b[2J\n  b\r"), "a\\x1b[2J\n  b\\r");
    }

    #[test]
    fn html_escapes_markup_and_makes_controls_visible() {
        assert_eq!(
            html("\"><img src=x onerror='a&b'></style>\x1b[2J\u{202e}"),
            "&quot;&gt;&lt;img src=x onerror=&#39;a&amp;b&#39;&gt;&lt;/style&gt;\\x1b[2J\\u{202e}"
        );
        assert_eq!(html("src/ä.rs"), "src/ä.rs");
    }
}
