//! Scrub plans: what `git filter-repo` needs to remove found secrets from history, and a runbook. A plan
//! is made from a history scan's findings (`keyhound scrub-plan`, `scan git --scrub-plan DIR`) or from a
//! saved JSON report (`scrub-plan --from-report`), after [`confirm`] has read every secret back from the
//! repository and matched it to its finding. It writes `replacements.txt` (for `--replace-text`: each
//! secret mapped to `***REMOVED-<rule>***`; it necessarily holds the secrets, so it is created with mode
//! 0600 and never printed), `messages.txt` (the same for `--replace-message`: secrets found in commit
//! messages, also 0600), `paths.txt` (for `--invert-paths --paths-from-file`: files that are secrets
//! themselves, such as key stores) and `RUNBOOK.md` (rotate first, the commands, the refs holding each
//! secret, force-push and re-clone, what rewriting cannot reach, the verification scan).

pub mod confirm;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use crate::census::Census;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::finding::{Finding, Fingerprints, CONFIG_CHANGED_RULE};
use crate::outcome::ScanOutcome;
use crate::sources::archive::SEPARATOR as ARCHIVE_SEPARATOR;
use crate::sources::git::COMMIT_MESSAGE_PATH;

/// The plan for `outcome`'s findings in the repository at `path`: each secret read back and confirmed
/// ([`confirm`]; a finding from a report gets its secret there), then grouped by the census. Refused
/// when the scan (or the report) is incomplete, since a plan that misses a secret leaves it in history,
/// and when any finding does not match the repository.
pub fn plan(
    path: &Path,
    engine: &Engine,
    fingerprints: &Fingerprints,
    outcome: &mut ScanOutcome,
) -> Result<Plan> {
    if outcome.fingerprint_key.as_deref() != fingerprints.key_id() {
        return Err(Error::Refused(
            "no scrub plan written: the findings' fingerprints were made under another fingerprint \
             key than this run's (KEYHOUND_FINGERPRINT_KEY); run with the key they were made with"
                .into(),
        ));
    }
    if !outcome.errors.is_empty() {
        return Err(Error::Refused(format!(
            "no scrub plan written: the scan is incomplete ({} input(s) could not be read, e.g. {}); \
             a plan made from it could leave a secret in history",
            outcome.errors.len(),
            outcome.errors[0].path
        )));
    }
    let confirmed =
        confirm::Repository::open(path, engine, fingerprints)?.confirm(&mut outcome.findings)?;
    let census = Census::of_findings(&outcome.findings);
    Ok(Plan::of(&outcome.findings, &confirmed, &census))
}

/// A scrub plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Text in files → the marker that replaces it.
    replacements: BTreeMap<Vec<u8>, String>,
    /// Text in commit messages → the marker that replaces it.
    messages: BTreeMap<Vec<u8>, String>,
    /// Paths to drop from every commit.
    paths: BTreeSet<String>,
    /// Archives among them, dropped because an entry holds a secret.
    archives: BTreeSet<String>,
    /// The runbook (markdown; holds no secret).
    pub runbook: String,
}

impl Plan {
    /// The plan for `findings`, whose texts [`confirm`] read back from the repository (`confirmed`, one
    /// per finding), grouped by `census`.
    pub fn of(findings: &[Finding], confirmed: &[confirm::Confirmed], census: &Census) -> Plan {
        let mut plan = Plan::default();
        for (f, c) in findings.iter().zip(confirmed) {
            if f.rule_id == CONFIG_CHANGED_RULE {
                continue;
            }
            let marker = || format!("***REMOVED-{}***", f.rule_id);
            if let Some((outer, _)) = f.path.split_once(ARCHIVE_SEPARATOR) {
                // inside an archive the secret is compressed: only dropping the archive removes it
                plan.archives.insert(outer.to_string());
                plan.paths.insert(outer.to_string());
            } else if c.text.is_empty() {
                plan.paths.insert(f.path.clone());
            } else if f.git.is_some() && f.path == COMMIT_MESSAGE_PATH {
                plan.messages.entry(c.text.clone()).or_insert_with(marker);
            } else {
                plan.replacements
                    .entry(c.text.clone())
                    .or_insert_with(marker);
            }
        }
        plan.runbook = runbook(census, &plan);
        plan
    }

    /// How many secret values the replacements and messages files rewrite.
    pub fn replacement_count(&self) -> usize {
        self.replacements.len() + self.messages.len()
    }

    /// The `--replace-text` file's text: one `literal==>marker` line per secret, or a `regex:` line
    /// (escaped) for a secret that spans lines or contains `==>`.
    pub fn replace_text(&self) -> Vec<u8> {
        expressions(&self.replacements)
    }

    /// The `--replace-message` file's text, in the same form.
    pub fn replace_message(&self) -> Vec<u8> {
        expressions(&self.messages)
    }

    /// Writes `replacements.txt` and `messages.txt` (mode 0600), `paths.txt` and `RUNBOOK.md` into
    /// `dir` (created).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let io = |path: &Path, e: std::io::Error| Error::Io {
            path: path.to_path_buf(),
            source: e,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        write_private(&dir.join("replacements.txt"), &self.replace_text())?;
        write_private(&dir.join("messages.txt"), &self.replace_message())?;
        let paths = dir.join("paths.txt");
        let text: Vec<u8> = (self.paths.iter())
            .flat_map(|p| [&*crate::repotext::path_bytes(p), b"\n"].concat())
            .collect();
        std::fs::write(&paths, text).map_err(|e| io(&paths, e))?;
        let book = dir.join("RUNBOOK.md");
        std::fs::write(&book, &self.runbook).map_err(|e| io(&book, e))
    }
}

/// A filter-repo expressions file: one `literal==>marker` line per text, or a `regex:` line (escaped)
/// for a text that spans lines or contains `==>`.
fn expressions(texts: &BTreeMap<Vec<u8>, String>) -> Vec<u8> {
    let mut out = Vec::new();
    for (secret, marker) in texts {
        let multiline = secret.iter().any(|b| *b == b'\n' || *b == b'\r');
        if multiline || memchr::memmem::find(secret, b"==>").is_some() {
            out.extend_from_slice(b"regex:");
            out.extend(regex_escape(secret));
        } else {
            out.extend_from_slice(secret);
        }
        out.extend_from_slice(b"==>");
        out.extend_from_slice(marker.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Writes `bytes` to a new file at `path` readable by its owner only (a file made earlier is removed
/// first: it would keep its mode when rewritten).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(io)
}

/// `secret` as a Python regex matching it literally (`\n` for a newline, punctuation escaped).
fn regex_escape(secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in secret {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b if b.is_ascii_alphanumeric() || b >= 0x80 => out.push(b),
            b => out.extend_from_slice(&[b'\\', b]),
        }
    }
    out
}

/// The runbook: rotate first, then rewrite, push, re-clone, and verify.
fn runbook(census: &Census, plan: &Plan) -> String {
    let (drop_paths, messages) = (!plan.paths.is_empty(), !plan.messages.is_empty());
    let mut md = String::from("# Removing secrets from history\n\n## 1. Rotate first\n\n");
    md.push_str(
        "Rewriting history does not un-leak a secret: anyone who cloned or forked the repository, ",
    );
    md.push_str(
        "and every cache, still has it. Rotate each one at its provider before anything else.\n\n",
    );
    md.push_str(&format!("{}:\n\n", census.headline()));
    for s in &census.secrets {
        let refs = if s.refs.is_empty() {
            String::from("(no branch or tag)")
        } else {
            s.refs.join(", ")
        };
        let at: Vec<String> = s.locations.iter().map(|l| l.path.clone()).collect();
        md.push_str(&format!(
            "- [ ] **{}** `{}` ({}) in {}; refs containing it: {}\n",
            s.provider.as_deref().unwrap_or("Unknown provider"),
            s.redacted,
            s.rules.join(", "),
            at.into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", "),
            refs
        ));
        if let Some(r) = &s.rotate {
            let console = s
                .console
                .as_deref()
                .map(|c| format!(" <{c}>"))
                .unwrap_or_default();
            md.push_str(&format!("  - rotate: {r}{console}\n"));
        }
    }
    md.push_str(COMMANDS_HEAD);
    md.push_str("git filter-repo --force --replace-text \"$PLAN/replacements.txt\"");
    if messages {
        md.push_str(" --replace-message \"$PLAN/messages.txt\"");
    }
    md.push('\n');
    if drop_paths {
        md.push_str(
            "git filter-repo --force --invert-paths --paths-from-file \"$PLAN/paths.txt\"\n",
        );
    }
    md.push_str(COMMANDS_TAIL);
    if !plan.archives.is_empty() {
        md.push_str(&format!(
            "\n## Archives\n\nA secret inside an archive is compressed, so `--replace-text` cannot reach \
             it: these archives are dropped with `paths.txt` (rebuild them without the secret and commit \
             them again if they are needed): {}.\n",
            plan.archives.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    md
}

const COMMANDS_HEAD: &str = "
## 2. Rewrite a fresh mirror

`replacements.txt` (and `messages.txt`, for secrets in commit messages) hold the secrets themselves
(mode 0600): keep them off shared disks and delete them when done. Work on a fresh mirror clone, never
on a working copy:

```sh
PLAN=/path/to/this/plan            # the directory holding this runbook
git clone --mirror <repository-url> repo.git && cd repo.git
";

const COMMANDS_TAIL: &str = "```

## 3. Push and re-clone

```sh
git push --force --mirror origin   # every branch and tag listed above is rewritten
```

Branch protection may have to be lifted for the push. Then every collaborator deletes their clone and
clones again (a pull would merge the old history back in); open pull requests are re-created from the
rewritten branches.

## 4. What rewriting cannot reach

Forks and existing clones; pull-request refs (`refs/pull/*`) and cached views on the hosting service
(ask its support to purge them and run its garbage collection); CI logs, build artefacts and container
images that captured the secret; package registries and mirrors; backups. That is why step 1 comes first.

## 5. Verify

```sh
git clone <repository-url> check && keyhound scan git check   # must report nothing
```
";
