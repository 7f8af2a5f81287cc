//! Reports: the finished [`ScanOutcome`] written as text, JSON or SARIF. Reporters see findings and
//! counters only, never how the blobs were found.

pub mod json;
pub mod sarif;
pub mod text;

use std::io::Write;
use std::path::PathBuf;

use crate::outcome::ScanOutcome;
use crate::rules::RuleSet;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable blocks and a summary line.
    Text,
    /// One JSON document (schema in the README).
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// What a reporter needs besides the outcome.
#[derive(Debug)]
pub struct ReportContext<'a> {
    /// The rules (for SARIF's `tool.driver.rules`).
    pub rules: &'a RuleSet,
    /// The scan root findings' paths are relative to (for SARIF's `%SRCROOT%`).
    pub root: Option<PathBuf>,
    /// Use ANSI colours (text only; set when writing to a terminal).
    pub color: bool,
    /// For history scans: the repository's remote URL and HEAD, for SARIF version control provenance.
    pub vcs: Option<VersionControl>,
}

/// Version-control facts of the scanned repository.
#[derive(Debug, Clone)]
pub struct VersionControl {
    /// Remote URL (origin), if known.
    pub repository_uri: Option<String>,
    /// The commit HEAD points to.
    pub revision_id: Option<String>,
    /// The branch HEAD is on.
    pub branch: Option<String>,
}

/// The version of the JSON report schema (bumped on incompatible changes).
pub const JSON_SCHEMA_VERSION: &str = "1";

/// Writes `outcome` in `format`.
pub fn write_report(
    format: Format,
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => text::write(outcome, ctx, out),
        Format::Json => json::write(outcome, out),
        Format::Sarif => sarif::write(outcome, ctx, out),
    }
}
