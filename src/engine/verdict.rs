//! Verdicts: what the engine decided about each regex match (a [`Candidate`]) and why. A kept candidate
//! carries its [`Score`]; a dropped one carries the [`Reject`] of the gate or stage that dropped it, so
//! tests, debugging and `explain` can show every decision without re-checking anything.

use std::fmt;
use std::ops::Range;

use super::filter::ValueKind;
use super::password::NotAPassword;
use super::{Decoded, RawMatch};
use crate::rules::Checksum;

/// What the gates measured on a kept secret.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Shannon entropy of the secret, in bits per byte.
    pub entropy: f64,
    /// Estimated guessing bits per character, when a gate needed it (see
    /// [`crate::randomness::estimate`]).
    pub randomness: Option<f64>,
}

/// Why a candidate was dropped: the first gate or stage that said no.
#[derive(Debug, Clone, PartialEq)]
pub enum Reject {
    /// The rule does not apply at this path (its `path` restriction, an allowlisted path, or a template
    /// file and a rule below high confidence). Only [`super::Engine::explain`] runs such rules.
    NotAtPath,
    /// The whole match matches one of the rule's allowlist `matches`.
    AllowlistedMatch,
    /// The whole match fails one of the rule's `also_match` regexes.
    NoAlsoMatch,
    /// The secret fails the rule's offline structure check.
    Checksum(Checksum),
    /// The secret is empty.
    Empty,
    /// Shannon entropy below the rule's `min_entropy`.
    Entropy {
        /// The secret's entropy (bits per byte).
        value: f64,
        /// The rule's minimum.
        min: f64,
    },
    /// Estimated randomness below the rule's `min_randomness`.
    Randomness {
        /// The secret's estimated guessing bits per character.
        score: f64,
        /// The rule's minimum.
        min: f64,
    },
    /// A credential its vendor publishes on purpose (a documentation sample, an emulator's key); names
    /// where it is published.
    Published(&'static str),
    /// A documentation or template value (`your-api-key`, `<TOKEN>`, `xxxx`).
    Placeholder,
    /// A reference to a value held elsewhere (`$VAR`, `%(name)s`, `@token@`).
    Reference,
    /// A generic rule's value that is something else (code, an identifier, a path, ...).
    NotASecretValue(ValueKind),
    /// A weak-password rule's value that is not somebody's password (a local default, a name, a test
    /// value, code).
    NotAPassword(NotAPassword),
    /// The secret matches one of the rule's allowlist regexes or stopwords.
    AllowlistedSecret,
    /// A composite rule's match without its companion rule's match within the rule's line distance.
    Unpaired {
        /// Index of the companion rule.
        companion: usize,
    },
    /// A companion-only rule's match: it completes composite rules and is never reported by itself.
    CompanionOnly,
    /// Overlapped by a match of higher confidence, or the same span found by an earlier rule of equal
    /// confidence: one secret is one finding.
    Overlapped {
        /// Index of the rule whose match won.
        by: usize,
    },
    /// A generic rule's match over text a structured rule recognised but rejected on its checksum: a
    /// failed look-alike is not left to the generic rules to report.
    FailedLookAlike {
        /// Index of the structured rule whose checksum failed.
        of: usize,
    },
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::NotAtPath => f.write_str("rule does not apply at this path"),
            Reject::AllowlistedMatch => f.write_str("match allowlisted by the rule"),
            Reject::NoAlsoMatch => f.write_str("match fails the rule's also_match"),
            Reject::Checksum(c) => write!(f, "fails the {} checksum", c.as_str()),
            Reject::Empty => f.write_str("empty secret"),
            Reject::Entropy { value, min } => write!(f, "entropy {value:.2} < {min}"),
            Reject::Randomness { score, min } => write!(f, "randomness {score:.2} < {min}"),
            Reject::Published(source) => write!(f, "published example ({source})"),
            Reject::Placeholder => f.write_str("placeholder"),
            Reject::Reference => f.write_str("reference to a value held elsewhere"),
            Reject::NotASecretValue(kind) => write!(f, "not a secret: {}", kind.as_str()),
            Reject::NotAPassword(kind) => write!(f, "not a password: {}", kind.as_str()),
            Reject::AllowlistedSecret => f.write_str("secret allowlisted by the rule"),
            Reject::Unpaired { .. } => f.write_str("composite rule without its companion nearby"),
            Reject::CompanionOnly => f.write_str("companion-only rule"),
            Reject::Overlapped { .. } => f.write_str("overlapped by a stronger match"),
            Reject::FailedLookAlike { .. } => {
                f.write_str("look-alike of a token that failed its checksum")
            }
        }
    }
}

/// One regex match of one rule and the engine's verdict on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index of the rule in the engine's rule set.
    pub rule: usize,
    /// Byte range of the secret in the blob (for a decoded candidate: of the encoded text).
    pub secret: Range<usize>,
    /// Byte range of the whole regex match (for a decoded candidate: of the encoded text).
    pub matched: Range<usize>,
    /// For a composite rule's kept match: the secret span of the companion match.
    pub related: Vec<(usize, Range<usize>)>,
    /// Set when the candidate was found inside encoded text.
    pub decoded: Option<Box<Decoded>>,
    /// Kept, with its score, or dropped, with the reason.
    pub verdict: Result<Score, Reject>,
}

impl Candidate {
    /// True when the candidate is kept.
    pub fn is_kept(&self) -> bool {
        self.verdict.is_ok()
    }

    /// The candidate as a match, when it is kept.
    pub fn to_match(&self) -> Option<RawMatch> {
        let score = self.verdict.as_ref().ok()?;
        Some(RawMatch {
            rule: self.rule,
            secret: self.secret.clone(),
            matched: self.matched.clone(),
            entropy: score.entropy,
            related: self.related.clone(),
            decoded: self.decoded.clone(),
        })
    }

    /// Drops a kept candidate for `reason` (a dropped one keeps its first reason).
    pub(super) fn drop_for(&mut self, reason: Reject) {
        if self.verdict.is_ok() {
            self.verdict = Err(reason);
        }
    }
}
