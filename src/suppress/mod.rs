//! Suppression after matching: the scan-wide allowlist from the config, inline markers on the secret's line
//! (or the line before), and an ignore file of fingerprints. The engine's own placeholder and per-rule
//! allowlist gates come first; this layer handles what the user said about their repository.

pub mod ignorefile;
pub mod inline;

use std::collections::HashSet;

use crate::rules::{Allowed, Allowlist};

/// Everything that can silence a finding, resolved once per scan.
#[derive(Debug, Default)]
pub struct Suppressor {
    /// Scan-wide allowlist (`[allowlist]` in `.keyhound.toml`).
    pub global: Allowlist,
    /// Fingerprints from `.keyhoundignore`.
    pub fingerprints: HashSet<String>,
    /// `[commit:]file:rule:line` entries from a `.gitleaksignore`.
    pub gitleaks_ignored: ignorefile::GitleaksIgnore,
    /// The config file's own rule examples, exempt at the config's path only.
    pub config_examples: Option<ConfigExamples>,
}

/// The example strings of a config file's rules (`examples`, `negative_examples`): a secret inside one of
/// them, found in the config file itself, is the rule's documentation, not a leak. Anything else in the
/// file (a comment, an allowlist value) is scanned like any other text.
#[derive(Debug, Default, Clone)]
pub struct ConfigExamples {
    /// The config file's path, as findings name it (relative to the scan root, `/`-separated).
    pub path: String,
    /// Every example and negative example of its rules.
    pub examples: Vec<String>,
}

impl ConfigExamples {
    /// True when `secret`, found at `path`, is part of one of the examples.
    pub fn exempts(&self, path: &str, secret: &[u8]) -> bool {
        !secret.is_empty()
            && path == self.path
            && self
                .examples
                .iter()
                .any(|e| memchr::memmem::find(e.as_bytes(), secret).is_some())
    }
}

/// The commit that introduced a finding in a history scan, for ignore entries that name commits.
#[derive(Debug, Clone, Copy)]
pub struct InCommit<'a> {
    /// Its full hex id.
    pub commit: &'a str,
    /// True in a range scan (`A..B`), where entries that name no commit do not apply.
    pub range: bool,
}

/// Why a finding was suppressed (counted in the summary; `explain` says it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// An entry of the config's allowlist.
    Allowlist(Allowed),
    /// The config file's own rule examples, in the config file.
    ConfigExample,
    /// An inline marker (the marker).
    Inline(&'static str),
    /// A fingerprint in the ignore file (`.keyhoundignore` or `--ignore-file`).
    Fingerprint,
    /// A `.gitleaksignore` entry for the file and line.
    GitleaksIgnore,
}

impl std::fmt::Display for Suppression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Suppression::Allowlist(a) => write!(f, "the config's allowlist: {a}"),
            Suppression::ConfigExample => f.write_str("an example of a rule in this config file"),
            Suppression::Inline(m) => write!(f, "inline marker `{m}`"),
            Suppression::Fingerprint => f.write_str("its fingerprint is in the ignore file"),
            Suppression::GitleaksIgnore => {
                f.write_str("a .gitleaksignore entry for this file and line")
            }
        }
    }
}

impl Suppressor {
    /// What silences a secret wherever it is: the allowlist's regexes and stopwords, and inline markers
    /// around it in its own content.
    pub fn check_content(
        &self,
        secret: &[u8],
        bytes: &[u8],
        secret_start: usize,
    ) -> Option<Suppression> {
        if let Some(why) = self.global.why_secret(secret) {
            return Some(Suppression::Allowlist(why));
        }
        // Scan-wide "match" regexes are tried on the secret's whole line (gitleaks' regexTarget = line).
        if !self.global.matches.is_empty() {
            let line = crate::engine::locate::line_range(bytes, secret_start);
            if let Some(why) = self.global.why_match(&bytes[line]) {
                return Some(Suppression::Allowlist(why));
            }
        }
        inline::marker(bytes, secret_start).map(Suppression::Inline)
    }

    /// What silences a finding of `secret` at one path (introduced by a commit, in history scans): the
    /// allowlist's paths, the config's own rule examples (in the config file only), the ignore file's
    /// fingerprints, and a `.gitleaksignore` entry for that file and line (and commit).
    pub fn check_place(
        &self,
        path: &str,
        line: usize,
        fingerprint: &str,
        secret: &[u8],
        commit: Option<InCommit<'_>>,
    ) -> Option<Suppression> {
        if let Some(why) = self.global.why_path(path) {
            return Some(Suppression::Allowlist(why));
        }
        if self
            .config_examples
            .as_ref()
            .is_some_and(|c| c.exempts(path, secret))
        {
            return Some(Suppression::ConfigExample);
        }
        let gitleaks = !self.gitleaks_ignored.is_empty()
            && match commit {
                None => self.gitleaks_ignored.matches(path, line),
                Some(c) => self
                    .gitleaks_ignored
                    .matches_in_commit(path, line, c.commit, c.range),
            };
        if self.fingerprints.contains(fingerprint) {
            return Some(Suppression::Fingerprint);
        }
        gitleaks.then_some(Suppression::GitleaksIgnore)
    }
}
