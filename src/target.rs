//! What a git scan command points at, resolved before the scan: the store its config and ignore files
//! are read from, the root reports' paths are relative to, and the version-control facts SARIF carries.
//! It opens the repository only to learn these; it does not scan.

use std::path::{Path, PathBuf};

use crate::config::WorkTree;
use crate::error::Result;
use crate::report::VersionControl;

/// A repository a history scan covers.
#[derive(Debug, Clone)]
pub struct GitTarget {
    /// The work tree (the git directory of a bare repository): where config is read from and what
    /// reports' paths are relative to.
    pub root: PathBuf,
    /// The remote, HEAD's commit and branch.
    pub vcs: VersionControl,
}

impl GitTarget {
    /// The repository at or above `path`, for a history scan.
    pub fn history(path: &Path) -> Result<Self> {
        let repo = crate::sources::git::open(path)?;
        let root = repo
            .workdir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| repo.path().to_path_buf());
        let head = repo.head().ok();
        let vcs = VersionControl {
            repository_uri: crate::sources::git::remote_url(&repo),
            revision_id: head
                .as_ref()
                .and_then(|h| h.target())
                .map(|o| o.to_string()),
            branch: head
                .as_ref()
                .filter(|h| h.is_branch())
                .and_then(|h| h.shorthand().ok().map(str::to_string)),
        };
        Ok(GitTarget { root, vcs })
    }

    /// Where this repository's config and ignore files are read from: its work tree.
    pub fn config_store(&self) -> WorkTree {
        WorkTree::new(&self.root)
    }
}

/// The root of a staged scan of the repository at or above `path`: its work tree (`path` itself for a
/// bare repository, which has nothing staged).
pub fn staged_root(path: &Path) -> Result<PathBuf> {
    let repo = crate::sources::git::open(path)?;
    Ok(repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| path.to_path_buf()))
}
