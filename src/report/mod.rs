//! Reports: the finished [`ScanOutcome`] written in a format. Each format is one [`Report`] in its own
//! file, listed once in [`FORMATS`]; a new format is a new file plus a line there, and the command line
//! offers it by name. Reporters see findings and counters only, never how the blobs were found. The rule
//! list (`rules list`) is written by [`rules`], the verifier list (`verifiers`) by [`verifiers`]. Text
//! meant for a terminal passes repository strings through [`escape::terminal`].

pub mod escape;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod rules;
pub mod sarif;
pub mod summary;
pub mod text;
pub mod verifiers;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::outcome::ScanOutcome;
use crate::rules::RuleSet;

/// A report format: a name users pick it by, and a writer.
pub trait Report: Sync {
    /// The name `--format` takes (lowercase, stable).
    fn name(&self) -> &'static str;
    /// One line saying what it is, for help text.
    fn about(&self) -> &'static str;
    /// True when the report shows findings' code: the scan then keeps a masked excerpt of each
    /// ([`crate::finding::Finding::excerpt`]).
    fn shows_code(&self) -> bool {
        false
    }
    /// Writes `outcome` as one report.
    fn write(
        &self,
        outcome: &ScanOutcome,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> std::io::Result<()>;

    /// Writes `outcome` to the file `path` (created or truncated). A format that must split a large
    /// report (SARIF, within GitHub's upload limits) writes further files next to it and says so.
    fn write_files(
        &self,
        outcome: &ScanOutcome,
        ctx: &ReportContext<'_>,
        path: &Path,
    ) -> std::io::Result<Written> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        self.write(outcome, ctx, &mut w)?;
        w.flush()?;
        Ok(Written {
            paths: vec![path.to_path_buf()],
            note: None,
        })
    }
}

/// What [`Report::write_files`] wrote.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The files, the one asked for first.
    pub paths: Vec<PathBuf>,
    /// A note for the user when the report was split (which files, and why).
    pub note: Option<String>,
}

/// Every format, the default (text) first.
pub static FORMATS: &[&dyn Report] = &[
    &text::Text,
    &json::Json,
    &sarif::Sarif,
    &junit::Junit,
    &gitlab::Gitlab,
    &html::Html,
];

/// The format called `name`.
pub fn format(name: &str) -> Option<&'static dyn Report> {
    FORMATS.iter().copied().find(|f| f.name() == name)
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
    /// Remote URL (origin), if known, already sanitised (`sources::git::sanitize_url`: no credentials,
    /// query or fragment).
    pub repository_uri: Option<String>,
    /// The commit HEAD points to.
    pub revision_id: Option<String>,
    /// The branch HEAD is on.
    pub branch: Option<String>,
}

/// What to do about a leaked secret, said the same way in every report that gives advice.
pub const ROTATE_ADVICE: &str = "Rotate the secret at its provider, then remove it from the code (and from git history if it was committed).";

/// The version of the JSON report schema (bumped on incompatible changes).
pub const JSON_SCHEMA_VERSION: &str = "1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_by_their_unique_names() {
        let names: Vec<&str> = FORMATS.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["text", "json", "sarif", "junit", "gitlab", "html"]);
        for f in FORMATS {
            assert_eq!(format(f.name()).map(|g| g.name()), Some(f.name()));
            assert!(!f.about().is_empty());
        }
        assert!(format("xml").is_none());
    }
}
