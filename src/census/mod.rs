//! The census: one entry per distinct secret, built from a finished [`ScanOutcome`]. Findings are
//! grouped by secret identity (the provider's family and the secret's value, hashed), so one key in two
//! files, in a moved file or in many commits is one secret to rotate. Each entry lists every location,
//! when it was first and last introduced, whether it is still in the working tree (or at `HEAD`), the
//! branches and tags that contain it, and where to rotate it ([`rotation`], from the rule data in
//! `rules/rotate/providers.toml`). Reports read it; so do baselines and the scrub plan.

pub mod rotation;

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::finding::{Finding, Fingerprints, VerifyStatus, CONFIG_CHANGED_RULE};
use crate::outcome::ScanOutcome;
use crate::rules::Confidence;

/// The identity of a secret: a digest (first 32 hex digits) of its family (the provider that rotates
/// it, or the rule id when no provider is known) and its value, under the scan's fingerprint scheme
/// (SHA-256, or HMAC-SHA256 with a key: [`Fingerprints`]). It never reveals the value. A rule that
/// reports a whole file (a key store) has no value, so its path stands in for it. The scanner stores it
/// on each finding it places ([`Finding::secret_id`]); a finding made elsewhere gets the unkeyed one.
pub fn secret_id(f: &Finding) -> String {
    if f.secret_id.is_empty() {
        identity(f, &Fingerprints::Unkeyed)
    } else {
        f.secret_id.clone()
    }
}

/// The identity of a file that is a secret itself (a key store: a rule that matches by path), from its
/// content's id (the git blob id of its bytes) instead of its path: the same key store at two paths, or
/// moved in history, is one secret. The scanner gives it to such findings wherever it knows the content.
pub fn file_identity(rule_id: &str, content_id: &[u8], scheme: &Fingerprints) -> String {
    let family = rotation::provider(rule_id)
        .map(|p| p.name.as_str())
        .unwrap_or(rule_id);
    scheme.digest(&[
        b"keyhound-secret-v1",
        family.as_bytes(),
        b"file",
        content_id,
    ])
}

/// [`secret_id`] computed under `scheme` (for a file that is a secret itself, by its path: the scanner
/// replaces that with [`file_identity`] where it knows the file's content).
pub fn identity(f: &Finding, scheme: &Fingerprints) -> String {
    let family = rotation::provider(&f.rule_id)
        .map(|p| p.name.as_str())
        .unwrap_or(&f.rule_id);
    let tag: &[u8] = b"keyhound-secret-v1";
    if f.secret_bytes.is_empty() {
        scheme.digest(&[tag, family.as_bytes(), b"path", f.path.as_bytes()])
    } else {
        scheme.digest(&[tag, family.as_bytes(), &f.secret_bytes])
    }
}

/// One place a secret was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The repository, in a census merged from several (`keyhound merge`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Path relative to the scan root.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The commit that introduced it there (history scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A commit that introduced a secret somewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introduced {
    /// Full commit id.
    pub commit: String,
    /// Author name.
    pub author_name: String,
    /// Author email.
    pub author_email: String,
    /// Author date, RFC 3339.
    pub date: String,
}

/// One distinct secret and what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct Secret {
    /// Stable identity ([`secret_id`]).
    pub id: String,
    /// The provider that issues it, when the rule data names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Where and how to rotate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotate: Option<String>,
    /// The provider console's address, where one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console: Option<String>,
    /// Rules that reported it (sorted).
    pub rules: Vec<String>,
    /// The secret, redacted.
    pub redacted: String,
    /// The highest confidence among its findings.
    pub confidence: Confidence,
    /// The most urgent verification verdict among its findings (live first), after `--verify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerifyStatus>,
    /// Indexes of its findings in the report's `findings`.
    pub findings: Vec<usize>,
    /// Every location (sorted, without repeats).
    pub locations: Vec<Location>,
    /// The repositories it was found in, in a census merged from several (sorted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<String>,
    /// The oldest introducing commit (history scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_introduced: Option<Introduced>,
    /// The newest introducing commit (history scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_introduced: Option<Introduced>,
    /// Still in the scanned tree: the working tree for directory and staged scans, `HEAD` for history.
    pub in_working_tree: bool,
    /// Branches and tags that contain an introducing commit (history scans).
    pub refs: Vec<String>,
}

/// Verdicts ordered by urgency: live first, then error, unknown, invalid.
fn urgency(s: VerifyStatus) -> u8 {
    match s {
        VerifyStatus::Live => 0,
        VerifyStatus::Error => 1,
        VerifyStatus::Unknown => 2,
        VerifyStatus::Invalid => 3,
    }
}

/// Every distinct secret of a scan, most urgent first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Census {
    /// The secrets: live ones first, then by confidence (high first), then by first location.
    pub secrets: Vec<Secret>,
}

impl Census {
    /// Groups `outcome`'s findings into distinct secrets.
    pub fn of(outcome: &ScanOutcome) -> Census {
        Census::of_findings(&outcome.findings)
    }

    /// Groups `findings` into distinct secrets; [`Secret::findings`] index this slice.
    pub fn of_findings(findings: &[Finding]) -> Census {
        let mut by_id: HashMap<String, Secret> = HashMap::new();
        for (i, f) in findings.iter().enumerate() {
            if f.rule_id == CONFIG_CHANGED_RULE {
                continue; // a changed scanner configuration is not a secret to rotate
            }
            let id = secret_id(f);
            let secret = by_id.entry(id.clone()).or_insert_with(|| new_secret(id, f));
            add(secret, i, f);
        }
        let mut secrets: Vec<Secret> = by_id.into_values().collect();
        secrets.sort_by(|a, b| {
            let live = |s: &Secret| s.verification.map_or(4, urgency);
            (
                live(a),
                std::cmp::Reverse(a.confidence),
                &a.locations,
                &a.id,
            )
                .cmp(&(
                    live(b),
                    std::cmp::Reverse(b.confidence),
                    &b.locations,
                    &b.id,
                ))
        });
        Census { secrets }
    }

    /// How many secrets are still in the working tree (or at `HEAD`).
    pub fn in_working_tree(&self) -> usize {
        self.secrets.iter().filter(|s| s.in_working_tree).count()
    }

    /// `3 distinct secrets to rotate (1 still in the working tree)`.
    pub fn headline(&self) -> String {
        let n = self.secrets.len();
        format!(
            "{n} distinct secret{} to rotate ({} still in the working tree)",
            if n == 1 { "" } else { "s" },
            self.in_working_tree()
        )
    }

    /// The secret whose findings include finding `index`.
    pub fn secret_of(&self, index: usize) -> Option<&Secret> {
        self.secrets.iter().find(|s| s.findings.contains(&index))
    }
}

fn new_secret(id: String, f: &Finding) -> Secret {
    let provider = rotation::provider(&f.rule_id);
    Secret {
        id,
        provider: provider.map(|p| p.name.clone()),
        rotate: provider.map(|p| p.rotate.clone()),
        console: provider.and_then(|p| p.console.clone()),
        rules: Vec::new(),
        redacted: f.redacted.clone(),
        confidence: f.confidence,
        verification: None,
        findings: Vec::new(),
        locations: Vec::new(),
        repositories: Vec::new(),
        first_introduced: None,
        last_introduced: None,
        in_working_tree: false,
        refs: Vec::new(),
    }
}

/// Adds finding `index` (`f`) to `s`.
fn add(s: &mut Secret, index: usize, f: &Finding) {
    s.findings.push(index);
    insert_sorted(&mut s.rules, f.rule_id.clone());
    s.confidence = s.confidence.max(f.confidence);
    if let Some(v) = &f.verification {
        if s.verification
            .is_none_or(|cur| urgency(v.status) < urgency(cur))
        {
            s.verification = Some(v.status);
        }
    }
    if let Some(repository) = &f.repository {
        insert_sorted(&mut s.repositories, repository.clone());
    }
    let location = Location {
        repository: f.repository.clone(),
        path: f.path.clone(),
        line: f.line,
        commit: f.git.as_ref().map(|g| g.commit.clone()),
    };
    insert_sorted(&mut s.locations, location);
    let Some(g) = &f.git else {
        s.in_working_tree = true; // directory, stdin and staged scans read the working tree
        return;
    };
    s.in_working_tree |= g.present_at_head;
    let refs: BTreeSet<String> = s.refs.drain(..).chain(g.refs.iter().cloned()).collect();
    s.refs = refs.into_iter().collect();
    let intro = Introduced {
        commit: g.commit.clone(),
        author_name: g.author_name.clone(),
        author_email: g.author_email.clone(),
        date: g.date.clone(),
    };
    if s.first_introduced
        .as_ref()
        .is_none_or(|x| intro.date < x.date)
    {
        s.first_introduced = Some(intro.clone());
    }
    if s.last_introduced
        .as_ref()
        .is_none_or(|x| intro.date > x.date)
    {
        s.last_introduced = Some(intro);
    }
}

fn insert_sorted<T: Ord>(v: &mut Vec<T>, item: T) {
    if let Err(at) = v.binary_search(&item) {
        v.insert(at, item);
    }
}
