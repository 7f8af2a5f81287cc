//! Sources: where bytes come from. Every scan mode is a [`Source`]: a directory walk, standard input, git
//! history (all of it or a range) and the staged changes of a repository. A source hands [`Item`]s to
//! per-thread [`Sink`]s: content with its [`Origin`], entries it skipped and why, and what it could not
//! read. Sources know nothing of rules or findings; the scanner owns matching, suppression and placement.
//!
//! A blob's origin is either the one path it was found at, or (git) its object id: a git blob is read once
//! however many commits and paths hold it, and the [`git::History`] a git source returns says afterwards
//! where it counts.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use git2::Oid;

use crate::error::Result;
use crate::repotext;

pub mod archive;
pub mod chunk;
pub mod dir;
pub mod git;
pub mod range;
pub mod staged;
pub mod stdin;

/// Where a blob's content was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file at this path, relative to the scan root and `/`-separated (`<stdin>` for standard input).
    Path(String),
    /// A git blob, placed afterwards at every (commit, path) of the source's [`git::History`] that holds
    /// it. `lineage` names the path (an index into [`git::History::paths`]) whose earlier versions this
    /// blob is a version of, so that a scanner may skip lines it already scanned in them.
    Git {
        /// The blob id.
        id: Oid,
        /// The path this blob is first found at.
        lineage: u32,
    },
    /// An entry of the archive that git blob `id` is ([`archive`]): placed afterwards at each of the
    /// blob's paths joined with `entry` (`a.zip` + `conf/.env` → `a.zip!/conf/.env`).
    GitEntry {
        /// The archive's blob id.
        id: Oid,
        /// The entry's path inside it (nested archives joined with `!/`).
        entry: String,
    },
}

impl Origin {
    /// How the origin is named in messages: its path, or `blob <id>` for a git blob (whose paths are
    /// known only after the scan), with an archive entry's path joined by `!/`.
    pub fn describe(&self) -> String {
        match self {
            Origin::Path(path) => path.clone(),
            Origin::Git { id, .. } => format!("blob {id}"),
            Origin::GitEntry { id, entry } => archive::join(&format!("blob {id}"), entry),
        }
    }
}

impl Origin {
    /// The blob id of a git origin (for an archive entry, the archive's).
    pub fn git_id(&self) -> Option<Oid> {
        match self {
            Origin::Git { id, .. } | Origin::GitEntry { id, .. } => Some(*id),
            Origin::Path(_) => None,
        }
    }
}

/// Why an entry's content was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// It is larger than the `--max-file-size` the user gave (there is no limit by default).
    TooLarge,
    /// It is a symbolic link (links are not followed, so loops cannot occur).
    Symlink,
    /// It is an archive whose entries were handed on instead ([`archive`]).
    Expanded,
}

/// What a source hands a sink for each entry it meets.
#[derive(Debug)]
pub enum Item<'a> {
    /// Content to scan.
    Blob {
        /// Where it was found.
        origin: Origin,
        /// The content.
        bytes: &'a [u8],
    },
    /// One chunk of content streamed because it is too large to hold at once ([`chunk`]): the chunks
    /// of one stream are handed to the same sink, in order, one after the other.
    Chunk {
        /// Where the stream was found (a file's path, or `<stdin>`).
        path: String,
        /// The chunk's bytes.
        bytes: &'a [u8],
        /// Where the chunk lies in its stream.
        part: chunk::Part,
    },
    /// An entry whose content is not scanned; its path still is (for rules that match a file by its
    /// path), except for symbolic links.
    Skipped {
        /// Where it was found.
        origin: Origin,
        /// Why.
        reason: SkipReason,
    },
    /// Something that could not be read; the scan goes on but is incomplete.
    Error {
        /// Path (or a description of the place) that failed.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Receives the items of one worker thread. One is made per thread, so it can own per-thread state (a
/// matcher's scratch buffers); it is dropped when its thread is done.
pub trait Sink: Send {
    /// Handles one item.
    fn accept(&mut self, item: Item<'_>);
}

/// Makes one [`Sink`] per worker thread.
pub type SinkFactory<'a> = dyn Fn() -> Box<dyn Sink + 'a> + Sync + 'a;

/// How a source enumerates.
#[derive(Debug, Clone, Copy)]
pub struct Enumerate<'a> {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Content larger than this is skipped as [`SkipReason::TooLarge`] (`u64::MAX`: no limit).
    pub max_file_size: u64,
    /// Counters a caller can watch while the source runs.
    pub progress: &'a Progress,
}

impl Enumerate<'_> {
    /// The number of worker threads to use.
    pub fn threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            n => n,
        }
    }

    /// Why `bytes` is not scanned, if it is not: larger than the limit. (Content that looks binary is
    /// scanned: the scanner reads the text in it.)
    pub fn skip(&self, bytes: &[u8]) -> Option<SkipReason> {
        skip_reason(bytes.len() as u64, self.max_file_size)
    }
}

/// Counters a caller can watch while a scan runs (for a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// Commits walked (git sources).
    pub commits: AtomicU64,
    /// Files or blobs scanned or skipped.
    pub blobs: AtomicU64,
    /// Bytes of content scanned.
    pub bytes: AtomicU64,
}

/// What a source tells once it has handed out every item.
#[derive(Debug, Default)]
pub struct Enumerated {
    /// Remarks worth telling the user (a shallow clone, submodules not followed, a pack read one by one).
    pub notes: Vec<String>,
    /// For git sources: where each blob handed out as [`Origin::Git`] counts.
    pub history: Option<git::History>,
}

/// A scan mode: something that yields bytes with their provenance.
pub trait Source {
    /// Hands every item of the source to sinks made by `sinks` (one per worker thread), then says where
    /// git blobs count. An `Err` means the source could not be read at all (not a repository, an unknown
    /// revision); what fails for one entry is an [`Item::Error`] and the enumeration goes on.
    fn enumerate(&self, how: &Enumerate<'_>, sinks: &SinkFactory<'_>) -> Result<Enumerated>;
}

/// Why content of `len` bytes is not scanned under a size limit of `max_size`, if it is not: too large.
pub fn skip_reason(len: u64, max_size: u64) -> Option<SkipReason> {
    (len > max_size).then_some(SkipReason::TooLarge)
}

/// The text form of a file system path, `/`-separated, without losing bytes that are not UTF-8
/// ([`repotext::path_text`]): the form every source gives paths in.
pub fn path_text_of(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        repotext::path_text(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        let text = repotext::path_text(path.to_string_lossy().as_bytes());
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// A path's bytes as git stores them (`/`-separated) as a path of this platform.
pub fn bytes_path(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The path a source's path text ([`path_text_of`], [`repotext::path_text`]) stands for, as a path of
/// this platform: the exact bytes, so that a file whose name is not UTF-8 is found again.
pub fn text_path(text: &str) -> PathBuf {
    bytes_path(&repotext::path_bytes(text))
}
