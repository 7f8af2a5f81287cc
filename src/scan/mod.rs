//! The pipeline, one path for every scan mode: a [`Source`]'s items → per-thread engine scans → findings
//! → suppression → placement at their paths → one collector → a stable order. Every worker owns its
//! scratch buffers; results meet once per worker, when it is dropped. Blobs found at one known path are
//! placed as they are scanned; git blobs are scanned once without a path and placed afterwards at every
//! (commit, path) that introduced them ([`git`]).

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Instant;

use git2::Oid;

use crate::cache::BlobStat;
use crate::census;
use crate::engine::overlap::{self, Contender};
use crate::engine::text::{self, BinaryText};
use crate::engine::{filter, locate, window, Engine, RawMatch, Scratch};
use crate::error::Result;
use crate::finding::{excerpt, redact, Finding, Fingerprints, RelatedPart};
use crate::outcome::{ScanError, ScanOutcome, ScanStats};
use crate::rules::Confidence;
use crate::sources::archive::{self, Expanding};
use crate::sources::chunk::Part;
use crate::sources::dir::Dir;
use crate::sources::git::GitHistory;
use crate::sources::staged::Staged;
use crate::sources::stdin::Stdin;
use crate::sources::{Enumerate, Enumerated, Item, Origin, Progress, Sink, SkipReason, Source};
use crate::suppress::{InCommit, Suppression, Suppressor};

mod cached;
pub mod explain;
pub mod git;
mod lines;

use lines::LineMemory;

/// The most worker threads a scan starts, whatever is asked: more only contend, and thousands of idle
/// directory-walker threads slowed a scan to a crawl (`--threads 5000` never finished).
pub const MAX_THREADS: usize = 128;

/// Options that shape a scan (not what is scanned).
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and git blobs larger than this are skipped, counted and named in a note: only when the
    /// user asks (`u64::MAX`, the default, is no limit; large files and standard input are streamed in
    /// bounded memory). Standard input is always read to its end.
    pub max_file_size: u64,
    /// Worker threads (0: one per core; at most [`MAX_THREADS`]).
    pub threads: usize,
    /// Scan files `.gitignore` hides.
    pub no_ignore: bool,
    /// Findings below this confidence are dropped.
    pub min_confidence: Confidence,
    /// Keep the lines around each finding ([`Finding::context`]) for verification.
    pub keep_context: bool,
    /// Keep a masked excerpt of each finding's code ([`Finding::excerpt`]) for reports that show it.
    pub excerpts: bool,
    /// How fingerprints and secret identities are computed (unkeyed unless a key is given).
    pub fingerprints: Fingerprints,
    /// Explain every candidate of every file found at a path (directories, standard input): see
    /// [`explain`] and [`Scanner::take_explanations`]. Git history is not explained.
    pub explain: bool,
}

/// Lines kept on each side of a finding when [`ScanOptions::keep_context`] is set.
pub const CONTEXT_LINES: usize = 12;

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_file_size: u64::MAX,
            threads: 0,
            no_ignore: false,
            min_confidence: Confidence::Low,
            keep_context: false,
            excerpts: false,
            fingerprints: Fingerprints::Unkeyed,
            explain: false,
        }
    }
}

/// Rules, suppression and options for one scan.
#[derive(Debug)]
pub struct Scanner {
    engine: Engine,
    suppressor: Suppressor,
    options: ScanOptions,
    /// What the scans so far explained (with [`ScanOptions::explain`]).
    explained: Mutex<Vec<explain::Explanation>>,
}

impl Scanner {
    /// A scanner over `engine`'s rules.
    pub fn new(engine: Engine, suppressor: Suppressor, options: ScanOptions) -> Self {
        Scanner {
            engine,
            suppressor,
            options,
            explained: Mutex::new(Vec::new()),
        }
    }

    /// Takes what the scans so far explained ([`ScanOptions::explain`]), ordered by path, line,
    /// column and rule.
    pub fn take_explanations(&self) -> Vec<explain::Explanation> {
        let mut list =
            std::mem::take(&mut *self.explained.lock().unwrap_or_else(|p| p.into_inner()));
        list.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
        });
        list
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The options.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Runs `source` through the pipeline: the one path every scan mode takes. `occurrences` says how
    /// findings of git sources are reported.
    pub fn scan(
        &self,
        source: &dyn Source,
        progress: &Progress,
        occurrences: Occurrences,
    ) -> Result<ScanOutcome> {
        let started = Instant::now();
        let (collected, enumerated) = self.collect(source, progress, false)?;
        let mut outcome = ScanOutcome {
            findings: collected.findings,
            errors: collected.errors,
            stats: collected.stats,
            notes: enumerated.notes,
            fingerprint_key: self.options.fingerprints.key_id().map(str::to_string),
        };
        if let Some(note) = self.too_large_note(&outcome.stats, collected.too_large) {
            outcome.notes.push(note);
        }
        if let Some(history) = enumerated.history {
            self.place_history(&history, &collected.drafts, occurrences, &mut outcome);
        }
        outcome.finish(started);
        Ok(outcome)
    }

    /// The note that says which files were not scanned because the user's `--max-file-size` left them
    /// out, naming the first few (`None` when none was).
    fn too_large_note(&self, stats: &ScanStats, mut named: Vec<String>) -> Option<String> {
        if stats.skipped_too_large == 0 {
            return None;
        }
        named.sort();
        named.truncate(TOO_LARGE_NAMED);
        let more = stats.skipped_too_large.saturating_sub(named.len() as u64);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!(
            "{} file(s) larger than --max-file-size ({} bytes) not scanned, as asked: {}{more}",
            stats.skipped_too_large,
            self.options.max_file_size,
            named.join(", ")
        ))
    }

    /// Runs `source`'s items through the workers and returns what they found, and what the source said
    /// once done. `record_blobs` keeps each git blob's counters ([`Collected::blobs`]).
    fn collect(
        &self,
        source: &dyn Source,
        progress: &Progress,
        record_blobs: bool,
    ) -> Result<(Collected, Enumerated)> {
        let shared = Mutex::new(Collected::new(record_blobs));
        let lines = LineMemory::new();
        let how = Enumerate {
            threads: self.options.threads.min(MAX_THREADS),
            max_file_size: self.options.max_file_size,
            progress,
        };
        let sinks = || -> Box<dyn Sink + '_> {
            let worker = Box::new(Worker::new(self, &shared, &lines, progress, record_blobs));
            Box::new(Expanding::new(worker, archive::LIMITS))
        };
        let enumerated = source.enumerate(&how, &sinks)?;
        drop(lines);
        let mut collected = shared.into_inner().unwrap_or_else(|p| p.into_inner());
        let explained = std::mem::take(&mut collected.explained);
        (self.explained.lock().unwrap_or_else(|p| p.into_inner())).extend(explained);
        Ok((collected, enumerated))
    }

    /// Scans files and directories (`scan dir`).
    pub fn scan_dirs(&self, roots: &[PathBuf]) -> Result<ScanOutcome> {
        let source = Dir {
            roots: roots.to_vec(),
            no_ignore: self.options.no_ignore,
        };
        self.scan(&source, &Progress::default(), Occurrences::First)
    }

    /// Scans standard input to its end, streamed (`scan stdin`).
    pub fn scan_stdin(&self) -> Result<ScanOutcome> {
        self.scan(&Stdin, &Progress::default(), Occurrences::First)
    }

    /// Scans the history of the repository at `path`, all of it or a range (`scan git`).
    pub fn scan_git(
        &self,
        path: &Path,
        options: &git::GitScanOptions,
        progress: &Progress,
    ) -> Result<ScanOutcome> {
        let source = GitHistory {
            path: path.to_path_buf(),
            selection: options.selection.clone(),
        };
        let occurrences = if options.all_occurrences {
            Occurrences::All
        } else {
            Occurrences::First
        };
        self.scan(&source, progress, occurrences)
    }

    /// Scans what `git commit` would record in the repository at `path`: staged files against HEAD,
    /// reporting only what the commit adds, every occurrence (`scan staged`).
    pub fn scan_staged(&self, path: &Path) -> Result<ScanOutcome> {
        let source = Staged {
            path: path.to_path_buf(),
        };
        self.scan(&source, &Progress::default(), Occurrences::All)
    }

    /// Turns raw matches in one blob found at `path` into findings, applying confidence and suppression.
    fn make_findings(
        &self,
        path: &str,
        bytes: &[u8],
        matches: &[RawMatch],
        findings: &mut Vec<Finding>,
        stats: &mut ScanStats,
    ) {
        self.make_findings_at(path, bytes, matches, Base::default(), findings, stats);
    }

    /// [`Scanner::make_findings`] for `bytes` that start after `base` in their file (a chunk of a
    /// stream): lines and columns are the file's.
    fn make_findings_at(
        &self,
        path: &str,
        bytes: &[u8],
        matches: &[RawMatch],
        base: Base,
        findings: &mut Vec<Finding>,
        stats: &mut ScanStats,
    ) {
        let first = findings.len();
        self.draft_findings(bytes, matches, findings, stats);
        let drafts: Vec<Finding> = findings.drain(first..).collect();
        for mut draft in drafts {
            base.shift_finding(&mut draft);
            if let Some(f) = self.place(draft, path, stats) {
                findings.push(f);
            }
        }
    }

    /// Findings of one blob before its path is known: located, redacted, with the suppression that does
    /// not depend on the path applied (confidence, the allowlist's secret patterns, inline markers).
    /// `path` and `fingerprint` are left empty for `place`.
    fn draft_findings(
        &self,
        bytes: &[u8],
        matches: &[RawMatch],
        findings: &mut Vec<Finding>,
        stats: &mut ScanStats,
    ) {
        // every secret the blob holds, masked in each finding's excerpt
        let masks: Vec<Range<usize>> = if self.options.excerpts {
            (matches.iter())
                .flat_map(|m| {
                    std::iter::once(m.secret.clone()).chain(m.related.iter().map(|r| r.1.clone()))
                })
                .collect()
        } else {
            Vec::new()
        };
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
            findings.push(self.draft(bytes, m, secret, &masks));
        }
    }

    /// The finding one match makes in `bytes`, its path and fingerprint left empty; `secret` is the
    /// match's secret (decoded when it was found by decoding); `masks`, every secret in `bytes`, are
    /// masked in its excerpt.
    fn draft(&self, bytes: &[u8], m: &RawMatch, secret: &[u8], masks: &[Range<usize>]) -> Finding {
        let rule = self.engine.rule(m.rule);
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
        Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            description: rule.description.clone(),
            confidence: rule.confidence,
            path: String::new(),
            repository: None,
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
            related: m.related.first().map(|p| self.related_part(bytes, p)),
            also_related: m
                .related
                .iter()
                .skip(1)
                .map(|p| self.related_part(bytes, p))
                .collect(),
            git: None,
            verification: None,
            secret_id: String::new(),
            context: self.context(bytes, m),
            excerpt: (self.options.excerpts && !rule.is_path_only())
                .then(|| excerpt(bytes, m.secret.clone(), masks)),
            secret_bytes: secret.to_vec(),
            rule_index: m.rule,
        }
    }

    /// The lines around a match, when the scan keeps them for verification.
    fn context(&self, bytes: &[u8], m: &RawMatch) -> Vec<u8> {
        if !self.options.keep_context {
            return Vec::new();
        }
        let around =
            window::keyword_window(bytes, m.matched.start, m.matched.end, false, CONTEXT_LINES);
        bytes[around].to_vec()
    }

    /// One companion part of a composite finding: its rule, position and redacted value.
    fn related_part(&self, bytes: &[u8], (rule, span): &(usize, Range<usize>)) -> RelatedPart {
        let at = locate::position(bytes, span.start);
        RelatedPart {
            rule_id: self.engine.rule(*rule).id.clone(),
            line: at.line,
            column: at.column,
            redacted: redact(&bytes[span.clone()]),
            secret_bytes: bytes[span.clone()].to_vec(),
        }
    }

    /// A drafted finding at `path`, unless the rule does not apply there or the path or fingerprint is
    /// suppressed.
    fn place(&self, finding: Finding, path: &str, stats: &mut ScanStats) -> Option<Finding> {
        self.place_in(finding, path, None, stats)
    }

    /// [`Scanner::place`] for a finding a history scan attributes to `commit`.
    fn place_in(
        &self,
        finding: Finding,
        path: &str,
        commit: Option<InCommit<'_>>,
        stats: &mut ScanStats,
    ) -> Option<Finding> {
        match self.placed(finding, path, commit) {
            Ok(f) => Some(f),
            Err(NotPlaced::Suppressed(_)) => {
                stats.suppressed += 1;
                None
            }
            Err(_) => None,
        }
    }

    /// The finding at `path` with its path, confidence there and fingerprint, or why it is not
    /// reported there.
    fn placed(
        &self,
        mut finding: Finding,
        path: &str,
        commit: Option<InCommit<'_>>,
    ) -> std::result::Result<Finding, NotPlaced> {
        let rule = self.engine.rule(finding.rule_index);
        if !rule.applies_at(path) {
            return Err(NotPlaced::NotHere);
        }
        finding.confidence = filter::confidence_at(rule, path, &finding.secret_bytes);
        if finding.confidence < self.options.min_confidence {
            return Err(NotPlaced::BelowConfidence);
        }
        let fp =
            (self.options.fingerprints).fingerprint(&finding.rule_id, path, &finding.secret_bytes);
        let secret = &finding.secret_bytes;
        if let Some(why) = (self.suppressor).check_place(path, finding.line, &fp, secret, commit) {
            return Err(NotPlaced::Suppressed(why));
        }
        finding.path = path.to_string();
        finding.fingerprint = fp;
        finding.secret_id = census::identity(&finding, &self.options.fingerprints);
        Ok(finding)
    }
}

/// Why a drafted finding is not reported at a path.
#[derive(Debug)]
enum NotPlaced {
    /// Its rule does not apply at the path.
    NotHere,
    /// Its confidence there (test data lowers some rules') is below `--min-confidence`.
    BelowConfidence,
    /// Something the user said silences it there.
    Suppressed(Suppression),
}

/// How many files over `--max-file-size` the note about them names.
const TOO_LARGE_NAMED: usize = 5;

/// Where a chunk of a stream starts: the lines before it and the columns before it on its first line.
/// Positions found in the chunk are shifted by it into positions in the stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Base {
    lines: usize,
    columns: usize,
}

impl Base {
    /// Shifts a (1-based) position in the chunk into the stream.
    fn shift(&self, line: &mut usize, column: &mut usize) {
        if *line == 1 {
            *column += self.columns;
        }
        *line += self.lines;
    }

    /// Shifts every position of a finding made in the chunk.
    fn shift_finding(&self, f: &mut Finding) {
        if *self == Base::default() {
            return;
        }
        self.shift(&mut f.line, &mut f.column);
        self.shift(&mut f.end_line, &mut f.end_column);
        for part in f.related.iter_mut().chain(f.also_related.iter_mut()) {
            self.shift(&mut part.line, &mut part.column);
        }
        if let Some(e) = &mut f.excerpt {
            e.first_line += self.lines;
        }
    }

    /// The base of what starts at `at` (a position in the chunk this is the base of).
    fn after(&self, at: locate::Position) -> Base {
        let (mut line, mut column) = (at.line, at.column);
        self.shift(&mut line, &mut column);
        Base {
            lines: line - 1,
            columns: column - 1,
        }
    }
}

/// Keeps, among findings of one blob at one path, those not overlapped by a finding of strictly higher
/// confidence, and one finding per exact span among equals (the first by rule order): one secret, one
/// finding. The engine does this itself when it knows the path; git blobs are placed per path here
/// (findings at different paths, an archive's entries, never compete).
fn resolve_overlaps(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.path.cmp(&b.path));
    let mut keep = Vec::with_capacity(findings.len());
    for same_path in findings.chunk_by(|a, b| a.path == b.path) {
        let contenders: Vec<Contender<(usize, usize)>> = same_path
            .iter()
            .enumerate()
            .map(|(i, f)| Contender {
                span: (f.line, f.column)..(f.end_line, f.end_column),
                rank: f.confidence as u8,
                order: (f.rule_index, i),
                can_beat: true,
            })
            .collect();
        keep.extend(overlap::beaten_by(&contenders).iter().map(Option::is_none));
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// How findings of git sources are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrences {
    /// One finding per (rule, secret, path), at the commit that first introduced it.
    First,
    /// Every (commit, path, line).
    All,
}

/// What the workers found, merged once per worker.
#[derive(Default)]
struct Collected {
    /// Findings of blobs found at one path, placed there.
    findings: Vec<Finding>,
    /// Findings of git blobs, not placed yet, per blob.
    drafts: HashMap<Oid, Vec<Finding>>,
    stats: ScanStats,
    errors: Vec<ScanError>,
    /// A few of the files skipped for `--max-file-size`, to name in a note.
    too_large: Vec<String>,
    /// Every candidate explained (with [`ScanOptions::explain`]).
    explained: Vec<explain::Explanation>,
    /// Each git blob's counters, when asked for (a cache keeps them).
    blobs: Option<Vec<(Oid, BlobStat)>>,
}

impl Collected {
    fn new(record_blobs: bool) -> Self {
        Collected {
            blobs: record_blobs.then(Vec::new),
            ..Collected::default()
        }
    }

    /// Records the counters of git blob `id` (when blobs are recorded).
    fn record(&mut self, id: Option<Oid>, stat: impl FnOnce() -> BlobStat) {
        if let (Some(id), Some(blobs)) = (id, &mut self.blobs) {
            blobs.push((id, stat()));
        }
    }
}

/// One worker thread's sink: its scratch buffers and what it found, merged into the shared
/// [`Collected`] when the worker is dropped, so workers never contend while scanning.
struct Worker<'a> {
    scanner: &'a Scanner,
    scratch: Scratch,
    matches: Vec<RawMatch>,
    sparse: Vec<u8>,
    /// The text of a blob that looks binary.
    text: Vec<u8>,
    lines: &'a LineMemory,
    progress: &'a Progress,
    local: Collected,
    shared: &'a Mutex<Collected>,
    /// Where the next chunk of the stream being scanned starts.
    stream: Base,
}

impl<'a> Worker<'a> {
    fn new(
        scanner: &'a Scanner,
        shared: &'a Mutex<Collected>,
        lines: &'a LineMemory,
        progress: &'a Progress,
        record_blobs: bool,
    ) -> Self {
        Worker {
            scanner,
            scratch: scanner.engine.scratch(),
            matches: Vec::new(),
            sparse: Vec::new(),
            text: Vec::new(),
            lines,
            progress,
            local: Collected::new(record_blobs),
            shared,
            stream: Base::default(),
        }
    }

    /// One chunk of a stream found at `path` ([`crate::sources::chunk`]): its text scanned like a
    /// blob's, keeping the matches that start in the part the chunk owns, at their lines in the stream.
    fn scan_chunk(&mut self, path: &str, bytes: &[u8], part: Part) {
        if part.first() {
            self.stream = Base::default();
            self.local.stats.files_scanned += 1;
            self.progress.blobs.fetch_add(1, Ordering::Relaxed);
        }
        let new = part.new_bytes(bytes.len()) as u64;
        self.local.stats.bytes_scanned += new;
        self.progress.bytes.fetch_add(new, Ordering::Relaxed);
        let mut text = std::mem::take(&mut self.text);
        let kind = text::binary_text(bytes, &mut text);
        if kind.is_some() && part.first() {
            self.local.stats.binary_as_text += 1;
        }
        let (scanned, located) = match kind {
            None => (bytes, bytes),
            Some(BinaryText::Utf16) => (&text[..], &text[..]),
            Some(BinaryText::Printable) => (&text[..], bytes),
        };
        let at = |i: usize| text::text_offset(bytes, kind, i);
        let owned = part.owned(bytes.len());
        let owned = at(owned.start)..at(owned.end);
        if self.scanner.options.explain {
            let own = Some(owned.clone());
            let explained = (self.scanner).explain_blob(path, (scanned, located), own, self.stream);
            self.local.explained.extend(explained);
        }
        self.matches.clear();
        let engine = &self.scanner.engine;
        engine.scan(path, scanned, &mut self.scratch, &mut self.matches);
        self.matches.retain(|m| owned.contains(&m.secret.start));
        if part.first() {
            engine.scan_path(path, &mut self.matches);
        }
        if !self.matches.is_empty() {
            let (findings, stats) = (&mut self.local.findings, &mut self.local.stats);
            (self.scanner).make_findings_at(
                path,
                located,
                &self.matches,
                self.stream,
                findings,
                stats,
            );
        }
        if let Some(next) = part.next_start(bytes.len()) {
            let next = at(next).min(located.len());
            self.stream = self.stream.after(locate::position(located, next));
        }
        self.text = text;
    }

    /// Content found at `path`: every rule over `scanned`, then placed there and located in `located`
    /// (the same bytes, or text of the same length whose offsets are the file's).
    fn scan_at(&mut self, path: &str, scanned: &[u8], located: &[u8]) {
        if self.scanner.options.explain {
            let explained =
                (self.scanner).explain_blob(path, (scanned, located), None, Base::default());
            self.local.explained.extend(explained);
        }
        self.matches.clear();
        let engine = &self.scanner.engine;
        engine.scan_path(path, &mut self.matches);
        engine.scan(path, scanned, &mut self.scratch, &mut self.matches);
        if !self.matches.is_empty() {
            self.scanner.make_findings(
                path,
                located,
                &self.matches,
                &mut self.local.findings,
                &mut self.local.stats,
            );
        }
    }

    /// A git blob: scanned where its lines are new in its lineage, drafted, and kept for placement.
    fn scan_blob(&mut self, id: Oid, lineage: u32, bytes: &[u8]) {
        self.matches.clear();
        let engine = &self.scanner.engine;
        (self.lines).scan(
            engine,
            lineage,
            bytes,
            &mut self.scratch,
            &mut self.sparse,
            &mut self.matches,
        );
        if !self.matches.is_empty() {
            let mut found = Vec::new();
            self.scanner
                .draft_findings(bytes, &self.matches, &mut found, &mut self.local.stats);
            if !found.is_empty() {
                self.local.drafts.entry(id).or_default().extend(found);
            }
        }
    }

    /// A git blob's text (see [`text::binary_text`]), or an entry of the archive it is (`entry`, empty
    /// for the blob itself), scanned whole (its lines are not remembered), drafted from `located`, and
    /// kept for placement. An entry's drafts carry its path inside the archive as their `path`, and the
    /// findings of rules that match the entry's path are drafted with them.
    fn scan_whole_blob(&mut self, id: Oid, entry: &str, scanned: &[u8], located: &[u8]) {
        self.matches.clear();
        let engine = &self.scanner.engine;
        if !entry.is_empty() {
            engine.scan_path(entry, &mut self.matches);
        }
        engine.scan_any_path(scanned, &mut self.scratch, &mut self.matches);
        if !self.matches.is_empty() {
            let mut found = Vec::new();
            self.scanner
                .draft_findings(located, &self.matches, &mut found, &mut self.local.stats);
            for f in &mut found {
                f.path = entry.to_string();
            }
            self.local.drafts.entry(id).or_default().extend(found);
        }
    }

    /// Gives the findings from `first` on that report a file by its path (a key store) the identity of
    /// the file's content, `bytes` ([`census::file_identity`] of its git blob id, as history scans give
    /// it): one key store at two paths is one secret.
    fn identify_files(&mut self, first: usize, bytes: &[u8]) {
        let Some(found) = self.local.findings.get_mut(first..) else {
            return;
        };
        let mut content = None;
        for f in found {
            if self.scanner.engine.rule(f.rule_index).is_path_only() {
                let id = *content.get_or_insert_with(|| {
                    Oid::hash_object(git2::ObjectType::Blob, bytes).unwrap_or(Oid::ZERO_SHA1)
                });
                let scheme = &self.scanner.options.fingerprints;
                f.secret_id = census::file_identity(&f.rule_id, id.as_bytes(), scheme);
            }
        }
    }

    /// Content handed on whole: read as text (or the text inside it, [`text::binary_text`]) and scanned
    /// where it was found.
    fn scan_item(&mut self, origin: Origin, bytes: &[u8]) {
        let len = bytes.len() as u64;
        self.local.stats.files_scanned += 1;
        self.local.stats.bytes_scanned += len;
        self.progress.blobs.fetch_add(1, Ordering::Relaxed);
        self.progress.bytes.fetch_add(len, Ordering::Relaxed);
        let first = self.local.findings.len();
        let mut text = std::mem::take(&mut self.text);
        let kind = text::binary_text(bytes, &mut text);
        if kind.is_some() {
            self.local.stats.binary_as_text += 1;
        }
        // UTF-16 is located in its decoded text; printable runs lie where they are in the file (the
        // secrets are the same bytes in both).
        let (scanned, located) = match kind {
            None => (bytes, bytes),
            Some(BinaryText::Utf16) => (&text[..], &text[..]),
            Some(BinaryText::Printable) => (&text[..], bytes),
        };
        let suppressed = self.local.stats.suppressed;
        let recorded = origin.git_id();
        match origin {
            Origin::Path(path) => self.scan_at(&path, scanned, located),
            Origin::Git { id, lineage } if kind.is_none() => self.scan_blob(id, lineage, bytes),
            Origin::Git { id, .. } => self.scan_whole_blob(id, "", scanned, located),
            Origin::GitEntry { id, entry } => self.scan_whole_blob(id, &entry, scanned, located),
        }
        self.text = text;
        self.identify_files(first, bytes);
        let suppressed = self.local.stats.suppressed - suppressed;
        self.local.record(recorded, || BlobStat {
            files: 1,
            bytes: len,
            binary: u32::from(kind.is_some()),
            suppressed: u32::try_from(suppressed).unwrap_or(u32::MAX),
            ..BlobStat::default()
        });
    }

    /// The rules that match a file by its path, for a file whose content is not scanned.
    fn path_rules(&mut self, path: &str) {
        if self.scanner.options.explain {
            let explained = (self.scanner).explain_blob(path, (b"", b""), None, Base::default());
            self.local.explained.extend(explained);
        }
        self.matches.clear();
        self.scanner.engine.scan_path(path, &mut self.matches);
        if !self.matches.is_empty() {
            self.scanner.make_findings(
                path,
                &[],
                &self.matches,
                &mut self.local.findings,
                &mut self.local.stats,
            );
        }
    }
}

impl Sink for Worker<'_> {
    fn accept(&mut self, item: Item<'_>) {
        match item {
            Item::Blob { origin, bytes } => self.scan_item(origin, bytes),
            Item::Chunk { path, bytes, part } => self.scan_chunk(&path, bytes, part),
            Item::Skipped { origin, reason } => {
                match reason {
                    SkipReason::TooLarge => {
                        self.local.stats.skipped_too_large += 1;
                        if self.local.too_large.len() < TOO_LARGE_NAMED {
                            self.local.too_large.push(origin.describe());
                        }
                        self.local.record(origin.git_id(), || BlobStat {
                            too_large: 1,
                            ..BlobStat::default()
                        });
                    }
                    SkipReason::Symlink => {
                        self.local.stats.skipped_symlinks += 1;
                        return;
                    }
                    // scanned as its entries (whose counters its blob id collects)
                    SkipReason::Expanded => self.local.record(origin.git_id(), BlobStat::default),
                }
                self.progress.blobs.fetch_add(1, Ordering::Relaxed);
                // A git blob's path rules run where it is placed.
                if let Origin::Path(path) = origin {
                    self.path_rules(&path);
                }
            }
            Item::Error { path, message } => self.local.errors.push(ScanError { path, message }),
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.findings.append(&mut self.local.findings);
        shared.drafts.extend(self.local.drafts.drain());
        shared.errors.append(&mut self.local.errors);
        shared.too_large.append(&mut self.local.too_large);
        shared.explained.append(&mut self.local.explained);
        shared.stats.add(&self.local.stats);
        if let (Some(all), Some(mine)) = (&mut shared.blobs, &mut self.local.blobs) {
            all.append(mine);
        }
    }
}
