//! The git pre-commit hook: where it goes (`core.hooksPath` or `.git/hooks`), the script, and the
//! decisions around a hook that is already there. A hook keyhound wrote carries [`MARKER`]; any other
//! hook is the user's, so installing over it needs `force` and keeps it as a backup, and uninstalling
//! never removes it (and puts the newest backup back).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The line that marks a hook as written by keyhound.
pub const MARKER: &str = "# installed by keyhound";

/// The file name a replaced hook is moved to (then `.1`, `.2`, ... when that is taken).
const BACKUP_SUFFIX: &str = "keyhound-backup";

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The hook written.
    pub path: PathBuf,
    /// Where the hook it replaced (one keyhound did not write) was moved.
    pub backup: Option<PathBuf>,
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstalled {
    /// Removed keyhound's hook; `restored` is the backup put back in its place.
    Removed {
        /// The hook removed.
        path: PathBuf,
        /// The backup moved back to `path`, if there was one.
        restored: Option<PathBuf>,
    },
    /// There was no pre-commit hook.
    NotInstalled {
        /// Where it would be.
        path: PathBuf,
    },
}

/// The pre-commit hook's path for the repository at or above `repo_path`.
pub fn hook_path(repo_path: &Path) -> Result<PathBuf> {
    let repo = crate::sources::git::open(repo_path)?;
    let hooks_dir = match repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok())
    {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.path().join("hooks"),
    };
    Ok(hooks_dir.join("pre-commit"))
}

/// The hook script. It prefers `keyhound` on `PATH`, else `exe` (the binary that installed it).
pub fn script(exe: &str) -> String {
    TEMPLATE.replace("@MARKER@", MARKER).replace("@EXE@", exe)
}

/// Whether the file at `path` is a hook keyhound wrote.
fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(MARKER))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the pre-commit hook running `exe`. Rewrites keyhound's own hook; refuses to replace another
/// hook unless `force`, and then moves it to a backup first.
pub fn install(repo_path: &Path, force: bool, exe: &str) -> Result<Installed> {
    let path = hook_path(repo_path)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let mut backup = None;
    if path.symlink_metadata().is_ok() && !is_ours(&path) {
        if !force {
            return Err(Error::Hook {
                path,
                message: "already exists and was not written by keyhound; add `keyhound scan staged` \
                          to it, or run `keyhound hook install --force` to replace it (it is kept as \
                          a backup)"
                    .into(),
            });
        }
        let to = next_backup(&path);
        std::fs::rename(&path, &to).map_err(io_error(&path))?;
        backup = Some(to);
    }
    std::fs::write(&path, script(exe)).map_err(io_error(&path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(io_error(&path))?;
    }
    Ok(Installed { path, backup })
}

/// Removes keyhound's pre-commit hook and puts the newest backup back. A hook keyhound did not write is
/// left alone (an error).
pub fn uninstall(repo_path: &Path) -> Result<Uninstalled> {
    let path = hook_path(repo_path)?;
    if path.symlink_metadata().is_err() {
        return Ok(Uninstalled::NotInstalled { path });
    }
    if !is_ours(&path) {
        return Err(Error::Hook {
            path,
            message: "was not written by keyhound, so it was left alone".into(),
        });
    }
    std::fs::remove_file(&path).map_err(io_error(&path))?;
    let restored = backups(&path).pop();
    if let Some(from) = &restored {
        std::fs::rename(from, &path).map_err(io_error(from))?;
    }
    Ok(Uninstalled::Removed { path, restored })
}

/// The backup paths of `hook` in the order they are taken: `pre-commit.keyhound-backup`, then `.1`, ...
fn backup_name(hook: &Path, n: usize) -> PathBuf {
    let name = hook.file_name().unwrap_or_default().to_string_lossy();
    let file = match n {
        0 => format!("{name}.{BACKUP_SUFFIX}"),
        n => format!("{name}.{BACKUP_SUFFIX}.{n}"),
    };
    hook.with_file_name(file)
}

/// The first backup path not yet taken.
fn next_backup(hook: &Path) -> PathBuf {
    (0..)
        .map(|n| backup_name(hook, n))
        .find(|p| p.symlink_metadata().is_err())
        .expect("a free backup name")
}

/// The existing backups, oldest first.
fn backups(hook: &Path) -> Vec<PathBuf> {
    (0..)
        .map(|n| backup_name(hook, n))
        .take_while(|p| p.symlink_metadata().is_ok())
        .collect()
}

/// The pre-commit hook. It runs without `--quiet`, so the summary line and any read errors are shown on
/// stderr above its own message.
const TEMPLATE: &str = r#"#!/bin/sh
@MARKER@: scans what this commit adds for secrets.
KEYHOUND=$(command -v keyhound || echo "@EXE@")
"$KEYHOUND" scan staged
status=$?
if [ "$status" -eq 1 ]; then
  cat >&2 <<'MSG'

keyhound: this commit would add the secrets listed above, so it was stopped.
  - A real secret: remove it from the file (read it from the environment or a secret manager),
    `git add` the file again, and rotate the secret if it was ever pushed or shared.
  - A false positive: put `keyhound:allow` in a comment on that line, or add the finding's
    fingerprint to .keyhoundignore and commit that file first, on its own
    (`git commit .keyhoundignore`): a commit's scan reads .keyhoundignore from HEAD.
  - To commit anyway, this once: git commit --no-verify
MSG
elif [ "$status" -ne 0 ]; then
  echo "keyhound: the pre-commit scan failed (exit $status); see the error above." >&2
fi
exit $status
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_carries_marker_and_fallback_binary() {
        let text = script("/opt/bin/keyhound");
        assert!(text.starts_with("#!/bin/sh\n# installed by keyhound"));
        assert!(text.contains(r#"echo "/opt/bin/keyhound""#));
        assert!(text.contains("\"$KEYHOUND\" scan staged\n"));
        assert!(!text.contains('@'), "every placeholder is filled");
    }

    #[test]
    fn backups_are_numbered_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join("pre-commit");
        assert_eq!(backups(&hook), Vec::<PathBuf>::new());
        assert_eq!(
            next_backup(&hook),
            dir.path().join("pre-commit.keyhound-backup")
        );
        std::fs::write(next_backup(&hook), "a").unwrap();
        assert_eq!(
            next_backup(&hook),
            dir.path().join("pre-commit.keyhound-backup.1")
        );
        std::fs::write(next_backup(&hook), "b").unwrap();
        let all = backups(&hook);
        assert_eq!(all.len(), 2);
        assert_eq!(std::fs::read_to_string(&all[1]).unwrap(), "b");
    }
}
