//! The commit-graph walk of a history scan: which commits are selected, and what each one introduces
//! (files whose blob differs from every parent's). Commits are diffed independently, in parallel on
//! rayon's work-stealing pool, and merged parents first.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use git2::{ObjectType, Oid, Repository, Sort, Tree, TreeEntry};
use rayon::prelude::*;

use super::{
    commit_meta, git_err, is_file_mode, resolve_commit, CommitMeta, History, OldSide, Selection,
    COMMIT_MESSAGE_PATH,
};
use crate::error::{Error, Result};

/// A file one commit introduces.
pub(super) struct Change {
    pub(super) path: Vec<u8>,
    pub(super) new: Oid,
    /// Range scans: the versions it replaces at its path (the first parent's, then the other parents').
    replaced: Vec<Oid>,
}

/// The changes one commit introduces, computed independently of every other commit.
pub(super) struct CommitChanges {
    pub(super) meta: CommitMeta,
    /// Its parents' ids (an incremental walk keeps the graph).
    pub(super) parents: Vec<Oid>,
    pub(super) changes: Vec<Change>,
    /// Range scans: the files the commit deleted, with their paths.
    deleted: Vec<(Oid, Vec<u8>)>,
    pub(super) submodules: u64,
    /// Subtrees that could not be read (missing or corrupt objects): what lies under them in this
    /// commit was not diffed.
    pub(super) errors: Vec<String>,
    /// The full commit message.
    pub(super) message: Vec<u8>,
}

/// Something the walk could not read: where (a commit) and what went wrong. The walk goes on without it;
/// the scan is then incomplete.
pub(super) type WalkError = (String, String);

/// Lists the selected commits, parents first. When libgit2's walk fails (a missing or corrupt commit in
/// the history), the commits are walked again one by one: every commit that can be read is listed, and
/// each that cannot is an error in `errors`.
pub(super) fn select_commits(
    repo: &Repository,
    selection: &Selection,
    errors: &mut Vec<WalkError>,
) -> Result<Vec<Oid>> {
    match revwalk(repo, selection) {
        Ok(commits) => Ok(commits),
        Err(Error::Git(walk_error)) => {
            let (tips, hidden) = tips(repo, selection, errors)?;
            let before = errors.len();
            let commits = walk_tolerantly(repo, &tips, &hidden, errors);
            if errors.len() == before {
                errors.push(("<history>".into(), walk_error));
            }
            Ok(commits)
        }
        Err(e) => Err(e),
    }
}

/// The selected commits through libgit2's walk, parents first; fails on the first unreadable commit.
fn revwalk(repo: &Repository, selection: &Selection) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk().map_err(|e| git_err("revwalk", e))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(|e| git_err("revwalk", e))?;
    match selection {
        Selection::AllRefs => {
            let mut pushed = false;
            for glob in ["refs/heads/*", "refs/tags/*", "refs/remotes/*"] {
                walk.push_glob(glob).map_err(|e| git_err(glob, e))?;
                pushed |= repo
                    .references_glob(glob)
                    .map(|mut r| r.next().is_some())
                    .unwrap_or(false);
            }
            if let Some(oid) = repo.head().ok().and_then(|h| h.target()) {
                if repo.find_commit(oid).is_ok() {
                    walk.push(oid).map_err(|e| git_err("HEAD", e))?;
                    pushed = true;
                }
            }
            if !pushed {
                return Ok(Vec::new()); // no commits yet
            }
        }
        Selection::Refs(refs) => {
            for r in refs {
                let oid = resolve_commit(repo, r)?;
                walk.push(oid).map_err(|e| git_err(r, e))?;
            }
        }
        Selection::Range { include, exclude } => {
            let oid = resolve_commit(repo, include)?;
            walk.push(oid).map_err(|e| git_err(include, e))?;
            if let Some(ex) = exclude {
                let oid = resolve_commit(repo, ex)?;
                walk.hide(oid).map_err(|e| git_err(ex, e))?;
            }
        }
    }
    walk.map(|oid| oid.map_err(|e| git_err("walking commits", e)))
        .collect()
}

/// The commits a selection starts from and those whose history it excludes, for a walk that cannot
/// lean on libgit2's. A ref whose object is missing is an error in `errors`; a ref to something that is
/// not a commit (a tag of a blob) is left out, as libgit2's walk leaves it out.
pub(super) fn tips(
    repo: &Repository,
    selection: &Selection,
    errors: &mut Vec<WalkError>,
) -> Result<(Vec<Oid>, Vec<Oid>)> {
    match selection {
        Selection::AllRefs => {
            let mut tips = Vec::new();
            let refs = repo.references().map_err(|e| git_err("references", e))?;
            for r in refs.flatten() {
                let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
                let listed = ["refs/heads/", "refs/tags/", "refs/remotes/"];
                if !listed.iter().any(|p| name.starts_with(p)) {
                    continue;
                }
                match r.peel(ObjectType::Commit) {
                    Ok(commit) => tips.push(commit.id()),
                    Err(e) if e.code() == git2::ErrorCode::NotFound => {
                        errors.push((name, format!("{}; not scanned", e.message())))
                    }
                    Err(_) => {} // not a commit
                }
            }
            tips.extend(repo.head().ok().and_then(|h| h.target()));
            Ok((tips, Vec::new()))
        }
        Selection::Refs(refs) => {
            let tips = refs.iter().map(|r| resolve_commit(repo, r));
            Ok((tips.collect::<Result<_>>()?, Vec::new()))
        }
        Selection::Range { include, exclude } => {
            let hidden = exclude.iter().map(|ex| resolve_commit(repo, ex));
            let hidden = hidden.collect::<Result<_>>()?;
            Ok((vec![resolve_commit(repo, include)?], hidden))
        }
    }
}

/// Every commit reachable from `tips` and not from `hidden`, parents first, read one by one: a commit
/// that cannot be read is an error in `errors`, and the history behind it (reachable only through it)
/// is not listed. Its children still are; they are diffed against the parents that can be read.
fn walk_tolerantly(
    repo: &Repository,
    tips: &[Oid],
    hidden: &[Oid],
    errors: &mut Vec<WalkError>,
) -> Vec<Oid> {
    let mut excluded = HashSet::new();
    if !hidden.is_empty() {
        let mut stack = hidden.to_vec();
        while let Some(oid) = stack.pop() {
            if !excluded.insert(oid) {
                continue;
            }
            match repo.find_commit(oid) {
                Ok(c) => stack.extend(c.parent_ids()),
                Err(e) => errors.push(unreadable_commit(oid, &e)),
            }
        }
    }
    // Depth-first, each commit listed once all its parents are (a post-order): parents first.
    let mut order = Vec::new();
    let mut visited = excluded;
    let mut stack: Vec<(Oid, bool)> = tips.iter().rev().map(|&t| (t, false)).collect();
    while let Some((oid, parents_done)) = stack.pop() {
        if parents_done {
            order.push(oid);
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
            Err(e) => errors.push(unreadable_commit(oid, &e)),
        }
    }
    order
}

pub(super) fn unreadable_commit(oid: Oid, e: &git2::Error) -> WalkError {
    (
        format!("commit {oid}"),
        format!(
            "{}; it and the history reachable only through it were not scanned",
            e.message()
        ),
    )
}

/// What one commit adds: files whose blob differs from its first parent's and, for merges, from every
/// other parent's too. `record_old_sides` keeps what each change replaced and what the commit deleted.
fn commit_changes(repo: &Repository, oid: Oid, record_old_sides: bool) -> Result<CommitChanges> {
    let commit = repo
        .find_commit(oid)
        .map_err(|e| git_err(&format!("commit {oid}"), e))?;
    let tree = commit
        .tree()
        .map_err(|e| git_err(&format!("tree of commit {oid}"), e))?;
    let parents: Vec<Tree<'_>> = commit.parents().filter_map(|p| p.tree().ok()).collect();
    let mut diff = TreeDiff {
        repo,
        prefix: Vec::new(),
        changes: Vec::new(),
        deleted: record_old_sides.then(Vec::new),
        submodules: 0,
        errors: Vec::new(),
    };
    diff.diff(parents.first(), &tree);
    let in_other_parent = |c: &Change, p: &Tree<'_>| {
        p.get_path(&crate::sources::bytes_path(&c.path))
            .ok()
            .map(|e| e.id())
    };
    let mut changes = diff.changes;
    if parents.len() > 1 {
        changes.retain(|c| {
            !parents[1..]
                .iter()
                .any(|p| in_other_parent(c, p) == Some(c.new))
        });
    }
    if record_old_sides {
        for c in &mut changes {
            let others: Vec<Oid> = (parents.iter().skip(1))
                .filter_map(|p| in_other_parent(c, p))
                .collect();
            c.replaced.extend(others);
        }
    }
    Ok(CommitChanges {
        meta: commit_meta(&commit),
        parents: commit.parent_ids().collect(),
        changes,
        deleted: diff.deleted.unwrap_or_default(),
        submodules: diff.submodules,
        errors: diff.errors,
        message: commit.message_bytes().to_vec(),
    })
}

/// Walks the selected commits, recording every blob introduction: commits are diffed independently on
/// `pool` (each worker with its own repository handle, commits shared out by work stealing), then merged parents first, so
/// the first introduction of a blob is the oldest. `record_old_sides` keeps what range scans need to
/// tell a secret the range added from one that was already there. `walked` counts commits as they are
/// diffed.
pub(super) fn walk_history(
    repo: &Repository,
    selection: &Selection,
    record_old_sides: bool,
    pool: &rayon::ThreadPool,
    walked: &AtomicU64,
) -> Result<(History, Vec<WalkError>)> {
    let mut history = History {
        shallow: repo.is_shallow(),
        ..History::default()
    };
    let mut errors = Vec::new();
    let commits = select_commits(repo, selection, &mut errors)?;
    let git_dir = repo.path();
    let diffed = pool.install(|| diff_commits(git_dir, &commits, record_old_sides, walked));
    for (oid, commit) in commits.iter().zip(diffed) {
        match commit {
            Ok(mut commit) => {
                let at = format!("commit {oid}");
                errors.extend(commit.errors.drain(..).map(|e| (at.clone(), e)));
                record(&mut history, commit);
            }
            Err(e) => errors.push((format!("commit {oid}"), e.to_string())),
        }
    }
    Ok((history, errors))
}

/// Diffs `commits` in parallel on the current pool; the result keeps their order.
pub(super) fn diff_commits(
    git_dir: &Path,
    commits: &[Oid],
    record_old_sides: bool,
    walked: &AtomicU64,
) -> Vec<Result<CommitChanges>> {
    commits
        .par_iter()
        .with_min_len(32)
        .map_init(
            || Repository::open(git_dir),
            |repo, oid| {
                let changes = match repo {
                    Ok(repo) => commit_changes(repo, *oid, record_old_sides),
                    Err(e) => Err(Error::Git(format!(
                        "reopening the repository: {}",
                        e.message()
                    ))),
                };
                walked.fetch_add(1, Ordering::Relaxed);
                changes
            },
        )
        .collect()
}

/// Adds one commit's changes to `history` (commits are recorded parents first).
pub(super) fn record(history: &mut History, commit: CommitChanges) {
    history.submodules += commit.submodules;
    let has_message = has_message(&commit.message);
    if commit.changes.is_empty() && !has_message {
        return;
    }
    let index = history.commits.len() as u32;
    history.commits.push(commit.meta);
    if has_message {
        // The message is content the commit introduces, at a path of its own.
        let id = super::message_id(&commit.message);
        history.introduce(id, index, COMMIT_MESSAGE_PATH.as_bytes(), Vec::new());
        history.messages.entry(id).or_insert(commit.message);
    }
    for change in &commit.changes {
        let replaced = change.replaced.iter().map(|&b| (b, change.path.as_slice()));
        history.introduce(change.new, index, &change.path, replaced.collect());
    }
    if !commit.deleted.is_empty() {
        let deleted = commit
            .deleted
            .iter()
            .map(|(blob, path)| OldSide {
                blob: *blob,
                path: history.intern(path),
            })
            .collect();
        history.deleted.insert(index, deleted);
    }
}

/// True when a commit message says something (not blank): it is then content its commit introduces.
pub(super) fn has_message(message: &[u8]) -> bool {
    !message.iter().all(u8::is_ascii_whitespace)
}

/// Orders tree entries the way git sorts them: by name, a tree's name compared as if it ended in `/`.
fn git_entry_cmp(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    let next = |name: &[u8], tree: bool| match name.get(n) {
        Some(&c) => c,
        None if tree => b'/',
        None => 0,
    };
    next(a, a_tree).cmp(&next(b, b_tree))
}

/// One commit's tree diff: what it found so far, and the path of the tree being compared.
struct TreeDiff<'r> {
    repo: &'r Repository,
    prefix: Vec<u8>,
    changes: Vec<Change>,
    /// Deleted files, when asked for.
    deleted: Option<Vec<(Oid, Vec<u8>)>>,
    submodules: u64,
    /// Subtrees that could not be read.
    errors: Vec<String>,
}

fn is_tree(e: &TreeEntry<'_>) -> bool {
    e.kind() == Some(ObjectType::Tree)
}

impl TreeDiff<'_> {
    /// Records every file of `new` whose blob differs from `old` at the same path, descending only into
    /// subtrees whose ids differ. Both trees are sorted, so they are merged in one pass without lookups.
    /// A subtree that cannot be read is recorded in `errors` and the rest is still diffed.
    fn diff(&mut self, old: Option<&Tree<'_>>, new: &Tree<'_>) {
        let mut olds = old.map(|t| t.iter()).into_iter().flatten().peekable();
        for entry in new.iter() {
            let tree = is_tree(&entry);
            // Old entries that sort before this one are gone from the new tree.
            let mut old_entry = None;
            while let Some(o) = olds.peek() {
                match git_entry_cmp(o.name_bytes(), is_tree(o), entry.name_bytes(), tree) {
                    std::cmp::Ordering::Less => {
                        let gone = olds.next().expect("peeked");
                        self.record_deleted(&gone);
                    }
                    std::cmp::Ordering::Equal => {
                        old_entry = olds.next();
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
            if old_entry
                .as_ref()
                .is_some_and(|o| o.id() == entry.id() && o.filemode() == entry.filemode())
            {
                continue;
            }
            let len = self.prefix.len();
            self.push_name(entry.name_bytes());
            self.entry(old_entry.as_ref(), &entry);
            self.prefix.truncate(len);
        }
        for gone in olds {
            self.record_deleted(&gone);
        }
    }

    /// Compares one entry of the new tree (whose path is `self.prefix`) with the old tree's entry of the
    /// same name.
    fn entry(&mut self, old: Option<&TreeEntry<'_>>, entry: &TreeEntry<'_>) {
        match entry.kind() {
            Some(ObjectType::Tree) => match self.repo.find_tree(entry.id()) {
                Ok(sub) => {
                    let old_sub = old.and_then(|o| self.repo.find_tree(o.id()).ok());
                    self.diff(old_sub.as_ref(), &sub);
                }
                Err(e) => self.errors.push(format!(
                    "tree {} ({}): {}; the files under it were not scanned",
                    entry.id(),
                    String::from_utf8_lossy(&self.prefix),
                    e.message()
                )),
            },
            Some(ObjectType::Blob) if is_file_mode(entry.filemode()) => {
                let old_blob = old
                    .filter(|o| o.kind() == Some(ObjectType::Blob))
                    .map(|o| o.id());
                if old_blob != Some(entry.id()) {
                    self.changes.push(Change {
                        path: self.prefix.clone(),
                        new: entry.id(),
                        replaced: old_blob
                            .filter(|_| self.deleted.is_some())
                            .into_iter()
                            .collect(),
                    });
                }
            }
            Some(ObjectType::Commit) if old.is_none() => self.submodules += 1,
            _ => {}
        }
    }

    fn push_name(&mut self, name: &[u8]) {
        if !self.prefix.is_empty() {
            self.prefix.push(b'/');
        }
        self.prefix.extend_from_slice(name);
    }

    /// Records a file of the old tree that the new tree no longer has (when deletions are recorded).
    fn record_deleted(&mut self, gone: &TreeEntry<'_>) {
        if self.deleted.is_none() || gone.kind() != Some(ObjectType::Blob) {
            return;
        }
        let len = self.prefix.len();
        self.push_name(gone.name_bytes());
        let path = self.prefix.clone();
        self.prefix.truncate(len);
        if let Some(d) = &mut self.deleted {
            d.push((gone.id(), path));
        }
    }
}
