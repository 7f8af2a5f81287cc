//! Working trees and plain directories, walked in parallel with the `ignore` crate (ripgrep's walker).
//! `.gitignore` is respected unless `no_ignore`, except that inside a git work tree a file the index
//! tracks is always scanned (`git add -f .env` cannot hide a committed file from the scan); hidden files
//! are included (a committed `.env` is the classic leak); `.git` is never entered; links are not followed.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::{
    archive, chunk, skip_reason, Enumerate, Enumerated, Item, Origin, Sink, SinkFactory,
    SkipReason, Source,
};
use crate::error::Result;

/// Files and directories on disk.
#[derive(Debug, Clone)]
pub struct Dir {
    /// The files and directories to scan; a root that does not exist is reported as an error.
    pub roots: Vec<PathBuf>,
    /// Scan files `.gitignore` would hide.
    pub no_ignore: bool,
}

impl Source for Dir {
    fn enumerate(&self, how: &Enumerate<'_>, sinks: &SinkFactory<'_>) -> Result<Enumerated> {
        let mut existing = Vec::with_capacity(self.roots.len());
        for root in &self.roots {
            match std::fs::symlink_metadata(root) {
                Ok(_) => existing.push(root.clone()),
                Err(e) => sinks().accept(Item::Error {
                    path: root.display().to_string(),
                    message: e.to_string(),
                }),
            }
        }
        walk(&existing, self.no_ignore, how, sinks);
        Ok(Enumerated::default())
    }
}

/// Walks `roots` in parallel, giving each walker thread a sink from `sinks`; then scans the tracked
/// files the walk did not meet.
fn walk(roots: &[PathBuf], no_ignore: bool, how: &Enumerate<'_>, sinks: &SinkFactory<'_>) {
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(false)
        .parents(true)
        .ignore(false)
        .git_ignore(!no_ignore)
        .git_global(!no_ignore)
        .git_exclude(!no_ignore)
        .require_git(false)
        .follow_links(false)
        .threads(how.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    let display = RootDisplay::new(roots);
    let tracked = if no_ignore {
        HashSet::new()
    } else {
        tracked_under(roots)
    };
    let visited = Mutex::new(Vec::new());
    let mut visitors = VisitorBuilder {
        sinks,
        display: &display,
        max_file_size: how.max_file_size,
        visited: (!tracked.is_empty()).then_some(&visited),
    };
    builder.build_parallel().visit(&mut visitors);
    if tracked.is_empty() {
        return;
    }
    // Tracked files the walk did not meet are ones `.gitignore` matches: scan them too.
    let seen = std::mem::take(&mut *visited.lock().unwrap_or_else(|p| p.into_inner()));
    let seen: HashSet<PathBuf> = seen.into_iter().collect();
    let mut left: Vec<PathBuf> = tracked.into_iter().filter(|p| !seen.contains(p)).collect();
    left.sort();
    visitors.visited = None;
    let mut visitor = visitors.build_visitor();
    for path in left {
        // A tracked file deleted from the work tree, or replaced by a directory, is not there to scan.
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            visitor.visit_file(&path, meta.file_type());
        }
    }
}

/// The files a git index tracks under the directory roots that lie in a git work tree, as the walker
/// would name them (the root as given, joined with the path below it).
fn tracked_under(roots: &[PathBuf]) -> HashSet<PathBuf> {
    let mut out = HashSet::new();
    for root in roots.iter().filter(|r| r.is_dir()) {
        let Some((workdir, paths)) = super::git::tracked_files(root) else {
            continue;
        };
        let (Ok(root_abs), Ok(workdir)) =
            (std::fs::canonicalize(root), std::fs::canonicalize(&workdir))
        else {
            continue;
        };
        let Ok(prefix) = root_abs.strip_prefix(&workdir) else {
            continue;
        };
        for path in &paths {
            if let Ok(rel) = super::bytes_path(path).strip_prefix(prefix) {
                out.insert(root.join(rel));
            }
        }
    }
    out
}

/// How a walked path is shown: relative to the root when there is one root, else as typed.
struct RootDisplay {
    single_root: Option<PathBuf>,
}

impl RootDisplay {
    fn new(roots: &[PathBuf]) -> Self {
        let single_root = match roots {
            [one] if one.is_dir() => Some(one.clone()),
            _ => None,
        };
        RootDisplay { single_root }
    }

    fn show(&self, path: &Path) -> String {
        let rel = match &self.single_root {
            Some(root) => path.strip_prefix(root).unwrap_or(path),
            None => path,
        };
        let rel = rel.strip_prefix(".").unwrap_or(rel);
        let text = super::path_text_of(rel);
        if text.is_empty() {
            // A single file given as the root.
            path.file_name()
                .map(|n| super::path_text_of(Path::new(n)))
                .unwrap_or_default()
        } else {
            text
        }
    }
}

struct VisitorBuilder<'a, 's> {
    sinks: &'a SinkFactory<'s>,
    display: &'a RootDisplay,
    max_file_size: u64,
    /// Where visitors leave the paths of the files they met, when tracked files are to be checked.
    visited: Option<&'a Mutex<Vec<PathBuf>>>,
}

impl<'a, 's> VisitorBuilder<'a, 's> {
    fn build_visitor(&self) -> Visitor<'a, 's> {
        Visitor {
            sink: (self.sinks)(),
            display: RootDisplay {
                single_root: self.display.single_root.clone(),
            },
            max_file_size: self.max_file_size,
            buf: Vec::new(),
            seen: Vec::new(),
            visited: self.visited,
        }
    }
}

impl<'a, 's: 'a> ParallelVisitorBuilder<'a> for VisitorBuilder<'a, 's> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 'a> {
        Box::new(self.build_visitor())
    }
}

/// One walker thread: its sink, its read buffer and the files it met.
struct Visitor<'a, 's> {
    sink: Box<dyn Sink + 's>,
    display: RootDisplay,
    max_file_size: u64,
    buf: Vec<u8>,
    /// Files this visitor met, handed to `visited` when it is dropped.
    seen: Vec<PathBuf>,
    visited: Option<&'a Mutex<Vec<PathBuf>>>,
}

impl Drop for Visitor<'_, '_> {
    fn drop(&mut self) {
        if let Some(visited) = self.visited {
            visited
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .append(&mut self.seen);
        }
    }
}

impl ParallelVisitor for Visitor<'_, '_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                self.sink.accept(walk_error(err));
                return WalkState::Continue;
            }
        };
        let Some(file_type) = entry.file_type() else {
            // stdin marker; not produced for directory roots
            return WalkState::Continue;
        };
        if file_type.is_dir() {
            return WalkState::Continue;
        }
        if self.visited.is_some() {
            self.seen.push(entry.path().to_path_buf());
        }
        self.visit_file(entry.path(), file_type);
        WalkState::Continue
    }
}

impl Visitor<'_, '_> {
    /// Hands one non-directory entry to the sink: read, skipped, or left alone when it is not a regular
    /// file.
    fn visit_file(&mut self, fs_path: &Path, file_type: std::fs::FileType) {
        let path = self.display.show(fs_path);
        if file_type.is_symlink() {
            self.sink.accept(Item::Skipped {
                origin: Origin::Path(path),
                reason: SkipReason::Symlink,
            });
            return;
        }
        if !file_type.is_file() {
            // sockets, fifos, devices: reading them could block forever
            return;
        }
        match self.read(fs_path, &path) {
            Err(e) => self.sink.accept(Item::Error {
                path,
                message: e.to_string(),
            }),
            Ok(Some(reason)) => self.sink.accept(Item::Skipped {
                origin: Origin::Path(path),
                reason,
            }),
            Ok(None) => {}
        }
    }

    /// Hands the file to the sink, whole or in chunks ([`chunk::stream`]), unless it is to be skipped
    /// (and says why). A file that grows past the limit while it is read is read up to the limit. An
    /// archive is handed on whole (its entries are read from it), up to the archive bound.
    fn read(&mut self, fs_path: &Path, path: &str) -> std::io::Result<Option<SkipReason>> {
        let mut file = File::open(fs_path)?;
        let len = file.metadata()?.len();
        if let Some(reason) = skip_reason(len, self.max_file_size) {
            return Ok(Some(reason));
        }
        if len > chunk::CHUNK_LEN as u64 && starts_an_archive(&mut file)? {
            let bound = archive::LIMITS.total_bytes;
            if len <= bound {
                self.buf.clear();
                file.read_to_end(&mut self.buf)?;
                self.sink.accept(Item::Blob {
                    origin: Origin::Path(path.to_string()),
                    bytes: &self.buf,
                });
                return Ok(None);
            }
            self.sink.accept(Item::Error {
                path: path.to_string(),
                message: format!(
                    "archive larger than {bound} bytes: its entries are not read (its bytes are scanned as they are)"
                ),
            });
        }
        let mut limited = file.take(self.max_file_size);
        chunk::stream(&mut limited, path, &mut self.buf, self.sink.as_mut())?;
        Ok(None)
    }
}

/// True when `file` starts like an archive ([`archive::kind`]); it is read again from its start after.
fn starts_an_archive(file: &mut File) -> std::io::Result<bool> {
    let mut head = Vec::with_capacity(512);
    (&mut *file).take(512).read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(archive::kind(&head).is_some())
}

fn walk_error(err: ignore::Error) -> Item<'static> {
    let path = error_path(&err)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<walk>".into());
    Item::Error {
        path,
        message: err.to_string(),
    }
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::Progress;

    /// Writes down what it is handed: `blob PATH LEN`, `skipped PATH REASON`, `error PATH`.
    struct Record<'a>(&'a Mutex<Vec<String>>);

    impl Sink for Record<'_> {
        fn accept(&mut self, item: Item<'_>) {
            let line = match item {
                Item::Blob {
                    origin: Origin::Path(p),
                    bytes,
                } => format!("blob {p} {}", bytes.len()),
                Item::Skipped {
                    origin: Origin::Path(p),
                    reason,
                } => format!("skipped {p} {reason:?}"),
                Item::Error { path, .. } => format!("error {path}"),
                other => format!("unexpected {other:?}"),
            };
            self.0.lock().unwrap().push(line);
        }
    }

    fn enumerate(roots: &[PathBuf], max_file_size: u64) -> Vec<String> {
        let seen = Mutex::new(Vec::new());
        let progress = Progress::default();
        let how = Enumerate {
            threads: 2,
            max_file_size,
            progress: &progress,
        };
        let source = Dir {
            roots: roots.to_vec(),
            no_ignore: false,
        };
        let sinks = || -> Box<dyn Sink + '_> { Box::new(Record(&seen)) };
        source.enumerate(&how, &sinks).unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        seen
    }

    #[test]
    fn a_directory_yields_content_skips_and_errors_at_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".env"), "KEY=value\n").unwrap();
        std::fs::write(root.join("image.bin"), b"\x89PNG\0\x01").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/big.txt"), "x".repeat(64)).unwrap();
        let mut expected = vec![
            "blob .env 10",
            // content that looks binary is handed on: the scanner reads the text in it
            "blob image.bin 6",
            "skipped sub/big.txt TooLarge",
        ];
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(".env", root.join("link")).unwrap();
            expected.push("skipped link Symlink");
        }
        expected.sort();
        assert_eq!(enumerate(&[root.to_path_buf()], 32), expected);

        let missing = root.join("missing");
        let seen = enumerate(std::slice::from_ref(&missing), 32);
        assert_eq!(seen, vec![format!("error {}", missing.display())]);
    }
}
