//! The trust model: where each kind of scan reads its configuration from, and what it says when the
//! changes under scan touch the scanner's own configuration.
//!
//! A scan gates changes someone else wrote, so nothing in those changes may configure the scan:
//!
//! * a range scan (`A..B`, `--since-commit A`) reads `.keyhound.toml`, `.gitleaks.toml`, `.keyhoundignore`
//!   and `.gitleaksignore` from the root of the trusted side's tree, the commit `A`: never from the
//!   commits under scan nor from the working tree (which holds them). A range with no `A` has no trusted
//!   side and gets the built-in defaults only;
//! * a staged scan reads them from `HEAD` (not from the index or the working tree, which hold what is
//!   being committed); before the first commit, the built-in defaults only;
//! * a full-history or `--branch` scan, and a directory scan, read them from the working tree (a bare
//!   repository: from `HEAD`): the user chose to scan that repository as it is.
//!
//! Files found by name must be regular files (a symbolic link in the trusted commit is an error, never
//! followed into the working tree). A range that adds, modifies or deletes a file with one of those names
//! (at any depth) does not change its own scan, but would change later ones: [`ConfigChange`]s become
//! findings of [`CONFIG_CHANGED_RULE`] (exit 1) unless the caller only wants them noted.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Tree};

use crate::error::{Error, Result};
use crate::finding::{fingerprint, Finding, GitProvenance};
use crate::outcome::{ScanError, ScanOutcome};
use crate::rules::Confidence;
use crate::sources::git::{self as source, CommitMeta, Selection};

use super::discover::{relative_to, ConfigStore, WorkTree, CONFIG_FILE_NAMES, MAX_CONFIG_BYTES};

pub use crate::finding::CONFIG_CHANGED_RULE;

/// The config and ignore files at the root of one commit's tree, read once (the store holds no
/// repository handle). A file that cannot be used (a link, not UTF-8) is an error only when it is asked
/// for: with `--no-repo-config`, or when `.keyhound.toml` wins over `.gitleaks.toml`, it is not.
#[derive(Debug, Clone)]
pub struct GitCommit {
    /// How the commit is named in messages (`origin/main` → `origin/main@1a2b3c4d5e6f`).
    label: String,
    /// The work tree, for placing explicit files given by the user.
    root: Option<PathBuf>,
    /// Each file present: its text, or why it cannot be used.
    files: HashMap<&'static str, std::result::Result<String, String>>,
}

impl GitCommit {
    /// Reads the config files at the root of `commit`, which the user named `label`.
    pub fn read(repo: &Repository, commit: Oid, label: &str) -> Result<Self> {
        let short = &commit.to_string()[..12];
        let label = if commit.to_string().starts_with(label) {
            short.to_string()
        } else {
            format!("{label}@{short}")
        };
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| Error::Git(format!("tree of {label}: {}", e.message())))?;
        let mut files = HashMap::new();
        for name in CONFIG_FILE_NAMES {
            if let Some(text) = regular_file(repo, &tree, name).transpose() {
                files.insert(name, text);
            }
        }
        Ok(GitCommit {
            label,
            root: repo.workdir().map(Path::to_path_buf),
            files,
        })
    }

    /// The commit as messages name it.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// The text of the regular file `name` at the root of `tree`; why it cannot be used when the entry is
/// anything else.
fn regular_file(
    repo: &Repository,
    tree: &Tree<'_>,
    name: &str,
) -> std::result::Result<Option<String>, String> {
    let Some(entry) = tree.get_name(name) else {
        return Ok(None);
    };
    if entry.kind() != Some(ObjectType::Blob) || !source::is_file_mode(entry.filemode()) {
        return Err(
            "is not a regular file (a symbolic link, directory or submodule); keyhound \
                    reads configuration only from regular files"
                .into(),
        );
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| format!("cannot be read: {}", e.message()))?;
    if blob.size() as u64 > MAX_CONFIG_BYTES {
        return Err(format!("is larger than {MAX_CONFIG_BYTES} bytes"));
    }
    String::from_utf8(blob.content().to_vec())
        .map(Some)
        .map_err(|_| "is not UTF-8 text".into())
}

impl ConfigStore for GitCommit {
    fn read(&self, name: &str) -> Result<Option<String>> {
        match self.files.get(name) {
            None => Ok(None),
            Some(Ok(text)) => Ok(Some(text.clone())),
            Some(Err(message)) => Err(Error::Config {
                path: self.display_path(name),
                message: message.clone(),
            }),
        }
    }
    fn display_path(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("{}:{name}", self.label))
    }
    fn relative(&self, path: &Path) -> Option<String> {
        relative_to(path, self.root.as_deref()?)
    }
}

/// No configuration from the repository: the built-in defaults (and explicit files only).
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// The work tree, for placing explicit files given by the user.
    root: Option<PathBuf>,
}

impl ConfigStore for Defaults {
    fn read(&self, _: &str) -> Result<Option<String>> {
        Ok(None)
    }
    fn display_path(&self, name: &str) -> PathBuf {
        PathBuf::from(name)
    }
    fn relative(&self, path: &Path) -> Option<String> {
        relative_to(path, self.root.as_deref()?)
    }
}

/// Where a git scan reads its configuration from (see the module doc), and a note saying so.
pub struct Trusted {
    /// The store config and ignore files are read from.
    pub store: Box<dyn ConfigStore>,
    /// Where configuration comes from, in words, when it is not the working tree.
    pub note: Option<String>,
}

/// The configuration source of a history scan of `repo` over `selection`.
pub fn for_history(repo: &Repository, selection: &Selection) -> Result<Trusted> {
    let root = repo.workdir().map(Path::to_path_buf);
    match (selection, &root) {
        (
            Selection::Range {
                exclude: Some(base),
                ..
            },
            _,
        ) => {
            let commit = GitCommit::read(repo, source::resolve_commit(repo, base)?, base)?;
            let note = format!(
                "configuration is read from the range's base {}, not from the changes under scan",
                commit.label()
            );
            Ok(Trusted {
                store: Box::new(commit),
                note: Some(note),
            })
        }
        (Selection::Range { exclude: None, .. }, _) => Ok(Trusted {
            store: Box::new(Defaults { root }),
            note: Some(
                "the range has no base to read configuration from: built-in defaults only".into(),
            ),
        }),
        (_, Some(workdir)) => Ok(Trusted {
            store: Box::new(WorkTree::new(workdir)),
            note: None,
        }),
        (_, None) => head_or_defaults(repo, "a bare repository"),
    }
}

/// The configuration source of a staged scan: `HEAD`, never the index or the working tree. When the
/// commit itself changes a config file, the note says that change applies from the next commit on.
pub fn for_staged(repo: &Repository) -> Result<Trusted> {
    let mut trusted = head_or_defaults(repo, "a staged scan")?;
    let staged = staged_config_files(repo)?;
    if !staged.is_empty() {
        let note = format!(
            "this commit changes {}: configuration is read from HEAD, so the change applies from the \
             next commit on (commit it on its own first to use it now)",
            staged.join(", ")
        );
        trusted.note = Some(match trusted.note {
            Some(before) => format!("{before}; {note}"),
            None => note,
        });
    }
    Ok(trusted)
}

/// The config files the commit being made adds or changes: index entries named like a config file whose
/// blob is not HEAD's at that path. Only those entries are compared (a whole HEAD-to-index diff with rename
/// detection costs more than the rest of a pre-commit scan); a rename onto a config name counts, as the
/// file is new at that path.
fn staged_config_files(repo: &Repository) -> Result<Vec<String>> {
    let index = source::commit_index(repo)?;
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut changed = Vec::new();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path);
        if !is_config_name(&path) || !source::is_file_mode(entry.mode as i32) {
            continue;
        }
        let at_head = head_tree
            .as_ref()
            .and_then(|tree| tree.get_path(Path::new(path.as_ref())).ok())
            .map(|e| e.id());
        if at_head != Some(entry.id) {
            changed.push(path.into_owned());
        }
    }
    Ok(changed)
}

/// True when the last component of `path` is one of [`CONFIG_FILE_NAMES`], in any letter case (on a
/// case-insensitive file system `.KeyHound.toml` is the config).
fn is_config_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    CONFIG_FILE_NAMES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

fn head_or_defaults(repo: &Repository, what: &str) -> Result<Trusted> {
    match repo.head().ok().and_then(|h| h.target()) {
        Some(head) => Ok(Trusted {
            store: Box::new(GitCommit::read(repo, head, "HEAD")?),
            note: None,
        }),
        None => Ok(Trusted {
            store: Box::new(Defaults {
                root: repo.workdir().map(Path::to_path_buf),
            }),
            note: Some(format!(
                "{what} without commits has no configuration to trust: built-in defaults only"
            )),
        }),
    }
}

/// How a change touched a scanner configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The file is new.
    Added,
    /// The file's content or mode changed.
    Modified,
    /// The file is gone.
    Deleted,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// A scanner configuration file the changes under scan touch.
#[derive(Debug, Clone)]
pub struct ConfigChange {
    /// Its path (`/`-separated, from the repository root).
    pub path: String,
    /// How.
    pub kind: ChangeKind,
    /// The newest commit of the range that changed it, when found.
    pub commit: Option<CommitMeta>,
}

/// The scanner configuration files (any of [`CONFIG_FILE_NAMES`] in any letter case, at any depth) a
/// range changes: what its tip holds that differs from the merge base with the range's base (every
/// merge base, when there are several), as a pull request's diff shows it. Not a range: nothing.
pub fn config_changes(repo: &Repository, selection: &Selection) -> Result<Vec<ConfigChange>> {
    let Selection::Range { include, exclude } = selection else {
        return Ok(Vec::new());
    };
    let git = |what: &str, e: git2::Error| Error::Git(format!("{what}: {}", e.message()));
    let tip = source::resolve_commit(repo, include)?;
    let bases: Vec<Option<Oid>> = match exclude {
        Some(base) => {
            let base = source::resolve_commit(repo, base)?;
            match repo.merge_bases(base, tip) {
                Ok(found) if !found.is_empty() => found.iter().map(|o| Some(*o)).collect(),
                _ => vec![None], // unrelated histories: everything at the tip is new
            }
        }
        None => vec![None],
    };
    let tree_of = |oid: Oid| {
        repo.find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(|e| git(&format!("tree of {oid}"), e))
    };
    let tip_tree = tree_of(tip)?;
    let mut changed: BTreeMap<String, ChangeKind> = BTreeMap::new();
    for base in bases {
        let base_tree = base.map(tree_of).transpose()?;
        let mut opts = git2::DiffOptions::new();
        // Submodule entries are compared too: a gitlink under a config's name is a change to report.
        opts.include_typechange(true);
        let diff = repo
            .diff_tree_to_tree(base_tree.as_ref(), Some(&tip_tree), Some(&mut opts))
            .map_err(|e| git("diff of the range", e))?;
        for delta in diff.deltas() {
            let kind = match delta.status() {
                git2::Delta::Added => ChangeKind::Added,
                git2::Delta::Deleted => ChangeKind::Deleted,
                _ => ChangeKind::Modified,
            };
            for file in [delta.old_file(), delta.new_file()] {
                let Some(path) = file.path_bytes().map(String::from_utf8_lossy) else {
                    continue;
                };
                if is_config_name(&path) {
                    changed.entry(path.into_owned()).or_insert(kind);
                }
            }
        }
    }
    let mut commits = last_commits_touching(repo, tip, exclude.as_deref(), &changed)?;
    Ok(changed
        .into_iter()
        .map(|(path, kind)| ConfigChange {
            commit: commits.remove(&path),
            path,
            kind,
        })
        .collect())
}

/// For each path, the newest commit of the range whose version of it differs from its first parent's.
fn last_commits_touching(
    repo: &Repository,
    tip: Oid,
    exclude: Option<&str>,
    paths: &BTreeMap<String, ChangeKind>,
) -> Result<HashMap<String, CommitMeta>> {
    let mut found = HashMap::new();
    if paths.is_empty() {
        return Ok(found);
    }
    let git = |e: git2::Error| Error::Git(format!("walking the range: {}", e.message()));
    let mut walk = repo.revwalk().map_err(git)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL).map_err(git)?;
    walk.push(tip).map_err(git)?;
    if let Some(base) = exclude {
        walk.hide(source::resolve_commit(repo, base)?)
            .map_err(git)?;
    }
    let entry = |tree: Option<&Tree<'_>>, path: &str| {
        tree.and_then(|t| t.get_path(Path::new(path)).ok())
            .map(|e| (e.id(), e.filemode()))
    };
    for oid in walk {
        let Ok(commit) = repo.find_commit(oid.map_err(git)?) else {
            continue;
        };
        let tree = commit.tree().ok();
        let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
        for path in paths.keys() {
            if !found.contains_key(path)
                && entry(tree.as_ref(), path) != entry(parent.as_ref(), path)
            {
                found.insert(path.clone(), source::commit_meta(&commit));
            }
        }
        if found.len() == paths.len() {
            break;
        }
    }
    Ok(found)
}

/// Adds `changes` to `outcome`: a note each, and, when `gate`, a [`CONFIG_CHANGED_RULE`] finding each at
/// the file (so that the scan exits 1 and the change is reviewed before it takes effect). Changes that
/// could not be listed are an error of the scan: it is incomplete.
pub fn report_config_changes(
    outcome: &mut ScanOutcome,
    changes: &Result<Vec<ConfigChange>>,
    gate: bool,
) {
    let changes = match changes {
        Ok(changes) => changes,
        Err(e) => {
            outcome.errors.push(ScanError {
                path: "<range>".into(),
                message: format!("the scanner configuration files the range changes: {e}"),
            });
            outcome.stats.errors = outcome.errors.len() as u64;
            return;
        }
    };
    for change in changes {
        outcome.notes.push(format!(
            "scanner configuration {} in the changes under scan: {} (it does not apply to this scan; \
             it would apply to later ones)",
            change.kind.as_str(),
            change.path
        ));
    }
    if gate {
        outcome.add_findings(changes.iter().map(change_finding).collect());
    }
}

fn change_finding(change: &ConfigChange) -> Finding {
    let what = format!("({} in this range)", change.kind.as_str());
    Finding {
        rule_id: CONFIG_CHANGED_RULE.into(),
        rule_name: "Scanner configuration changed".into(),
        description: Some(
            "A change under scan adds, edits or deletes a file that configures keyhound (rules, \
             allowlists, ignored fingerprints). It did not apply to this scan, but would apply to \
             later ones: review it as a change to the security gate."
                .into(),
        ),
        confidence: Confidence::High,
        path: change.path.clone(),
        repository: None,
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        fingerprint: fingerprint(CONFIG_CHANGED_RULE, &change.path, what.as_bytes()),
        redacted: what.clone(),
        secret: None,
        entropy: 0.0,
        decoded: None,
        related: None,
        also_related: Vec::new(),
        git: change.commit.as_ref().map(|meta| GitProvenance {
            commit: meta.id.clone(),
            author_name: meta.author_name.clone(),
            author_email: meta.author_email.clone(),
            date: meta.date.clone(),
            summary: meta.summary.clone(),
            commits: 1,
            present_at_head: change.kind != ChangeKind::Deleted,
            refs: Vec::new(),
        }),
        verification: None,
        secret_id: String::new(),
        context: Vec::new(),
        excerpt: None,
        // Not a secret: what `--show-secrets` prints for it.
        secret_bytes: what.as_bytes().to_vec(),
        rule_index: usize::MAX,
    }
}
