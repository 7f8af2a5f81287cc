//! The matching engine: keyword prefilter → candidate rules → regex near the keyword → gates → verdicts.
//! Every regex match becomes a [`Candidate`] with a verdict: kept with its [`Score`], or dropped with
//! the [`Reject`] that says why. Kept candidates become [`RawMatch`]es. The engine sees bytes and a
//! path, never where they came from.
//!
//! One pass over a blob: [`prefilter`] finds keyword hits and [`window`] turns them into windows per
//! rule; each rule's regex runs in its windows and [`gate`] judges every match; the matches of the blob
//! are then settled together (composite rules paired, companion-only matches dropped, [`overlap`]s
//! resolved, look-alikes of checksum failures dropped); encoded runs are decoded ([`decode`]) and
//! scanned the same way.

pub mod checksum;
pub mod decode;
pub mod filter;
pub mod gate;
pub mod literal;
pub mod locate;
pub mod overlap;
pub mod password;
pub mod prefilter;
pub mod published;
pub mod selftest;
mod settle;
pub mod text;
pub mod verdict;
pub mod window;

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::RegexSet;

use crate::rules::{Rule, RuleSet};
use prefilter::Prefilter;
pub use verdict::{Candidate, Reject, Score};

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
    /// For a composite rule: each companion match, as (rule index, secret span).
    pub related: Vec<(usize, Range<usize>)>,
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
    /// Indices of the path-only rules.
    path_only: Vec<usize>,
    /// One regex set over the path-only rules' paths, built on first use (one compilation instead of
    /// one per rule); `None` when it cannot be built, and each rule is then asked alone.
    path_set: OnceLock<Option<RegexSet>>,
    decode_depth: usize,
    /// Per rule: the companion rule index and line distance of a composite rule.
    requires: Vec<Vec<(usize, usize)>>,
    /// Per rule: a companion-only rule every composite of which sees far enough around its own
    /// keyword (`context_lines` ≥ `within_lines`); it runs in those composites' windows instead of
    /// on its own keyword hits (a host or user setting is everywhere; a password is not).
    in_window: Vec<bool>,
}

/// Per-thread buffers so that scanning a blob allocates nothing in the common case.
#[derive(Debug, Default)]
pub struct Scratch {
    windows: Vec<Vec<Range<usize>>>,
    touched: Vec<u32>,
    path_state: Vec<u8>,
    candidates: Vec<Candidate>,
}

const PATH_UNKNOWN: u8 = 0;
const PATH_OK: u8 = 1;
const PATH_SKIP: u8 = 2;

/// What one pass over a blob is for.
#[derive(Debug, Clone, Copy)]
struct Pass<'p> {
    /// Where the blob was found; `None` when it is not known yet (git history).
    path: Option<&'p str>,
    /// Only this rule (and its companion) runs: checking a rule's own examples.
    only: Option<usize>,
    /// Rules that do not apply at `path` run too, their matches dropped as [`Reject::NotAtPath`].
    explain: bool,
}

impl Pass<'_> {
    /// True when matches of `rule` may hide other matches: without a path, a path-restricted rule may not
    /// apply where the blob is found, so the caller resolves those overlaps per path.
    fn can_hide(&self, rule: &Rule) -> bool {
        self.path.is_some() || rule.path.is_none()
    }
}

impl Engine {
    /// Builds the engine over `rules`. The keyword automaton, the path-rule set and built-in rules'
    /// regexes are built the first time a scan needs them.
    pub fn new(rules: RuleSet) -> Self {
        let prefilter = Prefilter::new(&rules);
        let path_only = rules
            .rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_path_only())
            .map(|(i, _)| i)
            .collect();
        let requires: Vec<Vec<(usize, usize)>> = rules
            .rules()
            .iter()
            .map(|r| {
                r.requires
                    .iter()
                    .filter_map(|(id, lines)| {
                        let index = rules.rules().iter().position(|o| &o.id == id)?;
                        Some((index, *lines))
                    })
                    .collect()
            })
            .collect();
        let in_window = (0..rules.len())
            .map(|c| {
                let users: Vec<(usize, usize)> = requires
                    .iter()
                    .enumerate()
                    .flat_map(|(r, list): (usize, &Vec<(usize, usize)>)| {
                        list.iter()
                            .filter(move |(companion, _)| *companion == c)
                            .map(move |(_, within)| (r, *within))
                    })
                    .collect();
                rules.rules()[c].companion_only
                    && !users.is_empty()
                    && users
                        .iter()
                        .all(|&(r, within)| rules.rules()[r].context_lines >= within)
            })
            .collect();
        Engine {
            in_window,
            rules,
            prefilter,
            path_only,
            path_set: OnceLock::new(),
            decode_depth: DEFAULT_DECODE_DEPTH,
            requires,
        }
    }

    /// The companion rules of a composite rule (empty for other rules).
    pub fn companions_of(&self, rule: usize) -> impl Iterator<Item = usize> + '_ {
        self.requires[rule].iter().map(|(companion, _)| *companion)
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

    /// A digest of what decides what this engine finds in a blob: the source of this build (hashed by
    /// `build.rs`), the rules and the decode depth. Results cached under another identity are not used.
    pub fn identity(&self) -> [u8; 32] {
        let mut h = crate::rules::compile::Identity::default();
        h.field(env!("CARGO_PKG_VERSION"));
        h.field(env!("KEYHOUND_SOURCE_HASH"));
        h.field(self.rules.identity());
        h.field(self.decode_depth.to_le_bytes());
        h.finish()
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
            candidates: Vec::new(),
        }
    }

    /// Appends a match for every path-only rule (a committed keystore, an `id_rsa`) that applies at
    /// `path`. Called for every file, including the binary and oversized ones the content scan skips.
    pub fn scan_path(&self, path: &str, out: &mut Vec<RawMatch>) {
        let mut add = |i: usize| {
            if self.rule(i).applies_at(path) {
                out.push(RawMatch {
                    rule: i,
                    secret: 0..0,
                    matched: 0..0,
                    entropy: 0.0,
                    related: Vec::new(),
                    decoded: None,
                });
            }
        };
        match self.path_set() {
            // the set only narrows the rules down; `applies_at` decides
            Some(set) => set
                .matches(path.as_bytes())
                .iter()
                .for_each(|k| add(self.path_only[k])),
            None => self.path_only.iter().for_each(|&i| add(i)),
        }
    }

    fn path_set(&self) -> Option<&RegexSet> {
        self.path_set
            .get_or_init(|| {
                let sources = self.path_only.iter().map(|&i| {
                    let path = self.rule(i).path.as_ref();
                    path.expect("a path-only rule has a path").as_str()
                });
                RegexSet::new(sources).ok()
            })
            .as_ref()
    }

    /// Scans one blob found at `path` (relative, `/`-separated) and appends what it finds to `out`, ordered
    /// by position. Matches of a lower confidence that overlap a higher-confidence match are dropped.
    pub fn scan(&self, path: &str, bytes: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        self.scan_pass(Pass::new(Some(path)), bytes, scratch, out);
    }

    /// Scans a blob whose path is not known yet (git history: one blob may sit at many paths). Rules
    /// restricted to some paths run too; [`Rule::applies_at`] later keeps the matches that hold at each
    /// path the blob was found at.
    pub fn scan_any_path(&self, bytes: &[u8], scratch: &mut Scratch, out: &mut Vec<RawMatch>) {
        self.scan_pass(Pass::new(None), bytes, scratch, out);
    }

    /// Like [`Engine::scan`], with only the rule at index `rule` (checking a rule's own examples); its
    /// companion-only matches are kept, and encoded text is not decoded.
    pub fn scan_with_rule(
        &self,
        rule: usize,
        path: &str,
        bytes: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
    ) {
        let pass = Pass {
            only: Some(rule),
            ..Pass::new(Some(path))
        };
        let mut found = std::mem::take(&mut scratch.candidates);
        found.clear();
        self.judge_plain(pass, bytes, scratch, &mut found);
        out.extend(found.iter().filter_map(Candidate::to_match));
        scratch.candidates = found;
    }

    /// Every candidate in `bytes` with the engine's verdict on it, in position order: what [`Engine::scan`]
    /// keeps (the kept candidates are exactly its matches) and what it drops and why. Rules that do not
    /// apply at `path` run too and are dropped as [`Reject::NotAtPath`]. Candidates found in encoded
    /// text come after the plain ones unless one of them is kept.
    pub fn explain(&self, path: Option<&str>, bytes: &[u8]) -> Vec<Candidate> {
        let pass = Pass {
            explain: true,
            ..Pass::new(path)
        };
        let mut found = Vec::new();
        self.judge(pass, bytes, &mut self.scratch(), &mut found);
        found
    }

    /// Judges `bytes` and appends the kept candidates to `out` as matches.
    fn scan_pass(
        &self,
        pass: Pass<'_>,
        bytes: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
    ) {
        let mut found = std::mem::take(&mut scratch.candidates);
        found.clear();
        self.judge(pass, bytes, scratch, &mut found);
        out.extend(found.iter().filter_map(Candidate::to_match));
        scratch.candidates = found;
    }

    /// Judges the plain text of `bytes` and what its encoded runs hide, then resolves overlaps between
    /// those and the plain candidates (a GitHub token inside a base64 value beats a generic rule's match
    /// on the base64 text).
    fn judge(
        &self,
        pass: Pass<'_>,
        bytes: &[u8],
        scratch: &mut Scratch,
        found: &mut Vec<Candidate>,
    ) {
        let first = found.len();
        self.judge_plain(pass, bytes, scratch, found);
        let plain = found.len();
        self.judge_decoded(pass, bytes, scratch, found, self.decode_depth, "");
        if found[plain..].iter().any(Candidate::is_kept) {
            self.settle_overlaps(pass, &mut found[first..]);
        }
    }

    /// Judges the plain text of `bytes`: windows around keyword hits, each rule's regex in its windows,
    /// the gates on each match, then the blob's candidates settled together.
    fn judge_plain(
        &self,
        pass: Pass<'_>,
        bytes: &[u8],
        scratch: &mut Scratch,
        found: &mut Vec<Candidate>,
    ) {
        let first = found.len();
        self.collect_windows(pass, bytes, scratch);
        self.run_rules(pass, bytes, scratch, found);
        self.settle(pass, bytes, &mut found[first..]);
    }

    /// Judges what encoded runs of `bytes` decode to, `depth` layers deep; candidates are placed at the
    /// encoded text.
    fn judge_decoded(
        &self,
        pass: Pass<'_>,
        bytes: &[u8],
        scratch: &mut Scratch,
        found: &mut Vec<Candidate>,
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
            self.judge_plain(pass, &enc.decoded, scratch, &mut inner);
            self.judge_decoded(
                pass,
                &enc.decoded,
                scratch,
                &mut inner,
                depth - 1,
                &encoding,
            );
            found.extend(inner.into_iter().map(|c| {
                let (secret, encoding) = match c.decoded {
                    Some(d) => (d.secret, d.encoding),
                    None => (enc.decoded[c.secret.clone()].to_vec(), encoding.clone()),
                };
                Candidate {
                    rule: c.rule,
                    secret: enc.span.clone(),
                    matched: enc.span.clone(),
                    related: Vec::new(),
                    decoded: Some(Box::new(Decoded { encoding, secret })),
                    verdict: c.verdict,
                }
            }));
        }
    }

    /// Merges the keyword hits of `bytes` into windows per rule (in `scratch`), for the rules that apply
    /// at the pass's path (all of them when explaining).
    fn collect_windows(&self, pass: Pass<'_>, bytes: &[u8], scratch: &mut Scratch) {
        let Scratch {
            windows,
            touched,
            path_state,
            ..
        } = scratch;
        self.prefilter
            .for_each_hit(bytes, |rule_index, start, end| {
                let r = rule_index as usize;
                if pass
                    .only
                    .is_some_and(|o| o != r && !self.companions_of(o).any(|c| c == r))
                {
                    return;
                }
                if path_state[r] == PATH_UNKNOWN {
                    let ok = pass.path.is_none_or(|p| self.rule(r).applies_at(p));
                    path_state[r] = if ok { PATH_OK } else { PATH_SKIP };
                    touched.push(rule_index);
                }
                if path_state[r] == PATH_SKIP && !pass.explain {
                    return;
                }
                if self.in_window[r] && pass.only != Some(r) {
                    return;
                }
                let rule = self.rule(r);
                let window =
                    window::keyword_window(bytes, start, end, rule.multiline, rule.context_lines);
                let list = &mut windows[r];
                match list.last_mut() {
                    Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
                    _ => list.push(window),
                }
            });
    }

    /// Runs each touched rule's regex in its windows and judges every match; leaves `scratch` ready for
    /// the next blob.
    /// A companion-only rule runs only when a rule that needs it has keyword hits in the blob too: a
    /// host or user setting alone can never make a finding (unless the pass checks that rule alone).
    /// Companions that run in their composites' windows run only when some composite rule kept a match
    /// in the blob (or when explaining): otherwise every match of theirs would be dropped unpaired.
    fn run_rules(
        &self,
        pass: Pass<'_>,
        bytes: &[u8],
        scratch: &mut Scratch,
        found: &mut Vec<Candidate>,
    ) {
        let wanted: Vec<usize> = scratch
            .touched
            .iter()
            .flat_map(|&t| self.companions_of(t as usize))
            .collect();
        let needed =
            |r: usize| !self.rule(r).companion_only || wanted.contains(&r) || pass.only == Some(r);
        let mut composite_kept = pass.explain;
        for &r in &scratch.touched {
            let r = r as usize;
            let not_here = scratch.path_state[r] == PATH_SKIP;
            scratch.path_state[r] = PATH_UNKNOWN;
            let list = &scratch.windows[r];
            if !list.is_empty() && needed(r) {
                let first = found.len();
                self.run_rule(r, bytes, list, not_here, found);
                composite_kept |=
                    !self.requires[r].is_empty() && found[first..].iter().any(Candidate::is_kept);
            }
        }
        for &r in &scratch.touched {
            let r = r as usize;
            let list = &mut scratch.windows[r];
            if composite_kept && !list.is_empty() && needed(r) {
                for &(c, _) in &self.requires[r] {
                    if self.in_window[c] {
                        let away = pass.path.is_some_and(|p| !self.rule(c).applies_at(p));
                        self.run_rule(c, bytes, list, away, found);
                    }
                }
            }
            list.clear();
        }
        scratch.touched.clear();
    }

    /// Runs rule `r`'s regex in `windows` of `bytes` and judges each match (all dropped as
    /// [`Reject::NotAtPath`] when the rule does not apply here).
    fn run_rule(
        &self,
        r: usize,
        bytes: &[u8],
        windows: &[Range<usize>],
        not_here: bool,
        found: &mut Vec<Candidate>,
    ) {
        let rule = self.rule(r);
        let Some(regex) = rule.regex() else { return };
        for window in windows {
            let hay = &bytes[window.clone()];
            for caps in regex.captures_iter(hay) {
                let Some(span) = rule.secret_span(&caps) else {
                    continue;
                };
                let (span, written) = literal::read(hay, span);
                let whole = caps.get(0).expect("group 0 always matches").range();
                let verdict = if not_here {
                    Err(Reject::NotAtPath)
                } else {
                    gate::judge(rule, &hay[whole.clone()], &hay[span.clone()], written)
                };
                found.push(Candidate {
                    rule: r,
                    secret: window.start + span.start..window.start + span.end,
                    matched: window.start + whole.start..window.start + whole.end,
                    related: Vec::new(),
                    decoded: None,
                    verdict,
                });
            }
        }
    }
}

impl<'p> Pass<'p> {
    fn new(path: Option<&'p str>) -> Self {
        Pass {
            path,
            only: None,
            explain: false,
        }
    }
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
    fn explain_gives_every_candidate_its_verdict() {
        let e = engine(
            r#"
[[rule]]
id = "t"
name = "t"
regex = 'key=([a-zA-Z0-9$]+)'
keywords = ["key="]
min_entropy = 2.5
[rule.allowlist]
stopwords = ["nope"]
"#,
        );
        let text =
            b"key=Zq8mK2pL9vXw\nkey=aaab\nkey=$TOKEN\nkey=nopeQ8mK2pL9vX\nkey=xxxxQ8mK2pL9vX\n";
        let found = e.explain(Some("a.txt"), text);
        let verdicts: Vec<_> = found.iter().map(|c| c.verdict.clone()).collect();
        assert_eq!(verdicts.len(), 5, "{verdicts:?}");
        assert!(verdicts[0].is_ok(), "{verdicts:?}");
        assert!(
            matches!(verdicts[1], Err(Reject::Entropy { min, .. }) if min == 2.5),
            "{verdicts:?}"
        );
        assert_eq!(verdicts[2], Err(Reject::Reference));
        assert_eq!(verdicts[3], Err(Reject::AllowlistedSecret));
        assert_eq!(verdicts[4], Err(Reject::Placeholder));
        // what explain keeps is exactly what scan reports
        let mut out = Vec::new();
        e.scan("a.txt", text, &mut e.scratch(), &mut out);
        let kept: Vec<RawMatch> = found.iter().filter_map(Candidate::to_match).collect();
        assert_eq!(out, kept);
        // a rule that does not apply at the path runs, and is dropped as such
        let path_rule = engine(
            r#"
[[rule]]
id = "t"
name = "t"
regex = 'key=([a-z0-9]+)'
keywords = ["key="]
path = '\.env$'
"#,
        );
        let found = path_rule.explain(Some("main.rs"), b"key=a1b2c3d4");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].verdict, Err(Reject::NotAtPath));
        let mut out = Vec::new();
        path_rule.scan(
            "main.rs",
            b"key=a1b2c3d4",
            &mut path_rule.scratch(),
            &mut out,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn overlapped_and_checksum_look_alikes_say_why() {
        let e = engine(
            r#"
[[rule]]
id = "generic"
name = "g"
confidence = "low"
tags = ["generic"]
regex = 'token=([a-zA-Z0-9_]+)'
keywords = ["token"]

[[rule]]
id = "gh"
name = "s"
regex = '(ghp_[a-zA-Z0-9]{36})'
keywords = ["ghp_"]
checksum = "crc32-base62"
"#,
        );
        let random = "R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1Ju";
        let good = format!(
            "ghp_{random}{}",
            checksum::base62(crc32fast::hash(random.as_bytes()), 6)
        );
        let found = e.explain(Some("a"), format!("token={good}").as_bytes());
        let generic = found.iter().find(|c| c.rule == 0).unwrap();
        assert_eq!(generic.verdict, Err(Reject::Overlapped { by: 1 }));
        assert!(found.iter().any(|c| c.rule == 1 && c.is_kept()));
        let bad = format!("token=ghp_{random}AAAAAA");
        let found = e.explain(Some("a"), bad.as_bytes());
        let verdict = |rule| &found.iter().find(|c| c.rule == rule).unwrap().verdict;
        assert_eq!(
            verdict(1),
            &Err(Reject::Checksum(crate::rules::Checksum::Crc32Base62))
        );
        assert_eq!(verdict(0), &Err(Reject::FailedLookAlike { of: 1 }));
    }

    #[test]
    fn path_set_agrees_with_each_rule() {
        let e = Engine::new(RuleSet::builtin().unwrap());
        let mut paths = vec!["<stdin>", "src/main.rs", "a/.env.example", "x/.ENV"];
        for &i in &e.path_only {
            let rule = e.rule(i);
            paths.extend(rule.examples.iter().map(|p| p.as_ref()));
            paths.extend(rule.negative_examples.iter().map(|p| p.as_ref()));
        }
        for path in paths {
            let mut out = Vec::new();
            e.scan_path(path, &mut out);
            let got: Vec<usize> = out.iter().map(|m| m.rule).collect();
            let want: Vec<usize> = (e.path_only.iter().copied())
                .filter(|&i| e.rule(i).applies_at(path))
                .collect();
            assert_eq!(got, want, "{path}");
        }
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
