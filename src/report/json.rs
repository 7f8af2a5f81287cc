//! The JSON report: `{ version, tool, summary, secrets, findings, errors, notes }`. `secrets` is the
//! [`Census`]: one entry per distinct secret, whose `findings` are indexes into `findings`. Documented in
//! the README.

use std::io::Write;

use serde_json::json;

use crate::census::Census;
use crate::outcome::ScanOutcome;
use crate::repotext;

use super::{Report, ReportContext, JSON_SCHEMA_VERSION};

/// The JSON report.
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl Report for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn about(&self) -> &'static str {
        "one JSON document: version, summary, secrets, findings, errors, notes"
    }

    fn write(
        &self,
        outcome: &ScanOutcome,
        _: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        write(outcome, out)
    }
}

/// Writes one JSON document.
fn write(outcome: &ScanOutcome, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(outcome))?;
    writeln!(out)
}

/// The JSON report of `outcome` as a value (`keyhound audit` writes one per repository, on one line).
pub fn document(outcome: &ScanOutcome) -> serde_json::Value {
    let mut summary = serde_json::to_value(&outcome.stats).unwrap_or_default();
    summary["complete"] = json!(outcome.errors.is_empty());
    let mut doc = json!({
        "version": JSON_SCHEMA_VERSION,
        "tool": { "name": "keyhound", "version": env!("CARGO_PKG_VERSION") },
        "summary": summary,
        "secrets": Census::of(outcome).secrets,
        "findings": outcome.findings,
        "errors": outcome.errors,
        "notes": outcome.notes,
    });
    mark_escaped_paths(outcome, &mut doc);
    if let Some(key) = &outcome.fingerprint_key {
        // fingerprints and identities made under a key compare only with others under that key
        doc["fingerprint_key"] = json!(key);
    }
    doc
}

/// Adds `"path_escaped": true` to each finding whose path's bytes are not UTF-8: its `path` writes each
/// such byte as `\xNN` and doubles a backslash that could be read as one ([`repotext::path_text`]), so
/// that two names that differ only in those bytes stay two paths.
fn mark_escaped_paths(outcome: &ScanOutcome, doc: &mut serde_json::Value) {
    for (i, f) in outcome.findings.iter().enumerate() {
        if repotext::is_escaped_path(&f.path) {
            doc["findings"][i]["path_escaped"] = json!(true);
        }
    }
}
