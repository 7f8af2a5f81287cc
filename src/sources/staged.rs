//! The staged changes of a repository as a source: what `git commit` would record, the index against
//! HEAD (against nothing in a repository without commits). Each staged file is an introduction of its
//! blob at its path, replacing HEAD's version or its rename or copy source, so that the scanner treats
//! it like a commit of a range: only what it adds counts.

use std::path::PathBuf;

use git2::Oid;

use super::git::{self, Changes, History, Reader};
use super::{Enumerate, Enumerated, SinkFactory, Source};
use crate::error::{Error, Result};

/// The index of the repository at or above `path`, against HEAD.
#[derive(Debug, Clone)]
pub struct Staged {
    /// A path in the repository's work tree.
    pub path: PathBuf,
}

impl Source for Staged {
    fn enumerate(&self, how: &Enumerate<'_>, sinks: &SinkFactory<'_>) -> Result<Enumerated> {
        let repo = git::open(&self.path)?;
        if repo.is_bare() {
            return Err(Error::Git(format!(
                "{} is a bare repository: it has no index to scan",
                self.path.display()
            )));
        }
        let changes = git::staged_changes(&repo)?;
        let mut history = History::default();
        history.changes = Changes::Staged;
        let mut first_path: Vec<(Oid, u32, String)> = Vec::new();
        for change in &changes {
            let replaced = change
                .old
                .iter()
                .map(|(blob, path)| (*blob, path.as_bytes()));
            let path = history.introduce(change.new, 0, change.path.as_bytes(), replaced.collect());
            if !first_path.iter().any(|(blob, _, _)| *blob == change.new) {
                first_path.push((change.new, path, change.path.clone()));
            }
        }
        let mut sink = sinks();
        for (blob, lineage, path) in first_path {
            git::read_blob(&repo, blob, lineage, || path, how, sink.as_mut());
        }
        drop(sink);
        history.set_reader(Reader::open(repo.path())?);
        Ok(Enumerated {
            notes: Vec::new(),
            history: Some(history),
        })
    }
}
