//! Before a plan is written, every finding's secret is read back from the repository at the place the
//! finding names (the blob its commit holds at its path, the commit's message, or the working-tree file)
//! and confirmed against the finding's fingerprint. That is how a plan can be made from a saved report,
//! which is redacted: the report says where, the repository says what. It also gives the text
//! `git filter-repo` must replace, which for a secret found by decoding is the encoded text in the file,
//! not the decoded secret. A finding that does not match is refused by name; no partial plan is written.

use std::path::{Component, Path, PathBuf};

use crate::engine::locate::{offset, Position};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::finding::{Finding, Fingerprints, CONFIG_CHANGED_RULE};
use crate::sources::{archive, git};

/// What the repository holds for one finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confirmed {
    /// The bytes to replace in history (the encoded text, for a secret found by decoding); empty for a
    /// file that is a secret itself, which is dropped by path instead.
    pub text: Vec<u8>,
}

/// Where findings are read back from.
pub struct Repository<'a> {
    repo: git2::Repository,
    root: PathBuf,
    engine: &'a Engine,
    fingerprints: &'a Fingerprints,
}

impl<'a> Repository<'a> {
    /// The repository at or above `path`; `engine` re-finds secrets that were found by decoding, and
    /// fingerprints are computed under `fingerprints` (the scheme the findings were made under).
    pub fn open(path: &Path, engine: &'a Engine, fingerprints: &'a Fingerprints) -> Result<Self> {
        let repo = git::open(path)?;
        let root = (repo.workdir())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| repo.path().to_path_buf());
        Ok(Repository {
            repo,
            root,
            engine,
            fingerprints,
        })
    }

    /// Reads back every finding's secret and confirms it (see the module doc). A finding read from a
    /// report gets its secret bytes. Refused, naming every finding that does not match, when any
    /// does not.
    pub fn confirm(&self, findings: &mut [Finding]) -> Result<Vec<Confirmed>> {
        let mut confirmed = Vec::with_capacity(findings.len());
        let mut refused = Vec::new();
        for (i, f) in findings.iter_mut().enumerate() {
            if f.rule_id == CONFIG_CHANGED_RULE {
                confirmed.push(Confirmed::default());
                continue;
            }
            match self.read_back(f) {
                Ok((secret, text)) => {
                    if f.secret_bytes.is_empty() {
                        f.secret_bytes = secret;
                    }
                    confirmed.push(Confirmed { text });
                }
                Err(why) => refused.push(format!("finding {i} ({}): {why}", describe(f))),
            }
        }
        if refused.is_empty() {
            return Ok(confirmed);
        }
        Err(Error::Refused(format!(
            "no scrub plan written: {} finding(s) could not be confirmed in the repository:\n  {}",
            refused.len(),
            refused.join("\n  ")
        )))
    }

    /// The secret and the text to replace for `f`, or why they could not be confirmed.
    fn read_back(&self, f: &Finding) -> std::result::Result<(Vec<u8>, Vec<u8>), String> {
        let content = self.content(f)?.ok_or("the repository has no file there")?;
        let path_only = (self.engine.rules().get(&f.rule_id))
            .ok_or("its rule is not in the rule set (pass the same --config the scan used)")?
            .is_path_only();
        if path_only {
            return match self.fingerprint(f, b"") == f.fingerprint {
                true => Ok((Vec::new(), Vec::new())),
                false => Err("its fingerprint does not match its rule and path".into()),
            };
        }
        let at = |line, column| offset(&content, Position { line, column });
        let (Some(start), Some(end)) = (at(f.line, f.column), at(f.end_line, f.end_column)) else {
            return Err("the file there has no such line and column".into());
        };
        let raw = content.get(start..end).ok_or("the span is empty")?;
        if raw.is_empty() {
            return Err("the span is empty".into());
        }
        if self.fingerprint(f, raw) == f.fingerprint {
            return Ok((raw.to_vec(), raw.to_vec()));
        }
        if f.decoded.is_some() {
            if let Some(secret) = self.decoded(f, raw) {
                return Ok((secret, raw.to_vec()));
            }
        }
        Err(
            "the text there does not match the finding's fingerprint (the repository changed, or \
             the report is not of this repository)"
                .into(),
        )
    }

    /// The content `f` was found in: its commit's blob or message, or the working-tree file; for an
    /// entry of an archive (`a.zip!/conf/.env`), that entry as the scan expanded it.
    fn content(&self, f: &Finding) -> std::result::Result<Option<Vec<u8>>, String> {
        let Some((outer, entry)) = f.path.split_once(archive::SEPARATOR) else {
            return self.file(f, &f.path);
        };
        let Some(bytes) = self.file(f, outer)? else {
            return Ok(None);
        };
        let mut found = None;
        archive::expand(&bytes, archive::LIMITS, &mut |name, content| {
            if found.is_none() && name == entry {
                found = Some(content.to_vec());
            }
        });
        Ok(found)
    }

    /// The file at `path` where `f` was found: in its commit, or in the working tree.
    fn file(&self, f: &Finding, path: &str) -> std::result::Result<Option<Vec<u8>>, String> {
        if let Some(g) = &f.git {
            return git::content_at(&self.repo, &g.commit, path).map_err(|e| e.to_string());
        }
        let rel = crate::repotext::path_buf(path);
        let inside = rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !inside {
            return Err("its path leaves the repository".into());
        }
        match std::fs::read(self.root.join(&rel)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("reading it: {e}")),
        }
    }

    /// The fingerprint `f` would have if `secret` were its secret.
    fn fingerprint(&self, f: &Finding, secret: &[u8]) -> String {
        self.fingerprints.fingerprint(&f.rule_id, &f.path, secret)
    }

    /// The decoded secret in the encoded text `raw` whose fingerprint is `f`'s.
    fn decoded(&self, f: &Finding, raw: &[u8]) -> Option<Vec<u8>> {
        let mut matches = Vec::new();
        self.engine
            .scan_any_path(raw, &mut self.engine.scratch(), &mut matches);
        matches.into_iter().find_map(|m| {
            let secret = m.decoded?.secret;
            let same = self.engine.rule(m.rule).id == f.rule_id
                && self.fingerprint(f, &secret) == f.fingerprint;
            same.then_some(secret)
        })
    }
}

/// `github-pat-classic at config/b.env:2:14 in commit 1a2b3c4d`, for refusals.
fn describe(f: &Finding) -> String {
    let commit = (f.git.as_ref())
        .map(|g| {
            format!(
                " in commit {}",
                g.commit.chars().take(12).collect::<String>()
            )
        })
        .unwrap_or_default();
    format!(
        "{} at {}:{}:{}{commit}",
        f.rule_id, f.path, f.line, f.column
    )
}
