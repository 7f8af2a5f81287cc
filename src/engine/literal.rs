//! Where a captured value starts and ends, read from the syntax around it rather than guessed from its
//! characters. Inside a quoted string literal (single, double or backtick quotes; escaped quotes inside
//! JSON strings such as notebook cells) everything up to the closing quote is the value, whatever
//! punctuation it holds: `'zh!=!gq(w^_t[sBR2…'` is a literal, not code. A bare value ends where the
//! grammar ends it: at whitespace, a separator, or a closing bracket it did not open (the `)` of
//! `(password=F1ERDaxMD1!9Dl)` at the end of a log line).

use std::ops::Range;

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    /// Between these quotes (`"`, `'` or a backtick): a string literal.
    Quoted(u8),
    /// Without quotes: a bare config value, or code.
    Bare,
    /// Quotes that do not hold a value by themselves: a literal that is one operand of a concatenation
    /// (`"pscale_pw_" + token`), or text between quotes that holds quotes of another kind (code that
    /// builds a string: `"` + "`+f(`" + `"`).
    Expression,
}

impl Literal {
    /// The quote character of a quoted literal.
    pub fn quote(self) -> Option<u8> {
        match self {
            Literal::Quoted(q) => Some(q),
            Literal::Bare | Literal::Expression => None,
        }
    }
}

/// Classifies the value at `span` of `hay` and returns the span it really covers: a bare value is cut
/// at the first closing bracket that it did not open.
pub fn read(hay: &[u8], span: Range<usize>) -> (Range<usize>, Literal) {
    let before = span.start.checked_sub(1).map(|i| hay[i]);
    let after = hay.get(span.end).copied();
    let quoted = |open: u8, close_len: usize| {
        let inner = &hay[span.clone()];
        let rest = &hay[(span.end + close_len).min(hay.len())..];
        let mut after = rest.iter().skip_while(|b| matches!(b, b' ' | b'\t'));
        let next = after.next();
        // `"…".freeze`, `'…'.encode()` call a method on the literal; `'…' . $x` concatenates
        let method = next == Some(&b'.') && after.next().is_some_and(u8::is_ascii_alphabetic);
        let prev = hay[..span.start.saturating_sub(close_len)]
            .iter()
            .rev()
            .find(|b| !matches!(b, b' ' | b'\t'));
        if inner.iter().any(|b| matches!(b, b'"' | b'\'' | b'`'))
            || (matches!(next, Some(b'+' | b'.')) && !method)
            || matches!(prev, Some(b'+'))
        {
            Literal::Expression
        } else {
            Literal::Quoted(open)
        }
    };
    if let (Some(open @ (b'"' | b'\'' | b'`')), Some(close)) = (before, after) {
        if open == close {
            return (span.clone(), quoted(open, 1));
        }
    }
    // `\"…\"`: a string literal written inside a JSON string (a notebook cell)
    let escaped_open = before == Some(b'"') && span.start >= 2 && hay[span.start - 2] == b'\\';
    if escaped_open && after == Some(b'\\') && hay.get(span.end + 1) == Some(&b'"') {
        return (span.clone(), quoted(b'"', 2));
    }
    let mut depth = [0usize; 3];
    for (i, &b) in hay[span.clone()].iter().enumerate() {
        let kind = match b {
            b'(' | b')' => 0,
            b'[' | b']' => 1,
            b'{' | b'}' => 2,
            _ => continue,
        };
        if matches!(b, b'(' | b'[' | b'{') {
            depth[kind] += 1;
        } else if depth[kind] == 0 {
            return (span.start..span.start + i, Literal::Bare);
        } else {
            depth[kind] -= 1;
        }
    }
    (span, Literal::Bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(hay: &str, value: &str) -> (String, Literal) {
        let start = hay.find(value).unwrap();
        let (span, kind) = read(hay.as_bytes(), start..start + value.len());
        (hay[span].to_string(), kind)
    }

    #[test]
    fn quoted_values_are_literals() {
        let (v, kind) = read_str("SECRET_KEY = 'zh!=!gq(w^_t[sBR2'", "zh!=!gq(w^_t[sBR2");
        assert_eq!(
            (v.as_str(), kind),
            ("zh!=!gq(w^_t[sBR2", Literal::Quoted(b'\''))
        );
        let (v, kind) = read_str(r#""X = \"m%n(#E8R\"\n","#, "m%n(#E8R");
        assert_eq!((v.as_str(), kind), ("m%n(#E8R", Literal::Quoted(b'"')));
    }

    #[test]
    fn concatenations_are_expressions() {
        let (_, kind) = read_str(r#"f("x", "pscale_pw_"+token)"#, "pscale_pw_");
        assert_eq!(kind, Literal::Expression);
        let (_, kind) = read_str(r#"a = "`+newSecret(`[a-z]`)+`""#, "`+newSecret(`[a-z]`)+`");
        assert_eq!(kind, Literal::Expression);
        let (_, kind) = read_str(r#"$p = 'pre' . $x;"#, "pre");
        assert_eq!(kind, Literal::Expression);
        let (_, kind) = read_str(r#"PASSWORD = "dr4gon7".freeze"#, "dr4gon7");
        assert_eq!(kind, Literal::Quoted(b'"'));
    }

    #[test]
    fn bare_values_end_at_an_unopened_closer() {
        let (v, kind) = read_str("(password=F1ERDaxMD1!9Dl)", "F1ERDaxMD1!9Dl)");
        assert_eq!((v.as_str(), kind), ("F1ERDaxMD1!9Dl", Literal::Bare));
        let (v, _) = read_str("password=ab(cd)ef", "ab(cd)ef");
        assert_eq!(v, "ab(cd)ef");
    }
}
