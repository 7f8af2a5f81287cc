//! The pipeline: a source's items → per-thread engine scans → findings → suppression → one collector →
//! a stable order. Every worker owns its scratch buffers; results meet once per thread, at its end.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::engine::overlap::{self, Contender};
use crate::engine::{locate, Engine, RawMatch, Scratch};
use crate::finding::{fingerprint, redact, Finding, RelatedPart};
use crate::outcome::{ScanError, ScanOutcome, ScanStats};
use crate::rules::Confidence;
use crate::sources::dir::{self, DirOptions, ItemSink};
use crate::sources::{stdin, Item, SkipReason};
use crate::suppress::Suppressor;

pub mod git;

/// Options that shape a scan (not what is scanned).
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files larger than this are skipped and counted.
    pub max_file_size: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Scan files `.gitignore` hides.
    pub no_ignore: bool,
    /// Findings below this confidence are dropped.
    pub min_confidence: Confidence,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_file_size: 10 * 1024 * 1024,
            threads: 0,
            no_ignore: false,
            min_confidence: Confidence::Low,
        }
    }
}

/// Rules, suppression and options for one scan.
#[derive(Debug)]
pub struct Scanner {
    engine: Engine,
    suppressor: Suppressor,
    options: ScanOptions,
}

impl Scanner {
    /// A scanner over `engine`'s rules.
    pub fn new(engine: Engine, suppressor: Suppressor, options: ScanOptions) -> Self {
        Scanner {
            engine,
            suppressor,
            options,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The options.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Scans files and directories in parallel.
    pub fn scan_dirs(&self, roots: &[PathBuf]) -> ScanOutcome {
        let started = Instant::now();
        let mut outcome = ScanOutcome::default();
        let mut missing = Vec::new();
        for root in roots {
            if let Err(e) = std::fs::symlink_metadata(root) {
                missing.push(ScanError {
                    path: root.display().to_string(),
                    message: e.to_string(),
                });
            }
        }
        let existing: Vec<PathBuf> = roots
            .iter()
            .filter(|r| r.symlink_metadata().is_ok())
            .cloned()
            .collect();
        let shared = Arc::new(Mutex::new(ScanOutcome::default()));
        let options = DirOptions {
            no_ignore: self.options.no_ignore,
            max_file_size: self.options.max_file_size,
            threads: self.options.threads,
        };
        dir::walk(&existing, &options, || {
            Worker::new(self, Arc::clone(&shared))
        });
        let collected = std::mem::take(&mut *shared.lock().unwrap_or_else(|p| p.into_inner()));
        outcome.findings = collected.findings;
        outcome.errors = collected.errors;
        outcome.errors.extend(missing);
        outcome.stats = collected.stats;
        outcome.finish(started);
        outcome
    }

    /// Scans standard input as one blob.
    pub fn scan_stdin(&self) -> ScanOutcome {
        let started = Instant::now();
        let shared = Arc::new(Mutex::new(ScanOutcome::default()));
        {
            let mut worker = Worker::new(self, Arc::clone(&shared));
            worker.accept(stdin::read_stdin(self.options.max_file_size));
        }
        let mut outcome = std::mem::take(&mut *shared.lock().unwrap_or_else(|p| p.into_inner()));
        outcome.finish(started);
        outcome
    }

    /// Turns raw matches in one blob found at `path` into findings, applying confidence and suppression.
    pub fn make_findings(
        &self,
        path: &str,
        bytes: &[u8],
        matches: &[RawMatch],
        findings: &mut Vec<Finding>,
        stats: &mut ScanStats,
    ) {
        let first = findings.len();
        self.draft_findings(bytes, matches, findings, stats);
        let drafts: Vec<Finding> = findings.drain(first..).collect();
        for draft in drafts {
            if let Some(f) = self.place(draft, path, stats) {
                findings.push(f);
            }
        }
    }

    /// Findings of one blob before its path is known: located, redacted, with the suppression that does
    /// not depend on the path applied (confidence, the allowlist's secret patterns, inline markers).
    /// `path` and `fingerprint` are left empty for [`Scanner::place`].
    pub fn draft_findings(
        &self,
        bytes: &[u8],
        matches: &[RawMatch],
        findings: &mut Vec<Finding>,
        stats: &mut ScanStats,
    ) {
        for m in matches {
            let rule = self.engine.rule(m.rule);
            if rule.confidence < self.options.min_confidence {
                continue;
            }
            let secret: &[u8] = match &m.decoded {
                Some(d) => &d.secret,
                None => &bytes[m.secret.clone()],
            };
            if !rule.is_path_only()
                && self
                    .suppressor
                    .check_content(secret, bytes, m.secret.start)
                    .is_some()
            {
                stats.suppressed += 1;
                continue;
            }
            let (start, end) = if rule.is_path_only() {
                (
                    locate::Position { line: 1, column: 1 },
                    locate::Position { line: 1, column: 1 },
                )
            } else {
                (
                    locate::position(bytes, m.secret.start),
                    locate::position(bytes, m.secret.end),
                )
            };
            findings.push(Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                description: rule.description.clone(),
                confidence: rule.confidence,
                path: String::new(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                redacted: if rule.is_path_only() {
                    "(the file itself)".into()
                } else {
                    redact(secret)
                },
                secret: None,
                entropy: (m.entropy * 100.0).round() / 100.0,
                fingerprint: String::new(),
                decoded: m.decoded.as_ref().map(|d| d.encoding.clone()),
                related: m.related.as_ref().map(|r| {
                    let at = locate::position(bytes, r.start);
                    RelatedPart {
                        rule_id: self
                            .engine
                            .rule(self.engine.requires_of(m.rule).unwrap_or(m.rule))
                            .id
                            .clone(),
                        line: at.line,
                        column: at.column,
                        redacted: redact(&bytes[r.clone()]),
                    }
                }),
                git: None,
                secret_bytes: secret.to_vec(),
                rule_index: m.rule,
            });
        }
    }

    /// A drafted finding at `path`, unless the rule does not apply there or the path or fingerprint is
    /// suppressed.
    pub fn place(
        &self,
        mut finding: Finding,
        path: &str,
        stats: &mut ScanStats,
    ) -> Option<Finding> {
        if !self.engine.rule(finding.rule_index).applies_at(path) {
            return None;
        }
        let fp = fingerprint(&finding.rule_id, path, &finding.secret_bytes);
        if self
            .suppressor
            .check_place(path, finding.line, &fp, &finding.secret_bytes)
            .is_some()
        {
            stats.suppressed += 1;
            return None;
        }
        finding.path = path.to_string();
        finding.fingerprint = fp;
        Some(finding)
    }
}

/// Keeps, among findings of one blob at one path, those not overlapped by a finding of strictly higher
/// confidence, and one finding per exact span among equals (the first by rule order): one secret, one
/// finding. The engine does this itself when it knows the path; history scans call it per path.
pub fn resolve_overlaps(findings: &mut Vec<Finding>) {
    let contenders: Vec<Contender<(usize, usize)>> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| Contender {
            span: (f.line, f.column)..(f.end_line, f.end_column),
            rank: f.confidence as u8,
            order: (f.rule_index, i),
            can_beat: true,
        })
        .collect();
    let beaten = overlap::beaten_by(&contenders);
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        beaten[i - 1].is_none()
    });
}

/// One walker thread's state: its scratch buffers and what it found, merged into the shared outcome when
/// the thread is done (on drop), so threads never contend while scanning.
struct Worker<'a> {
    scanner: &'a Scanner,
    scratch: Scratch,
    matches: Vec<RawMatch>,
    local: ScanOutcome,
    shared: Arc<Mutex<ScanOutcome>>,
}

impl<'a> Worker<'a> {
    fn new(scanner: &'a Scanner, shared: Arc<Mutex<ScanOutcome>>) -> Self {
        Worker {
            scanner,
            scratch: scanner.engine.scratch(),
            matches: Vec::new(),
            local: ScanOutcome::default(),
            shared,
        }
    }

    fn path_rules(&mut self, path: &str) {
        self.matches.clear();
        self.scanner.engine.scan_path(path, &mut self.matches);
        if !self.matches.is_empty() {
            let matches = std::mem::take(&mut self.matches);
            self.scanner.make_findings(
                path,
                &[],
                &matches,
                &mut self.local.findings,
                &mut self.local.stats,
            );
            self.matches = matches;
        }
    }
}

impl ItemSink for Worker<'_> {
    fn accept(&mut self, item: Item) {
        match item {
            Item::Blob(blob) => {
                self.local.stats.files_scanned += 1;
                self.local.stats.bytes_scanned += blob.bytes.len() as u64;
                self.matches.clear();
                let engine = &self.scanner.engine;
                engine.scan_path(&blob.path, &mut self.matches);
                engine.scan(
                    &blob.path,
                    &blob.bytes,
                    &mut self.scratch,
                    &mut self.matches,
                );
                if !self.matches.is_empty() {
                    self.scanner.make_findings(
                        &blob.path,
                        &blob.bytes,
                        &self.matches,
                        &mut self.local.findings,
                        &mut self.local.stats,
                    );
                }
            }
            Item::Skipped { path, reason } => {
                match reason {
                    SkipReason::Binary => self.local.stats.skipped_binary += 1,
                    SkipReason::TooLarge => self.local.stats.skipped_too_large += 1,
                    SkipReason::Symlink => {
                        self.local.stats.skipped_symlinks += 1;
                        return;
                    }
                }
                self.path_rules(&path);
            }
            Item::Error { path, message } => self.local.errors.push(ScanError { path, message }),
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.findings.append(&mut self.local.findings);
        shared.errors.append(&mut self.local.errors);
        shared.stats.add(&self.local.stats);
    }
}
