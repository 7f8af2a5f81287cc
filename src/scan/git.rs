//! Git scans: full history, commit ranges and staged changes. The walk (one thread) hands each unique
//! blob to worker threads as soon as it meets it; workers own a repository handle, the engine's scratch
//! buffers and their findings. Afterwards every blob's findings are attributed to the commits and paths
//! that introduced it, grouped to one finding per (rule, secret, path).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use git2::{Oid, Repository};

use super::Scanner;
use crate::engine::{RawMatch, Scratch};
use crate::error::{Error, Result};
use crate::finding::{Finding, GitProvenance};
use crate::outcome::{ScanError, ScanOutcome, ScanStats};
use crate::sources::git::{self, BlobRead, History, Selection};
use crate::sources::looks_binary;
use crate::sources::SkipReason;

/// Counters a caller can watch while a history scan runs (for a progress bar).
#[derive(Debug, Default)]
pub struct GitProgress {
    /// Commits walked.
    pub commits: AtomicU64,
    /// Unique blobs scanned or skipped.
    pub blobs: AtomicU64,
    /// Bytes of blob content scanned.
    pub bytes: AtomicU64,
}

/// What a history scan covers and reports.
#[derive(Debug, Clone)]
pub struct GitScanOptions {
    /// The commits.
    pub selection: Selection,
    /// Report every (commit, path, line) instead of one finding per (rule, secret, path).
    pub all_occurrences: bool,
}

/// Hands memory freed by the walk (libgit2's caches, per-commit diffs) back to the system before the
/// pack reader maps the packs, so that the two phases' peaks do not add up. glibc keeps freed memory of
/// its per-thread arenas otherwise.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused heap pages to the kernel; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Findings of blobs not yet placed at a path, keyed by blob.
type BlobFindings = HashMap<Oid, Vec<Finding>>;

/// What the blob scanners found, merged once per thread.
#[derive(Default)]
struct Collected {
    findings: BlobFindings,
    stats: ScanStats,
    errors: Vec<ScanError>,
}

/// One thread's blob scanner: the engine's scratch buffers and what it found, merged into the shared
/// [`Collected`] when the thread is done. Cloning gives a fresh scanner for another thread.
struct BlobScanner<'a> {
    scanner: &'a Scanner,
    scratch: Scratch,
    matches: Vec<RawMatch>,
    sparse: Vec<u8>,
    local: Collected,
    shared: &'a Mutex<Collected>,
    progress: &'a GitProgress,
    lines: &'a LineMemory,
}

impl<'a> BlobScanner<'a> {
    fn new(
        scanner: &'a Scanner,
        shared: &'a Mutex<Collected>,
        progress: &'a GitProgress,
        lines: &'a LineMemory,
    ) -> Self {
        BlobScanner {
            scanner,
            scratch: scanner.engine.scratch(),
            matches: Vec::new(),
            sparse: Vec::new(),
            local: Collected::default(),
            shared,
            progress,
            lines,
        }
    }

    /// Scans one blob's content (already known not to be too large).
    fn scan(&mut self, oid: Oid, bytes: &[u8]) {
        let Some(&path) = self.lines.path_of.get(&oid) else {
            return; // not reachable from the selected commits (a pack may hold unreachable objects)
        };
        self.progress.blobs.fetch_add(1, Ordering::Relaxed);
        if bytes.len() as u64 > self.scanner.options.max_file_size {
            self.local.stats.skipped_too_large += 1;
            return;
        }
        if looks_binary(bytes) {
            self.local.stats.skipped_binary += 1;
            return;
        }
        self.local.stats.files_scanned += 1;
        self.local.stats.bytes_scanned += bytes.len() as u64;
        self.progress
            .bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.matches.clear();
        self.scan_new_lines(path, bytes);
        if !self.matches.is_empty() {
            let mut found = Vec::new();
            self.scanner
                .draft_findings(bytes, &self.matches, &mut found, &mut self.local.stats);
            if !found.is_empty() {
                self.local.findings.insert(oid, found);
            }
        }
    }
}

/// Lines of context scanned around each run of new lines, for rules that look past one line.
const CONTEXT_LINES: usize = 2;
/// Shards of the per-path line memory (threads scanning different paths rarely wait on each other).
const SHARDS: usize = 64;

/// A hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type LineSet = HashSet<u64, std::hash::BuildHasherDefault<PassThrough>>;

/// What history scans remember between versions of a file: for each path, the hashes of the lines
/// already scanned there without a match. A later version of the file is scanned only around lines
/// whose content is new at that path; lines that held a match are never remembered, so a secret is
/// still found in every blob that contains it (which is how a finding counts its commits).
struct LineMemory {
    /// The path index each blob is scanned under (its first introduction).
    path_of: HashMap<Oid, u32>,
    shards: Vec<Mutex<HashMap<u32, LineSet>>>,
}

impl LineMemory {
    fn new(history: &History) -> Self {
        let mut path_of = HashMap::with_capacity(history.introductions.len());
        for (oid, intros) in &history.introductions {
            if let Some(first) = intros.iter().min_by_key(|i| i.commit) {
                path_of.insert(*oid, first.path);
            }
        }
        LineMemory {
            path_of,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, path: u32) -> std::sync::MutexGuard<'_, HashMap<u32, LineSet>> {
        self.shards[path as usize % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// A fast 64-bit hash of one line's bytes.
fn line_hash(line: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ line.len() as u64;
    let mut chunks = line.chunks_exact(8);
    for c in &mut chunks {
        h ^= u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = h.wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 31)
}

impl BlobScanner<'_> {
    /// Scans the parts of `bytes` whose lines are new at `path` (with context), filling `self.matches`
    /// with offsets into `bytes`, then remembers the lines that held no match.
    fn scan_new_lines(&mut self, path: u32, bytes: &[u8]) {
        let mut lines: Vec<(usize, usize, u64)> = Vec::with_capacity(bytes.len() / 32 + 1);
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', bytes) {
            lines.push((start, nl + 1, line_hash(&bytes[start..nl + 1])));
            start = nl + 1;
        }
        if start < bytes.len() {
            lines.push((start, bytes.len(), line_hash(&bytes[start..])));
        }
        let new: Vec<bool> = {
            let shard = self.lines.shard(path);
            match shard.get(&path) {
                Some(seen) => lines.iter().map(|l| !seen.contains(&l.2)).collect(),
                None => vec![true; lines.len()],
            }
        };
        let n_new = new.iter().filter(|n| **n).count();
        if n_new == 0 {
            return;
        }
        if n_new * 2 > lines.len() {
            self.scanner
                .engine
                .scan_any_path(bytes, &mut self.scratch, &mut self.matches);
        } else {
            // Runs of new lines with context, concatenated; offsets are mapped back afterwards.
            let mut regions: Vec<std::ops::Range<usize>> = Vec::new();
            for (i, _) in new.iter().enumerate().filter(|(_, n)| **n) {
                let first = i.saturating_sub(CONTEXT_LINES);
                let last = (i + CONTEXT_LINES).min(lines.len() - 1);
                let range = lines[first].0..lines[last].1;
                match regions.last_mut() {
                    Some(r) if range.start <= r.end => r.end = r.end.max(range.end),
                    _ => regions.push(range),
                }
            }
            self.sparse.clear();
            let mut map: Vec<(usize, usize, usize)> = Vec::with_capacity(regions.len());
            for r in &regions {
                map.push((self.sparse.len(), r.start, r.len()));
                self.sparse.extend_from_slice(&bytes[r.clone()]);
            }
            let mut local = Vec::new();
            self.scanner
                .engine
                .scan_any_path(&self.sparse, &mut self.scratch, &mut local);
            for mut m in local {
                let seg = map.partition_point(|(b, _, _)| *b <= m.matched.start) - 1;
                let (b, o, len) = map[seg];
                if m.matched.end > b + len {
                    continue; // spans two regions: not text of the file
                }
                m.secret = m.secret.start - b + o..m.secret.end - b + o;
                m.matched = m.matched.start - b + o..m.matched.end - b + o;
                m.related = m.related.and_then(|r| {
                    let seg = map.partition_point(|(b, _, _)| *b <= r.start) - 1;
                    let (b, o, len) = map[seg];
                    (r.end <= b + len).then(|| r.start - b + o..r.end - b + o)
                });
                self.matches.push(m);
            }
        }
        // Remember this version's lines, except those a match touched. A path's memory is bounded by a
        // few versions' worth of lines: past that it restarts from this version (old lines rarely return).
        let clean = |line: &(usize, usize, u64)| {
            !self.matches.iter().any(|m| {
                m.matched.start < line.1 && line.0 < m.matched.end.max(m.matched.start + 1)
            })
        };
        let mut shard = self.lines.shard(path);
        let seen = shard.entry(path).or_default();
        if seen.len() > 2 * lines.len() + 1024 {
            seen.clear();
            seen.extend(lines.iter().filter(|l| clean(l)).map(|l| l.2));
        } else {
            for (line, is_new) in lines.iter().zip(&new) {
                if *is_new && clean(line) {
                    seen.insert(line.2);
                }
            }
        }
    }
}

impl Clone for BlobScanner<'_> {
    fn clone(&self) -> Self {
        BlobScanner::new(self.scanner, self.shared, self.progress, self.lines)
    }
}

impl Drop for BlobScanner<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.findings.extend(self.local.findings.drain());
        shared.stats.add(&self.local.stats);
        shared.errors.append(&mut self.local.errors);
    }
}

impl Scanner {
    /// Scans the history of the repository at `path`.
    ///
    /// Full-history scans decode every blob of the repository's packs once, by walking each pack's delta
    /// tree in parallel (gitoxide's pack reader), and scan it without knowing its path; then the commit
    /// graph is diffed (libgit2, in parallel) to learn which commit introduced which blob at which path,
    /// and the findings are placed there. Blobs outside packs (loose objects), and every blob of a range
    /// scan, are read one by one through libgit2.
    pub fn scan_git(
        &self,
        path: &Path,
        options: &GitScanOptions,
        progress: &GitProgress,
    ) -> Result<ScanOutcome> {
        let started = Instant::now();
        git::tune_for_history_scan();
        let repo = git::open(path)?;
        let is_range = matches!(options.selection, Selection::Range { .. });
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            n => n,
        };
        let mut outcome = ScanOutcome::default();
        let collected = Mutex::new(Collected::default());

        // The commit graph first: it says which blobs matter and at which path each was first met, which
        // lets every later version of a file be scanned only where its lines are new.
        let history = git::walk_history(
            &repo,
            &options.selection,
            is_range,
            threads,
            &progress.commits,
        )?;
        let lines = LineMemory::new(&history);
        // Close libgit2's pack windows and caches before the pack reader maps the packs: peak memory is
        // the larger of the two phases, not their sum.
        let git_dir = git::reopen_path(&repo);
        drop(repo);
        release_freed_memory();

        let mut in_packs = HashSet::new();
        if !is_range {
            let mut visitor = BlobScanner::new(self, &collected, progress, &lines);
            let (seen, notes) = git::for_each_packed_blob(&git_dir, threads, move |oid, bytes| {
                visitor.scan(oid, bytes)
            });
            in_packs = seen;
            outcome.notes.extend(notes);
        }

        // Whatever the packs did not hold: loose objects, and every blob of a range.
        let rest: Vec<Oid> = history
            .introductions
            .keys()
            .filter(|oid| !in_packs.contains(oid))
            .copied()
            .collect();
        drop(in_packs);
        let repo = Repository::open(&git_dir)
            .map_err(|e| Error::Git(format!("{}: {}", git_dir.display(), e.message())))?;
        self.scan_blobs_one_by_one(&repo, &rest, threads, &collected, progress, &lines);
        drop(lines);

        let collected = collected.into_inner().unwrap_or_else(|p| p.into_inner());
        outcome.stats.add(&collected.stats);
        outcome.errors.extend(collected.errors);
        self.attribute(
            &repo,
            &history,
            collected.findings,
            options,
            is_range,
            &mut outcome,
        );
        self.path_only_history(&history, &mut outcome);
        if history.shallow {
            outcome
                .notes
                .push("shallow clone: commits before the shallow boundary were not scanned".into());
        }
        if history.submodules > 0 {
            outcome.notes.push(format!(
                "{} submodule entr{} not followed (scan submodules separately)",
                history.submodules,
                if history.submodules == 1 { "y" } else { "ies" }
            ));
        }
        if history.commits.is_empty() && !is_range && repo.head().is_err() {
            outcome.notes.push("the repository has no commits".into());
        }
        outcome.finish(started);
        Ok(outcome)
    }

    /// Reads and scans `oids` through libgit2 with `threads` threads, each with its own repository handle.
    fn scan_blobs_one_by_one(
        &self,
        repo: &Repository,
        oids: &[Oid],
        threads: usize,
        collected: &Mutex<Collected>,
        progress: &GitProgress,
        lines: &LineMemory,
    ) {
        if oids.is_empty() {
            return;
        }
        let git_dir = git::reopen_path(repo);
        let chunk = oids.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            for part in oids.chunks(chunk) {
                let git_dir = &git_dir;
                scope.spawn(move || {
                    let mut scanner = BlobScanner::new(self, collected, progress, lines);
                    let repo = match Repository::open(git_dir) {
                        Ok(r) => r,
                        Err(e) => {
                            scanner.local.errors.push(ScanError {
                                path: git_dir.display().to_string(),
                                message: e.message().to_string(),
                            });
                            return;
                        }
                    };
                    for oid in part {
                        let read =
                            git::with_blob(&repo, *oid, self.options.max_file_size, |bytes| {
                                scanner.scan(*oid, bytes)
                            });
                        match read {
                            BlobRead::Read => {}
                            BlobRead::Skipped(SkipReason::Binary) => {
                                progress.blobs.fetch_add(1, Ordering::Relaxed);
                                scanner.local.stats.skipped_binary += 1
                            }
                            BlobRead::Skipped(SkipReason::TooLarge) => {
                                progress.blobs.fetch_add(1, Ordering::Relaxed);
                                scanner.local.stats.skipped_too_large += 1
                            }
                            BlobRead::Skipped(SkipReason::Symlink) => {
                                scanner.local.stats.skipped_symlinks += 1
                            }
                            BlobRead::Error(message) => scanner.local.errors.push(ScanError {
                                path: format!("blob {oid}"),
                                message,
                            }),
                        }
                    }
                });
            }
        });
    }

    /// Turns per-blob findings into per-(rule, secret, path) findings with their first introduction.
    fn attribute(
        &self,
        repo: &Repository,
        history: &History,
        blob_findings: BlobFindings,
        options: &GitScanOptions,
        is_range: bool,
        outcome: &mut ScanOutcome,
    ) {
        struct Group {
            first_commit: u32,
            finding: Finding,
            commits: HashSet<u32>,
        }
        let mut groups: HashMap<(String, Vec<u8>, String), Group> = HashMap::new();
        let mut occurrences: Vec<(u32, Finding)> = Vec::new();
        let mut old_cache: HashMap<Oid, Option<Vec<u8>>> = HashMap::new();
        for (oid, findings) in &blob_findings {
            let Some(intros) = history.introductions.get(oid) else {
                continue; // an unreachable blob in a pack
            };
            for intro in intros {
                let path = &history.paths[intro.path as usize];
                let mut placed = Vec::new();
                for f in findings {
                    if is_range
                        && self.secret_in_old_side(
                            repo,
                            history,
                            *oid,
                            &f.secret_bytes,
                            &mut old_cache,
                        )
                    {
                        continue;
                    }
                    placed.extend(self.place(f.clone(), path, &mut outcome.stats));
                }
                super::resolve_overlaps(&mut placed);
                for g in placed {
                    if options.all_occurrences {
                        occurrences.push((intro.commit, g.clone()));
                    }
                    let key = (g.rule_id.clone(), g.secret_bytes.clone(), path.clone());
                    match groups.get_mut(&key) {
                        Some(group) => {
                            group.commits.insert(intro.commit);
                            if intro.commit < group.first_commit {
                                group.first_commit = intro.commit;
                                group.finding = g;
                            }
                        }
                        None => {
                            groups.insert(
                                key,
                                Group {
                                    first_commit: intro.commit,
                                    finding: g,
                                    commits: HashSet::from([intro.commit]),
                                },
                            );
                        }
                    }
                }
            }
        }
        let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
        let mut head_cache: HashMap<String, Option<Vec<u8>>> = HashMap::new();
        let mut present = |path: &str, secret: &[u8]| -> bool {
            let Some(tree) = &head_tree else { return false };
            let content = head_cache
                .entry(path.to_string())
                .or_insert_with(|| git::head_blob(repo, tree, path));
            content
                .as_deref()
                .is_some_and(|c| memchr::memmem::find(c, secret).is_some())
        };
        let provenance = |commit: u32, commits: usize, at_head: bool| {
            let meta = &history.commits[commit as usize];
            GitProvenance {
                commit: meta.id.clone(),
                author_name: meta.author_name.clone(),
                author_email: meta.author_email.clone(),
                date: meta.date.clone(),
                summary: meta.summary.clone(),
                commits,
                present_at_head: at_head,
            }
        };
        if options.all_occurrences {
            for (commit, mut f) in occurrences {
                let key = (f.rule_id.clone(), f.secret_bytes.clone(), f.path.clone());
                let count = groups.get(&key).map(|g| g.commits.len()).unwrap_or(1);
                let at_head = present(&f.path, &f.secret_bytes);
                f.git = Some(provenance(commit, count, at_head));
                outcome.findings.push(f);
            }
        } else {
            for group in groups.into_values() {
                let mut f = group.finding;
                let at_head = present(&f.path, &f.secret_bytes);
                f.git = Some(provenance(group.first_commit, group.commits.len(), at_head));
                outcome.findings.push(f);
            }
        }
    }

    /// True when `secret` already appears in a blob on the old side of a change that introduced `oid`.
    fn secret_in_old_side(
        &self,
        repo: &Repository,
        history: &History,
        oid: Oid,
        secret: &[u8],
        cache: &mut HashMap<Oid, Option<Vec<u8>>>,
    ) -> bool {
        let Some(olds) = history.old_sides.get(&oid) else {
            return false;
        };
        olds.iter().any(|old| {
            let content = cache
                .entry(*old)
                .or_insert_with(|| repo.find_blob(*old).ok().map(|b| b.content().to_vec()));
            content
                .as_deref()
                .is_some_and(|c| memchr::memmem::find(c, secret).is_some())
        })
    }

    /// Path-only rules (a committed keystore) over every path the history introduced.
    fn path_only_history(&self, history: &History, outcome: &mut ScanOutcome) {
        let mut first: HashMap<u32, (u32, usize)> = HashMap::new();
        for intros in history.introductions.values() {
            for i in intros {
                let e = first.entry(i.path).or_insert((i.commit, 0));
                e.0 = e.0.min(i.commit);
                e.1 += 1;
            }
        }
        let mut matches = Vec::new();
        for (path_index, (commit, count)) in first {
            let path = &history.paths[path_index as usize];
            matches.clear();
            self.engine.scan_path(path, &mut matches);
            if matches.is_empty() {
                continue;
            }
            let mut found = Vec::new();
            self.make_findings(path, &[], &matches, &mut found, &mut outcome.stats);
            for mut f in found {
                let meta = &history.commits[commit as usize];
                f.git = Some(GitProvenance {
                    commit: meta.id.clone(),
                    author_name: meta.author_name.clone(),
                    author_email: meta.author_email.clone(),
                    date: meta.date.clone(),
                    summary: meta.summary.clone(),
                    commits: count,
                    present_at_head: false,
                });
                outcome.findings.push(f);
            }
        }
    }

    /// Scans what `git commit` would record: staged files against HEAD, reporting only secrets the commit
    /// adds.
    pub fn scan_staged(&self, path: &Path) -> Result<ScanOutcome> {
        let started = Instant::now();
        let repo = git::open(path)?;
        if repo.is_bare() {
            return Err(Error::Git(format!(
                "{} is a bare repository: it has no index to scan",
                path.display()
            )));
        }
        let changes = git::staged_changes(&repo)?;
        let mut outcome = ScanOutcome::default();
        let mut scratch = self.engine.scratch();
        let mut matches = Vec::new();
        for change in &changes {
            matches.clear();
            // A file that is a secret by itself is reported when it is added, not on every edit.
            if change.old.is_none() {
                self.engine.scan_path(&change.path, &mut matches);
            }
            let mut found = Vec::new();
            if !matches.is_empty() {
                self.make_findings(&change.path, &[], &matches, &mut found, &mut outcome.stats);
            }
            let read = git::with_blob(&repo, change.new, self.options.max_file_size, |bytes| {
                outcome.stats.files_scanned += 1;
                outcome.stats.bytes_scanned += bytes.len() as u64;
                matches.clear();
                self.engine
                    .scan(&change.path, bytes, &mut scratch, &mut matches);
                self.make_findings(
                    &change.path,
                    bytes,
                    &matches,
                    &mut found,
                    &mut outcome.stats,
                );
            });
            match read {
                BlobRead::Read => {}
                BlobRead::Skipped(SkipReason::Binary) => outcome.stats.skipped_binary += 1,
                BlobRead::Skipped(SkipReason::TooLarge) => outcome.stats.skipped_too_large += 1,
                BlobRead::Skipped(SkipReason::Symlink) => outcome.stats.skipped_symlinks += 1,
                BlobRead::Error(message) => outcome.errors.push(ScanError {
                    path: change.path.clone(),
                    message,
                }),
            }
            if let (Some(old), false) = (change.old, found.is_empty()) {
                if let Ok(blob) = repo.find_blob(old) {
                    let before = blob.content();
                    found.retain(|f| {
                        f.secret_bytes.is_empty()
                            || memchr::memmem::find(before, &f.secret_bytes).is_none()
                    });
                }
            }
            outcome.findings.extend(found);
        }
        outcome.finish(started);
        Ok(outcome)
    }
}
