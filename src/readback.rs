//! Saved reports read back: a keyhound JSON report (`--format json`), or JSON Lines holding one such
//! report per line, each naming its `repository` (`keyhound audit`). Reports are redacted, so findings come
//! back without their secrets; each one gets the identity its report's `secrets` section gave it
//! ([`Finding::secret_id`]), which is all the census needs to group them again. [`merge`] combines several
//! reports into one outcome whose census counts a key found in three repositories once. This module
//! reads reports; it never scans.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::outcome::{ScanError, ScanOutcome, ScanStats};
use crate::report::JSON_SCHEMA_VERSION;

/// One report read back.
#[derive(Debug, Default)]
pub struct SavedReport {
    /// The repository it covers, when the report names one (`keyhound audit` lines do).
    pub repository: Option<String>,
    /// Its findings (without secret values), errors, counters and notes.
    pub outcome: ScanOutcome,
}

/// The parts of a JSON report read back.
#[derive(Deserialize)]
struct Document {
    version: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    summary: ScanStats,
    #[serde(default)]
    secrets: Vec<SecretRef>,
    findings: Vec<Finding>,
    #[serde(default)]
    errors: Vec<ScanError>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    fingerprint_key: Option<String>,
}

/// A census entry's identity and the findings it groups.
#[derive(Deserialize)]
struct SecretRef {
    id: String,
    findings: Vec<usize>,
}

/// Reads the report file at `path`: one JSON document, or JSON Lines (one report object per line).
pub fn read(path: &Path) -> Result<Vec<SavedReport>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse(&text, path)
}

/// Parses a report's text; `path` names it in errors (with the line, for JSON Lines).
pub fn parse(text: &str, path: &Path) -> Result<Vec<SavedReport>> {
    let bad = |message: String| Error::Report {
        path: path.to_path_buf(),
        message,
    };
    let text = text.trim_start_matches('\u{feff}');
    if let Ok(doc) = serde_json::from_str::<Document>(text) {
        return Ok(vec![saved(doc).map_err(bad)?]);
    }
    let mut reports = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc = serde_json::from_str::<Document>(line).map_err(|e| {
            bad(format!(
                "line {}: not a keyhound JSON report or JSON Lines of them ({e})",
                i + 1
            ))
        })?;
        reports.push(saved(doc).map_err(|m| bad(format!("line {}: {m}", i + 1)))?);
    }
    if reports.is_empty() {
        return Err(bad("no report in it".into()));
    }
    Ok(reports)
}

/// A parsed document as a report, each finding given its secret's identity.
fn saved(doc: Document) -> std::result::Result<SavedReport, String> {
    if doc.version != JSON_SCHEMA_VERSION {
        return Err(format!(
            "report version {:?}: this keyhound reads version {JSON_SCHEMA_VERSION}",
            doc.version
        ));
    }
    let mut findings = doc.findings;
    for secret in &doc.secrets {
        let valid = secret.id.len() == 32 && secret.id.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(format!(
                "secret identity {:?} is not 32 hex digits",
                secret.id
            ));
        }
        for &i in &secret.findings {
            let f = (findings.get_mut(i))
                .ok_or_else(|| format!("secret {} names finding {i}, which it lacks", secret.id))?;
            f.secret_id = secret.id.clone();
        }
    }
    let mut stats = doc.summary;
    stats.findings = findings.len() as u64;
    stats.errors = doc.errors.len() as u64;
    Ok(SavedReport {
        repository: doc.repository,
        outcome: ScanOutcome {
            findings,
            errors: doc.errors,
            stats,
            notes: doc.notes,
            fingerprint_key: doc.fingerprint_key,
        },
    })
}

/// One outcome from several reports, each labelled by its repository (`label` when the report names
/// none, e.g. the report file's name). Findings keep their identities and are placed at
/// `<repository>/<path>` with [`Finding::repository`] set, errors at `<repository>: <path>`, notes
/// prefixed the same way; counters add up. Refused when the reports' fingerprints were made under
/// different fingerprint keys: their identities cannot be compared.
pub fn merge(reports: Vec<(String, SavedReport)>) -> Result<ScanOutcome> {
    let mut merged = ScanOutcome::default();
    let mut keys = reports.iter().map(|(_, r)| &r.outcome.fingerprint_key);
    if let Some(first) = keys.next() {
        if keys.any(|k| k != first) {
            return Err(Error::Refused(
                "the reports were made under different fingerprint keys (KEYHOUND_FINGERPRINT_KEY): \
                 their secret identities cannot be compared, so they cannot be merged"
                    .into(),
            ));
        }
        merged.fingerprint_key = first.clone();
    }
    let mut findings = Vec::new();
    for (label, report) in reports {
        let repo = report.repository.unwrap_or(label);
        let outcome = report.outcome;
        merged.stats.add(&outcome.stats);
        merged.stats.duration_secs += outcome.stats.duration_secs;
        findings.extend(outcome.findings.into_iter().map(|mut f| {
            f.path = format!("{repo}/{}", f.path);
            f.repository = Some(repo.clone());
            f
        }));
        merged
            .errors
            .extend(outcome.errors.into_iter().map(|e| ScanError {
                path: format!("{repo}: {}", e.path),
                message: e.message,
            }));
        (merged.notes).extend(outcome.notes.into_iter().map(|n| format!("{repo}: {n}")));
    }
    merged.add_findings(findings);
    merged.stats.errors = merged.errors.len() as u64;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_names_the_file_and_line() {
        let path = Path::new("r.jsonl");
        let one = r#"{"version":"1","findings":[],"repository":"a"}"#;
        let err = parse(&format!("{one}\n{{oops\n"), path).unwrap_err();
        assert!(err.to_string().contains("r.jsonl: line 2"), "{err}");
        let err = parse(r#"{"version":"9","findings":[]}"#, path).unwrap_err();
        assert!(err.to_string().contains("version"), "{err}");
        let dangling = r#"{"version":"1","findings":[],
            "secrets":[{"id":"00112233445566778899aabbccddeeff","findings":[3]}]}"#;
        assert!(parse(dangling, path)
            .unwrap_err()
            .to_string()
            .contains("finding 3"));
        assert!(parse("\n\n", path).is_err());
        let two = parse(&format!("{one}\n\n{one}\n"), path).unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].repository.as_deref(), Some("a"));
    }
}
