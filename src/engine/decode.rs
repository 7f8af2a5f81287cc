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

/// The fewest run bytes (padding aside) a run worth decoding has: [`MIN_BASE64`] less two `=`.
const MIN_CLASS_RUN: usize = MIN_BASE64 - 2;

/// The start of the next run of encoding bytes at or after `i` that may be [`MIN_CLASS_RUN`] long, or
/// `None` when none is left. No run may start before `i` and reach it (`i` is 0, or `bytes[i - 1]` or
/// `bytes[i]` is not an encoding byte). Looks at one byte in [`MIN_CLASS_RUN`] where runs are short:
/// a long enough run starting in `i..=probe` covers `probe`. A run it returns may still be short.
fn next_run(bytes: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let probe = i + MIN_CLASS_RUN - 1;
        if probe >= bytes.len() {
            return None;
        }
        if CLASS[bytes[probe] as usize] == 0 {
            i = probe + 1;
            continue;
        }
        let mut start = probe;
        while start > i && CLASS[bytes[start - 1] as usize] != 0 {
            start -= 1;
        }
        return Some(start);
    }
}

/// The runs of encoding bytes in `bytes` (each with up to two `=` of padding) whose length is worth
/// decoding, in order, with the classes of their bytes.
fn runs(bytes: &[u8]) -> impl Iterator<Item = (std::ops::Range<usize>, u8)> + '_ {
    let n = bytes.len();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(start) = next_run(bytes, i) {
            i = start;
            let mut seen = 0u8;
            while i < n && CLASS[bytes[i] as usize] != 0 {
                seen |= CLASS[bytes[i] as usize];
                i += 1;
            }
            let mut end = i;
            while end < n && bytes[end] == b'=' && end - i < 2 {
                end += 1;
            }
            i = end;
            if (MIN_BASE64..=MAX_RUN).contains(&(end - start)) {
                return Some((start..end, seen));
            }
        }
        None
    })
}

/// Finds the encoded runs in `bytes` that decode to mostly printable text.
pub fn find_encoded(bytes: &[u8]) -> Vec<Encoded> {
    let mut out = Vec::new();
    for (span, seen) in runs(bytes) {
        let (start, end, len) = (span.start, span.end, span.len());
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

    /// The scan [`find_encoded`] makes, one byte at a time: every maximal run of encoding bytes.
    fn runs_one_byte_at_a_time(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
        let (mut out, mut i) = (Vec::new(), 0);
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && CLASS[bytes[i] as usize] != 0 {
                i += 1;
            }
            let mut end = i;
            while end < bytes.len() && bytes[end] == b'=' && end - i < 2 {
                end += 1;
            }
            if (MIN_BASE64..=MAX_RUN).contains(&(end - start)) {
                out.push(start..end);
            }
            i = end.max(start + 1);
        }
        out
    }

    #[test]
    fn skipping_ahead_finds_every_long_run() {
        // runs of every length around the threshold, separated by padding and other bytes
        let alphabet = b"aZ9+/-_%.=  ,\n\"";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let len = (next() % 200) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| match next() % 4 {
                    0 => alphabet[(next() % alphabet.len() as u64) as usize],
                    _ => alphabet[(next() % 9) as usize],
                })
                .collect();
            let want = runs_one_byte_at_a_time(&text);
            let got: Vec<_> = runs(&text).map(|(span, _)| span).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn identifiers_and_binary_are_not_decoded() {
        assert!(find_encoded(b"thisIsAVeryLongIdentifierNameForSure = 1").is_empty());
        assert!(find_encoded(b"sha = da39a3ee5e6b4b0d3255bfef95601890afd80709").is_empty());
    }
}
