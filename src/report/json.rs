//! The JSON report: `{ version, tool, summary, findings, errors, notes }`. Documented in the README.

use std::io::Write;

use serde_json::json;

use crate::outcome::ScanOutcome;

use super::JSON_SCHEMA_VERSION;

/// Writes one JSON document.
pub fn write(outcome: &ScanOutcome, out: &mut dyn Write) -> std::io::Result<()> {
    let mut summary = serde_json::to_value(&outcome.stats)?;
    summary["complete"] = json!(outcome.errors.is_empty());
    let doc = json!({
        "version": JSON_SCHEMA_VERSION,
        "tool": { "name": "keyhound", "version": env!("CARGO_PKG_VERSION") },
        "summary": summary,
        "findings": outcome.findings,
        "errors": outcome.errors,
        "notes": outcome.notes,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
