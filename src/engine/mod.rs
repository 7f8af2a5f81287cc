//! The matching engine: keyword prefilter → candidate rules → regex near the keyword → entropy, checksum,
//! placeholder and allowlist gates → [`RawMatch`]es. It sees bytes and a path, never where they came from.

pub mod checksum;
pub mod decode;
pub mod filter;
pub mod locate;
pub mod prefilter;
pub mod selftest;

use std::ops::Range;

use crate::randomness::{self, shannon};
use crate::rules::{Confidence, Rule, RuleSet};
use prefilter::Prefilter;

/// How far (bytes) a window reaches left and right of a keyword when its line is very long (minified code).
const MAX_LINE_REACH: usize = 4096;
/// How far past the keyword's line a `multiline` rule's window reaches.
const MULTILINE_REACH: usize = 64 * 1024;

/// One secret a rule found in a blob, before location and suppression.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMatch {
    /// Index of the rule in the engine's rule set.
    pub rule: usize,
    /// Byte range of the secret in the blob (empty for path-only rules).
    pub secret: Range<usize>,
    /// Byte range of the whole regex match.
    pub matched: Range<usize>,
    /// Shannon entropy of the secret.
    pub entropy: f64,
    /// For a composite rule: the secret span of the companion match.
    pub related: Option<Range<usize>>,
    /// Set when the secret was found inside encoded text: `secret` and `matched` then span the encoded
    /// text, and this holds the decoded secret and how it was encoded.
    pub decoded: Option<Box<Decoded>>,
}

/// A secret found by decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// `base64`, `hex` or `percent` (outermost first, `+`-joined when nested).
    pub encoding: String,
    /// The secret as decoded.
    pub secret: Vec<u8>,
}

/// How many layers of encoding are decoded by default.
pub const DEFAULT_DECODE_DEPTH: usize = 2;

/// Rules plus their keyword automaton. Shared read-only by every worker thread.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    prefilter: Prefilter,
    path_only: Vec<usize>,
    decode_depth: usize,
    /// Per rule: the companion rule index and line distance of a composite rule.
    requires: Vec<Option<(usize, usize)>>,
}

/// Per-thread buffers so that scanning a blob allocates nothing in the common case.
#[derive(Debug, Default)]
pub struct Scratch {
    windows: Vec<Vec<Range<usize>>>,
    touched: Vec<u32>,
    path_state: Vec<u8>,
    /// Spans a structured rule recognised but rejected on its checksum: a failed look-alike is not left
    /// to the generic rules to report.
    rejected: Vec<Range<usize>>,
}

const PATH_UNKNOWN: u8 = 0;
const PATH_OK: u8 = 1;
const PATH_SKIP: u8 = 2;

impl Engine {
    /// Builds the engine (the keyword automaton; regexes compile lazily).
    pub fn new(rules: RuleSet) -> Self {
        let prefilter = Prefilter::new(&rules);
        let path_only = rules
            .rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_path_only())
            .map(|(i, _)| i)
            .collect();
        let requires = rules
            .rules()
            .iter()
            .map(|r| {
                let (id, lines) = r.requires.as_ref()?;
                let index = rules.rules().iter().position(|o| &o.id == id)?;
                Some((index, *lines))
            })
            .collect();
        Engine {
            rules,
            prefilter,
            path_only,
            decode_depth: DEFAULT_DECODE_DEPTH,
            requires,
        }
    }

    /// The companion rule of a composite rule.
    pub fn requires_of(&self, rule: usize) -> Option<usize> {
        self.requires[rule].map(|(companion, _)| companion)
    }

    /// Sets how many nested layers of base64, hex and percent-encoding are decoded (0: none).
    pub fn with_decode_depth(mut self, depth: usize) -> Self {
        self.decode_depth = depth;
        self
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The rule at `index`.
    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules.rules()[index]
    }

    /// Fresh per-thread buffers.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            windows: vec![Vec::new(); self.rules.len()],
            touched: Vec::new(),
            path_state: vec![PATH_UNKNOWN; self.rules.len()],
            rejected: Vec::new(),
        }
    }

    /// Appends a match for every path-only rule (a committed keystore, an `id_rsa`) that `path` matches.
    /// Called for every file, including the binary and oversized ones the content scan skips.
    pub fn scan_path(&self, path: &str, out: &mut Vec<RawMatch>) {
        for &i in &self.path_only {
            let rule = self.rule(i);
            if rule
                .path
                .as_ref()
                .is_some_and(|p| p.is_match(path.as_bytes()))
                && !rule.allowlist.allows_path(path)
            {
                out.push(RawMatch {
                    rule: i,
                    secret: 0..0,
                    matched: 0..0,
                    entropy: 0.0,
                    related: None,
                    decoded: None,
                });
            }
        }
    }

    /// Scans one blob found at `path` (relative, `/`-separated) and appends what it finds to `out`, ordered
    /// by position. Matches of a lower confidence that overlap a higher-confidence match are dropped.
    pub fn scan(&self, path: &str, bytes: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        let first = out.len();
        self.scan_filtered(Some(path), bytes, scratch, out, None);
        self.add_decoded(Some(path), bytes, scratch, out, first);
    }

    /// Adds what encoded runs hide, then resolves overlaps between those and the plain matches (a
    /// GitHub token inside a base64 value beats a generic rule's match on the base64 text).
    fn add_decoded(
        &self,
        path: Option<&str>,
        bytes: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
        first: usize,
    ) {
        let before = out.len();
        self.scan_decoded(path, bytes, scratch, out, self.decode_depth, "");
        if out.len() > before {
            out[first..].sort_by_key(|m| (m.secret.start, m.secret.end, m.rule));
            self.drop_overlapped(out, first, path.is_none());
        }
    }

    /// Scans what encoded runs of `bytes` decode to, `depth` layers deep, and reports what it finds at the
    /// encoded text.
    fn scan_decoded(
        &self,
        path: Option<&str>,
        bytes: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
        depth: usize,
        outer: &str,
    ) {
        if depth == 0 {
            return;
        }
        for enc in decode::find_encoded(bytes) {
            let encoding = if outer.is_empty() {
                enc.encoding.to_string()
            } else {
                format!("{outer}+{}", enc.encoding)
            };
            let mut inner = Vec::new();
            self.scan_filtered(path, &enc.decoded, scratch, &mut inner, None);
            self.scan_decoded(
                path,
                &enc.decoded,
                scratch,
                &mut inner,
                depth - 1,
                &encoding,
            );
            for m in inner {
                let (secret, encoding) = match m.decoded {
                    Some(d) => (d.secret, d.encoding),
                    None => (enc.decoded[m.secret.clone()].to_vec(), encoding.clone()),
                };
                out.push(RawMatch {
                    rule: m.rule,
                    secret: enc.span.clone(),
                    matched: enc.span.clone(),
                    entropy: m.entropy,
                    related: None,
                    decoded: Some(Box::new(Decoded { encoding, secret })),
                });
            }
        }
    }

    /// Scans a blob whose path is not known yet (git history: one blob may sit at many paths). Rules
    /// restricted to some paths run too; [`Engine::applies_at`] later keeps the matches that hold at
    /// each path the blob was found at.
    pub fn scan_any_path(&self, bytes: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        let first = out.len();
        self.scan_filtered(None, bytes, scratch, out, None);
        self.add_decoded(None, bytes, scratch, out, first);
    }

    /// True when a match of rule `rule` in a blob counts at `path`: the rule's `path` restriction and
    /// allowlisted paths, and the template-file policy (only high-confidence rules in `.example` files).
    pub fn applies_at(&self, rule: usize, path: &str) -> bool {
        let rule = self.rule(rule);
        rule.path
            .as_ref()
            .is_none_or(|p| p.is_match(path.as_bytes()))
            && !rule.allowlist.allows_path(path)
            && !(rule.confidence < Confidence::High && filter::is_template_path(path))
    }

    /// Like [`Engine::scan`], with only the rule at index `rule` (checking a rule's own examples).
    pub fn scan_with_rule(
        &self,
        rule: usize,
        path: &str,
        bytes: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
    ) {
        self.scan_filtered(Some(path), bytes, scratch, out, Some(rule as u32));
    }

    fn scan_filtered(
        &self,
        path: Option<&str>,
        bytes: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
        only: Option<u32>,
    ) {
        let first = out.len();
        let Scratch {
            windows,
            touched,
            path_state,
            rejected,
        } = scratch;
        rejected.clear();
        self.prefilter
            .for_each_hit(bytes, |rule_index, start, end| {
                if only.is_some_and(|o| {
                    o != rule_index
                        && self.requires[o as usize]
                            .is_none_or(|(companion, _)| companion != rule_index as usize)
                }) {
                    return;
                }
                let r = rule_index as usize;
                if path_state[r] == PATH_UNKNOWN {
                    let rule = self.rule(r);
                    let ok = path.is_none_or(|path| {
                        rule.path
                            .as_ref()
                            .is_none_or(|p| p.is_match(path.as_bytes()))
                            && !rule.allowlist.allows_path(path)
                    });
                    path_state[r] = if ok { PATH_OK } else { PATH_SKIP };
                    touched.push(rule_index);
                }
                if path_state[r] == PATH_SKIP {
                    return;
                }
                let rule = self.rule(r);
                let window = keyword_window(bytes, start, end, rule.multiline, rule.context_lines);
                let list = &mut windows[r];
                match list.last_mut() {
                    Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
                    _ => list.push(window),
                }
            });

        let template = path.is_some_and(filter::is_template_path);
        for &r in touched.iter() {
            let r = r as usize;
            path_state[r] = PATH_UNKNOWN;
            let list = std::mem::take(&mut windows[r]);
            if !list.is_empty() {
                self.run_rule(r, bytes, &list, template, out, rejected);
            }
            let mut list = list;
            list.clear();
            windows[r] = list;
        }
        touched.clear();

        let found = &mut out[first..];
        found.sort_by_key(|m| (m.secret.start, m.secret.end, m.rule));
        // Composites pair before overlaps are resolved: an unpaired composite match must not hide the
        // lower-confidence match it overlaps (a lone client_secret is still a generic secret).
        self.pair_composites(bytes, out, first);
        // companions have done their job; a rule checking its own examples still sees its matches
        let mut i = first;
        while i < out.len() {
            let r = out[i].rule;
            if self.rule(r).companion_only && only != Some(r as u32) {
                out.remove(i);
            } else {
                i += 1;
            }
        }
        // Without a path, a path-restricted rule may not apply where the blob is found, so it must not
        // hide another rule's match yet; the caller resolves those overlaps per path.
        self.drop_overlapped(out, first, path.is_none());
        if !rejected.is_empty() {
            let mut i = first;
            while i < out.len() {
                let m = &out[i];
                if self.rule(m.rule).generic
                    && rejected
                        .iter()
                        .any(|r| r.start < m.secret.end && m.secret.start < r.end)
                {
                    out.remove(i);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Keeps a composite rule's match only when its companion rule matched within its line distance, and
    /// records the companion's span.
    fn pair_composites(&self, bytes: &[u8], out: &mut Vec<RawMatch>, first: usize) {
        if !out[first..].iter().any(|m| self.requires[m.rule].is_some()) {
            return;
        }
        let lines_apart = |a: usize, b: usize| {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            memchr::memchr_iter(b'\n', &bytes[lo..hi]).count()
        };
        let snapshot: Vec<(usize, Range<usize>)> = out[first..]
            .iter()
            .map(|m| (m.rule, m.secret.clone()))
            .collect();
        let mut i = first;
        while i < out.len() {
            if let Some((companion, within)) = self.requires[out[i].rule] {
                let start = out[i].secret.start;
                let found = snapshot
                    .iter()
                    .filter(|(r, _)| *r == companion)
                    .map(|(_, span)| span.clone())
                    .min_by_key(|span| lines_apart(span.start, start));
                match found {
                    Some(span) if lines_apart(span.start, start) <= within => {
                        out[i].related = Some(span);
                        i += 1;
                    }
                    _ => {
                        out.remove(i);
                    }
                }
            } else {
                i += 1;
            }
        }
    }

    fn run_rule(
        &self,
        r: usize,
        bytes: &[u8],
        windows: &[Range<usize>],
        template: bool,
        out: &mut Vec<RawMatch>,
        rejected: &mut Vec<Range<usize>>,
    ) {
        let rule = self.rule(r);
        if template && rule.confidence < Confidence::High {
            return;
        }
        let Some(regex) = rule.regex() else { return };
        for window in windows {
            let hay = &bytes[window.clone()];
            for caps in regex.captures_iter(hay) {
                let Some(span) = rule.secret_span(&caps) else {
                    continue;
                };
                let whole = caps.get(0).expect("group 0 always matches").range();
                let secret = &hay[span.clone()];
                if rule.allowlist.allows_match(&hay[whole.clone()])
                    || !rule
                        .also_match
                        .iter()
                        .all(|r| r.is_match(&hay[whole.clone()]))
                {
                    continue;
                }
                let accepted = self.accept(rule, secret);
                if accepted.is_none() && rule.checksum.is_some_and(|c| !checksum::verify(c, secret))
                {
                    rejected.push(window.start + span.start..window.start + span.end);
                }
                if let Some(entropy) = accepted {
                    out.push(RawMatch {
                        rule: r,
                        secret: window.start + span.start..window.start + span.end,
                        matched: window.start + whole.start..window.start + whole.end,
                        entropy,
                        related: None,
                        decoded: None,
                    });
                }
            }
        }
    }

    /// The gates every captured secret passes; returns its entropy when it is kept.
    fn accept(&self, rule: &Rule, secret: &[u8]) -> Option<f64> {
        if secret.is_empty() {
            return None;
        }
        let entropy = shannon(secret);
        if rule.min_entropy.is_some_and(|min| entropy < min) {
            return None;
        }
        // estimated at most once per secret, and only when a gate asks for it
        let guess = std::cell::OnceCell::new();
        let per_char = || *guess.get_or_init(|| randomness::estimate(secret).per_char);
        if rule.min_randomness.is_some_and(|min| per_char() < min) {
            return None;
        }
        if let Some(check) = rule.checksum {
            if !checksum::verify(check, secret) {
                return None;
            }
        }
        if filter::is_placeholder(secret) || filter::is_reference(secret) {
            return None;
        }
        if rule.generic && filter::is_not_a_secret_value(secret, per_char) {
            return None;
        }
        if rule.allowlist.allows_secret(secret) {
            return None;
        }
        Some(entropy)
    }

    /// Removes, from `out[first..]` (sorted by secret start), matches that overlap a match of strictly
    /// higher confidence, and matches of the very same span as an earlier rule of equal confidence: one
    /// secret is one finding.
    fn drop_overlapped(&self, out: &mut Vec<RawMatch>, first: usize, unrestricted_only: bool) {
        let found: Vec<RawMatch> = out.drain(first..).collect();
        for (i, m) in found.iter().enumerate() {
            let conf = self.rule(m.rule).confidence;
            let beaten = found.iter().enumerate().any(|(j, o)| {
                j != i
                    && !(unrestricted_only && self.rule(o.rule).path.is_some())
                    && o.secret.start < m.secret.end
                    && m.secret.start < o.secret.end
                    && (self.rule(o.rule).confidence > conf
                        || (j < i && o.secret == m.secret && self.rule(o.rule).confidence == conf))
            });
            if !beaten {
                out.push(m.clone());
            }
        }
    }
}

/// The text a rule's regex runs on for one keyword occurrence: the keyword's line (capped around the
/// keyword for very long lines), extended past the line for multi-line rules.
fn keyword_window(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(text: &str) -> Engine {
        Engine::new(RuleSet::from_sources([("t.toml", text)]).unwrap())
    }

    #[test]
    fn regex_runs_only_on_keyword_lines() {
        let e = engine("[[rule]]\nid = \"t\"\nname = \"t\"\nregex = '''tok_([a-z0-9]{8})'''\nkeywords = [\"tok_\"]\n");
        let mut s = e.scratch();
        let mut out = Vec::new();
        e.scan(
            "a.txt",
            b"x\nlet a = \"tok_a1b2c3d4\";\nTOK_zzzz\n",
            &mut s,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret, 15..23);
        // scratch is reusable
        out.clear();
        e.scan("a.txt", b"nothing here", &mut s, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn higher_confidence_wins_overlaps() {
        let e = engine(
            "[[rule]]\nid = \"generic\"\nname = \"g\"\nconfidence = \"low\"\nregex = '''token=([a-z0-9_]+)'''\nkeywords = [\"token\"]\n\
             [[rule]]\nid = \"specific\"\nname = \"s\"\nregex = '''(tok_[a-z0-9]{8})'''\nkeywords = [\"tok_\"]\n",
        );
        let mut out = Vec::new();
        e.scan("a", b"token=tok_a1b2c3d4", &mut e.scratch(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(e.rule(out[0].rule).id, "specific");
    }

    #[test]
    fn must_also_match_and_must_not_match() {
        let e = engine(
            "[[rule]]\nid = \"t\"\nname = \"t\"\nregex = '''key=([a-z0-9]{8})'''\nkeywords = [\"key=\"]\n\
             also_match = ['''[0-9]''']\n[rule.allowlist]\nmatches = ['''^key=test''']\n",
        );
        let mut out = Vec::new();
        e.scan(
            "a",
            b"key=a1b2c3d4\nkey=abcdefgh\nkey=test1234\n",
            &mut e.scratch(),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret, 4..12);
    }

    #[test]
    fn path_rules() {
        let e = engine("[[rule]]\nid = \"keystore\"\nname = \"k\"\npath = '''\\.jks$'''\n");
        let mut out = Vec::new();
        e.scan_path("a/b.jks", &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        e.scan_path("a/b.txt", &mut out);
        assert!(out.is_empty());
    }
}
