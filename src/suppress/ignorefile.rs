//! The ignore file (`.keyhoundignore`): one fingerprint per line, `#` starts a comment. Fingerprints are
//! hashes, so the file can be committed without repeating the secrets it silences. A `.gitleaksignore`
//! (gitleaks' `[commit:]file:rule:line` entries) is parsed here too, for teams switching tools. Which
//! files apply, and reading them, is `config::discover`'s job; this module only parses text.

use std::collections::{HashMap, HashSet};

/// Parses ignore-file text; errors carry the 1-based line.
pub fn parse_fingerprints(text: &str) -> std::result::Result<HashSet<String>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut set = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fp = line.split_whitespace().next().unwrap_or(line);
        if fp.len() != 32 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err((
                i + 1,
                format!("`{fp}` is not a keyhound fingerprint (32 hex digits)"),
            ));
        }
        set.insert(fp.to_ascii_lowercase());
    }
    Ok(set)
}

/// The entries of a `.gitleaksignore`: a file and line each, and the commit the finding was reviewed at
/// when the entry names one (gitleaks writes `COMMIT:FILE:RULE:LINE` for findings in history).
/// gitleaks' rule ids are not ours, so an entry silences whatever keyhound finds at that file and line.
#[derive(Debug, Clone, Default)]
pub struct GitleaksIgnore {
    /// (file, line) → the commits named for it (`None`: an entry that names no commit).
    entries: HashMap<(String, usize), Vec<Option<String>>>,
}

impl GitleaksIgnore {
    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Outside git history (a directory, standard input, the index): any entry for that file and line.
    pub fn matches(&self, file: &str, line: usize) -> bool {
        self.entries.contains_key(&(file.to_string(), line))
    }

    /// In git history, for a finding introduced by `commit`: an entry naming that commit, or one naming
    /// none unless `range` (in a range scan a commit-less entry would let a change put a new secret on a
    /// reviewed file and line; and secrets there before the range are not reported by it anyway).
    pub fn matches_in_commit(&self, file: &str, line: usize, commit: &str, range: bool) -> bool {
        self.entries
            .get(&(file.to_string(), line))
            .is_some_and(|commits| {
                commits.iter().any(|c| match c {
                    Some(c) => c.eq_ignore_ascii_case(commit),
                    None => !range,
                })
            })
    }
}

/// Parses `.gitleaksignore` text (lines `[COMMIT:]FILE:RULE:LINE`). Lines that are not entries are
/// skipped, as gitleaks skips them.
pub fn parse_gitleaks_ignore(text: &str) -> GitleaksIgnore {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut set = GitleaksIgnore::default();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.rsplitn(3, ':');
        let (Some(number), Some(_rule), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(number) = number.parse::<usize>() else {
            continue;
        };
        // `COMMIT:FILE` when the first part is a full commit id.
        let (commit, file) = match rest.split_once(':') {
            Some((commit, file))
                if commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                (Some(commit.to_string()), file)
            }
            _ => (None, rest),
        };
        set.entries
            .entry((file.to_string(), number))
            .or_default()
            .push(commit);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::{parse_fingerprints, parse_gitleaks_ignore};

    #[test]
    fn gitleaks_ignore_entries() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let set = parse_gitleaks_ignore(&format!(
            "\u{feff}# reviewed\r\nconfig/app.env:generic-api-key:3\r\n{commit}:src/a.py:aws-access-token:12\n",
        ));
        assert!(set.matches("config/app.env", 3));
        assert!(set.matches("src/a.py", 12));
        assert!(!set.matches("src/a.py", 13));
        // In history, a commit-less entry holds in every commit except in a range scan; an entry with
        // a commit holds in that commit only.
        assert!(set.matches_in_commit("config/app.env", 3, "ffff", false));
        assert!(!set.matches_in_commit("config/app.env", 3, "ffff", true));
        assert!(set.matches_in_commit("src/a.py", 12, commit, true));
        assert!(!set.matches_in_commit("src/a.py", 12, "ffff", false));
    }

    #[test]
    fn comments_and_errors() {
        let set = parse_fingerprints("# header\n0123456789abcdef0123456789ABCDEF  # test key\n\n")
            .unwrap();
        assert!(set.contains("0123456789abcdef0123456789abcdef"));
        assert_eq!(parse_fingerprints("ok\n").unwrap_err().0, 1);
    }
}
