//! Git repositories as a source: full history (every commit reachable from the selected refs), commit
//! ranges for CI, and the index for pre-commit. History is reduced to its unique blobs, each handed out
//! once however many commits and paths share it, together with where it was introduced, so that the
//! scanner reads every distinct content exactly once and can still say which commit added a secret.
//! This module knows nothing of rules.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Sort, Tree};

use crate::error::{Error, Result};

/// Facts about a commit, for reports.
#[derive(Debug, Clone)]
pub struct CommitMeta {
    /// Full hex id.
    pub id: String,
    /// Author name.
    pub author_name: String,
    /// Author email.
    pub author_email: String,
    /// Author date, RFC 3339 in the author's offset.
    pub date: String,
    /// First line of the message.
    pub summary: String,
}

/// One place a blob was introduced: a commit (index into [`History::commits`]) and a path (index into
/// [`History::paths`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Introduction {
    /// Commit index; smaller is older (commits are walked parents first).
    pub commit: u32,
    /// Path index.
    pub path: u32,
}

/// What the walk found: commits, paths, and for each unique blob where it was introduced.
#[derive(Debug, Default)]
pub struct History {
    /// Commits in walk order (parents before children).
    pub commits: Vec<CommitMeta>,
    /// Interned paths (`/`-separated, lossy UTF-8).
    pub paths: Vec<String>,
    path_index: HashMap<Vec<u8>, u32>,
    /// Every introduction of every blob, in walk order.
    pub introductions: HashMap<Oid, Vec<Introduction>>,
    /// For range scans: per introduced blob, the blobs on the old side of the same change (the previous
    /// version of the file, and files deleted in the same commit, which covers renames).
    pub old_sides: HashMap<Oid, Vec<Oid>>,
    /// Submodule entries met (not followed).
    pub submodules: u64,
    /// True when the repository is a shallow clone.
    pub shallow: bool,
}

impl History {
    fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(&i) = self.path_index.get(path) {
            return i;
        }
        let i = self.paths.len() as u32;
        self.paths.push(String::from_utf8_lossy(path).into_owned());
        self.path_index.insert(path.to_vec(), i);
        i
    }
}

/// Which commits a history scan covers.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Everything reachable from every branch and tag (and HEAD).
    AllRefs,
    /// Everything reachable from these refs or revisions.
    Refs(Vec<String>),
    /// Commits reachable from `include` but not from `exclude` (`A..B`, `--since-commit`).
    Range {
        /// `B` in `A..B`.
        include: String,
        /// `A` in `A..B`; `None` for "from the root".
        exclude: Option<String>,
    },
}

/// Opens the repository at or above `path` (work trees, linked worktrees and bare repositories).
pub fn open(path: &Path) -> Result<Repository> {
    Repository::open_ext(
        path,
        git2::RepositoryOpenFlags::empty(),
        std::iter::empty::<&Path>(),
    )
    .map_err(|e| {
        if e.code() == git2::ErrorCode::NotFound {
            Error::Git(format!("{} is not a git repository", path.display()))
        } else {
            Error::Git(format!("{}: {}", path.display(), e.message()))
        }
    })
}

/// Process-wide libgit2 settings for reading a whole history: no SHA-1 re-verification of every object
/// read (SHA-1DC was a third of the CPU time of a full scan; a corrupt object still fails to inflate or
/// to parse and is reported), and pack windows small and bounded so that resident memory follows the
/// working set, not the pack size.
pub fn tune_for_history_scan() {
    git2::opts::strict_hash_verification(false);
    // SAFETY: these only set global sizes; they are called before any repository is opened by the scan
    // and libgit2 reads them under its own lock.
    unsafe {
        let _ = git2::opts::set_mwindow_size(32 * 1024 * 1024);
        let _ = git2::opts::set_mwindow_mapped_limit(128 * 1024 * 1024);
        // The object cache is shared by the walker threads; 64 MiB keeps the commits and small trees
        // that neighbouring commits share without letting it grow to libgit2's 256 MiB default.
        let _ = git2::opts::set_cache_max_size(16 * 1024 * 1024);
    }
}

/// The path another thread can open the same repository with.
pub fn reopen_path(repo: &Repository) -> PathBuf {
    repo.path().to_path_buf()
}

/// True for the `git2` error of an object that is missing or unreadable.
fn git_err(context: &str, e: git2::Error) -> Error {
    Error::Git(format!("{context}: {}", e.message()))
}

/// Formats seconds since the epoch with an offset in minutes as RFC 3339.
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// The facts reports give about `commit`.
pub fn commit_meta(commit: &git2::Commit<'_>) -> CommitMeta {
    let author = commit.author();
    let when = author.when();
    CommitMeta {
        id: commit.id().to_string(),
        author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        summary: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    }
}

/// Resolves a revision to a commit id.
pub fn resolve_commit(repo: &Repository, spec: &str) -> Result<Oid> {
    let obj = repo
        .revparse_single(spec)
        .map_err(|e| git_err(&format!("unknown revision `{spec}`"), e))?;
    let commit = obj
        .peel_to_commit()
        .map_err(|e| git_err(&format!("`{spec}` is not a commit"), e))?;
    Ok(commit.id())
}

/// A change the walk reports for one commit.
struct Change {
    path: Vec<u8>,
    new: Oid,
    old: Option<Oid>,
}

/// The changes one commit introduces, computed independently of every other commit.
struct CommitChanges {
    meta: CommitMeta,
    changes: Vec<Change>,
    /// Per change: blobs on the old side (range scans only).
    old_sides: Vec<Vec<Oid>>,
    submodules: u64,
}

/// Lists the selected commits, parents first.
fn select_commits(repo: &Repository, selection: &Selection) -> Result<Vec<Oid>> {
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

/// What one commit adds: files whose blob differs from its first parent's and, for merges, from every
/// other parent's too.
fn commit_changes(repo: &Repository, oid: Oid, record_old_sides: bool) -> Result<CommitChanges> {
    let commit = repo
        .find_commit(oid)
        .map_err(|e| git_err(&format!("commit {oid}"), e))?;
    let tree = commit
        .tree()
        .map_err(|e| git_err(&format!("tree of commit {oid}"), e))?;
    let parents: Vec<Tree<'_>> = commit.parents().filter_map(|p| p.tree().ok()).collect();
    let mut changes = Vec::new();
    let mut deleted = Vec::new();
    let mut submodules = 0;
    diff_trees(
        repo,
        parents.first(),
        &tree,
        &mut Vec::new(),
        &mut changes,
        record_old_sides.then_some(&mut deleted),
        &mut submodules,
    )?;
    let in_other_parent = |c: &Change, p: &Tree<'_>| {
        let path = String::from_utf8_lossy(&c.path);
        p.get_path(Path::new(path.as_ref())).ok().map(|e| e.id())
    };
    if parents.len() > 1 {
        changes.retain(|c| {
            !parents[1..]
                .iter()
                .any(|p| in_other_parent(c, p) == Some(c.new))
        });
    }
    let old_sides = if record_old_sides {
        changes
            .iter()
            .map(|c| {
                let mut olds: Vec<Oid> = c.old.into_iter().collect();
                olds.extend(
                    parents[1.min(parents.len())..]
                        .iter()
                        .filter_map(|p| in_other_parent(c, p)),
                );
                olds.extend(deleted.iter().copied());
                olds
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CommitChanges {
        meta: commit_meta(&commit),
        changes,
        old_sides,
        submodules,
    })
}

/// Walks the selected commits, recording every blob introduction, with `threads` threads: commits are
/// diffed independently (each thread has its own repository handle), then merged parents first, so the
/// first introduction of a blob is the oldest. `record_old_sides` keeps what range scans need to tell a
/// secret the range added from one that was already there. `walked` counts commits as they are diffed.
pub fn walk_history(
    repo: &Repository,
    selection: &Selection,
    record_old_sides: bool,
    threads: usize,
    walked: &std::sync::atomic::AtomicU64,
) -> Result<History> {
    let mut history = History {
        shallow: repo.is_shallow(),
        ..History::default()
    };
    let commits = select_commits(repo, selection)?;
    let threads = threads.max(1).min(commits.len().max(1));
    let chunk = commits.len().div_ceil(threads).max(1);
    let git_dir = repo.path().to_path_buf();
    let per_thread: Vec<Result<Vec<CommitChanges>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = commits
            .chunks(chunk)
            .map(|part| {
                let git_dir = &git_dir;
                scope.spawn(move || -> Result<Vec<CommitChanges>> {
                    let repo = Repository::open(git_dir)
                        .map_err(|e| git_err("reopening the repository", e))?;
                    part.iter()
                        .map(|oid| {
                            let c = commit_changes(&repo, *oid, record_old_sides);
                            walked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            c
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Git("a history thread panicked".into())))
            })
            .collect()
    });
    for part in per_thread {
        for commit in part? {
            history.submodules += commit.submodules;
            if commit.changes.is_empty() {
                continue;
            }
            let commit_index = history.commits.len() as u32;
            history.commits.push(commit.meta);
            for (i, change) in commit.changes.iter().enumerate() {
                let path = history.intern(&change.path);
                history
                    .introductions
                    .entry(change.new)
                    .or_default()
                    .push(Introduction {
                        commit: commit_index,
                        path,
                    });
                if let Some(olds) = commit.old_sides.get(i) {
                    history
                        .old_sides
                        .entry(change.new)
                        .or_default()
                        .extend(olds);
                }
            }
        }
    }
    Ok(history)
}

/// Every blob of the repository's packs, decoded once each by walking the packs' delta trees (each base
/// is inflated once and its deltas applied to it in memory, in parallel), handed to `visit` with its id.
/// Returns the ids of the blobs visited, and a note for each pack that could not be walked (its blobs
/// are then left to [`with_blob`]).
pub fn for_each_packed_blob<V>(
    git_dir: &Path,
    threads: usize,
    visit: V,
) -> (HashSet<Oid>, Vec<String>)
where
    V: FnMut(Oid, &[u8]) + Send + Clone,
{
    let mut seen = HashSet::new();
    let mut notes = Vec::new();
    let pack_dir = git_dir.join("objects").join("pack");
    let Ok(entries) = std::fs::read_dir(&pack_dir) else {
        return (seen, notes);
    };
    let mut indexes: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    indexes.sort();
    for idx in indexes {
        let pack = idx.with_extension("pack");
        let seen_here = std::sync::Mutex::new(Vec::new());
        let walked = (|| -> std::result::Result<(), String> {
            let index =
                gix_pack::index::File::at(&idx, gix_hash::Kind::Sha1).map_err(|e| e.to_string())?;
            let map = PackMap::open(&pack).map_err(|e| e.to_string())?;
            let release = map.releaser();
            let data = gix_pack::data::File::from_data(map, pack.clone(), gix_hash::Kind::Sha1)
                .map_err(|e| e.to_string())?;
            let interrupt = std::sync::atomic::AtomicBool::new(false);
            let mut progress = gix_utils::progress::Discard;
            let mut state = PackProcessor {
                visit: visit.clone(),
                ids: Vec::new(),
                sink: &seen_here,
                objects: 0,
            };
            let processor =
                move |kind: gix_object::Kind,
                      bytes: &[u8],
                      entry: &gix_pack::index::Entry,
                      _: &dyn gix_utils::progress::Progress| {
                    state.objects += 1;
                    if state.objects.is_multiple_of(RELEASE_EVERY) {
                        release.release();
                    }
                    if kind == gix_object::Kind::Blob {
                        if let Ok(oid) = Oid::from_bytes(entry.oid.as_bytes()) {
                            state.ids.push(oid);
                            (state.visit)(oid, bytes);
                        }
                    }
                    Ok(())
                };
            index
                .traverse(
                    &data,
                    &mut progress,
                    &interrupt,
                    processor,
                    gix_pack::index::traverse::Options {
                        traversal: gix_pack::index::traverse::Algorithm::DeltaTreeLookup,
                        thread_limit: Some(threads.max(1)),
                        check: gix_pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                        alloc_limit_bytes: None,
                        make_pack_lookup_cache: || gix_pack::cache::Never,
                    },
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
        })();
        match walked {
            Ok(()) => seen.extend(seen_here.into_inner().unwrap_or_else(|p| p.into_inner())),
            Err(e) => notes.push(format!(
                "pack {} could not be walked ({e}); its blobs were read one by one",
                pack.display()
            )),
        }
    }
    (seen, notes)
}

/// The state of the per-thread processor handed to the pack traversal: its own visitor (its own scratch
/// buffers), and the ids it saw, handed to the shared list when the thread is done (no per-object locking).
struct PackProcessor<'a, V> {
    visit: V,
    ids: Vec<Oid>,
    sink: &'a std::sync::Mutex<Vec<Oid>>,
    objects: u64,
}

/// How many objects a traversal thread decodes between two releases of the pack's resident pages.
const RELEASE_EVERY: u64 = 32768;

/// The pack file mapped read-only for the pack reader. Its pages are handed back to the kernel now and
/// then ([`PackReleaser`]): the traversal jumps around the whole file, so without that every page it ever
/// touched would count as resident memory until the end (the pack of git/git is 318 MiB). Pages come back
/// from the page cache when touched again.
struct PackMap(std::sync::Arc<memmap2::Mmap>);

impl PackMap {
    fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the pack is opened read-only and packs are immutable once written; a concurrent
        // `git gc` replaces packs by writing new files, it does not modify this one.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(PackMap(std::sync::Arc::new(map)))
    }

    fn releaser(&self) -> PackReleaser {
        PackReleaser(std::sync::Arc::clone(&self.0))
    }
}

impl std::ops::Deref for PackMap {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Drops the resident pages of a [`PackMap`].
#[derive(Clone)]
struct PackReleaser(std::sync::Arc<memmap2::Mmap>);

impl PackReleaser {
    fn release(&self) {
        #[cfg(unix)]
        // SAFETY: MADV_DONTNEED on a read-only, file-backed private mapping only drops resident pages;
        // the next access faults them in again from the file, so readers see the same bytes.
        unsafe {
            libc::madvise(
                self.0.as_ptr() as *mut libc::c_void,
                self.0.len(),
                libc::MADV_DONTNEED,
            );
        }
    }
}

impl<V: Clone> Clone for PackProcessor<'_, V> {
    fn clone(&self) -> Self {
        PackProcessor {
            visit: self.visit.clone(),
            ids: Vec::new(),
            sink: self.sink,
            objects: 0,
        }
    }
}

impl<V> Drop for PackProcessor<'_, V> {
    fn drop(&mut self) {
        self.sink
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .append(&mut self.ids);
    }
}

/// Blob-ish modes: regular and executable files. Links (0o120000) hold a path, gitlinks a commit.
pub fn is_file_mode(mode: i32) -> bool {
    mode == 0o100644 || mode == 0o100755 || mode == 0o100664
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

/// Appends to `out` every file of `new` whose blob differs from `old` at the same path, descending only
/// into subtrees whose ids differ. Both trees are sorted, so they are merged in one pass without
/// lookups. Deleted files go to `deleted` when asked.
fn diff_trees(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Change>,
    mut deleted: Option<&mut Vec<Oid>>,
    submodules: &mut u64,
) -> Result<()> {
    let is_tree = |e: &git2::TreeEntry<'_>| e.kind() == Some(ObjectType::Tree);
    let mut olds = old.map(|t| t.iter()).into_iter().flatten().peekable();
    for entry in new.iter() {
        let name = entry.name_bytes();
        let tree = is_tree(&entry);
        // Old entries that sort before this one are gone from the new tree.
        let mut old_entry = None;
        while let Some(o) = olds.peek() {
            match git_entry_cmp(o.name_bytes(), is_tree(o), name, tree) {
                std::cmp::Ordering::Less => {
                    let gone = olds.next().expect("peeked");
                    if let Some(d) = deleted.as_deref_mut() {
                        if gone.kind() == Some(ObjectType::Blob) {
                            d.push(gone.id());
                        }
                    }
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
        let len = prefix.len();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(name);
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let sub = repo.find_tree(entry.id()).map_err(|e| {
                    git_err(
                        &format!("tree {} ({})", entry.id(), String::from_utf8_lossy(prefix)),
                        e,
                    )
                })?;
                let old_sub = old_entry.as_ref().and_then(|o| repo.find_tree(o.id()).ok());
                diff_trees(
                    repo,
                    old_sub.as_ref(),
                    &sub,
                    prefix,
                    out,
                    deleted.as_deref_mut(),
                    submodules,
                )?;
            }
            Some(ObjectType::Blob) if is_file_mode(entry.filemode()) => {
                let old_blob = old_entry
                    .as_ref()
                    .filter(|o| o.kind() == Some(ObjectType::Blob))
                    .map(|o| o.id());
                if old_blob != Some(entry.id()) {
                    out.push(Change {
                        path: prefix.clone(),
                        new: entry.id(),
                        old: old_blob,
                    });
                }
            }
            Some(ObjectType::Commit) if old_entry.is_none() => *submodules += 1,
            _ => {}
        }
        prefix.truncate(len);
    }
    if let Some(d) = deleted {
        d.extend(
            olds.filter(|o| o.kind() == Some(ObjectType::Blob))
                .map(|o| o.id()),
        );
    }
    Ok(())
}

/// How a blob read ended.
pub enum BlobRead {
    /// Scanned by the callback.
    Read,
    /// Not scanned, and why.
    Skipped(super::SkipReason),
    /// Missing or corrupt.
    Error(String),
}

/// Reads blob `oid` and hands its content to `scan` unless it is larger than `max_size` or binary.
pub fn with_blob(repo: &Repository, oid: Oid, max_size: u64, scan: impl FnOnce(&[u8])) -> BlobRead {
    let odb = match repo.odb() {
        Ok(odb) => odb,
        Err(e) => return BlobRead::Error(format!("object database: {}", e.message())),
    };
    match odb.read_header(oid) {
        Ok((size, _)) if size as u64 > max_size => {
            return BlobRead::Skipped(super::SkipReason::TooLarge)
        }
        Ok(_) => {}
        Err(e) => return BlobRead::Error(format!("blob {oid}: {}", e.message())),
    }
    match repo.find_blob(oid) {
        Ok(blob) => {
            let bytes = blob.content();
            if super::looks_binary(bytes) {
                return BlobRead::Skipped(super::SkipReason::Binary);
            }
            scan(bytes);
            BlobRead::Read
        }
        Err(e) => BlobRead::Error(format!("blob {oid}: {}", e.message())),
    }
}

/// A file staged in the index that differs from HEAD.
#[derive(Debug, Clone)]
pub struct StagedChange {
    /// Path in the index.
    pub path: String,
    /// The staged blob.
    pub new: Oid,
    /// The blob it replaces (HEAD's version, or the rename/copy source).
    pub old: Option<Oid>,
}

/// The index `git commit` is about to record. Inside a pre-commit hook of `git commit -a` or `git commit
/// PATH...`, git prepares a separate index and names it in `GIT_INDEX_FILE`; the repository's own index
/// does not hold what is being committed then, so that variable wins when set (as it does for git).
fn commit_index(repo: &Repository) -> Result<git2::Index> {
    match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            let mut index = git2::Index::open(&path)
                .map_err(|e| git_err(&format!("index {} (GIT_INDEX_FILE)", path.display()), e))?;
            repo.set_index(&mut index)
                .map_err(|e| git_err("GIT_INDEX_FILE", e))?;
            repo.index().map_err(|e| git_err("index", e))
        }
        None => repo.index().map_err(|e| git_err("index", e)),
    }
}

/// The changes `git commit` would record: the index against HEAD (against nothing without commits).
pub fn staged_changes(repo: &Repository) -> Result<Vec<StagedChange>> {
    let head_tree = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().map_err(|e| git_err("HEAD tree", e))?),
        Err(_) => None,
    };
    let index = commit_index(repo)?;
    let mut opts = git2::DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(true);
    let mut diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .map_err(|e| git_err("diff of HEAD and the index", e))?;
    let mut find = git2::DiffFindOptions::new();
    find.renames(true).copies(true);
    diff.find_similar(Some(&mut find))
        .map_err(|e| git_err("rename detection", e))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        use git2::Delta;
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let new = delta.new_file();
        if !is_file_mode(u32::from(new.mode()) as i32) {
            continue;
        }
        let path = new
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        let old = delta.old_file();
        out.push(StagedChange {
            path,
            new: new.id(),
            old: (!old.id().is_zero()).then(|| old.id()),
        });
    }
    Ok(out)
}

/// When `dir` lies inside a git work tree: the work tree's root and the regular files its index tracks
/// (paths relative to that root, `/`-separated as git stores them). Directory scans use it to scan
/// tracked files that `.gitignore` matches (`git add -f`): what is committed is never hidden from a scan.
pub fn tracked_files(dir: &Path) -> Option<(PathBuf, Vec<Vec<u8>>)> {
    let repo = open(dir).ok()?;
    let workdir = repo.workdir()?.to_path_buf();
    let index = repo.index().ok()?;
    let mut paths: Vec<Vec<u8>> = index
        .iter()
        .filter(|e| is_file_mode(e.mode as i32))
        .map(|e| e.path)
        .collect();
    paths.dedup();
    Some((workdir, paths))
}

/// The content of the file at `path` in HEAD's tree, if any.
pub fn head_blob(repo: &Repository, head: &Tree<'_>, path: &str) -> Option<Vec<u8>> {
    let entry = head.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(blob.content().to_vec())
}

/// A remote URL with any credentials in it removed (it goes into reports).
pub fn remote_url(repo: &Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url().ok()?.to_string();
    Some(strip_userinfo(&url))
}

/// Drops `user:password@` from a URL.
pub fn strip_userinfo(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let host_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..host_end].rfind('@') {
            return format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(rfc3339(951_782_400, -300), "2000-02-28T19:00:00-05:00");
    }

    #[test]
    fn userinfo_is_stripped() {
        assert_eq!(
            strip_userinfo("https://u:p@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            strip_userinfo("git@github.com:a/b.git"),
            "git@github.com:a/b.git"
        );
    }
}
