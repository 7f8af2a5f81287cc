//! Baselines: the secrets a team already knows about, so that a CI gate can be switched on without
//! failing on them. A baseline file lists one secret per line, keyed by its census identity
//! ([`crate::census::secret_id`]: a hash of the provider family and the value, never the value), with the
//! rule id and the redacted hint so reviewers can read it. No line numbers, no paths, no timestamps:
//! editing lines above a baselined secret or moving its file changes nothing, and the sorted one-line
//! entries diff and merge cleanly.
//!
//! ```text
//! # keyhound baseline: known secrets, one per line: identity, rule, redacted hint.
//! 98e7f1c811f75fadc5c5e74f10dbb64b aws-access-key-id AKIA***
//! ```
//!
//! Applying a baseline drops the findings of its secrets; entries that matched nothing are stale (only
//! said, and only pruned, after a scan that saw everything: a directory or every ref's history, and
//! without errors).

use std::collections::{BTreeMap, HashSet};

use crate::census::secret_id;
use crate::error::{Error, Result};
use crate::finding::CONFIG_CHANGED_RULE;
use crate::outcome::ScanOutcome;

/// The header written at the top of every baseline file.
pub const HEADER: &str = "\
# keyhound baseline: known secrets, one per line: identity, rule, redacted hint.
# The identity is a hash of the secret's provider and value (it does not reveal the secret); no paths
# or lines, so moving a file or editing around a secret keeps it baselined. Written by
# `keyhound baseline` (or `scan ... --write-baseline FILE`); `--prune` drops entries that match nothing.
";

/// Why `--prune` is refused after a scan that did not see everything.
pub const PRUNE_NEEDS_WHOLE: &str =
    "--prune needs a scan that sees every secret: a directory, or a git history over every ref";

/// One known secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The secret's identity.
    pub id: String,
    /// The rule that reported it.
    pub rule_id: String,
    /// Its redacted hint.
    pub hint: String,
}

/// A baseline: entries by identity, and the id of the fingerprint key the identities were computed
/// with (`None`: unkeyed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeMap<String, Entry>,
    key: Option<String>,
}

/// The start of the line that records a baseline's identity scheme: `# identities: unkeyed` or
/// `# identities: keyed <key id>`. A file without one was written unkeyed.
pub const SCHEME_LINE: &str = "# identities: ";

/// What bringing a baseline file up to date with a scan did ([`Baseline::update`]).
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// The new baseline.
    pub baseline: Baseline,
    /// Secrets the scan found that the old baseline did not list.
    pub added: usize,
    /// Old entries the scan met again.
    pub kept: usize,
    /// Old entries the scan did not meet, kept or (with `prune`) dropped; empty when the scan could not
    /// tell (a range, staged changes, a scan with errors): those are all kept.
    pub stale: Vec<Entry>,
    /// Whether `stale` was dropped.
    pub pruned: bool,
}

/// What applying a baseline did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Findings dropped as known.
    pub dropped: usize,
    /// Entries that matched no finding (empty when the scan could not tell).
    pub stale: Vec<Entry>,
}

impl Baseline {
    /// The baseline of `outcome`'s secrets (a changed scanner configuration is not a secret), under the
    /// scan's fingerprint key.
    pub fn of_outcome(outcome: &ScanOutcome) -> Baseline {
        let entries = (outcome.findings.iter())
            .filter(|f| f.rule_id != CONFIG_CHANGED_RULE)
            .map(|f| {
                let e = Entry {
                    id: secret_id(f),
                    rule_id: f.rule_id.clone(),
                    hint: f.redacted.clone(),
                };
                (e.id.clone(), e)
            })
            .collect();
        Baseline {
            entries,
            key: outcome.fingerprint_key.clone(),
        }
    }

    /// Refuses a scan whose fingerprint key is not the one this baseline was written with: none of its
    /// identities could match, so applying it would report every known secret again (and updating it
    /// would mix two schemes).
    pub fn check_key(&self, outcome: &ScanOutcome) -> Result<()> {
        if self.key == outcome.fingerprint_key {
            return Ok(());
        }
        let name = |key: &Option<String>| match key {
            Some(id) => format!("the fingerprint key with id {id}"),
            None => "no fingerprint key (unkeyed)".to_string(),
        };
        Err(Error::Refused(format!(
            "the baseline was written with {} but this scan uses {}: its entries cannot match. Scan \
             with the baseline's key ({} or {}), or write a new baseline under this one",
            name(&self.key),
            name(&outcome.fingerprint_key),
            crate::finding::FINGERPRINT_KEY_ENV,
            crate::finding::FINGERPRINT_KEY_FILE_ENV,
        )))
    }

    /// Parses a baseline file; `file` names it in errors (with the line).
    pub fn parse(text: &str, file: &str) -> Result<Baseline> {
        let mut entries = BTreeMap::new();
        let mut key = None;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_start_matches('\u{feff}').trim();
            if let Some(scheme) = line.strip_prefix(SCHEME_LINE) {
                key = parse_scheme(scheme).ok_or_else(|| Error::Config {
                    path: file.into(),
                    message: format!(
                        "line {}: `{line}` names no scheme (`unkeyed`, or `keyed` and a key id)",
                        i + 1
                    ),
                })?;
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(3, ' ');
            let id = parts.next().unwrap_or_default();
            if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::Config {
                    path: file.into(),
                    message: format!(
                        "line {}: a baseline entry starts with a 32-hex-digit secret identity",
                        i + 1
                    ),
                });
            }
            let entry = Entry {
                id: id.to_ascii_lowercase(),
                rule_id: parts.next().unwrap_or_default().to_string(),
                hint: parts.next().unwrap_or_default().to_string(),
            };
            entries.insert(entry.id.clone(), entry);
        }
        Ok(Baseline { entries, key })
    }

    /// The file's text: the header, then one sorted line per entry.
    pub fn render(&self) -> String {
        let mut out = String::from(HEADER);
        match &self.key {
            Some(id) => out.push_str(&format!("{SCHEME_LINE}keyed {id}\n")),
            None => out.push_str(&format!("{SCHEME_LINE}unkeyed\n")),
        }
        for e in self.entries.values() {
            out.push_str(&format!("{} {} {}\n", e.id, e.rule_id, e.hint));
        }
        out
    }

    /// The entry of the secret whose identity ([`secret_id`]) is `id`.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// The entries, sorted by identity.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Drops `outcome`'s findings whose secret is in the baseline (counted as suppressed). `whole` says
    /// the scan saw everything a baseline can name (a directory, every ref's history): only then, and
    /// only when it had no errors, are unmatched entries stale (each one a note).
    pub fn apply(&self, outcome: &mut ScanOutcome, whole: bool) -> Result<Applied> {
        self.check_key(outcome)?;
        let mut seen = HashSet::new();
        let before = outcome.findings.len();
        outcome.findings.retain(|f| {
            if f.rule_id == CONFIG_CHANGED_RULE {
                return true;
            }
            let id = secret_id(f);
            let known = self.entry(&id).is_some();
            seen.insert(id);
            !known
        });
        let dropped = before - outcome.findings.len();
        outcome.stats.suppressed += dropped as u64;
        outcome.stats.findings = outcome.findings.len() as u64;
        let stale: Vec<Entry> = if whole && outcome.errors.is_empty() {
            (self.entries.values())
                .filter(|e| !seen.contains(&e.id))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        for e in &stale {
            outcome.notes.push(format!(
                "stale baseline entry {} ({} {}): it matches nothing now (--prune drops it)",
                e.id, e.rule_id, e.hint
            ));
        }
        Ok(Applied { dropped, stale })
    }

    /// This baseline brought up to date with `outcome`'s findings (`keyhound baseline`): their secrets
    /// are added and every old entry is kept, since a range or staged scan sees only part of what a
    /// baseline names. Entries a whole scan (`whole`: a directory, every ref's history) without errors
    /// did not meet are stale; `prune` drops them, and is refused after any other scan (it could
    /// drop entries it merely did not look at).
    pub fn update(&self, outcome: &ScanOutcome, whole: bool, prune: bool) -> Result<Update> {
        if prune && !whole {
            return Err(Error::Refused(PRUNE_NEEDS_WHOLE.into()));
        }
        self.check_key(outcome)?;
        let found = Baseline::of_outcome(outcome);
        let kept = (self.entries.keys())
            .filter(|id| found.entries.contains_key(*id))
            .count();
        let added = found.entries.len() - kept;
        let stale: Vec<Entry> = if whole && outcome.errors.is_empty() {
            (self.entries.values())
                .filter(|e| !found.entries.contains_key(&e.id))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let mut entries = found.entries;
        for (id, e) in &self.entries {
            entries.entry(id.clone()).or_insert_with(|| e.clone());
        }
        let mut baseline = Baseline {
            entries,
            key: found.key,
        };
        let pruned = prune && outcome.errors.is_empty();
        if pruned {
            baseline = baseline.without(&stale);
        }
        Ok(Update {
            baseline,
            added,
            kept,
            stale,
            pruned,
        })
    }

    /// This baseline without `stale`.
    pub fn without(&self, stale: &[Entry]) -> Baseline {
        let mut entries = self.entries.clone();
        for e in stale {
            entries.remove(&e.id);
        }
        Baseline {
            entries,
            key: self.key.clone(),
        }
    }
}

/// The key id a scheme line's value names: `unkeyed` is `Some(None)`, `keyed <id>` is `Some(Some(id))`.
fn parse_scheme(scheme: &str) -> Option<Option<String>> {
    match scheme.split_whitespace().collect::<Vec<_>>()[..] {
        ["unkeyed"] => Some(None),
        ["keyed", id] if id.bytes().all(|b| b.is_ascii_hexdigit()) => Some(Some(id.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_parse_round_trip_sorted() {
        let text = format!(
            "{HEADER}ffff0000ffff0000ffff0000ffff0000 r2 b***\n0000ffff0000ffff0000ffff0000ffff r1 a***\n"
        );
        let b = Baseline::parse(&text, "b").unwrap();
        let rendered = b.render();
        assert!(rendered.find("r1").unwrap() < rendered.find("r2").unwrap());
        assert_eq!(Baseline::parse(&rendered, "b").unwrap(), b);
    }

    #[test]
    fn a_bad_line_is_an_error_naming_file_and_line() {
        let err = Baseline::parse("# c\n\nnot-an-id rule x\n", "kh.baseline").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("kh.baseline") && text.contains("line 3"),
            "{text}"
        );
    }
}
