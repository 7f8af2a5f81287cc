//! Scrub plans: what `git filter-repo` needs to remove found secrets from history, and a runbook. A plan
//! is made from a history scan's findings while their secrets are still in memory (`scan git
//! --scrub-plan DIR`); it writes three files: `replacements.txt` (for `--replace-text`: each secret mapped
//! to `***REMOVED-<rule>***`; it necessarily holds the secrets, so it is created with mode 0600 and never
//! printed), `paths.txt` (for `--invert-paths --paths-from-file`: files that are secrets themselves, such as
//! key stores) and `RUNBOOK.md` (rotate first, the commands, the refs holding each secret, force-push and
//! re-clone, what rewriting cannot reach, the verification scan).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use crate::census::Census;
use crate::error::{Error, Result};
use crate::finding::{Finding, CONFIG_CHANGED_RULE};

/// A scrub plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Secret value → the marker that replaces it.
    replacements: BTreeMap<Vec<u8>, String>,
    /// Paths to drop from every commit.
    paths: BTreeSet<String>,
    /// The runbook (markdown; holds no secret).
    pub runbook: String,
}

impl Plan {
    /// The plan for `findings` (with their secret bytes), grouped by `census`.
    pub fn of(findings: &[Finding], census: &Census) -> Plan {
        let mut plan = Plan::default();
        for f in findings.iter().filter(|f| f.rule_id != CONFIG_CHANGED_RULE) {
            if f.secret_bytes.is_empty() {
                plan.paths.insert(f.path.clone());
            } else {
                (plan.replacements.entry(f.secret_bytes.clone()))
                    .or_insert_with(|| format!("***REMOVED-{}***", f.rule_id));
            }
        }
        plan.runbook = runbook(census, !plan.paths.is_empty());
        plan
    }

    /// How many secret values the replacements file rewrites.
    pub fn replacement_count(&self) -> usize {
        self.replacements.len()
    }

    /// The `--replace-text` file's text: one `literal==>marker` line per secret, or a `regex:` line
    /// (escaped) for a secret that spans lines or contains `==>`.
    pub fn replace_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (secret, marker) in &self.replacements {
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

    /// Writes `replacements.txt` (mode 0600), `paths.txt` and `RUNBOOK.md` into `dir` (created).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let io = |path: &Path, e: std::io::Error| Error::Io {
            path: path.to_path_buf(),
            source: e,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let secrets = dir.join("replacements.txt");
        let _ = std::fs::remove_file(&secrets); // a file made earlier keeps its mode when rewritten
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&secrets).map_err(|e| io(&secrets, e))?;
        file.write_all(&self.replace_text())
            .map_err(|e| io(&secrets, e))?;
        let paths = dir.join("paths.txt");
        let text: String = self.paths.iter().map(|p| format!("{p}\n")).collect();
        std::fs::write(&paths, text).map_err(|e| io(&paths, e))?;
        let book = dir.join("RUNBOOK.md");
        std::fs::write(&book, &self.runbook).map_err(|e| io(&book, e))
    }
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
fn runbook(census: &Census, drop_paths: bool) -> String {
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
    if drop_paths {
        md.push_str(
            "git filter-repo --force --invert-paths --paths-from-file \"$PLAN/paths.txt\"\n",
        );
    }
    md.push_str(COMMANDS_TAIL);
    md
}

const COMMANDS_HEAD: &str = "
## 2. Rewrite a fresh mirror

`replacements.txt` holds the secrets themselves (mode 0600): keep it off shared disks and delete it when
done. Work on a fresh mirror clone, never on a working copy:

```sh
PLAN=/path/to/this/plan            # the directory holding this runbook
git clone --mirror <repository-url> repo.git && cd repo.git
git filter-repo --force --replace-text \"$PLAN/replacements.txt\"
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
