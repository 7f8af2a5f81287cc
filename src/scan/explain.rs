//! Explaining a scan: every candidate the engine meets in a file (each regex match of each rule a
//! keyword brought there), with the verdict of every stage it went through, in the scan's own order:
//! the engine's gates ([`Engine::explain`]: path, allowlist, checksum, entropy, randomness, published
//! example, placeholder, reference, composite pairing, overlaps), the `--min-confidence` filter, the
//! suppression of the config's allowlist, inline markers and ignore files ([`Suppressor`]'s reasons),
//! and a baseline ([`apply_baseline`]). The scan computes these only when asked
//! ([`super::ScanOptions::explain`]) and with the same calls it reports with, so "why was this (not)
//! reported?" is answered by the code that decided it. Secrets stay redacted unless the caller asks
//! to show them.

use std::ops::{Range, RangeInclusive};

use super::{Base, NotPlaced, Scanner};
use crate::baseline::Baseline;
use crate::census::secret_id;
use crate::engine::filter::{confidence_at, placeholder_mark};
use crate::engine::{locate, window, Candidate, RawMatch, Reject, Score};
use crate::finding::redact;
use crate::report::escape::terminal;
use crate::rules::Rule;

/// One stage's verdict on a candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The stage: `engine`, `confidence`, `suppression` or `baseline`.
    pub stage: &'static str,
    /// True when the candidate went on past it.
    pub passed: bool,
    /// What the stage measured or matched, with its numbers.
    pub detail: String,
}

impl Step {
    fn pass(stage: &'static str, detail: impl Into<String>) -> Step {
        Step {
            stage,
            passed: true,
            detail: detail.into(),
        }
    }

    fn fail(stage: &'static str, detail: impl Into<String>) -> Step {
        Step {
            stage,
            passed: false,
            detail: detail.into(),
        }
    }
}

/// One candidate and what each stage said about it; the stages after the one that dropped it did
/// not run.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// Path as findings name it.
    pub path: String,
    /// 1-based line of the secret.
    pub line: usize,
    /// 1-based column of the secret.
    pub column: usize,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// The rule's keyword found at the match (none for rules that match a file by its path).
    pub keyword: Option<String>,
    /// The secret, redacted.
    pub redacted: String,
    /// How the secret was encoded, when it was found by decoding.
    pub decoded: Option<String>,
    /// The stages' verdicts, in order.
    pub steps: Vec<Step>,
    /// The secret's census identity, when it got past suppression (what a baseline matches).
    pub secret_id: Option<String>,
    /// The secret itself, shown only by [`Explanation::render`] with `show`.
    secret: Vec<u8>,
}

impl Explanation {
    /// True when every stage let it through: the scan reports it.
    pub fn reported(&self) -> bool {
        self.steps.iter().all(|s| s.passed)
    }

    /// The explanation as text for a terminal: a head line (place, rule, secret, verdict), then one
    /// line per stage. Repository text is escaped; the secret is redacted unless `show`.
    pub fn render(&self, show: bool) -> String {
        let shown = if show {
            String::from_utf8_lossy(&self.secret).into_owned()
        } else {
            self.redacted.clone()
        };
        let verdict = match self.steps.iter().find(|s| !s.passed) {
            None => "REPORTED".to_string(),
            Some(s) => format!("not reported (dropped by {})", s.stage),
        };
        let mut out = format!(
            "{}:{}:{} {} ({}) {}{}: {verdict}\n",
            terminal(&self.path),
            self.line,
            self.column,
            terminal(&self.rule_id),
            terminal(&self.rule_name),
            terminal(&shown),
            self.decoded
                .as_deref()
                .map(|d| format!(" [decoded from {d}]"))
                .unwrap_or_default(),
        );
        let keyword = match &self.keyword {
            Some(k) => format!("`{}`", terminal(k)),
            None => "none (the rule matches the file by its path)".into(),
        };
        out.push_str(&format!("    {:<12} {keyword}\n", "keyword"));
        for s in &self.steps {
            let mark = if s.passed { "ok" } else { "DROPPED" };
            let detail = terminal(&s.detail);
            out.push_str(&format!("    {:<12} {mark}: {detail}\n", s.stage));
        }
        out
    }
}

/// Keeps the explanations whose secret starts on `lines`.
pub fn on_lines(explanations: &mut Vec<Explanation>, lines: &RangeInclusive<usize>) {
    explanations.retain(|e| lines.contains(&e.line));
}

/// Adds the baseline's verdict to every candidate the scan would report: dropped when its secret's
/// identity is in `baseline` (the scan drops it after suppression, as `--baseline` does).
pub fn apply_baseline(explanations: &mut [Explanation], baseline: &Baseline) {
    for e in explanations.iter_mut().filter(|e| e.reported()) {
        let Some(id) = &e.secret_id else { continue };
        e.steps.push(match baseline.entry(id) {
            Some(entry) => Step::fail(
                "baseline",
                format!(
                    "a known secret: baseline entry {} ({} {})",
                    entry.id, entry.rule_id, entry.hint
                ),
            ),
            None => Step::pass("baseline", "not in the baseline"),
        });
    }
}

impl Scanner {
    /// Every candidate in the content found at `path` (`scanned`, located in `located` as a scan
    /// locates it), with each stage's verdict; `owned` keeps those whose secret starts where it says
    /// (a chunk's own part of a stream), and `base` shifts their lines into the stream's.
    pub(super) fn explain_blob(
        &self,
        path: &str,
        (scanned, located): (&[u8], &[u8]),
        owned: Option<Range<usize>>,
        base: Base,
    ) -> Vec<Explanation> {
        let mut out = Vec::new();
        if owned.as_ref().is_none_or(|o| o.start == 0) {
            let mut by_path = Vec::new();
            self.engine.scan_path(path, &mut by_path);
            for m in &by_path {
                let mut e = self.explanation(path, located, m.rule, &m.secret, b"", None);
                e.steps
                    .push(Step::pass("engine", "the file's path matches the rule"));
                self.suppression_steps(path, located, m, b"", &mut e);
                out.push(e);
            }
        }
        for c in self.engine.explain(Some(path), scanned) {
            if owned.as_ref().is_some_and(|o| !o.contains(&c.secret.start)) {
                continue;
            }
            out.push(self.explain_candidate(path, located, &c));
        }
        for e in &mut out {
            base.shift(&mut e.line, &mut e.column);
        }
        out
    }

    /// One candidate of the engine and the verdicts of the stages it reached.
    fn explain_candidate(&self, path: &str, bytes: &[u8], c: &Candidate) -> Explanation {
        let rule = self.engine.rule(c.rule);
        let secret: &[u8] = match &c.decoded {
            Some(d) => &d.secret,
            None => &bytes[c.secret.clone()],
        };
        let keyword = keyword_at(rule, bytes, c.matched.clone());
        let mut e = self.explanation(path, bytes, c.rule, &c.secret, secret, keyword);
        e.decoded = c.decoded.as_ref().map(|d| d.encoding.clone());
        match (&c.verdict, c.to_match()) {
            (Ok(score), Some(m)) => {
                e.steps.push(Step::pass("engine", kept(rule, score)));
                self.suppression_steps(path, bytes, &m, secret, &mut e);
            }
            (Err(reject), _) => {
                let detail = self.rejected(rule, reject, secret, &bytes[c.matched.clone()]);
                e.steps.push(Step::fail("engine", detail));
            }
            (Ok(_), None) => unreachable!("a kept candidate is a match"),
        }
        e
    }

    /// An explanation of rule `rule`'s candidate at `span` of `bytes`, before any verdict.
    fn explanation(
        &self,
        path: &str,
        bytes: &[u8],
        rule: usize,
        span: &Range<usize>,
        secret: &[u8],
        keyword: Option<String>,
    ) -> Explanation {
        let r = self.engine.rule(rule);
        let at = if r.is_path_only() {
            locate::Position { line: 1, column: 1 }
        } else {
            locate::position(bytes, span.start)
        };
        Explanation {
            path: path.to_string(),
            line: at.line,
            column: at.column,
            rule_id: r.id.clone(),
            rule_name: r.name.clone(),
            keyword,
            redacted: if r.is_path_only() {
                "(the file itself)".into()
            } else {
                redact(secret)
            },
            decoded: None,
            steps: Vec::new(),
            secret_id: None,
            secret: secret.to_vec(),
        }
    }

    /// The stages after the engine, as the scan runs them on a kept match: the confidence filter,
    /// then what silences a secret in its content (allowlist, inline marker), then at its path
    /// (allowlist path, the config's examples, ignore files).
    fn suppression_steps(
        &self,
        path: &str,
        bytes: &[u8],
        m: &RawMatch,
        secret: &[u8],
        e: &mut Explanation,
    ) {
        let rule = self.engine.rule(m.rule);
        if !self.confidence_step(rule, path, secret, e) {
            return;
        }
        if !rule.is_path_only() {
            if let Some(why) = self.suppressor.check_content(secret, bytes, m.secret.start) {
                e.steps.push(Step::fail("suppression", why.to_string()));
                return;
            }
        }
        match self.placed(self.draft(bytes, m, secret, &[]), path, None) {
            Ok(finding) => {
                e.secret_id = Some(secret_id(&finding));
                let detail = "no allowlist entry, inline marker or ignore-file entry applies";
                e.steps.push(Step::pass("suppression", detail));
            }
            Err(NotPlaced::Suppressed(why)) => {
                e.steps.push(Step::fail("suppression", why.to_string()))
            }
            Err(NotPlaced::NotHere) => e
                .steps
                .push(Step::fail("suppression", "the rule does not apply here")),
            Err(NotPlaced::BelowConfidence) => e.steps.push(Step::fail(
                "confidence",
                "below --min-confidence at this path",
            )),
        }
    }

    /// The `--min-confidence` filter on a kept match of `rule` at `path`, with the confidence the
    /// scan gives it there (a rule's `test_confidence` for test data); false when it drops it.
    fn confidence_step(&self, rule: &Rule, path: &str, secret: &[u8], e: &mut Explanation) -> bool {
        let here = confidence_at(rule, path, secret);
        let min = self.options.min_confidence;
        let mut have = here.as_str().to_string();
        if here != rule.confidence {
            have.push_str(&format!(
                " (test data: a test or fixture path, or a value marked fake; the rule's own is {})",
                rule.confidence.as_str()
            ));
        }
        // the scan drops it on the rule's confidence before suppression, and on its confidence at
        // the path when placing it
        if rule.confidence.min(here) < min {
            let detail = format!(
                "confidence {have} is below --min-confidence {}",
                min.as_str()
            );
            e.steps.push(Step::fail("confidence", detail));
            return false;
        }
        let detail = format!("{have}, at least --min-confidence {}", min.as_str());
        e.steps.push(Step::pass("confidence", detail));
        true
    }

    /// Why the engine dropped a candidate, with what matched (the allowlist entry, the placeholder
    /// word, the rule that won an overlap).
    fn rejected(&self, rule: &Rule, reject: &Reject, secret: &[u8], matched: &[u8]) -> String {
        let id = |i: usize| self.engine.rule(i).id.clone();
        let extra = match reject {
            Reject::Placeholder => placeholder_mark(secret),
            Reject::AllowlistedSecret => rule.allowlist.why_secret(secret).map(|a| a.to_string()),
            Reject::AllowlistedMatch => rule.allowlist.why_match(matched).map(|a| a.to_string()),
            Reject::NotAtPath => rule.path.as_ref().map(|p| format!("path `{}`", p.as_str())),
            Reject::Unpaired { companion } => Some(format!("`{}`", id(*companion))),
            Reject::Overlapped { by } => Some(format!("`{}` won", id(*by))),
            Reject::FailedLookAlike { of } => Some(format!("`{}`", id(*of))),
            _ => None,
        };
        match extra {
            Some(extra) => format!("{reject}: {extra}"),
            None => reject.to_string(),
        }
    }
}

/// What the gates measured on a kept candidate, with the rule's thresholds.
fn kept(rule: &Rule, score: &Score) -> String {
    let mut parts = vec![match rule.min_entropy {
        Some(min) => format!("entropy {:.2} (min {min})", score.entropy),
        None => format!("entropy {:.2}", score.entropy),
    }];
    if let (Some(r), Some(min)) = (score.randomness, rule.min_randomness) {
        parts.push(format!("randomness {r:.2} bits/char (min {min})"));
    }
    if let Some(c) = rule.checksum {
        parts.push(format!("{} checksum verified", c.as_str()));
    }
    format!("kept: {}", parts.join(", "))
}

/// The rule's keyword that brought the engine to the match at `matched`: the first found (ignoring
/// case) in the match, else in its lines and the rule's context lines around them.
fn keyword_at(rule: &Rule, bytes: &[u8], matched: Range<usize>) -> Option<String> {
    let find = |hay: &[u8]| {
        let lower = hay.to_ascii_lowercase();
        (rule.keywords.iter())
            .find(|k| memchr::memmem::find(&lower, k.to_ascii_lowercase().as_bytes()).is_some())
            .cloned()
    };
    let around =
        window::keyword_window(bytes, matched.start, matched.end, false, rule.context_lines);
    find(&bytes[matched]).or_else(|| find(&bytes[around]))
}
