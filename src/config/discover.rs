//! Which config and ignore files apply to a scan, and their resolution into the rule set and the
//! [`Suppressor`]. The decisions live here, not in the CLI:
//!
//! * the config: `--config` when given (a missing file is an error), else `.keyhound.toml` at the root of
//!   what is scanned, else a `.gitleaks.toml` there (a team switching tools keeps its rules), else none;
//! * the ignore files: `--ignore-file` when given (it must exist; it then replaces both of the
//!   repository's ignore files), else `.keyhoundignore` and a `.gitleaksignore`, whose reviewed findings
//!   keep being silenced;
//! * `--no-repo-config`: no file is looked up by name at all, only the explicit ones are read;
//! * the config's own rule examples are exempt from the scan in the config file (they are not leaks);
//!   nothing else in that file is.
//!
//! Files found by name are read through a [`ConfigStore`]: where config comes from is a parameter, so
//! a scan reads them from the working tree ([`WorkTree`]) or from a trusted commit
//! ([`super::trust::GitCommit`]); [`super::trust`] decides which for each scan mode. Explicit paths
//! given by the user are always read from disk. Files found by name must be regular files of at most
//! [`MAX_CONFIG_BYTES`]: a link or a device planted under a config's name is an error, never followed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::rules::RuleSet;
use crate::suppress::ignorefile::{self, GitleaksIgnore};
use crate::suppress::{ConfigExamples, Suppressor};

use super::file::Config;

/// The default config file name, looked up at the scan root.
pub const DEFAULT_CONFIG_NAME: &str = ".keyhound.toml";
/// A gitleaks config, used when there is no keyhound config at the scan root.
pub const GITLEAKS_CONFIG_NAME: &str = ".gitleaks.toml";
/// The default ignore-file name, looked up at the scan root.
pub const DEFAULT_IGNORE_NAME: &str = ".keyhoundignore";
/// gitleaks' ignore file, also read at the scan root.
pub const GITLEAKS_IGNORE_NAME: &str = ".gitleaksignore";
/// Every file name a repository configures the scanner with.
pub const CONFIG_FILE_NAMES: [&str; 4] = [
    DEFAULT_CONFIG_NAME,
    GITLEAKS_CONFIG_NAME,
    DEFAULT_IGNORE_NAME,
    GITLEAKS_IGNORE_NAME,
];
/// The largest config or ignore file read (a bound on memory, whatever a repository holds).
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

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
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let refuse = |message: String| Error::Config {
            path: path.clone(),
            message,
        };
        if !meta.file_type().is_file() {
            return Err(refuse(format!(
                "is not a regular file (a symbolic link, directory or device); keyhound reads {name} \
                 only as a regular file: give a file elsewhere with an explicit option"
            )));
        }
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(refuse(format!("is larger than {MAX_CONFIG_BYTES} bytes")));
        }
        std::fs::read_to_string(&path)
            .map(Some)
            .map_err(|source| Error::Io { path, source })
    }

    fn display_path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn relative(&self, path: &Path) -> Option<String> {
        relative_to(path, &self.root)
    }
}

/// `path` relative to `root` (`/`-separated), when it lies inside it.
pub fn relative_to(path: &Path, root: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    let rel = path.strip_prefix(&root).ok()?;
    Some(
        rel.to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/"),
    )
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct ConfigRequest {
    /// `--config`: this file, instead of looking one up.
    pub config: Option<PathBuf>,
    /// `--ignore-file`: this file of fingerprints, instead of `.keyhoundignore` and `.gitleaksignore`.
    pub ignore_file: Option<PathBuf>,
    /// `--no-repo-config`: read no config or ignore file from what is scanned, only explicit ones.
    pub no_repo_config: bool,
}

/// A scan's configuration, resolved.
#[derive(Debug)]
pub struct Resolved {
    /// The config that applies (`Config::default()` when there is none); its `warnings` are worth
    /// telling the user.
    pub config: Config,
    /// The built-in rules with the config applied.
    pub rules: RuleSet,
    /// The config's allowlist, the ignore files' entries and the exemption of the config's examples.
    pub suppressor: Suppressor,
}

impl Resolved {
    /// What the user should be told about the config, for the report's notes and stderr: each warning
    /// of the config, prefixed with its file.
    pub fn notes(&self) -> Vec<String> {
        let Some(path) = &self.config.path else {
            return Vec::new();
        };
        self.config
            .warnings
            .iter()
            .map(|w| format!("{}: {w}", path.display()))
            .collect()
    }
}

/// Decides which config and ignore files apply (see the module doc), reads them and resolves them.
pub fn resolve(store: &dyn ConfigStore, request: &ConfigRequest) -> Result<Resolved> {
    let store = Scoped { store, request };
    let (config, exempt) = find_config(&store, request)?;
    let rules = config.rules()?;
    let suppressor = Suppressor {
        global: config.allowlist()?,
        fingerprints: fingerprints(&store, request)?,
        // An explicit ignore file replaces the repository's, gitleaks' included.
        gitleaks_ignored: match request.ignore_file {
            Some(_) => GitleaksIgnore::default(),
            None => gitleaks_ignored(&store)?,
        },
        config_examples: exempt.map(|path| ConfigExamples {
            path,
            examples: config.examples(),
        }),
    };
    Ok(Resolved {
        config,
        rules,
        suppressor,
    })
}

/// A store seen through the request: with `--no-repo-config` it holds nothing.
struct Scoped<'a> {
    store: &'a dyn ConfigStore,
    request: &'a ConfigRequest,
}

impl ConfigStore for Scoped<'_> {
    fn read(&self, name: &str) -> Result<Option<String>> {
        if self.request.no_repo_config {
            return Ok(None);
        }
        self.store.read(name)
    }
    fn display_path(&self, name: &str) -> PathBuf {
        self.store.display_path(name)
    }
    fn relative(&self, path: &Path) -> Option<String> {
        self.store.relative(path)
    }
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
fn gitleaks_ignored(store: &dyn ConfigStore) -> Result<GitleaksIgnore> {
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
        // Only the config's examples are exempt, and only in the config file itself.
        assert!(!r.suppressor.global.allows_path(".keyhound.toml"));
        let examples = r.suppressor.config_examples.as_ref().unwrap();
        assert_eq!(examples.path, ".keyhound.toml");
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
        assert!(!r.suppressor.global.allows_path(".gitleaks.toml"));
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
        assert!(r.suppressor.gitleaks_ignored.matches("a.env", 3));
    }

    #[test]
    fn config_examples_are_exempt_in_the_config_file_only() {
        let r = resolve_in(vec![(
            DEFAULT_CONFIG_NAME,
            "[[rule]]\nid = \"acme\"\nname = \"ACME\"\nregex = '''(acme_[a-z]{8})'''\nkeywords = [\"acme_\"]\nexamples = [\"key = acme_abcdefgh\"]\nnegative_examples = [\"acme_no\"]\n",
        )]);
        let examples = r.suppressor.config_examples.as_ref().unwrap();
        assert!(examples.exempts(".keyhound.toml", b"acme_abcdefgh"));
        assert!(!examples.exempts(".keyhound.toml", b"acme_zzzzzzzz"));
        assert!(!examples.exempts("src/a.env", b"acme_abcdefgh"));
        assert!(!examples.exempts(".keyhound.toml", b""));
    }

    #[test]
    fn no_repo_config_reads_nothing_by_name() {
        let files = vec![
            (DEFAULT_CONFIG_NAME, "[allowlist]\npaths = ['''.*''']\n"),
            (DEFAULT_IGNORE_NAME, "0123456789abcdef0123456789abcdef\n"),
            (GITLEAKS_IGNORE_NAME, "a.env:some-rule:3\n"),
        ];
        let request = ConfigRequest {
            no_repo_config: true,
            ..Default::default()
        };
        let r = resolve(&Memory(files), &request).unwrap();
        assert!(r.config.path.is_none());
        assert!(!r.suppressor.global.allows_path("a.env"));
        assert!(r.suppressor.fingerprints.is_empty());
        assert!(r.suppressor.gitleaks_ignored.is_empty());
    }

    #[test]
    fn an_explicit_ignore_file_replaces_gitleaksignore_too() {
        let dir = tempfile::tempdir().unwrap();
        let ignore = dir.path().join("reviewed");
        std::fs::write(&ignore, "").unwrap();
        let request = ConfigRequest {
            ignore_file: Some(ignore),
            ..Default::default()
        };
        let r = resolve(
            &Memory(vec![(GITLEAKS_IGNORE_NAME, "a.env:some-rule:3\n")]),
            &request,
        )
        .unwrap();
        assert!(r.suppressor.gitleaks_ignored.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_or_device_under_a_configs_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(DEFAULT_CONFIG_NAME)).unwrap();
        let err = resolve(&WorkTree::new(dir.path()), &ConfigRequest::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a regular file"), "{err}");
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
