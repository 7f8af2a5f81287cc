//! What a scan produced: findings in a stable order, the inputs that failed, counters and notes. The
//! scan fills a [`ScanOutcome`]; reports read it. This module knows neither how blobs were found nor how
//! they are written out.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::repotext::{self, MAX_PATH, MAX_TEXT};

/// One input that could not be read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScanError {
    /// The path (or object id) that failed.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Counters of a scan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScanStats {
    /// Files (or blobs) whose content was scanned.
    pub files_scanned: u64,
    /// Bytes of content scanned.
    pub bytes_scanned: u64,
    /// Files (or blobs) that looked binary (a NUL byte in their first 8 KiB), scanned as UTF-16 text or
    /// as their printable runs; counted in `files_scanned` too.
    pub binary_as_text: u64,
    /// Files skipped as larger than the size limit.
    pub skipped_too_large: u64,
    /// Symbolic links not followed.
    pub skipped_symlinks: u64,
    /// Findings silenced by the config allowlist, inline markers or the ignore file.
    pub suppressed: u64,
    /// Findings reported.
    pub findings: u64,
    /// Inputs that could not be read.
    pub errors: u64,
    /// Wall-clock seconds.
    pub duration_secs: f64,
}

impl ScanStats {
    /// Adds the counters of another part of the scan (all but findings and time, which
    /// [`ScanOutcome::finish`] sets).
    pub fn add(&mut self, other: &ScanStats) {
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.binary_as_text += other.binary_as_text;
        self.skipped_too_large += other.skipped_too_large;
        self.skipped_symlinks += other.skipped_symlinks;
        self.suppressed += other.suppressed;
        self.errors += other.errors;
    }

    /// Files skipped for any reason.
    pub fn skipped(&self) -> u64 {
        self.skipped_too_large + self.skipped_symlinks
    }
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// Findings in stable order (path, line, column, rule).
    pub findings: Vec<Finding>,
    /// Inputs that failed; non-empty means the scan is incomplete.
    pub errors: Vec<ScanError>,
    /// Counters.
    pub stats: ScanStats,
    /// Notes worth telling the user (a shallow clone, submodules not followed).
    pub notes: Vec<String>,
    /// The id of the key fingerprints and secret identities were computed with; `None` when unkeyed
    /// (`finding::Fingerprints`).
    pub fingerprint_key: Option<String>,
}

impl ScanOutcome {
    /// Sorts findings into their stable order and fills in the counters that depend on them.
    pub fn finish(&mut self, started: Instant) {
        self.add_findings(Vec::new());
        for e in &mut self.errors {
            repotext::bound_in_place(&mut e.path, MAX_PATH);
            repotext::bound_in_place(&mut e.message, MAX_TEXT);
        }
        for n in &mut self.notes {
            repotext::bound_in_place(n, MAX_TEXT);
        }
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
        self.stats.errors = self.errors.len() as u64;
        self.stats.duration_secs = started.elapsed().as_secs_f64();
    }

    /// Adds findings made after the scan (and before reporting), keeping the stable order (path, line,
    /// column, rule, then fingerprint so that findings tied on place come out the same in every run) and
    /// the count; each has its text bounded ([`Finding::bound_text`]).
    pub fn add_findings(&mut self, findings: Vec<Finding>) {
        self.findings.extend(findings);
        for f in &mut self.findings {
            f.bound_text();
        }
        self.findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule_id, &a.fingerprint).cmp(&(
                &b.path,
                b.line,
                b.column,
                &b.rule_id,
                &b.fingerprint,
            ))
        });
        self.stats.findings = self.findings.len() as u64;
    }
}

/// Seconds as a [`Duration`]-like display value.
pub fn format_duration(secs: f64) -> String {
    let d = Duration::from_secs_f64(secs.max(0.0));
    if d.as_secs() >= 1 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}
