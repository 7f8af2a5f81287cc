//! Git scans: full history, commit ranges and staged changes. The walk (one thread) hands each unique
//! blob to worker threads as soon as it meets it; workers own a repository handle, the engine's scratch
//! buffers and their findings. Afterwards every blob's findings are attributed to the commits and paths
//! that introduced it, grouped to one finding per (rule, secret, path).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use git2::{Oid, Repository};

use super::{ScanError, ScanOutcome, ScanStats, Scanner};
use crate::error::{Error, Result};
use crate::finding::{fingerprint, Finding, GitProvenance};
use crate::sources::git::{self, BlobRead, History, Selection, WalkSink};
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

/// What one worker thread found.
#[derive(Default)]
struct WorkerResult {
    findings: HashMap<Oid, Vec<Finding>>,
    stats: ScanStats,
    errors: Vec<ScanError>,
}

impl Scanner {
    /// Scans the history of the repository at `path`.
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
        let (tx, rx) = crossbeam_channel::bounded::<(Oid, String)>(8192);
        let reopen = git::reopen_path(&repo);

        let (history, results) =
            std::thread::scope(|scope| -> Result<(History, Vec<WorkerResult>)> {
                let mut handles = Vec::new();
                for _ in 0..threads {
                    let rx = rx.clone();
                    let reopen = reopen.clone();
                    handles.push(scope.spawn(move || self.history_worker(&reopen, rx, progress)));
                }
                drop(rx);
                let mut send = |oid: Oid, path: &str| {
                    // Workers only stop early if they all failed to open the repository; the walk then
                    // finishes without them and their errors are reported.
                    let _ = tx.send((oid, path.to_string()));
                };
                let mut on_commit = |n: u64| progress.commits.store(n, Ordering::Relaxed);
                let walked = git::walk_history(
                    &repo,
                    &options.selection,
                    is_range,
                    WalkSink {
                        new_blob: &mut send,
                        progress: &mut on_commit,
                    },
                );
                drop(tx);
                let results: Vec<WorkerResult> = handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| WorkerResult {
                            errors: vec![ScanError {
                                path: "<worker>".into(),
                                message: "a scanning thread panicked".into(),
                            }],
                            ..Default::default()
                        })
                    })
                    .collect();
                Ok((walked?, results))
            })?;

        let mut outcome = ScanOutcome::default();
        let mut blob_findings: HashMap<Oid, Vec<Finding>> = HashMap::new();
        for r in results {
            outcome.stats.add(&r.stats);
            outcome.errors.extend(r.errors);
            blob_findings.extend(r.findings);
        }
        self.attribute(
            &repo,
            &history,
            blob_findings,
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

    fn history_worker(
        &self,
        repo_path: &Path,
        rx: crossbeam_channel::Receiver<(Oid, String)>,
        progress: &GitProgress,
    ) -> WorkerResult {
        let mut result = WorkerResult::default();
        let repo = match Repository::open(repo_path) {
            Ok(r) => r,
            Err(e) => {
                result.errors.push(ScanError {
                    path: repo_path.display().to_string(),
                    message: e.message().to_string(),
                });
                return result;
            }
        };
        let mut scratch = self.engine.scratch();
        let mut matches = Vec::new();
        for (oid, path) in rx {
            let mut found = Vec::new();
            let read = git::with_blob(&repo, oid, self.options.max_file_size, |bytes| {
                result.stats.files_scanned += 1;
                result.stats.bytes_scanned += bytes.len() as u64;
                progress
                    .bytes
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                matches.clear();
                self.engine.scan(&path, bytes, &mut scratch, &mut matches);
                if !matches.is_empty() {
                    self.make_findings(&path, bytes, &matches, &mut found, &mut result.stats);
                }
            });
            progress.blobs.fetch_add(1, Ordering::Relaxed);
            match read {
                BlobRead::Read => {}
                BlobRead::Skipped(SkipReason::Binary) => result.stats.skipped_binary += 1,
                BlobRead::Skipped(SkipReason::TooLarge) => result.stats.skipped_too_large += 1,
                BlobRead::Skipped(SkipReason::Symlink) => result.stats.skipped_symlinks += 1,
                BlobRead::Error(message) => result.errors.push(ScanError {
                    path: format!("{path} (blob {oid})"),
                    message,
                }),
            }
            if !found.is_empty() {
                result.findings.insert(oid, found);
            }
        }
        result
    }

    /// Turns per-blob findings into per-(rule, secret, path) findings with their first introduction.
    fn attribute(
        &self,
        repo: &Repository,
        history: &History,
        blob_findings: HashMap<Oid, Vec<Finding>>,
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
                continue;
            };
            for intro in intros {
                let path = &history.paths[intro.path as usize];
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
                    let mut g = f.clone();
                    if *path != f.path {
                        g.path = path.clone();
                        g.fingerprint = fingerprint(&g.rule_id, path, &g.secret_bytes);
                        if self.suppressor.global.allows_path(path)
                            || self.suppressor.fingerprints.contains(&g.fingerprint)
                            || self
                                .engine
                                .rules()
                                .get(&g.rule_id)
                                .is_some_and(|r| r.allowlist.allows_path(path))
                        {
                            continue;
                        }
                    }
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
