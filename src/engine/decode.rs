//! Encoded content: base64 (standard and URL-safe), hex and percent-encoding. Secrets are often stored
//! encoded (a Kubernetes `Secret`'s `data:` values, `.npmrc` `_auth`, Basic auth headers, URL-escaped
//! connection strings); the engine decodes candidate runs that turn into mostly printable text and scans
//! the result, and a finding inside points at the encoded text.

use base64::Engine as _;

/// One decodable run: where it is, how it was encoded, and what it decodes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Byte range of the encoded text.
    pub span: std::ops::Range<usize>,
    /// `base64`, `hex` or `percent`.
    pub encoding: &'static str,
    /// The decoded bytes.
    pub decoded: Vec<u8>,
}

/// Shortest base64 run worth decoding (12 bytes of payload).
const MIN_BASE64: usize = 16;
/// Shortest hex run worth decoding.
const MIN_HEX: usize = 32;
/// Longest run decoded (larger blobs are images and bundles, not credentials).
const MAX_RUN: usize = 8192;

// Byte classes, one table lookup per byte.
const UPPER: u8 = 1;
const LOWER: u8 = 2;
const DIGIT: u8 = 4;
const PLUS_SLASH: u8 = 8;
const DASH_UNDERSCORE: u8 = 16;
const PERCENT: u8 = 32;
const DOT: u8 = 64;
const NOT_HEX_LETTER: u8 = 128;

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_uppercase() {
            UPPER | if b > b'F' { NOT_HEX_LETTER } else { 0 }
        } else if b.is_ascii_lowercase() {
            LOWER | if b > b'f' { NOT_HEX_LETTER } else { 0 }
        } else if b.is_ascii_digit() {
            DIGIT
        } else if b == b'+' || b == b'/' {
            PLUS_SLASH
        } else if b == b'-' || b == b'_' {
            DASH_UNDERSCORE
        } else if b == b'%' {
            PERCENT
        } else if b == b'.' {
            DOT
        } else {
            0
        };
        i += 1;
    }
    t
};

/// True when `bytes` is text a secret could hide in: printable ASCII and whitespace, at least 90%.
fn mostly_printable(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let printable = bytes
        .iter()
        .filter(|&&b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\r' || b == b'\t')
        .count();
    printable * 10 >= bytes.len() * 9
}

/// Finds the encoded runs in `bytes` that decode to mostly printable text.
pub fn find_encoded(bytes: &[u8]) -> Vec<Encoded> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        if CLASS[bytes[i] as usize] == 0 {
            i += 1;
            continue;
        }
        let start = i;
        let mut seen = 0u8;
        while i < n {
            let c = CLASS[bytes[i] as usize];
            if c == 0 {
                break;
            }
            seen |= c;
            i += 1;
        }
        let mut end = i;
        while end < n && bytes[end] == b'=' && end - i < 2 {
            end += 1;
        }
        i = end;
        let len = end - start;
        if !(MIN_BASE64..=MAX_RUN).contains(&len) {
            continue;
        }
        let run = &bytes[start..end];
        let (encoding, decoded) = if seen & PERCENT != 0 {
            ("percent", percent_decode(run))
        } else if len >= MIN_HEX
            && len % 2 == 0
            && seen & (PLUS_SLASH | DASH_UNDERSCORE | DOT | NOT_HEX_LETTER) == 0
            && !(seen & UPPER != 0 && seen & LOWER != 0)
        {
            ("hex", hex_decode(run).filter(|d| mostly_printable(d)))
        } else if seen & DOT == 0
            && seen & UPPER != 0
            && seen & LOWER != 0
            && seen & (DIGIT | PLUS_SLASH) != 0
            && (if seen & DASH_UNDERSCORE != 0 {
                len % 4 != 1
            } else {
                len % 4 == 0
            })
        {
            // Dotted runs are JWTs and hostnames, not one value; identifiers (one case, or no digits)
            // and lengths base64 cannot have are not tried.
            ("base64", base64_decode(run).filter(|d| mostly_printable(d)))
        } else {
            continue;
        };
        if let Some(decoded) = decoded {
            out.push(Encoded {
                span: start..end,
                encoding,
                decoded,
            });
        }
    }
    out
}

fn base64_decode(run: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let url = run.iter().any(|b| *b == b'-' || *b == b'_');
    let padded = run.ends_with(b"=");
    let engine = match (url, padded) {
        (false, true) => &STANDARD,
        (false, false) => &STANDARD_NO_PAD,
        (true, true) => &URL_SAFE,
        (true, false) => &URL_SAFE_NO_PAD,
    };
    engine.decode(run).ok()
}

fn hex_decode(run: &[u8]) -> Option<Vec<u8>> {
    let val = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    run.chunks_exact(2)
        .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
        .collect()
}

/// Decodes `%XX` escapes; `None` unless at least two escapes were decoded.
fn percent_decode(run: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(run.len());
    let mut escapes = 0;
    let mut i = 0;
    while i < run.len() {
        if run[i] == b'%' && i + 2 < run.len() {
            if let (Some(h), Some(l)) = (
                (run[i + 1] as char).to_digit(16),
                (run[i + 2] as char).to_digit(16),
            ) {
                out.push((h * 16 + l) as u8);
                escapes += 1;
                i += 3;
                continue;
            }
        }
        out.push(run[i]);
        i += 1;
    }
    (escapes >= 2 && mostly_printable(&out)).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_base64_hex_and_percent() {
        let text = b"data:\n  password: aHVudGVyMjpzM2NyM3RQYXNzdzByZA==\nkey=6170695f6b65795f76616c75655f31323334\nurl=p%40ss%3Aw0rd%21\n";
        let found = find_encoded(text);
        let kinds: Vec<&str> = found.iter().map(|e| e.encoding).collect();
        assert_eq!(kinds, vec!["base64", "hex", "percent"], "{found:?}");
        assert_eq!(found[0].decoded, b"hunter2:s3cr3tPassw0rd");
        assert_eq!(
            &text[found[0].span.clone()],
            b"aHVudGVyMjpzM2NyM3RQYXNzdzByZA=="
        );
        assert_eq!(found[2].decoded, b"p@ss:w0rd!");
    }

    #[test]
    fn identifiers_and_binary_are_not_decoded() {
        assert!(find_encoded(b"thisIsAVeryLongIdentifierNameForSure = 1").is_empty());
        assert!(find_encoded(b"sha = da39a3ee5e6b4b0d3255bfef95601890afd80709").is_empty());
    }
}
