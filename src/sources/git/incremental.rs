//! Incremental history walks, for a cache of earlier scans. What a walk learned about each commit (its
//! parents, its facts, the files and message it introduced) is a [`WalkedCommit`]. Given the records of an
//! earlier walk ([`Walked`]), [`IncrementalHistory`] reads from the repository only the selected commits
//! those records do not hold (what `git rev-list NEW --not OLD` lists), rebuilds the [`History`] of every
//! selected commit from the records and the new commits' diffs, and hands out only the blobs and messages
//! not scanned before. Records of commits that are no longer selected (a deleted branch, a rewritten
//! history) are left out, so nothing they introduced is placed. Commits and blobs are named by their
//! content, so a record is true in any repository that holds its commit.
//!
//! This module knows nothing of rules, of findings or of how records are stored.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;
use std::sync::Mutex;

use git2::{Oid, Repository};

use super::walk::{self, CommitChanges, WalkError};
use super::{
    hand_out, history_notes, message_id, open, release_freed_memory, thread_pool,
    tune_for_history_scan, Changes, CommitMeta, History, Introduction, Reader, RefTips, Selection,
    COMMIT_MESSAGE_PATH,
};
use crate::error::{Error, Result};
use crate::sources::{Enumerate, Enumerated, Item, SinkFactory, Source};

/// A hasher for object ids, whose bytes are already evenly spread: it keeps their first eight bytes.
#[derive(Debug, Default, Clone, Copy)]
pub struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut first = [0u8; 8];
        let n = bytes.len().min(8);
        first[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(first);
    }

    fn write_usize(&mut self, _: usize) {
        // the length prefix of an id's bytes: always the same
    }
}

/// A map keyed by object id, hashed by [`OidHasher`].
pub type OidMap<V> = HashMap<Oid, V, BuildHasherDefault<OidHasher>>;

/// A set of object ids, hashed by [`OidHasher`].
pub type OidSet = HashSet<Oid, BuildHasherDefault<OidHasher>>;

/// Each commit's position in `commits`.
fn positions(commits: &[WalkedCommit]) -> OidMap<usize> {
    commits.iter().enumerate().map(|(i, c)| (c.id, i)).collect()
}

/// What a walk learned about one commit: enough to rebuild its part of a [`History`] without reading it.
#[derive(Debug, Clone)]
pub struct WalkedCommit {
    /// Its id.
    pub id: Oid,
    /// Its parents' ids.
    pub parents: Vec<Oid>,
    /// Its facts, for reports.
    pub meta: CommitMeta,
    /// The id its message is scanned under, when the message is not blank.
    pub message: Option<Oid>,
    /// The files it introduced: path (an index into [`Walked::paths`]) and blob.
    pub changes: Vec<(u32, Oid)>,
    /// Submodule entries it added.
    pub submodules: u32,
}

/// The records of a walk: every selected commit, parents first, and the paths their changes name.
#[derive(Debug, Default)]
pub struct Walked {
    /// Paths (`/`-separated, lossy UTF-8).
    pub paths: Vec<String>,
    /// Commits, parents before children.
    pub commits: Vec<WalkedCommit>,
    /// How many of `commits` (the first ones) came from an earlier walk's records.
    pub reused: usize,
    /// How many of an earlier walk's records were left out: no longer selected.
    pub dropped: usize,
}

impl Walked {
    /// For each of `commits` (full hex ids), the refs of `tips` whose history contains it, from the
    /// records' graph alone; `None` when a ref points outside the records (then the repository must be
    /// walked). The records are parents first, so walking them backwards hands each commit's set of refs
    /// down to its parents before they are visited.
    pub(super) fn refs_containing(
        &self,
        tips: &RefTips,
        commits: &HashSet<String>,
    ) -> Option<HashMap<String, Vec<String>>> {
        let index = positions(&self.commits);
        if tips.tips.keys().any(|t| !index.contains_key(t)) {
            return None;
        }
        let mut out = HashMap::new();
        if commits.is_empty() || tips.names.is_empty() {
            return Some(out);
        }
        let wanted: OidSet = commits
            .iter()
            .filter_map(|c| Oid::from_str(c).ok())
            .collect();
        let words = tips.words();
        let mut sets: HashMap<usize, Vec<u64>> = HashMap::new();
        for (i, commit) in self.commits.iter().enumerate().rev() {
            let mut set = match sets.remove(&i) {
                Some(set) => set,
                None if tips.tips.contains_key(&commit.id) => vec![0; words],
                None => continue, // no ref reaches it
            };
            tips.mark(&commit.id, &mut set);
            for parent in &commit.parents {
                if let Some(&p) = index.get(parent) {
                    let to = sets.entry(p).or_insert_with(|| vec![0; words]);
                    to.iter_mut().zip(&set).for_each(|(a, b)| *a |= b);
                }
            }
            if wanted.contains(&commit.id) {
                out.insert(commit.meta.id.clone(), tips.names_in(&set));
            }
        }
        Some(out)
    }
}

/// Git history (every ref, or the commits of some refs; not a range), walked incrementally: the
/// commits in `prior` are not read again, nor the blobs and messages in `scanned`. With no records, every
/// selected commit is walked in the order a plain history scan walks them. The [`History`] returned
/// holds every selected commit's record ([`History::take_walked`]).
#[derive(Debug)]
pub struct IncrementalHistory {
    /// A path in the repository (its work tree, `.git`, or a bare repository).
    pub path: PathBuf,
    /// The commits.
    pub selection: Selection,
    /// The records of an earlier walk (taken when the walk starts).
    pub prior: Mutex<Walked>,
    /// Blobs and commit messages already scanned (by id): not handed out.
    pub scanned: OidSet,
}

impl Source for IncrementalHistory {
    fn enumerate(&self, how: &Enumerate<'_>, sinks: &SinkFactory<'_>) -> Result<Enumerated> {
        if matches!(self.selection, Selection::Range { .. }) {
            return Err(Error::Git(
                "an incremental scan covers whole histories, not ranges".into(),
            ));
        }
        tune_for_history_scan();
        let repo = open(&self.path)?;
        let pool = thread_pool(how.threads())?;
        let prior = std::mem::take(&mut *self.prior.lock().unwrap_or_else(|p| p.into_inner()));
        let mut errors = Vec::new();
        let (reached, new) = if prior.commits.is_empty() {
            let all = walk::select_commits(&repo, &self.selection, &mut errors)?;
            (Vec::new(), all)
        } else {
            select_new(&repo, &self.selection, &prior, &mut errors)?
        };
        let git_dir = repo.path().to_path_buf();
        let diffed =
            pool.install(|| walk::diff_commits(&git_dir, &new, false, &how.progress.commits));
        let mut history = History {
            shallow: repo.is_shallow(),
            changes: Changes::Full,
            ..History::default()
        };
        let walked = rebuild(&mut history, prior, &reached, &new, diffed, &mut errors);
        let mut sink = sinks();
        for (path, message) in errors {
            sink.accept(Item::Error { path, message });
        }
        drop(sink);
        let no_commits = history.commits.is_empty() && repo.head().is_err();
        drop(repo);
        release_freed_memory();
        let mut wanted = history.lineages();
        wanted.retain(|id, _| !self.scanned.contains(id));
        // Decoding whole packs pays off only when much is new (a first scan); a few new blobs are read
        // one by one.
        let packs = !wanted.is_empty() && wanted.len() * 10 >= history.introductions.len();
        let mut notes = hand_out(&git_dir, &pool, &mut history, &wanted, packs, how, sinks);
        notes.extend(history_notes(&history, no_commits));
        history.walked = Some(walked);
        history.reader = Some(Reader::open(&git_dir)?);
        Ok(Enumerated {
            notes,
            history: Some(history),
        })
    }
}

/// The selected commits that `prior` does not hold, parents first, read from the repository (each
/// listed once all its parents are: a depth-first post-order that stops at recorded commits); and for
/// each of `prior`'s commits whether the selection still reaches it.
fn select_new(
    repo: &Repository,
    selection: &Selection,
    prior: &Walked,
    errors: &mut Vec<WalkError>,
) -> Result<(Vec<bool>, Vec<Oid>)> {
    let (tips, _) = walk::tips(repo, selection, errors)?;
    let index = positions(&prior.commits);
    let mut reached = vec![false; prior.commits.len()];
    let mut visited = OidSet::default();
    let mut order = Vec::new();
    let mut stack: Vec<(Oid, bool)> = tips.iter().rev().map(|&t| (t, false)).collect();
    while let Some((oid, parents_done)) = stack.pop() {
        if parents_done {
            order.push(oid);
            continue;
        }
        if let Some(&i) = index.get(&oid) {
            // A parent the records lack (they were cut short) is read like a new commit.
            let unrecorded = reach(prior, &index, &mut reached, i);
            stack.extend(unrecorded.into_iter().map(|p| (p, false)));
            continue;
        }
        if !visited.insert(oid) {
            continue;
        }
        match repo.find_commit(oid) {
            Ok(c) => {
                stack.push((oid, true));
                let parents: Vec<Oid> = c.parent_ids().collect();
                stack.extend(parents.into_iter().rev().map(|p| (p, false)));
            }
            Err(e) => errors.push(walk::unreadable_commit(oid, &e)),
        }
    }
    Ok((reached, order))
}

/// Marks `start` and every recorded commit reachable from it through the records as reached; returns
/// the parents met that the records do not hold.
fn reach(prior: &Walked, index: &OidMap<usize>, reached: &mut [bool], start: usize) -> Vec<Oid> {
    let mut unrecorded = Vec::new();
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        for parent in &prior.commits[i].parents {
            match index.get(parent) {
                Some(&p) => stack.push(p),
                None => unrecorded.push(*parent),
            }
        }
    }
    unrecorded
}

/// Fills `history` with the recorded commits still reached (in their recorded order), then the new
/// commits (`diffed`, in the order of `new`); returns every selected commit's record. What a new commit
/// could not read is added to `errors`.
fn rebuild(
    history: &mut History,
    prior: Walked,
    reached: &[bool],
    new: &[Oid],
    diffed: Vec<Result<CommitChanges>>,
    errors: &mut Vec<WalkError>,
) -> Walked {
    for path in &prior.paths {
        history.intern(path.as_bytes());
    }
    let message_path = history.intern(COMMIT_MESSAGE_PATH.as_bytes());
    let mut commits = Vec::with_capacity(reached.len() + new.len());
    for (commit, _) in (prior.commits.into_iter().zip(reached)).filter(|(_, r)| **r) {
        replay(history, &commit, message_path);
        commits.push(commit);
    }
    let reused = commits.len();
    for (oid, commit) in new.iter().zip(diffed) {
        match commit {
            Ok(mut commit) => {
                let at = format!("commit {oid}");
                errors.extend(commit.errors.drain(..).map(|e| (at.clone(), e)));
                commits.push(record_new(history, *oid, commit));
            }
            Err(e) => errors.push((format!("commit {oid}"), e.to_string())),
        }
    }
    Walked {
        paths: history.paths.clone(),
        commits,
        reused,
        dropped: reached.len() - reused,
    }
}

/// Adds a recorded commit to `history` as [`walk::record`] adds a diffed one: a commit that introduced
/// no file and has a blank message is not listed.
fn replay(history: &mut History, commit: &WalkedCommit, message_path: u32) {
    history.submodules += u64::from(commit.submodules);
    if commit.changes.is_empty() && commit.message.is_none() {
        return;
    }
    let index = history.commits.len() as u32;
    history.commits.push(commit.meta.clone());
    let message = commit.message.map(|id| (message_path, id));
    for (path, blob) in message.into_iter().chain(commit.changes.iter().copied()) {
        let intro = Introduction {
            commit: index,
            path,
        };
        history.introductions.entry(blob).or_default().push(intro);
    }
}

/// Adds a newly diffed commit to `history` and returns its record.
fn record_new(history: &mut History, id: Oid, commit: CommitChanges) -> WalkedCommit {
    let changes = (commit.changes.iter())
        .map(|c| (history.intern(&c.path), c.new))
        .collect();
    let record = WalkedCommit {
        id,
        parents: commit.parents.clone(),
        meta: commit.meta.clone(),
        message: walk::has_message(&commit.message).then(|| message_id(&commit.message)),
        changes,
        submodules: u32::try_from(commit.submodules).unwrap_or(u32::MAX),
    };
    walk::record(history, commit);
    record
}
