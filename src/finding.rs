//! Findings: what a report says about one secret. Built from an engine match plus the blob's provenance.
//! The secret itself is kept only so `--show-secrets` can print it; everything else that leaves the process
//! (redacted text, fingerprint) is derived so that it cannot give the secret away.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::randomness;
use crate::repotext::{self, MAX_FIELD, MAX_PATH, MAX_TEXT};
use crate::rules::Confidence;

/// The most refs a finding lists (a repository with 100,000 tags does not put them all in every
/// finding); a last entry says how many more contain the commit.
pub const MAX_REFS: usize = 100;

/// Git facts about where a finding was introduced (history scans).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
}

/// The other half of a composite finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// One reported secret. It reads back from a JSON report (without the secret, which reports leave out).
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Path relative to the scan root, `/`-separated (in a merged report, prefixed with its repository:
    /// `<repository>/<path>`).
    pub path: String,
    /// The repository the finding was made in, in a report that merges several (`keyhound merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
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
    /// Stable identity: SHA-256 (or, keyed, HMAC-SHA256: [`Fingerprints`]) of rule id, path and secret
    /// (hex, first 32 digits).
    pub fingerprint: String,
    /// The secret's identity across files and commits (`census::secret_id`), under the same scheme;
    /// set when the scanner places the finding, empty before. Reports give it in the census.
    #[serde(skip)]
    pub secret_id: String,
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
    /// A few lines around the secret with every secret in them masked ([`excerpt`]), kept only when
    /// the report shows code (`--format html`); never serialised.
    #[serde(skip)]
    pub excerpt: Option<Excerpt>,
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

/// The fingerprint of a finding, unkeyed ([`Fingerprints::Unkeyed`]): stable when lines move, different
/// per rule, path and secret.
pub fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    Fingerprints::Unkeyed.fingerprint(rule_id, path, secret)
}

/// How fingerprints and secret identities are computed. Unkeyed (the default) they are SHA-256 and the
/// same on every machine, but anyone holding a report can test guesses at a weak secret offline; keyed
/// they are HMAC-SHA256 under a key the team keeps, and useless to a guesser without it. Changing the
/// scheme or the key changes every fingerprint and identity: ignore files and baselines written under
/// one do not match under another (a baseline records its key's id and is refused on a mismatch).
#[derive(Debug, Clone, Default)]
pub enum Fingerprints {
    /// SHA-256: stable across machines and runs, no key to share.
    #[default]
    Unkeyed,
    /// HMAC-SHA256 under a key.
    Keyed(std::sync::Arc<FingerprintKey>),
}

impl Fingerprints {
    /// The scheme the environment asks for: keyed when [`FINGERPRINT_KEY_ENV`] holds a key or
    /// [`FINGERPRINT_KEY_FILE_ENV`] names a file holding one, unkeyed otherwise.
    pub fn from_env() -> crate::Result<Fingerprints> {
        let key = match (
            std::env::var_os(FINGERPRINT_KEY_ENV),
            std::env::var_os(FINGERPRINT_KEY_FILE_ENV),
        ) {
            (Some(_), Some(_)) => {
                return Err(key_error(
                    FINGERPRINT_KEY_ENV,
                    format!("set either it or {FINGERPRINT_KEY_FILE_ENV}, not both"),
                ))
            }
            (Some(value), None) => FingerprintKey::new(value.as_encoded_bytes())
                .map_err(|m| key_error(FINGERPRINT_KEY_ENV, m))?,
            (None, Some(file)) => {
                let bytes = std::fs::read(&file).map_err(|e| {
                    key_error(&file.to_string_lossy(), format!("cannot read the key: {e}"))
                })?;
                FingerprintKey::new(bytes.trim_ascii())
                    .map_err(|m| key_error(&file.to_string_lossy(), m))?
            }
            (None, None) => return Ok(Fingerprints::Unkeyed),
        };
        Ok(Fingerprints::Keyed(std::sync::Arc::new(key)))
    }

    /// The key's id when keyed (see [`FingerprintKey::id`]).
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Fingerprints::Unkeyed => None,
            Fingerprints::Keyed(key) => Some(&key.id),
        }
    }

    /// The first 32 hex digits of the digest of `parts` joined by NUL bytes.
    pub fn digest(&self, parts: &[&[u8]]) -> String {
        let mut joined = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                joined.push(0);
            }
            joined.extend_from_slice(part);
        }
        let digest: Vec<u8> = match self {
            Fingerprints::Unkeyed => Sha256::digest(&joined).to_vec(),
            Fingerprints::Keyed(key) => {
                let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key.key);
                ring::hmac::sign(&key, &joined).as_ref().to_vec()
            }
        };
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The fingerprint of a finding of rule `rule_id` at `path` (its bytes, [`repotext::path_bytes`])
    /// with `secret`.
    pub fn fingerprint(&self, rule_id: &str, path: &str, secret: &[u8]) -> String {
        self.digest(&[rule_id.as_bytes(), &repotext::path_bytes(path), secret])
    }
}

/// The environment variable that holds a fingerprint key (at least [`FingerprintKey::MIN_LEN`] bytes).
pub const FINGERPRINT_KEY_ENV: &str = "KEYHOUND_FINGERPRINT_KEY";
/// The environment variable that names a file holding a fingerprint key (surrounding whitespace is
/// ignored).
pub const FINGERPRINT_KEY_FILE_ENV: &str = "KEYHOUND_FINGERPRINT_KEY_FILE";

fn key_error(source: &str, message: String) -> crate::Error {
    crate::Error::Config {
        path: source.into(),
        message: format!("fingerprint key: {message}"),
    }
}

/// A key for keyed fingerprints. Its bytes never leave the process; its id (a hash of it) is what
/// baselines record and messages name.
pub struct FingerprintKey {
    key: Vec<u8>,
    id: String,
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl FingerprintKey {
    /// The fewest bytes a key may have.
    pub const MIN_LEN: usize = 16;
    /// The least guessing, in bits ([`randomness::estimate`]), a key must be worth: its id is public,
    /// so a guessable key could be found from it.
    pub const MIN_BITS: f64 = 96.0;

    /// A key of these bytes; refused when short or guessable (a password is no key: generate one, e.g.
    /// `openssl rand -hex 32`).
    pub fn new(key: &[u8]) -> std::result::Result<FingerprintKey, String> {
        if key.len() < Self::MIN_LEN {
            return Err(format!(
                "the key has {} bytes; use at least {} random bytes (e.g. `openssl rand -hex 32`)",
                key.len(),
                Self::MIN_LEN
            ));
        }
        if randomness::estimate(key).bits < Self::MIN_BITS {
            return Err(
                "the key looks guessable; generate a random one (e.g. `openssl rand -hex \
                 32`)"
                    .into(),
            );
        }
        let id = Fingerprints::Unkeyed.digest(&[b"keyhound-fingerprint-key-id", key]);
        Ok(FingerprintKey {
            key: key.to_vec(),
            id: id[..16].to_string(),
        })
    }

    /// The key's id: 16 hex digits of a SHA-256 of the key, the same wherever the key is used.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Bits of guessing that must stay hidden for [`redact`] to show any of a secret: what a guesser who
/// has the shown characters and an (unkeyed) fingerprint still faces.
pub const REDACT_HIDDEN_BITS: f64 = 72.0;

/// The one redaction of a secret, used by every report, message, error and proof of concept.
///
/// A secret that is long and random enough shows its first few characters then `***`: at most a
/// quarter of it and never more than four characters, and only while the rest is still worth at least
/// [`REDACT_HIDDEN_BITS`] of guessing ([`randomness::estimate`]). For a provider's token those
/// characters are its public prefix (`ghp_***`, `AKIA***`). Anything shorter or weaker (a password,
/// a value made of words) shows nothing of itself, only a length class: `***(8-15 chars)`.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars = text.chars().count();
    let keep = (chars / 4).min(4);
    let hidden = randomness::estimate(secret).bits * (1.0 - keep as f64 / chars.max(1) as f64);
    if keep > 0 && hidden >= REDACT_HIDDEN_BITS {
        let mut out: String = text.chars().take(keep).collect();
        out.push_str("***");
        return out;
    }
    let class = match chars {
        0..=7 => "1-7",
        8..=15 => "8-15",
        16..=31 => "16-31",
        32..=63 => "32-63",
        _ => "64+",
    };
    format!("***({class} chars)")
}

/// Lines shown before and after a secret's lines in an [`Excerpt`].
pub const EXCERPT_CONTEXT: usize = 2;
/// At most this many of a secret's own lines are shown (a long private key shows its first ones).
pub const EXCERPT_SECRET_LINES: usize = 4;
/// Characters shown of each excerpt line; a longer line is cut around the secret (or at its start).
pub const EXCERPT_WIDTH: usize = 160;
/// A run of token characters at least this long that looks random ([`randomness::estimate`] at or
/// above [`EXCERPT_MASK_RANDOMNESS`] bits per character) is masked in an excerpt even if no rule found it.
pub const EXCERPT_MASK_LEN: usize = 12;
/// See [`EXCERPT_MASK_LEN`]; below every rule's `min_randomness`, so masking errs on the safe side.
pub const EXCERPT_MASK_RANDOMNESS: f64 = 2.5;

/// A few lines of a finding's content around its secret, for reports that show code. Built from the
/// blob once, with every secret the blob's matches found (`masks`) replaced by its redacted form and
/// every other random-looking run of [`EXCERPT_MASK_LEN`]+ token characters replaced by `***`: an
/// excerpt never shows a secret, with or without `--show-secrets`. The text is raw repository text
/// otherwise: a report escapes it for its medium.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Excerpt {
    /// 1-based number of the first line.
    pub first_line: usize,
    /// The lines (lossily decoded, masked, cut to [`EXCERPT_WIDTH`] characters with `…`).
    pub lines: Vec<String>,
}

/// The excerpt around `secret` (a byte range of `bytes`): [`EXCERPT_CONTEXT`] lines either side of the
/// secret's first [`EXCERPT_SECRET_LINES`] lines, with each range of `masks` (every secret found in
/// the blob; `secret` itself need not be among them) and each random-looking token masked.
pub fn excerpt(bytes: &[u8], secret: Range<usize>, masks: &[Range<usize>]) -> Excerpt {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset) - 1;
    let first_secret = line_of(secret.start.min(bytes.len()));
    let last_secret = line_of(
        secret
            .end
            .saturating_sub(1)
            .max(secret.start)
            .min(bytes.len()),
    )
    .min(first_secret + EXCERPT_SECRET_LINES - 1);
    // a final line break ends the last line; it does not start another
    let count = starts.len() - usize::from(bytes.ends_with(b"\n") && starts.len() > 1);
    let first = first_secret.saturating_sub(EXCERPT_CONTEXT);
    let last = (last_secret + EXCERPT_CONTEXT).min(count - 1);
    let mut all: Vec<Range<usize>> = masks.to_vec();
    all.push(secret.clone());
    all.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let lines = (first..=last)
        .map(|i| {
            let end = starts.get(i + 1).map_or(bytes.len(), |&s| s - 1);
            let line = starts[i]..end.max(starts[i]);
            let anchor = (i == first_secret).then_some(secret.start);
            masked_line(bytes, line, &all, anchor)
        })
        .collect();
    Excerpt {
        first_line: first + 1,
        lines,
    }
}

/// One line of an excerpt: the byte range `line` of `bytes` with `masks` (sorted by start) and
/// random-looking tokens masked, cut to [`EXCERPT_WIDTH`] characters around the mask that starts at
/// `anchor` (the secret's offset in `bytes`, on its first line) or from the line's start.
fn masked_line(
    bytes: &[u8],
    line: Range<usize>,
    masks: &[Range<usize>],
    anchor: Option<usize>,
) -> String {
    let mut out = String::new();
    let mut anchor_char = 0;
    let mut at = line.start;
    let touching = masks
        .iter()
        .filter(|m| !m.is_empty() && m.start < line.end && m.end > line.start);
    for m in touching {
        if m.end <= at {
            continue; // inside a mask already applied
        }
        let start = m.start.max(at);
        out.push_str(&mask_tokens(&bytes[at..start]));
        if anchor == Some(m.start) {
            anchor_char = out.chars().count();
        }
        if start == m.start {
            // the secret's first line shows its redacted form (cut at a line break it may hold)
            let redacted = redact(&bytes[m.clone()]);
            let shown = redacted.split(['\n', '\r']).next().unwrap_or_default();
            out.push_str(shown);
            if !shown.contains("***") {
                out.push_str("***");
            }
        } else {
            out.push_str("***");
        }
        at = m.end.min(line.end).max(start);
    }
    if at < line.end {
        out.push_str(&mask_tokens(&bytes[at..line.end]));
    }
    cut(out.trim_end_matches('\r'), anchor_char)
}

/// `text` with each random-looking run of token characters (see [`EXCERPT_MASK_LEN`]) as `***`.
fn mask_tokens(text: &[u8]) -> String {
    let is_token = |b: &u8| b.is_ascii_alphanumeric() || b"+/_-.~".contains(b);
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let plain = rest.iter().position(is_token).unwrap_or(rest.len());
        out.push_str(&String::from_utf8_lossy(&rest[..plain]));
        rest = &rest[plain..];
        let run = rest.iter().position(|b| !is_token(b)).unwrap_or(rest.len());
        let token = &rest[..run];
        if run >= EXCERPT_MASK_LEN
            && randomness::estimate(token).per_char >= EXCERPT_MASK_RANDOMNESS
        {
            out.push_str("***");
        } else {
            out.push_str(&String::from_utf8_lossy(token));
        }
        rest = &rest[run..];
    }
    out
}

/// `text` cut to [`EXCERPT_WIDTH`] characters, keeping the character at `anchor` in view; `…` marks
/// each cut end.
fn cut(text: &str, anchor: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= EXCERPT_WIDTH {
        return text.to_string();
    }
    let start = anchor
        .saturating_sub(EXCERPT_WIDTH / 3)
        .min(chars.len() - EXCERPT_WIDTH);
    let end = start + EXCERPT_WIDTH;
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
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
        assert_eq!(redact(b"AKIAQ3EGRDKXZ4LT7JNB"), "AKIA***");
        // short, weak or word-made: nothing of the value, only its length class
        assert_eq!(redact(b"hunter2"), "***(1-7 chars)");
        assert_eq!(redact(b"abc"), "***(1-7 chars)");
        assert_eq!(redact(b"admin123"), "***(8-15 chars)");
        assert_eq!(redact(b"SuperSecretPassword2024!"), "***(16-31 chars)");
        assert_eq!(redact(b"correcthorsebatterystaple"), "***(16-31 chars)");
        assert_eq!(redact(b"Xk9#mQ2v"), "***(8-15 chars)");
    }

    #[test]
    fn the_default_scheme_stays_what_it_was_and_a_key_changes_everything() {
        // unkeyed: SHA-256 of rule, path and secret joined by NUL, as before keys existed
        let old: String = Sha256::digest(b"github-pat\0app.env\0ghp_x")[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(fingerprint("github-pat", "app.env", b"ghp_x"), old);
        let key = FingerprintKey::new(b"q8Zr2LmX7vKp4TnB9wYc3HdF6sJe1GaU").unwrap();
        assert_eq!(key.id().len(), 16);
        assert!(
            !format!("{key:?}").contains("q8Zr2LmX"),
            "Debug shows the key"
        );
        let keyed = Fingerprints::Keyed(std::sync::Arc::new(key));
        let k = keyed.fingerprint("github-pat", "app.env", b"ghp_x");
        assert_ne!(k, old);
        assert_eq!(k, keyed.fingerprint("github-pat", "app.env", b"ghp_x"));
        assert_eq!(k.len(), 32);
        // raw path bytes: two names that differ only in bytes that are not UTF-8 differ
        assert_ne!(
            fingerprint("r", &repotext::path_text(b"a\xff"), b"s"),
            fingerprint("r", &repotext::path_text(b"a\xfe"), b"s")
        );
        assert!(FingerprintKey::new(b"short").is_err());
        assert!(FingerprintKey::new(b"passwordpassword").is_err());
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

    #[test]
    fn excerpts_show_context_and_mask_every_secret() {
        let secret = "ghp_R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1JuE5gKo0";
        let other = "hunter2hunter2";
        let text = format!(
            "line one\nline two\nconfig_path = src/config/database.rs\ntoken = \"{secret}\"\nnext = '{other}'\nuuid = 8f14e45f-ceea-467f-a8f5-1c2b3d4e5f60\nline seven\nline eight\n"
        );
        let start = text.find(secret).unwrap();
        let o = text.find(other).unwrap();
        let mask = o..o + other.len();
        let e = excerpt(
            text.as_bytes(),
            start..start + secret.len(),
            std::slice::from_ref(&mask),
        );
        assert_eq!(e.first_line, 2);
        assert_eq!(
            e.lines,
            [
                "line two",
                "config_path = src/config/database.rs",
                "token = \"ghp_***\"",
                "next = '***(8-15 chars)'",
                "uuid = ***",
            ]
        );
    }

    #[test]
    fn multi_line_secrets_and_long_lines_stay_bounded() {
        let key: String = (0..10).map(|i| format!("AbCdEfGh{i}\n")).collect();
        let text = format!("a\n-----BEGIN-----\n{key}-----END-----\n");
        let start = text.find("AbCd").unwrap();
        let e = excerpt(text.as_bytes(), start..start + key.len(), &[]);
        assert_eq!(e.first_line, 1);
        assert_eq!(e.lines.len(), 2 + EXCERPT_SECRET_LINES + 2);
        assert_eq!(e.lines[2], "AbCd***");
        assert!(
            e.lines[3..].iter().take(3).all(|l| l == "***"),
            "{:?}",
            e.lines
        );
        // a minified line is cut around the secret
        let long = format!(
            "{}key=\"{}\"{}",
            "x,".repeat(500),
            "Zq8mK2pL9vXwQ3",
            "y;".repeat(500)
        );
        let s = long.find("Zq8m").unwrap();
        let e = excerpt(long.as_bytes(), s..s + 14, &[]);
        assert_eq!(e.lines.len(), 1);
        assert!(
            e.lines[0].contains("key=\"***(8-15 chars)\""),
            "{}",
            e.lines[0]
        );
        assert!(e.lines[0].starts_with('…') && e.lines[0].ends_with('…'));
        assert!(e.lines[0].chars().count() <= EXCERPT_WIDTH + 2);
    }
}
