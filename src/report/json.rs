//! The JSON report: `{ version, tool, summary, secrets, findings, errors, notes }`. `secrets` is the
//! [`Census`]: one entry per distinct secret, whose `findings` are indexes into `findings`. Documented in
//! the README.

use std::io::Write;

use serde_json::json;

use crate::census::Census;
use crate::outcome::ScanOutcome;

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
    if let Some(key) = &outcome.fingerprint_key {
        // fingerprints and identities made under a key compare only with others under that key
        doc["fingerprint_key"] = json!(key);
    }
    doc
}
