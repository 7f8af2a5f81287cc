//! Suppression after matching: the scan-wide allowlist from the config, inline markers on the secret's line
//! (or the line before), and an ignore file of fingerprints. The engine's own placeholder and per-rule
//! allowlist gates come first; this layer handles what the user said about their repository.

pub mod ignorefile;
pub mod inline;

use std::collections::HashSet;

use crate::rules::Allowlist;

/// Everything that can silence a finding, resolved once per scan.
#[derive(Debug, Default)]
pub struct Suppressor {
    /// Scan-wide allowlist (`[allowlist]` in `.keyhound.toml`).
    pub global: Allowlist,
    /// Fingerprints from `.keyhoundignore`.
    pub fingerprints: HashSet<String>,
}

/// Why a finding was suppressed (counted in the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The config's allowlist.
    Allowlist,
    /// An inline marker.
    Inline,
    /// The ignore file.
    Fingerprint,
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
        if self.global.allows_secret(secret) {
            return Some(Suppression::Allowlist);
        }
        if inline::is_allowed_inline(bytes, secret_start) {
            return Some(Suppression::Inline);
        }
        None
    }

    /// What silences a finding at one path: the allowlist's paths and the ignore file's fingerprints.
    pub fn check_place(&self, path: &str, fingerprint: &str) -> Option<Suppression> {
        if self.global.allows_path(path) {
            return Some(Suppression::Allowlist);
        }
        if self.fingerprints.contains(fingerprint) {
            return Some(Suppression::Fingerprint);
        }
        None
    }

    /// Both checks, for content whose path is known.
    pub fn check(
        &self,
        path: &str,
        secret: &[u8],
        fingerprint: &str,
        bytes: &[u8],
        secret_start: usize,
    ) -> Option<Suppression> {
        self.check_place(path, fingerprint)
            .or_else(|| self.check_content(secret, bytes, secret_start))
    }
}
