//! Working trees and plain directories, walked in parallel with the `ignore` crate (ripgrep's walker).
//! `.gitignore` is respected unless `no_ignore`; hidden files are included (a committed `.env` is the
//! classic leak); `.git` is never entered; links are not followed.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::{looks_binary, Blob, Item, SkipReason};

/// Options of a directory walk.
#[derive(Debug, Clone)]
pub struct DirOptions {
    /// Scan files `.gitignore` would hide.
    pub no_ignore: bool,
    /// Files larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// Something that receives the items of one walker thread. One is made per thread, so it can own
/// per-thread state (a matcher's scratch buffers); it is dropped when its thread is done.
pub trait ItemSink: Send {
    /// Handles one item.
    fn accept(&mut self, item: Item);
}

/// Walks `roots` in parallel, giving each thread a sink from `make_sink`.
pub fn walk<S, F>(roots: &[PathBuf], options: &DirOptions, make_sink: F)
where
    S: ItemSink,
    F: Fn() -> S + Sync,
{
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
        .git_ignore(!options.no_ignore)
        .git_global(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .require_git(false)
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");
    let display = RootDisplay::new(roots);
    let mut visitors = VisitorBuilder {
        make_sink: &make_sink,
        display: &display,
        max_file_size: options.max_file_size,
    };
    builder.build_parallel().visit(&mut visitors);
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
        let text = rel.to_string_lossy();
        let text = if std::path::MAIN_SEPARATOR == '/' {
            text.into_owned()
        } else {
            text.replace(std::path::MAIN_SEPARATOR, "/")
        };
        if text.is_empty() {
            // A single file given as the root.
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            text
        }
    }
}

struct VisitorBuilder<'a, F> {
    make_sink: &'a F,
    display: &'a RootDisplay,
    max_file_size: u64,
}

impl<'s, S, F> ParallelVisitorBuilder<'s> for VisitorBuilder<'_, F>
where
    S: ItemSink + 's,
    F: Fn() -> S + Sync,
{
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            sink: (self.make_sink)(),
            display: RootDisplay {
                single_root: self.display.single_root.clone(),
            },
            max_file_size: self.max_file_size,
            buf: Vec::new(),
        })
    }
}

struct Visitor<S> {
    sink: S,
    display: RootDisplay,
    max_file_size: u64,
    buf: Vec<u8>,
}

impl<S: ItemSink> ParallelVisitor for Visitor<S> {
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
        let path = self.display.show(entry.path());
        if file_type.is_symlink() {
            self.sink.accept(Item::Skipped {
                path,
                reason: SkipReason::Symlink,
            });
            return WalkState::Continue;
        }
        if !file_type.is_file() {
            // sockets, fifos, devices: reading them could block forever
            return WalkState::Continue;
        }
        let item = self.read(entry.path(), path);
        self.sink.accept(item);
        WalkState::Continue
    }
}

impl<S> Visitor<S> {
    fn read(&mut self, fs_path: &Path, path: String) -> Item {
        let error = |e: std::io::Error, path: String| Item::Error {
            path,
            message: e.to_string(),
        };
        let mut file = match File::open(fs_path) {
            Ok(f) => f,
            Err(e) => return error(e, path),
        };
        let len = match file.metadata() {
            Ok(m) => m.len(),
            Err(e) => return error(e, path),
        };
        if len > self.max_file_size {
            return Item::Skipped {
                path,
                reason: SkipReason::TooLarge,
            };
        }
        self.buf.clear();
        // +1 so that a file that grew past the limit since `metadata` is still caught
        if let Err(e) = (&mut file)
            .take(self.max_file_size + 1)
            .read_to_end(&mut self.buf)
        {
            return error(e, path);
        }
        if self.buf.len() as u64 > self.max_file_size {
            return Item::Skipped {
                path,
                reason: SkipReason::TooLarge,
            };
        }
        if looks_binary(&self.buf) {
            return Item::Skipped {
                path,
                reason: SkipReason::Binary,
            };
        }
        Item::Blob(Blob {
            path,
            bytes: std::mem::take(&mut self.buf),
        })
    }
}

fn walk_error(err: ignore::Error) -> Item {
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
