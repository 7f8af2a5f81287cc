//! Organisation-wide audits (`keyhound audit`): the list of repositories (arguments and `--repos-from`
//! files), the stable shard of it one runner takes (`--shard K/N`), one JSON Lines record per
//! repository, and the exit code over all of them. Scanning each repository is the caller's (the same
//! history scan as `scan git`); a repository that fails is recorded with its error and the rest go on.

use sha2::{Digest, Sha256};

use crate::exit_code::ExitCode;
use crate::outcome::{ScanError, ScanOutcome};

/// `--shard K/N`: the K-th of N shards (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 1 to `count`.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Parses `K/N` (1 ≤ K ≤ N).
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not K/N (e.g. 1/4)"))?;
        let number =
            |x: &str| (x.trim().parse::<u32>()).map_err(|_| format!("`{s}` is not K/N (e.g. 1/4)"));
        let (index, count) = (number(k)?, number(n)?);
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard `{s}`: K runs from 1 to N (the first of four shards is 1/4)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether `repository` (as written in the list) falls in this shard: the first 8 bytes of the
    /// SHA-256 of its text, as a big-endian number, modulo N, equal K−1. Every runner that reads the
    /// same text puts each repository in exactly one shard, and adding a repository to the list moves
    /// no other.
    pub fn takes(&self, repository: &str) -> bool {
        let digest = Sha256::digest(repository.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// The repositories in a `--repos-from` file: one path per line; blank lines and lines starting with
/// `#` are skipped, surrounding whitespace is trimmed.
pub fn parse_list(text: &str) -> Vec<String> {
    (text.lines())
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// `repositories` without repeats (first kept), then only those in `shard`, in list order.
pub fn select(repositories: Vec<String>, shard: Option<Shard>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    (repositories.into_iter())
        .filter(|r| seen.insert(r.clone()))
        .filter(|r| shard.is_none_or(|s| s.takes(r)))
        .collect()
}

/// The outcome recorded for a repository that could not be scanned at all (not a repository, a bad
/// config): no findings and one error at the repository's root (`.`), so the run exits 2 and the other
/// repositories' records stand.
pub fn failed(message: String) -> ScanOutcome {
    let mut outcome = ScanOutcome::default();
    outcome.errors.push(ScanError {
        path: ".".to_string(),
        message,
    });
    outcome.stats.errors = 1;
    outcome
}

/// The JSON Lines record of one repository: its JSON report (redacted as every report is) with a
/// `repository` field, on one line.
pub fn record(repository: &str, outcome: &ScanOutcome) -> String {
    let mut doc = crate::report::json::document(outcome);
    doc["repository"] = serde_json::Value::String(repository.to_string());
    doc.to_string()
}

/// The exit code over every repository audited so far: errors anywhere outrank findings anywhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Repositories recorded.
    pub repositories: usize,
    /// Repositories with findings.
    pub with_findings: usize,
    /// Repositories whose scan had errors (or failed).
    pub with_errors: usize,
    /// Findings in all of them.
    pub findings: usize,
}

impl Tally {
    /// Counts one repository's outcome.
    pub fn add(&mut self, outcome: &ScanOutcome) {
        self.repositories += 1;
        self.findings += outcome.findings.len();
        self.with_findings += usize::from(!outcome.findings.is_empty());
        self.with_errors += usize::from(!outcome.errors.is_empty());
    }

    /// How the audit ended.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::of_counts(self.with_errors, self.findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/b", "1/3/4", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let repos: Vec<String> = (0..200).map(|i| format!("org/repo-{i}")).collect();
        let shards: Vec<Vec<String>> = (1..=4)
            .map(|k| select(repos.clone(), Some(Shard { index: k, count: 4 })))
            .collect();
        for r in &repos {
            let holding = shards.iter().filter(|s| s.contains(r)).count();
            assert_eq!(holding, 1, "{r}");
        }
        assert!(shards.iter().all(|s| s.len() > 20), "roughly even");
    }

    #[test]
    fn lists_skip_comments_blanks_and_repeats() {
        let list = parse_list("\u{feff}# org\n a \n\nb\n#c\na\n");
        assert_eq!(select(list, None), ["a", "b"]);
    }
}
