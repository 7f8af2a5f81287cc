//! What a git scan command points at, resolved before the scan: the store its config and ignore files
//! are read from (the trusted side: see [`crate::config::trust`]), the scanner configuration a range
//! changes, the root reports' paths are relative to, and the version-control facts SARIF carries.
//! It opens the repository only to learn these; it does not scan.

use std::path::{Path, PathBuf};

use crate::config::trust::{self, ConfigChange, Trusted};
use crate::error::Result;
use crate::report::VersionControl;
use crate::sources::git::Selection;

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

    /// Where a history scan of the repository at or above `path` over `selection` reads its config and
    /// ignore files from (a range's base; else the work tree), and the scanner configuration files the
    /// range changes. Those changes are listed by diffing whole trees; when that fails (a missing or
    /// corrupt object), the failure is returned in place of the list, for the scan to report as an
    /// error while it scans the rest.
    pub fn config(
        path: &Path,
        selection: &Selection,
    ) -> Result<(Trusted, Result<Vec<ConfigChange>>)> {
        let repo = crate::sources::git::open(path)?;
        Ok((
            trust::for_history(&repo, selection)?,
            trust::config_changes(&repo, selection),
        ))
    }
}

/// Where a staged scan of the repository at or above `path` reads its config and ignore files from:
/// `HEAD`, never the index or the work tree that hold what is being committed.
pub fn staged_config(path: &Path) -> Result<Trusted> {
    trust::for_staged(&crate::sources::git::open(path)?)
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
