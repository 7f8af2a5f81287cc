//! Git repositories as sources: full history (every commit reachable from the selected refs), commit
//! ranges for CI ([`GitHistory`]), and the index for pre-commit ([`super::staged::Staged`]). History is
//! reduced to its unique blobs, each handed out once however many commits and paths share it, and the
//! [`History`] returned afterwards says where each was introduced, so that the scanner reads every
//! distinct content exactly once and can still say which commit added a secret. This module knows
//! nothing of rules.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use rayon::prelude::*;

use super::{Enumerate, Enumerated, Item, Origin, Sink, SinkFactory, SkipReason, Source};
use crate::error::{Error, Result};
use crate::repotext;

pub mod incremental;
mod pack;
mod walk;

/// The path a commit message's findings are reported at (with the commit in their git provenance).
pub const COMMIT_MESSAGE_PATH: &str = "<commit message>";

/// The id a commit message is handed out under: a hash of its bytes that no git blob has (a blob of the
/// same bytes has another id), so that equal messages are scanned once.
fn message_id(message: &[u8]) -> Oid {
    let mut bytes = b"keyhound commit message\0".to_vec();
    bytes.extend_from_slice(message);
    Oid::hash_object(git2::ObjectType::Blob, &bytes).unwrap_or(Oid::ZERO_SHA1)
}

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
/// [`History::paths`]). A commit introduces at most one blob at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Introduction {
    /// Commit index; smaller is older (commits are walked parents first). Always 0 for staged changes.
    pub commit: u32,
    /// Path index.
    pub path: u32,
}

/// A file on the old side of a change: what the change replaced, or a file the same commit deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OldSide {
    /// Its blob.
    pub blob: Oid,
    /// Its path (index into [`History::paths`]).
    pub path: u32,
}

/// What a git source's changes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Changes {
    /// Every commit reachable from the selected refs: report everything, with the commit that first
    /// introduced it.
    #[default]
    Full,
    /// The commits of a range: report only what the range adds, with the commit that added it.
    Range,
    /// The index against HEAD: report only what the next commit would add (there is no commit yet).
    Staged,
}

impl Changes {
    /// True when only what the changes add counts: what is already on the old side is not reported.
    pub fn only_new(self) -> bool {
        self != Changes::Full
    }

    /// True when each introduction has a commit to report.
    pub fn has_commits(self) -> bool {
        self != Changes::Staged
    }
}

/// What a git source found: commits, paths, and for each unique blob where it was introduced. Keeps the
/// repository open for what placing findings needs to read (old sides of changes, HEAD's files).
#[derive(Default)]
pub struct History {
    /// What the changes are.
    pub changes: Changes,
    /// Commits in walk order (parents before children); empty for staged changes.
    pub commits: Vec<CommitMeta>,
    /// Interned paths (`/`-separated, in the lossless text form of [`repotext::path_text`]).
    pub paths: Vec<String>,
    path_index: HashMap<Vec<u8>, u32>,
    /// Every introduction of every blob, in walk order.
    pub introductions: HashMap<Oid, Vec<Introduction>>,
    /// Range and staged changes: per introduction, the files it replaced (the previous version at its
    /// path, the other parents' versions in a merge; for a staged rename or copy, its source).
    pub replaced: HashMap<Introduction, Vec<OldSide>>,
    /// Range changes: per commit, the files it deleted (which covers renames).
    pub deleted: HashMap<u32, Vec<OldSide>>,
    /// Submodule entries met (not followed).
    pub submodules: u64,
    /// True when the repository is a shallow clone.
    pub shallow: bool,
    /// The commit messages the walk met, by the id [`message_id`] gives them, until handed out.
    messages: HashMap<Oid, Vec<u8>>,
    reader: Option<Reader>,
    /// Incremental walks: every selected commit's record, parents first (see [`incremental`]).
    walked: Option<incremental::Walked>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("changes", &self.changes)
            .field("commits", &self.commits.len())
            .field("paths", &self.paths.len())
            .field("blobs", &self.introductions.len())
            .finish_non_exhaustive()
    }
}

impl History {
    /// The index of `path`, interning it.
    fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(&i) = self.path_index.get(path) {
            return i;
        }
        let i = self.paths.len() as u32;
        self.paths.push(repotext::path_text(path));
        self.path_index.insert(path.to_vec(), i);
        i
    }

    /// Records that `blob` was introduced at `path` by commit `commit`, replacing `replaced`; returns the
    /// path's index.
    pub(super) fn introduce(
        &mut self,
        blob: Oid,
        commit: u32,
        path: &[u8],
        replaced: Vec<(Oid, &[u8])>,
    ) -> u32 {
        let path = self.intern(path);
        let intro = Introduction { commit, path };
        self.introductions.entry(blob).or_default().push(intro);
        if !replaced.is_empty() {
            let olds = replaced
                .into_iter()
                .map(|(blob, path)| OldSide {
                    blob,
                    path: self.intern(path),
                })
                .collect();
            self.replaced.insert(intro, olds);
        }
        path
    }

    /// The files on the old side of `intro`: what it replaced, and what its commit deleted.
    pub fn old_sides(&self, intro: Introduction) -> impl Iterator<Item = &OldSide> + '_ {
        let replaced = self.replaced.get(&intro).into_iter().flatten();
        replaced.chain(self.deleted.get(&intro.commit).into_iter().flatten())
    }

    /// Per blob, the path it is scanned under: where it was first introduced. A blob is a version of the
    /// file at that path, which lets a scanner skip the lines earlier versions there already had.
    fn lineages(&self) -> HashMap<Oid, u32> {
        self.introductions
            .iter()
            .filter_map(|(oid, intros)| Some((*oid, intros.iter().min_by_key(|i| i.commit)?.path)))
            .collect()
    }

    /// Keeps `reader` for placing findings.
    pub(super) fn set_reader(&mut self, reader: Reader) {
        self.reader = Some(reader);
    }

    /// Reads what placing findings needs, when the repository could be reopened.
    pub fn reader(&self) -> Option<&Reader> {
        self.reader.as_ref()
    }

    /// For each of `commits` (full hex ids), the refs whose history contains it (see
    /// [`Reader::refs_containing`]). An incremental walk answers from the commit graph it holds in
    /// memory instead of reading every commit again.
    pub fn refs_containing(&self, commits: &HashSet<String>) -> HashMap<String, Vec<String>> {
        let Some(reader) = self.reader() else {
            return HashMap::new();
        };
        let tips = reader.ref_tips();
        if let Some(found) = (self.walked.as_ref()).and_then(|w| w.refs_containing(&tips, commits))
        {
            return found;
        }
        reader.refs_containing_from(&tips, commits)
    }

    /// The records of an incremental walk, until taken.
    pub fn walked(&self) -> Option<&incremental::Walked> {
        self.walked.as_ref()
    }

    /// Takes the records of an incremental walk (every selected commit, parents first), for a cache.
    pub fn take_walked(&mut self) -> Option<incremental::Walked> {
        self.walked.take()
    }
}

/// The branches, tags and remote branches of a repository: their short names, and per commit the
/// names (indices into `names`) that point at it.
#[derive(Debug, Default)]
pub struct RefTips {
    /// Short names.
    pub names: Vec<String>,
    /// Per commit, the refs that point at it.
    pub tips: HashMap<Oid, Vec<usize>>,
}

impl RefTips {
    /// The names of the refs set in `set` (one bit per name), sorted and deduplicated.
    fn names_in(&self, set: &[u64]) -> Vec<String> {
        let mut held: Vec<String> = (0..self.names.len())
            .filter(|i| set[i / 64] & (1 << (i % 64)) != 0)
            .map(|i| self.names[i].clone())
            .collect();
        held.sort();
        held.dedup();
        held
    }

    /// Bitset words per commit.
    fn words(&self) -> usize {
        self.names.len().div_ceil(64)
    }

    /// Sets the bits of the refs pointing at `oid` in `set`.
    fn mark(&self, oid: &Oid, set: &mut [u64]) {
        for &i in self.tips.get(oid).into_iter().flatten() {
            set[i / 64] |= 1 << (i % 64);
        }
    }
}

/// Reads blobs of a scanned repository after its enumeration: old sides of changes, HEAD's files.
pub struct Reader {
    repo: Repository,
    head_tree: Option<Oid>,
}

impl Reader {
    pub(super) fn open(git_dir: &Path) -> Result<Self> {
        let repo =
            Repository::open(git_dir).map_err(|e| git_err(&git_dir.display().to_string(), e))?;
        let head_tree = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_tree().ok())
            .map(|t| t.id());
        Ok(Reader { repo, head_tree })
    }

    /// The content of blob `id`, if it can be read.
    pub fn blob(&self, id: Oid) -> Option<Vec<u8>> {
        self.repo.find_blob(id).ok().map(|b| b.content().to_vec())
    }

    /// The branches, tags and remote branches, each peeled to its commit.
    pub fn ref_tips(&self) -> RefTips {
        let mut out = RefTips::default();
        if let Ok(refs) = self.repo.references() {
            for r in refs.flatten() {
                let kind = r.name().unwrap_or("");
                if !["refs/heads/", "refs/tags/", "refs/remotes/"]
                    .iter()
                    .any(|p| kind.starts_with(p))
                {
                    continue;
                }
                let Ok(commit) = r.peel_to_commit() else {
                    continue;
                };
                out.tips
                    .entry(commit.id())
                    .or_default()
                    .push(out.names.len());
                out.names.push(r.shorthand().unwrap_or(kind).to_string());
            }
        }
        out
    }

    /// For each of `commits` (full hex ids), the branches, tags and remote branches whose history
    /// contains it (short names, sorted). One walk of the graph from every ref, children before parents,
    /// each commit's set of refs handed down to its parents: no per-commit `git branch --contains`.
    pub fn refs_containing(&self, commits: &HashSet<String>) -> HashMap<String, Vec<String>> {
        self.refs_containing_from(&self.ref_tips(), commits)
    }

    /// [`Reader::refs_containing`] for the refs `tips`.
    fn refs_containing_from(
        &self,
        tips: &RefTips,
        commits: &HashSet<String>,
    ) -> HashMap<String, Vec<String>> {
        let mut out = HashMap::new();
        if commits.is_empty() || tips.names.is_empty() {
            return out;
        }
        let words = tips.words();
        let Ok(mut walk) = self.repo.revwalk() else {
            return out;
        };
        if walk.set_sorting(git2::Sort::TOPOLOGICAL).is_err() {
            return out;
        }
        for tip in tips.tips.keys() {
            let _ = walk.push(*tip);
        }
        let mut sets: HashMap<Oid, Vec<u64>> = HashMap::new();
        for oid in walk.flatten() {
            let mut set = sets.remove(&oid).unwrap_or_else(|| vec![0; words]);
            tips.mark(&oid, &mut set);
            if let Ok(commit) = self.repo.find_commit(oid) {
                for parent in commit.parent_ids() {
                    let p = sets.entry(parent).or_insert_with(|| vec![0; words]);
                    p.iter_mut().zip(&set).for_each(|(a, b)| *a |= b);
                }
            }
            let id = oid.to_string();
            if commits.contains(&id) {
                out.insert(id, tips.names_in(&set));
            }
        }
        out
    }

    /// The content of the file at `path` in HEAD's tree, if there is one.
    pub fn head_file(&self, path: &str) -> Option<Vec<u8>> {
        let tree = self.repo.find_tree(self.head_tree?).ok()?;
        let entry = tree.get_path(&super::text_path(path)).ok()?;
        self.blob(entry.id())
    }
}

/// What commit `commit` (a full or abbreviated id) of `repo` holds at `path` (a report's path text, which
/// [`crate::repotext::path_bytes`] turns back into the path's bytes): the file's bytes, or for
/// [`COMMIT_MESSAGE_PATH`] the commit's message, as a history scan reads them; `None` when the commit
/// has no file there.
pub fn content_at(repo: &Repository, commit: &str, path: &str) -> Result<Option<Vec<u8>>> {
    let id = resolve_commit(repo, commit)?;
    let commit =
        (repo.find_commit(id)).map_err(|e| Error::Git(format!("{id}: {}", e.message())))?;
    if path == COMMIT_MESSAGE_PATH {
        return Ok(Some(commit.message_bytes().to_vec()));
    }
    let tree = (commit.tree()).map_err(|e| Error::Git(format!("{id}: {}", e.message())))?;
    let Ok(entry) = tree.get_path(&crate::repotext::path_buf(path)) else {
        return Ok(None);
    };
    match repo.find_blob(entry.id()) {
        Ok(blob) => Ok(Some(blob.content().to_vec())),
        Err(_) => Ok(None),
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
    .and_then(|repo| {
        check_loose_objects(&repo)?;
        Ok(repo)
    })
}

/// Refuses a repository holding a loose object whose compressed data is cut short: libgit2 loops
/// forever reading one, so a scan would hang instead of failing. Loose objects are few (git packs them
/// past a few thousand), and each is only inflated into a small buffer.
/// See: https://github.com/libgit2/libgit2/issues/7342
fn check_loose_objects(repo: &Repository) -> Result<()> {
    let objects = repo.commondir().join("objects");
    let mut dirs = vec![objects.clone()];
    if let Ok(text) = std::fs::read_to_string(objects.join("info/alternates")) {
        let lines = text.lines().map(str::trim);
        dirs.extend(
            lines
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| objects.join(l)),
        );
    }
    let mut inflate = gix_zlib::Decompress::new();
    let mut buf = vec![0u8; 64 * 1024];
    for dir in dirs {
        let Ok(fanout) = std::fs::read_dir(&dir) else {
            continue;
        };
        for sub in fanout.flatten() {
            let name = sub.file_name();
            let name = name.as_encoded_bytes();
            if name.len() != 2 || !name.iter().all(u8::is_ascii_hexdigit) {
                continue;
            }
            for file in std::fs::read_dir(sub.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                // An unreadable object is libgit2's to report when (if) the scan needs it.
                let Ok(bytes) = std::fs::read(file.path()) else {
                    continue;
                };
                if truncated_loose_object(&mut inflate, &bytes, &mut buf) {
                    return Err(Error::Git(format!(
                        "{}: corrupt loose object (its compressed data is cut short; see `git fsck`)",
                        file.path().display()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// True when the zlib stream of a loose object file ends before its end marker. The stream is the whole
/// file, or follows a pack-style type-and-size header in the legacy format (as libgit2 tells them apart).
fn truncated_loose_object(
    inflate: &mut gix_zlib::Decompress,
    bytes: &[u8],
    buf: &mut [u8],
) -> bool {
    use gix_zlib::{FlushDecompress, Status};
    if bytes.is_empty() {
        return false;
    }
    let zlib = bytes.len() >= 2
        && bytes[0] & 0x8f == 0x08
        && (u16::from(bytes[0]) << 8 | u16::from(bytes[1])) % 31 == 0;
    let start = match zlib {
        true => 0,
        false => bytes
            .iter()
            .position(|b| b & 0x80 == 0)
            .map_or(bytes.len(), |p| p + 1),
    };
    inflate.reset();
    let mut input = &bytes[start..];
    loop {
        let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
        match inflate.decompress(input, buf, FlushDecompress::None) {
            Ok(Status::StreamEnd) | Err(_) => return false,
            Ok(_) => {}
        }
        let used = (inflate.total_in() - in_before) as usize;
        input = &input[used.min(input.len())..];
        if used == 0 && inflate.total_out() == out_before {
            // No progress with room to write: the stream wants input the file does not have.
            return true;
        }
    }
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
        // Each walker thread's repository handle has its own object cache; libgit2 bounds their total.
        // 16 MiB keeps the commits and small trees that neighbouring commits share without letting the
        // caches grow to libgit2's 256 MiB default.
        let _ = git2::opts::set_cache_max_size(16 * 1024 * 1024);
    }
}

/// A library error for a failed `git2` call, with what was being done.
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

/// Repository text as a report may copy it: lossy UTF-8, at most [`repotext::MAX_FIELD`] bytes.
fn bounded(bytes: &[u8]) -> String {
    repotext::bound_lossy(bytes, repotext::MAX_FIELD)
}

/// The facts reports give about `commit` (author and subject bounded: a 50 MB subject is not copied).
pub fn commit_meta(commit: &git2::Commit<'_>) -> CommitMeta {
    let author = commit.author();
    let when = author.when();
    CommitMeta {
        id: commit.id().to_string(),
        author_name: bounded(author.name_bytes()),
        author_email: bounded(author.email_bytes()),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        summary: commit.summary_bytes().map(bounded).unwrap_or_default(),
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

/// Blob-ish modes: regular and executable files. Links (0o120000) hold a path, gitlinks a commit.
pub fn is_file_mode(mode: i32) -> bool {
    mode == 0o100644 || mode == 0o100755 || mode == 0o100664
}

/// Reads blob `id` (introduced first at path `lineage`) and hands it to `sink`: as content, as skipped
/// (larger than the limit), or as an error reported at `error_path`.
pub(super) fn read_blob(
    repo: &Repository,
    id: Oid,
    lineage: u32,
    error_path: impl FnOnce() -> String,
    how: &Enumerate<'_>,
    sink: &mut dyn Sink,
) {
    let origin = Origin::Git { id, lineage };
    let error = |message: String| Item::Error {
        path: error_path(),
        message,
    };
    let size = repo
        .odb()
        .map_err(|e| format!("object database: {}", e.message()))
        .and_then(|odb| {
            odb.read_header(id)
                .map_err(|e| format!("blob {id}: {}", e.message()))
        });
    match size {
        Ok((size, _)) if size as u64 > how.max_file_size => {
            return sink.accept(Item::Skipped {
                origin,
                reason: SkipReason::TooLarge,
            })
        }
        Ok(_) => {}
        Err(message) => return sink.accept(error(message)),
    }
    match repo.find_blob(id) {
        Ok(blob) => match how.skip(blob.content()) {
            Some(reason) => sink.accept(Item::Skipped { origin, reason }),
            None => sink.accept(Item::Blob {
                origin,
                bytes: blob.content(),
            }),
        },
        Err(e) => sink.accept(error(format!("blob {id}: {}", e.message()))),
    }
}

/// A thread pool of `threads` threads for the work a git source splits.
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Git(format!("starting {threads} threads: {e}")))
}

/// Reads `blobs` one by one through libgit2, in parallel, each worker with its own repository handle.
fn read_blobs(
    pool: &rayon::ThreadPool,
    git_dir: &Path,
    blobs: &[Oid],
    lineages: &HashMap<Oid, u32>,
    how: &Enumerate<'_>,
    sinks: &SinkFactory<'_>,
) {
    pool.install(|| {
        blobs.par_iter().with_min_len(16).for_each_init(
            || (sinks(), Repository::open(git_dir)),
            |(sink, repo), &id| {
                let error_path = || format!("blob {id}");
                match repo {
                    Ok(repo) => {
                        let lineage = lineages.get(&id).copied().unwrap_or(0);
                        read_blob(repo, id, lineage, error_path, how, sink.as_mut());
                    }
                    Err(e) => sink.accept(Item::Error {
                        path: error_path(),
                        message: format!("reopening {}: {}", git_dir.display(), e.message()),
                    }),
                }
            },
        )
    });
}

/// Hands the commit messages to sinks, in parallel, as content at [`COMMIT_MESSAGE_PATH`].
fn hand_out_messages(
    pool: &rayon::ThreadPool,
    messages: HashMap<Oid, Vec<u8>>,
    lineages: &HashMap<Oid, u32>,
    how: &Enumerate<'_>,
    sinks: &SinkFactory<'_>,
) {
    let messages: Vec<(Oid, Vec<u8>)> = messages.into_iter().collect();
    pool.install(|| {
        messages
            .par_iter()
            .with_min_len(64)
            .for_each_init(sinks, |sink, (id, message)| {
                let lineage = lineages.get(id).copied().unwrap_or(0);
                let origin = Origin::Git { id: *id, lineage };
                sink.accept(match how.skip(message) {
                    Some(reason) => Item::Skipped { origin, reason },
                    None => Item::Blob {
                        origin,
                        bytes: message,
                    },
                })
            })
    });
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

/// Git history as a source: every commit of a [`Selection`].
///
/// The commit graph is diffed first (libgit2, in parallel): it says which blobs matter and at which path
/// each was first met. Full-history scans then decode every blob of the repository's packs once, by
/// walking each pack's delta tree in parallel (gitoxide's pack reader), without knowing its path. Blobs
/// outside packs (loose objects), and every blob of a range, are read one by one through libgit2.
#[derive(Debug, Clone)]
pub struct GitHistory {
    /// A path in the repository (its work tree, `.git`, or a bare repository).
    pub path: PathBuf,
    /// The commits.
    pub selection: Selection,
}

impl Source for GitHistory {
    fn enumerate(&self, how: &Enumerate<'_>, sinks: &SinkFactory<'_>) -> Result<Enumerated> {
        tune_for_history_scan();
        let repo = open(&self.path)?;
        let is_range = matches!(self.selection, Selection::Range { .. });
        let threads = how.threads();
        let pool = thread_pool(threads)?;
        let (mut history, unreadable) = walk::walk_history(
            &repo,
            &self.selection,
            is_range,
            &pool,
            &how.progress.commits,
        )?;
        // What the walk could not read makes the scan incomplete; the rest is scanned.
        let mut sink = sinks();
        for (path, message) in unreadable {
            sink.accept(Item::Error { path, message });
        }
        drop(sink);
        history.changes = if is_range {
            Changes::Range
        } else {
            Changes::Full
        };
        let lineages = history.lineages();
        let no_commits = history.commits.is_empty() && !is_range && repo.head().is_err();
        // Close libgit2's pack windows and caches before the pack reader maps the packs: peak memory is
        // the larger of the two phases, not their sum.
        let git_dir = repo.path().to_path_buf();
        drop(repo);
        release_freed_memory();

        let mut notes = hand_out(
            &git_dir,
            &pool,
            &mut history,
            &lineages,
            !is_range,
            how,
            sinks,
        );
        notes.extend(history_notes(&history, no_commits));
        history.reader = Some(Reader::open(&git_dir)?);
        Ok(Enumerated {
            notes,
            history: Some(history),
        })
    }
}

/// Hands every blob and commit message that `wanted` lists (with its lineage) to sinks: through the pack
/// traversal when `packs` is set, then whatever the packs did not hold (loose objects, or everything)
/// one by one. Returns the pack reader's notes.
fn hand_out(
    git_dir: &Path,
    pool: &rayon::ThreadPool,
    history: &mut History,
    wanted: &HashMap<Oid, u32>,
    packs: bool,
    how: &Enumerate<'_>,
    sinks: &SinkFactory<'_>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let mut in_packs = HashSet::new();
    if packs {
        let mut visitor = PackedBlobs::new(sinks, wanted, how);
        let (seen, pack_notes) =
            pack::for_each_packed_blob(git_dir, how.threads(), move |id, bytes| {
                visitor.visit(id, bytes)
            });
        in_packs = seen;
        notes.extend(pack_notes);
    }
    // Whatever the packs did not hold: loose objects, and every blob of a range.
    let mut messages = std::mem::take(&mut history.messages);
    messages.retain(|id, _| wanted.contains_key(id));
    let rest: Vec<Oid> = (wanted.keys())
        .filter(|oid| !in_packs.contains(oid) && !messages.contains_key(oid))
        .copied()
        .collect();
    drop(in_packs);
    read_blobs(pool, git_dir, &rest, wanted, how, sinks);
    hand_out_messages(pool, messages, wanted, how, sinks);
    notes
}

/// What a history scan tells besides findings: a shallow clone, submodules not followed, no commits.
fn history_notes(history: &History, no_commits: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if history.shallow {
        notes.push("shallow clone: commits before the shallow boundary were not scanned".into());
    }
    if history.submodules > 0 {
        notes.push(format!(
            "{} submodule entr{} not followed (scan submodules separately)",
            history.submodules,
            if history.submodules == 1 { "y" } else { "ies" }
        ));
    }
    if no_commits {
        notes.push("the repository has no commits".into());
    }
    notes
}

/// The per-thread visitor of the pack traversal: hands the blobs the selected commits reach to its own
/// sink. Cloning makes another sink, for another traversal thread.
struct PackedBlobs<'a, 's> {
    sink: Box<dyn Sink + 's>,
    sinks: &'a SinkFactory<'s>,
    lineages: &'a HashMap<Oid, u32>,
    how: &'a Enumerate<'a>,
}

impl<'a, 's> PackedBlobs<'a, 's> {
    fn new(
        sinks: &'a SinkFactory<'s>,
        lineages: &'a HashMap<Oid, u32>,
        how: &'a Enumerate<'a>,
    ) -> Self {
        PackedBlobs {
            sink: sinks(),
            sinks,
            lineages,
            how,
        }
    }

    fn visit(&mut self, id: Oid, bytes: &[u8]) {
        let Some(&lineage) = self.lineages.get(&id) else {
            return; // not reachable from the selected commits (a pack may hold unreachable objects)
        };
        let origin = Origin::Git { id, lineage };
        match self.how.skip(bytes) {
            Some(reason) => self.sink.accept(Item::Skipped { origin, reason }),
            None => self.sink.accept(Item::Blob { origin, bytes }),
        }
    }
}

impl Clone for PackedBlobs<'_, '_> {
    fn clone(&self) -> Self {
        PackedBlobs::new(self.sinks, self.lineages, self.how)
    }
}

/// The index `git commit` is about to record. Inside a pre-commit hook of `git commit -a` or `git commit
/// PATH...`, git prepares a separate index and names it in `GIT_INDEX_FILE`; the repository's own index
/// does not hold what is being committed then, so that variable wins when set (as it does for git).
pub fn commit_index(repo: &Repository) -> Result<git2::Index> {
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

/// A file staged in the index that differs from HEAD.
#[derive(Debug, Clone)]
pub struct StagedChange {
    /// Path in the index.
    pub path: String,
    /// The staged blob.
    pub new: Oid,
    /// The blob it replaces and its path: HEAD's version, or the rename or copy source.
    pub old: Option<(Oid, String)>,
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
    let path_of = |file: &git2::DiffFile<'_>| {
        file.path_bytes()
            .map(repotext::path_text)
            .unwrap_or_default()
    };
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
        let old = delta.old_file();
        out.push(StagedChange {
            path: path_of(&new),
            new: new.id(),
            old: (!old.id().is_zero()).then(|| (old.id(), path_of(&old))),
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

/// The origin remote's URL, sanitised by [`sanitize_url`] (it goes into reports).
pub fn remote_url(repo: &Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url().ok()?.to_string();
    Some(sanitize_url(&url))
}

/// A URL fit to show: without `user:password@` (with a scheme, or `user:token@host:path` in scp form),
/// and without its query (`?access_token=...`) and fragment, where tokens are put too. Every remote
/// URL a report shows goes through here.
pub fn sanitize_url(url: &str) -> String {
    let url = &url[..url.find(['?', '#']).unwrap_or(url.len())];
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let host_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..host_end].rfind('@') {
            return format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]);
        }
    } else if let Some(at) = url.rfind('@') {
        // scp form: `git@host:path` keeps its (public) user; `user:secret@host:path` loses both.
        if url[..at].contains(':') && !url[..at].contains('/') {
            return url[at + 1..].to_string();
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
    fn urls_lose_credentials_query_and_fragment() {
        for (url, shown) in [
            (
                "https://u:p@github.com/a/b.git",
                "https://github.com/a/b.git",
            ),
            (
                "https://github.com/a/b.git?token=x#y",
                "https://github.com/a/b.git",
            ),
            ("https://t@h.org/a#frag", "https://h.org/a"),
            ("git@github.com:a/b.git", "git@github.com:a/b.git"),
            ("u:secret@h.org:a/b.git", "h.org:a/b.git"),
            ("/srv/repo.git", "/srv/repo.git"),
        ] {
            assert_eq!(sanitize_url(url), shown, "{url}");
        }
    }
}
