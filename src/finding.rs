//! Findings: what a report says about one secret. Built from an engine match plus the blob's provenance.
//! The secret itself is kept only so `--show-secrets` can print it; everything else that leaves the process
//! (redacted text, fingerprint) is derived so that it cannot give the secret away.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::repotext::{self, MAX_FIELD, MAX_PATH, MAX_TEXT};
use crate::rules::Confidence;

/// The most refs a finding lists (a repository with 100,000 tags does not put them all in every
/// finding); a last entry says how many more contain the commit.
pub const MAX_REFS: usize = 100;

/// Git facts about where a finding was introduced (history scans).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitProvenance {
    /// Full commit id that introduced the secret at this path.
    pub commit: String,
    /// Author name.
    pub author_name: String,
    /// Author email.
    pub author_email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the commit message.
    pub summary: String,
    /// Number of commits that added a version of the file at this path containing the secret.
    pub commits: usize,
    /// Whether HEAD's version of the file still contains the secret (for a file reported by its path:
    /// whether HEAD still has a file at that path).
    pub present_at_head: bool,
    /// Branches and tags (`refs/heads/…`, `refs/tags/…`, `refs/remotes/…` short names) whose history
    /// contains the introducing commit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
}

/// The other half of a composite finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedPart {
    /// The companion rule's id.
    pub rule_id: String,
    /// Its 1-based line.
    pub line: usize,
    /// Its 1-based column.
    pub column: usize,
    /// The companion secret, redacted.
    pub redacted: String,
    /// The companion in full, never serialised: `--verify` sends it with the secret when a provider's
    /// check needs both (an access key ID with its secret key).
    #[serde(skip)]
    pub secret_bytes: Vec<u8>,
}

/// What a provider said about a secret (`--verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    /// The provider accepted the secret: it works now.
    Live,
    /// The provider rejected it: revoked, expired or never valid.
    Invalid,
    /// No verifier for this rule, a value the check needs is missing, or the answer cannot be trusted.
    Unknown,
    /// The check did not complete: network, rate limit, timeout, a malformed or refused answer.
    Error,
}

impl VerifyStatus {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyStatus::Live => "live",
            VerifyStatus::Invalid => "invalid",
            VerifyStatus::Unknown => "unknown",
            VerifyStatus::Error => "error",
        }
    }
}

/// The result of verifying one finding's secret with its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Live, invalid, unknown or error.
    pub status: VerifyStatus,
    /// The verifier's id (`github`, `aws`), absent when no verifier applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifier: Option<String>,
    /// Who the secret belongs to, as the provider said (account, user, scopes), when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// When the provider was asked (RFC 3339, UTC); absent when nothing was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// Why the status is what it is, when that needs saying (never contains the secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One reported secret.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// What the secret grants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// 1-based line of the secret's first byte.
    pub line: usize,
    /// 1-based column (code points) of the secret's first character.
    pub column: usize,
    /// 1-based line of the secret's last byte.
    pub end_line: usize,
    /// 1-based column just past the secret.
    pub end_column: usize,
    /// The secret with all but a few leading characters replaced by `***`.
    pub redacted: String,
    /// The secret in full; only serialised when the user asked for `--show-secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Shannon entropy of the secret (bits per byte).
    pub entropy: f64,
    /// Stable identity: SHA-256 of rule id, path and secret (hex, first 32 digits).
    pub fingerprint: String,
    /// Set when the secret was found by decoding the text at this location: `base64`, `hex`, `percent`
    /// (nested layers joined with `+`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// For a composite rule: the companion match that made this one count (an access key ID next to
    /// its secret key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<RelatedPart>,
    /// The further companions of a composite rule that needs several (a credential group: the user
    /// and the host next to a password).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_related: Vec<RelatedPart>,
    /// Set for history scans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitProvenance>,
    /// Set by `--verify`: what the provider said about the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// The lines around the secret, kept only when the scan asks for them (`--verify` looks there for a
    /// value a provider's check needs, such as a service account's email); never serialised.
    #[serde(skip)]
    pub context: Vec<u8>,
    /// Secret bytes, never serialised; dropped before reporting unless secrets are shown.
    #[serde(skip)]
    pub secret_bytes: Vec<u8>,
    /// Index of the rule in the scan's rule set.
    #[serde(skip)]
    pub rule_index: usize,
}

impl Finding {
    /// Bounds every piece of repository-controlled text the finding carries ([`repotext`]): its path and
    /// rule id (keeping them distinct), rule name and description, the commit's author and subject, the
    /// refs listed and what a provider said. The one place reports' copies are bounded; the scan's
    /// outcome calls it for every finding.
    pub fn bound_text(&mut self) {
        bound_unique(&mut self.path, MAX_PATH);
        bound_unique(&mut self.rule_id, MAX_PATH);
        repotext::bound_in_place(&mut self.rule_name, MAX_FIELD);
        if let Some(d) = &mut self.description {
            repotext::bound_in_place(d, MAX_TEXT);
        }
        for r in self.related.iter_mut().chain(&mut self.also_related) {
            bound_unique(&mut r.rule_id, MAX_PATH);
        }
        if let Some(g) = &mut self.git {
            for text in [&mut g.author_name, &mut g.author_email, &mut g.summary] {
                repotext::bound_in_place(text, MAX_FIELD);
            }
            if g.refs.len() > MAX_REFS {
                let more = g.refs.len() - MAX_REFS;
                g.refs.truncate(MAX_REFS);
                g.refs.push(format!("… and {more} more"));
            }
            for r in &mut g.refs {
                repotext::bound_in_place(r, MAX_FIELD);
            }
        }
        if let Some(v) = &mut self.verification {
            for text in [&mut v.identity, &mut v.note].into_iter().flatten() {
                repotext::bound_in_place(text, MAX_TEXT);
            }
        }
    }

    /// Replaces the kept secret by nothing unless `show` is set; called once before reporting.
    pub fn finalize_secret(&mut self, show: bool) {
        self.secret = show.then(|| String::from_utf8_lossy(&self.secret_bytes).into_owned());
    }
}

/// Replaces `text` by [`repotext::bound_unique`]'s bound when it is longer than `max`.
fn bound_unique(text: &mut String, max: usize) {
    if let std::borrow::Cow::Owned(bounded) = repotext::bound_unique(text, max) {
        *text = bounded;
    }
}

/// The rule id of the finding a range scan reports for each change to the scanner's own configuration
/// (see `config::trust`). It is not a secret: no provider can call it live, so `--fail-on live` still
/// fails on it (a merged change to the configuration could silence later live findings), and the census
/// and baselines leave it out.
pub const CONFIG_CHANGED_RULE: &str = "scanner-config-changed";

/// The fingerprint of a finding: stable when lines move, different per rule, path and secret.
pub fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(repotext::path_bytes(path));
    h.update([0]);
    h.update(secret);
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A few leading characters of the secret, then `***`. Short secrets show less, so that at most a quarter
/// of a secret (and never more than four characters) is revealed.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars = text.chars().count();
    let keep = (chars / 4).min(4);
    let mut out: String = text.chars().take(keep).collect();
    out.push_str("***");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_reveals_little() {
        assert_eq!(
            redact(b"ghp_R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1JuE5gKo0"),
            "ghp_***"
        );
        assert_eq!(redact(b"hunter2"), "h***");
        assert_eq!(redact(b"abc"), "***");
    }

    #[test]
    fn fingerprint_depends_on_rule_path_and_secret_only() {
        let a = fingerprint("r", "p", b"s");
        assert_eq!(a, fingerprint("r", "p", b"s"));
        assert_ne!(a, fingerprint("r2", "p", b"s"));
        assert_ne!(a, fingerprint("r", "p2", b"s"));
        assert_ne!(a, fingerprint("r", "p", b"s2"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains('s') || a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
