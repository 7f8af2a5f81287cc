//! Placing the findings of git sources. A git blob is scanned once, without a path, however many commits
//! and paths hold it; afterwards its findings are placed at every (commit, path) that introduced it,
//! together with the findings of rules that match a file by its path. Range and staged scans keep only
//! what is not already on the old side of the change; full-history and range scans group findings to one
//! per (rule, secret, path) at their first introduction and say where they came from.

use std::collections::{HashMap, HashSet};

use git2::Oid;

use super::{resolve_overlaps, Occurrences, Scanner};
use crate::census;
use crate::finding::{Finding, GitProvenance};
use crate::outcome::{ScanOutcome, ScanStats};
use crate::sources::archive;
use crate::sources::git::{Changes, History, Introduction, Selection};
use crate::suppress::InCommit;

/// Counters a caller can watch while a history scan runs (for a progress bar).
pub use crate::sources::Progress as GitProgress;

/// What a history scan covers and reports.
#[derive(Debug, Clone)]
pub struct GitScanOptions {
    /// The commits.
    pub selection: Selection,
    /// Report every (commit, path, line) instead of one finding per (rule, secret, path).
    pub all_occurrences: bool,
}

/// Findings grouped to one per (rule, secret, path), with the commits that introduced them.
#[derive(Default)]
struct Groups {
    groups: HashMap<(String, Vec<u8>, String), Group>,
    /// Every placed finding with its commit, when every occurrence is reported.
    occurrences: Vec<(u32, Finding)>,
}

struct Group {
    first_commit: u32,
    finding: Finding,
    commits: HashSet<u32>,
}

impl Groups {
    fn add(&mut self, commit: u32, placed: Vec<Finding>, keep_occurrences: bool) {
        for f in placed {
            if keep_occurrences {
                self.occurrences.push((commit, f.clone()));
            }
            let key = (f.rule_id.clone(), f.secret_bytes.clone(), f.path.clone());
            match self.groups.get_mut(&key) {
                Some(group) => {
                    group.commits.insert(commit);
                    if commit < group.first_commit {
                        group.first_commit = commit;
                        group.finding = f;
                    }
                }
                None => {
                    let group = Group {
                        first_commit: commit,
                        finding: f,
                        commits: HashSet::from([commit]),
                    };
                    self.groups.insert(key, group);
                }
            }
        }
    }
}

/// How many commits introduced `f`'s secret at its path.
fn commits_of(groups: &HashMap<(String, Vec<u8>, String), Group>, f: &Finding) -> usize {
    let key = (f.rule_id.clone(), f.secret_bytes.clone(), f.path.clone());
    groups.get(&key).map(|g| g.commits.len()).unwrap_or(1)
}

/// What placement reads more than once: old sides' contents, HEAD's files, the refs containing a commit.
#[derive(Default)]
struct Reads {
    old_blobs: HashMap<Oid, Option<Vec<u8>>>,
    head_files: HashMap<String, Option<Vec<u8>>>,
    /// Per introducing commit, the refs that contain it.
    refs: HashMap<String, Vec<String>>,
}

impl Scanner {
    /// Places the findings of a git source's blobs (`drafts`) at every introduction in `history`, with
    /// the findings of path rules at each introduced path, and adds them to `outcome`.
    pub(super) fn place_history(
        &self,
        history: &History,
        drafts: &HashMap<Oid, Vec<Finding>>,
        occurrences: Occurrences,
        outcome: &mut ScanOutcome,
    ) {
        // staged changes have no commit to group by: every occurrence is reported
        let every = occurrences == Occurrences::All || !history.changes.has_commits();
        let mut groups = Groups::default();
        let mut by_path: Vec<Option<Vec<Finding>>> = vec![None; history.paths.len()];
        let mut reads = Reads::default();
        let none = Vec::new();
        for (oid, intros) in &history.introductions {
            let drafts = drafts.get(oid).unwrap_or(&none);
            for &intro in intros {
                let path = &history.paths[intro.path as usize];
                let files = by_path[intro.path as usize]
                    .get_or_insert_with(|| self.file_findings(path, &mut outcome.stats));
                if drafts.is_empty() && files.is_empty() {
                    continue;
                }
                let mut placed = Vec::new();
                for f in files.iter() {
                    if self.already_there(f, history, intro, &mut reads) {
                        continue;
                    }
                    // a path rule's finding, placed at this path already; the file is the secret,
                    // so its content (this blob) is its identity, wherever it moves
                    let mut f = f.clone();
                    let scheme = &self.options.fingerprints;
                    f.secret_id = census::file_identity(&f.rule_id, oid.as_bytes(), scheme);
                    placed.push(f);
                }
                for f in drafts {
                    if self.already_there(f, history, intro, &mut reads) {
                        continue;
                    }
                    let commit = history.changes.has_commits().then(|| InCommit {
                        commit: &history.commits[intro.commit as usize].id,
                        range: history.changes == Changes::Range,
                    });
                    // a draft's path is empty, or an archive entry's path inside the blob
                    let at = match f.path.as_str() {
                        "" => path.clone(),
                        entry => archive::join(path, entry),
                    };
                    let stats = &mut outcome.stats;
                    placed.extend(self.place_in(f.clone(), &at, commit, stats));
                }
                resolve_overlaps(&mut placed);
                groups.add(intro.commit, placed, every);
            }
        }
        self.report_groups(history, groups, every, &mut reads, outcome);
    }

    /// Findings of the rules that match a file by its path, placed at `path`.
    fn file_findings(&self, path: &str, stats: &mut ScanStats) -> Vec<Finding> {
        let mut matches = Vec::new();
        self.engine.scan_path(path, &mut matches);
        let mut found = Vec::new();
        if !matches.is_empty() {
            self.make_findings(path, &[], &matches, &mut found, stats);
        }
        found
    }

    /// True when `f` is already on the old side of `intro` and only new findings count (range and
    /// staged changes): a secret already in a file the change replaced or deleted, or, for a rule that
    /// matches a file by its path, such a file at a path the rule matches (an edited or renamed key
    /// store is not a new one).
    fn already_there(
        &self,
        f: &Finding,
        history: &History,
        intro: Introduction,
        reads: &mut Reads,
    ) -> bool {
        if !history.changes.only_new() {
            return false;
        }
        let rule = self.engine.rule(f.rule_index);
        history.old_sides(intro).any(|old| {
            if rule.is_path_only() {
                return rule.applies_at(&history.paths[old.path as usize]);
            }
            let content = (reads.old_blobs.entry(old.blob))
                .or_insert_with(|| history.reader().and_then(|r| r.blob(old.blob)));
            (content.as_deref()).is_some_and(|c| memchr::memmem::find(c, &f.secret_bytes).is_some())
        })
    }

    /// Adds the grouped findings (or every occurrence) to `outcome`, each with its provenance.
    fn report_groups(
        &self,
        history: &History,
        groups: Groups,
        every: bool,
        reads: &mut Reads,
        outcome: &mut ScanOutcome,
    ) {
        let placed: Vec<(u32, usize, Finding)> = if every {
            (groups.occurrences.into_iter())
                .map(|(commit, f)| (commit, commits_of(&groups.groups, &f), f))
                .collect()
        } else {
            (groups.groups.into_values())
                .map(|g| (g.first_commit, g.commits.len(), g.finding))
                .collect()
        };
        reads.refs = if history.changes.has_commits() {
            let ids: HashSet<String> = (placed.iter())
                .map(|(c, _, _)| history.commits[*c as usize].id.clone())
                .collect();
            history.refs_containing(&ids)
        } else {
            HashMap::new()
        };
        for (commit, commits, mut f) in placed {
            f.git = provenance(history, commit, commits, &f, reads);
            outcome.findings.push(f);
        }
    }
}

/// The git facts of a finding introduced by `commit` and present in `commits` commits: the one place a
/// [`GitProvenance`] is built. `None` for staged changes, which have no commit yet.
fn provenance(
    history: &History,
    commit: u32,
    commits: usize,
    f: &Finding,
    reads: &mut Reads,
) -> Option<GitProvenance> {
    if !history.changes.has_commits() {
        return None;
    }
    let meta = &history.commits[commit as usize];
    Some(GitProvenance {
        commit: meta.id.clone(),
        author_name: meta.author_name.clone(),
        author_email: meta.author_email.clone(),
        date: meta.date.clone(),
        summary: meta.summary.clone(),
        commits,
        present_at_head: present_at_head(history, f, reads),
        refs: reads.refs.get(&meta.id).cloned().unwrap_or_default(),
    })
}

/// True when HEAD's version of `f`'s path still holds its secret; for a rule that matches a file by its
/// path (no secret bytes), when HEAD still has a file at that path.
fn present_at_head(history: &History, f: &Finding, reads: &mut Reads) -> bool {
    let Some(reader) = history.reader() else {
        return false;
    };
    let content =
        (reads.head_files.entry(f.path.clone())).or_insert_with(|| reader.head_file(&f.path));
    (content.as_deref()).is_some_and(|c| memchr::memmem::find(c, &f.secret_bytes).is_some())
}
