//! Which config and ignore files apply to a scan, and their resolution into the rule set and the
//! [`Suppressor`]. The decisions live here, not in the CLI:
//!
//! * the config: `--config` when given (a missing file is an error), else `.keyhound.toml` at the root of
//!   what is scanned, else a `.gitleaks.toml` there (a team switching tools keeps its rules), else none;
//! * the ignore files: `--ignore-file` when given (it must exist), else `.keyhoundignore`; and a
//!   `.gitleaksignore`, whose reviewed findings keep being silenced;
//! * the config's own file is exempt from the scan (its rule examples are not leaks).
//!
//! Files found by name are read through a [`ConfigStore`]: where config comes from is a parameter, so
//! a scan can read them from the working tree ([`WorkTree`], every scan mode today) or from another
//! store such as a git tree at a trusted commit, without this module changing. Explicit paths given by
//! the user are always read from disk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::rules::RuleSet;
use crate::suppress::ignorefile;
use crate::suppress::Suppressor;

use super::file::Config;

/// The default config file name, looked up at the scan root.
pub const DEFAULT_CONFIG_NAME: &str = ".keyhound.toml";
/// A gitleaks config, used when there is no keyhound config at the scan root.
pub const GITLEAKS_CONFIG_NAME: &str = ".gitleaks.toml";
/// The default ignore-file name, looked up at the scan root.
pub const DEFAULT_IGNORE_NAME: &str = ".keyhoundignore";
/// gitleaks' ignore file, also read at the scan root.
pub const GITLEAKS_IGNORE_NAME: &str = ".gitleaksignore";

/// Where the config and ignore files found by name are read from.
pub trait ConfigStore {
    /// The text of the file `name` (relative to the store's root, `/`-separated); `None` when there is
    /// no such file.
    fn read(&self, name: &str) -> Result<Option<String>>;
    /// How the file `name` is shown in messages (and kept as [`Config::path`]).
    fn display_path(&self, name: &str) -> PathBuf;
    /// A path given by the user, relative to the store's root (`/`-separated) when it lies inside what
    /// is scanned; used to exempt an explicit config file from the scan.
    fn relative(&self, path: &Path) -> Option<String>;
}

/// A directory on disk: the scanned directory, or the work tree of the scanned repository.
#[derive(Debug, Clone)]
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    /// The store rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkTree { root: root.into() }
    }

    /// The store for a directory scan of `paths`: the single directory scanned, else the current
    /// directory.
    pub fn for_scan_paths(paths: &[PathBuf]) -> Self {
        match paths {
            [one] if one.is_dir() => WorkTree::new(one.clone()),
            _ => WorkTree::new("."),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl ConfigStore for WorkTree {
    fn read(&self, name: &str) -> Result<Option<String>> {
        let path = self.root.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    fn display_path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn relative(&self, path: &Path) -> Option<String> {
        let path = std::fs::canonicalize(path).ok()?;
        let root = std::fs::canonicalize(&self.root).ok()?;
        let rel = path.strip_prefix(&root).ok()?;
        Some(
            rel.to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/"),
        )
    }
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct ConfigRequest {
    /// `--config`: this file, instead of looking one up.
    pub config: Option<PathBuf>,
    /// `--ignore-file`: this file of fingerprints, instead of `.keyhoundignore`.
    pub ignore_file: Option<PathBuf>,
}

/// A scan's configuration, resolved.
#[derive(Debug)]
pub struct Resolved {
    /// The config that applies (`Config::default()` when there is none); its `warnings` are worth
    /// telling the user.
    pub config: Config,
    /// The built-in rules with the config applied.
    pub rules: RuleSet,
    /// The config's allowlist, the ignore files' entries and the exemption of the config's own file.
    pub suppressor: Suppressor,
}

/// Decides which config and ignore files apply (see the module doc), reads them and resolves them.
pub fn resolve(store: &dyn ConfigStore, request: &ConfigRequest) -> Result<Resolved> {
    let (config, exempt) = find_config(store, request)?;
    let rules = config.rules()?;
    let mut global = config.allowlist()?;
    if let Some(rel) = exempt {
        let pattern = format!("^{}$", regex::escape(&rel));
        let exempt = regex::bytes::Regex::new(&pattern).map_err(|e| Error::Config {
            path: config.path.clone().unwrap_or_default(),
            message: e.to_string(),
        })?;
        global.paths.push(exempt);
    }
    let suppressor = Suppressor {
        global,
        fingerprints: fingerprints(store, request)?,
        gitleaks_ignored: gitleaks_ignored(store)?,
    };
    Ok(Resolved {
        config,
        rules,
        suppressor,
    })
}

/// The config that applies, and its path relative to the store's root when it lies inside it.
fn find_config(
    store: &dyn ConfigStore,
    request: &ConfigRequest,
) -> Result<(Config, Option<String>)> {
    if let Some(path) = &request.config {
        let config = Config::load(path, true)?;
        return Ok((config, store.relative(path)));
    }
    for name in [DEFAULT_CONFIG_NAME, GITLEAKS_CONFIG_NAME] {
        if let Some(text) = store.read(name)? {
            let config = Config::parse(&store.display_path(name), text)?;
            return Ok((config, Some(name.to_string())));
        }
    }
    Ok((Config::default(), None))
}

/// The fingerprints of `--ignore-file`, else of `.keyhoundignore` when the store has one.
fn fingerprints(store: &dyn ConfigStore, request: &ConfigRequest) -> Result<HashSet<String>> {
    let (path, text) = match &request.ignore_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            (path.clone(), text)
        }
        None => match store.read(DEFAULT_IGNORE_NAME)? {
            Some(text) => (store.display_path(DEFAULT_IGNORE_NAME), text),
            None => return Ok(HashSet::new()),
        },
    };
    ignorefile::parse_fingerprints(&text).map_err(|(line, message)| Error::Config {
        path,
        message: format!("line {line}: {message}"),
    })
}

/// The (file, line) entries of the store's `.gitleaksignore`, if it has one.
fn gitleaks_ignored(store: &dyn ConfigStore) -> Result<HashSet<(String, usize)>> {
    Ok(store
        .read(GITLEAKS_IGNORE_NAME)?
        .map(|text| ignorefile::parse_gitleaks_ignore(&text))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store held in memory, the way a git tree at a commit would be read.
    struct Memory(Vec<(&'static str, &'static str)>);

    impl ConfigStore for Memory {
        fn read(&self, name: &str) -> Result<Option<String>> {
            Ok(self
                .0
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.to_string()))
        }
        fn display_path(&self, name: &str) -> PathBuf {
            PathBuf::from(format!("mem:{name}"))
        }
        fn relative(&self, _: &Path) -> Option<String> {
            None
        }
    }

    fn resolve_in(files: Vec<(&'static str, &'static str)>) -> Resolved {
        resolve(&Memory(files), &ConfigRequest::default()).unwrap()
    }

    #[test]
    fn no_files_means_builtin_rules_and_nothing_suppressed() {
        let r = resolve_in(vec![]);
        assert!(r.config.path.is_none());
        assert_eq!(r.rules.len(), RuleSet::builtin().unwrap().len());
        assert!(r.suppressor.fingerprints.is_empty());
        assert!(!r.suppressor.global.allows_path("a.env"));
    }

    #[test]
    fn keyhound_config_wins_over_gitleaks_and_exempts_itself() {
        let r = resolve_in(vec![
            (GITLEAKS_CONFIG_NAME, "title = \"x\"\n"),
            (
                DEFAULT_CONFIG_NAME,
                "disabled_rules = [\"generic-api-key\"]\n",
            ),
        ]);
        assert_eq!(r.config.path, Some(PathBuf::from("mem:.keyhound.toml")));
        assert!(r.suppressor.global.allows_path(".keyhound.toml"));
        assert!(!r.suppressor.global.allows_path("sub/.keyhound.toml"));
        assert!(r.rules.rules().iter().all(|x| x.id != "generic-api-key"));
    }

    #[test]
    fn gitleaks_config_is_the_fallback() {
        let r = resolve_in(vec![(
            GITLEAKS_CONFIG_NAME,
            "[extend]\nuseDefault = true\n[allowlist]\npaths = ['''^vendor/''']\n",
        )]);
        assert_eq!(r.config.path, Some(PathBuf::from("mem:.gitleaks.toml")));
        assert!(r.suppressor.global.allows_path("vendor/x.go"));
        assert!(r.suppressor.global.allows_path(".gitleaks.toml"));
    }

    #[test]
    fn ignore_files_are_read_from_the_store() {
        let r = resolve_in(vec![
            (DEFAULT_IGNORE_NAME, "0123456789abcdef0123456789abcdef\n"),
            (GITLEAKS_IGNORE_NAME, "a.env:some-rule:3\n"),
        ]);
        assert!(r
            .suppressor
            .fingerprints
            .contains("0123456789abcdef0123456789abcdef"));
        assert!(r
            .suppressor
            .gitleaks_ignored
            .contains(&("a.env".to_string(), 3)));
    }

    #[test]
    fn bad_ignore_file_names_file_and_line() {
        let err = resolve(
            &Memory(vec![(DEFAULT_IGNORE_NAME, "# ok\nnot-a-fingerprint\n")]),
            &ConfigRequest::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("mem:.keyhoundignore"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn explicit_files_must_exist() {
        let missing = PathBuf::from("/nonexistent/keyhound-test/config.toml");
        for request in [
            ConfigRequest {
                config: Some(missing.clone()),
                ..Default::default()
            },
            ConfigRequest {
                ignore_file: Some(missing.clone()),
                ..Default::default()
            },
        ] {
            let err = resolve(&Memory(vec![]), &request).unwrap_err().to_string();
            assert!(err.contains("config.toml"), "{err}");
        }
    }
}
