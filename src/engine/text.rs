//! The text a blob holds when it does not look like text: a NUL byte in its first 8 KiB (as git decides
//! "binary"). Such a blob is either UTF-16 text (files saved by Windows tools, with or without a byte-order
//! mark), decoded here to UTF-8, or a binary file whose printable runs are kept in place (as `strings`
//! finds them), every other byte replaced by a newline, so that offsets into the result are offsets into
//! the file and no match can join two runs. Nothing in a file's bytes can hide its text from the scan.

/// How many bytes are sniffed for a NUL to call a blob binary (as git does).
pub const BINARY_SNIFF_LEN: usize = 8192;

/// Printable runs shorter than this are dropped from a binary file's text (`strings` keeps 4; no
/// secret a rule reports is shorter than 8 characters, and short runs are mostly noise).
pub const MIN_PRINTABLE_RUN: usize = 8;

/// True when `bytes` looks binary: a NUL byte near the start.
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF_LEN)]).is_some()
}

/// What [`binary_text`] made of a blob that looks binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryText {
    /// UTF-16 text, decoded to UTF-8: offsets, lines and columns are those of the decoded text (lines
    /// are the file's lines; columns count UTF-8 bytes of the decoded text).
    Utf16,
    /// A binary file's printable runs, in place: offsets are the file's byte offsets.
    Printable,
}

/// The byte order of UTF-16 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

/// The text of `bytes` when they look binary ([`looks_binary`]), written to `out`; `None` (and `out`
/// untouched) when they look like text and are to be scanned as they are.
pub fn binary_text(bytes: &[u8], out: &mut Vec<u8>) -> Option<BinaryText> {
    if !looks_binary(bytes) {
        return None;
    }
    out.clear();
    Some(match utf16_order(bytes) {
        Some((order, bom)) => {
            decode_utf16(&bytes[bom..], order, out);
            BinaryText::Utf16
        }
        None => {
            printable_runs(bytes, out);
            BinaryText::Printable
        }
    })
}

/// The byte order of `bytes` if they are UTF-16 text, and the length of its byte-order mark: a mark, or
/// (without one) the NUL pattern of mostly-ASCII UTF-16 in the first 8 KiB: the high byte of nearly
/// every code unit is 0 and the low byte nearly never is.
fn utf16_order(bytes: &[u8]) -> Option<(Order, usize)> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some((Order::Little, 2)),
        [0xFE, 0xFF, ..] => return Some((Order::Big, 2)),
        _ => {}
    }
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_LEN) & !1];
    let units = sniff.len() / 2;
    if units < 4 {
        return None;
    }
    let (mut even_nul, mut odd_nul) = (0, 0);
    for pair in sniff.chunks_exact(2) {
        even_nul += usize::from(pair[0] == 0);
        odd_nul += usize::from(pair[1] == 0);
    }
    let mostly = |n: usize| n * 10 >= units * 7;
    let rarely = |n: usize| n * 10 <= units;
    if mostly(odd_nul) && rarely(even_nul) {
        Some((Order::Little, 0))
    } else if mostly(even_nul) && rarely(odd_nul) {
        Some((Order::Big, 0))
    } else {
        None
    }
}

/// Decodes UTF-16 `bytes` into UTF-8 in `out`; unpaired surrogates become U+FFFD and a trailing odd
/// byte is dropped.
fn decode_utf16(bytes: &[u8], order: Order, out: &mut Vec<u8>) {
    out.reserve(bytes.len() / 2);
    let units = bytes.chunks_exact(2).map(|p| match order {
        Order::Little => u16::from_le_bytes([p[0], p[1]]),
        Order::Big => u16::from_be_bytes([p[0], p[1]]),
    });
    let mut buf = [0u8; 4];
    for c in char::decode_utf16(units) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// Where byte `at` of `bytes` lies in the text [`binary_text`] made of them as `kind` (`None`: the bytes
/// themselves): the same offset, except in decoded UTF-16, where it is the length of the text decoded
/// from the bytes before `at` (after the byte-order mark).
pub fn text_offset(bytes: &[u8], kind: Option<BinaryText>, at: usize) -> usize {
    let at = at.min(bytes.len());
    match kind {
        Some(BinaryText::Utf16) => {
            let (order, bom) = utf16_order(bytes).unwrap_or((Order::Little, 0));
            let units = bytes[bom.min(at)..at].chunks_exact(2).map(|p| match order {
                Order::Little => u16::from_le_bytes([p[0], p[1]]),
                Order::Big => u16::from_be_bytes([p[0], p[1]]),
            });
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER).len_utf8())
                .sum()
        }
        _ => at,
    }
}

/// True for the bytes `strings` counts as text: printable ASCII, tab, and line ends.
fn is_printable(b: u8) -> bool {
    matches!(b, 0x20..=0x7E | b'\t' | b'\n' | b'\r')
}

/// Copies `bytes` to `out` keeping printable runs of at least [`MIN_PRINTABLE_RUN`] bytes in place and
/// replacing every other byte with a newline.
fn printable_runs(bytes: &[u8], out: &mut Vec<u8>) {
    out.resize(bytes.len(), b'\n');
    let mut start = 0;
    while start < bytes.len() {
        let len = bytes[start..]
            .iter()
            .take_while(|&&b| is_printable(b))
            .count();
        if len >= MIN_PRINTABLE_RUN {
            out[start..start + len].copy_from_slice(&bytes[start..start + len]);
        }
        start += len + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> Option<(BinaryText, String)> {
        let mut out = Vec::new();
        let kind = binary_text(bytes, &mut out)?;
        Some((kind, String::from_utf8(out).unwrap()))
    }

    fn utf16(s: &str, order: Order, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(&0xFEFFu16.to_le_bytes());
            if order == Order::Big {
                out.reverse();
            }
        }
        for u in s.encode_utf16() {
            out.extend_from_slice(&match order {
                Order::Little => u.to_le_bytes(),
                Order::Big => u.to_be_bytes(),
            });
        }
        out
    }

    #[test]
    fn text_is_left_alone() {
        assert_eq!(text(b"TOKEN=abc\n"), None);
        assert_eq!(text(b""), None);
    }

    #[test]
    fn utf16_with_and_without_a_mark_in_both_orders_is_decoded() {
        let s = "KEY=v\u{e9}rit\u{e9}\r\nTOKEN=ghp_abcdefgh\r\n";
        for order in [Order::Little, Order::Big] {
            for bom in [true, false] {
                let got = text(&utf16(s, order, bom));
                assert_eq!(
                    got,
                    Some((BinaryText::Utf16, s.to_string())),
                    "{order:?} {bom}"
                );
            }
        }
    }

    #[test]
    fn binary_keeps_long_printable_runs_in_place() {
        let mut bytes = vec![0u8, 1, 2, b'a', b'b', 0xFF];
        bytes.extend_from_slice(b"TOKEN=ghp_abcdefgh");
        bytes.extend_from_slice(&[0, 0, 7]);
        let (kind, out) = text(&bytes).unwrap();
        assert_eq!(kind, BinaryText::Printable);
        assert_eq!(out.len(), bytes.len());
        assert_eq!(out, "\n\n\n\n\n\nTOKEN=ghp_abcdefgh\n\n\n");
    }

    #[test]
    fn offsets_in_decoded_utf16_are_offsets_in_its_text() {
        let s = "A=\u{e9}\nB";
        for bom in [true, false] {
            let bytes = utf16(s, Order::Little, bom);
            let mut out = Vec::new();
            let kind = binary_text(&bytes, &mut out);
            let skip = if bom { 2 } else { 0 };
            // after "A=é": 3 code units, 4 bytes of UTF-8
            assert_eq!(text_offset(&bytes, kind, skip + 6), 4);
            assert_eq!(text_offset(&bytes, kind, bytes.len()), out.len());
        }
        assert_eq!(text_offset(b"abc", None, 2), 2);
    }

    #[test]
    fn odd_lengths_and_lone_surrogates_do_not_panic() {
        for bytes in [
            &[0xFF, 0xFE, 0x41, 0x00, 0x42][..],
            &[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00],
            &[0xFE, 0xFF, 0x00],
            &[0],
        ] {
            assert!(text(bytes).is_some());
        }
    }
}
