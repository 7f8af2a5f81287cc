//! The ignore file (`.keyhoundignore`): one fingerprint per line, `#` starts a comment. Fingerprints are
//! hashes, so the file can be committed without repeating the secrets it silences. A `.gitleaksignore`
//! (gitleaks' `[commit:]file:rule:line` entries) is parsed here too, for teams switching tools. Which
//! files apply, and reading them, is `config::discover`'s job; this module only parses text.

use std::collections::HashSet;

/// Parses ignore-file text; errors carry the 1-based line.
pub fn parse_fingerprints(text: &str) -> std::result::Result<HashSet<String>, (usize, String)> {
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

/// Parses `.gitleaksignore` text (lines `[COMMIT:]FILE:RULE:LINE`) into (file, line) pairs. gitleaks'
/// rule ids are not ours, so an entry silences whatever keyhound finds at that file and line. Lines
/// that are not entries are skipped, as gitleaks skips them.
pub fn parse_gitleaks_ignore(text: &str) -> HashSet<(String, usize)> {
    let mut set = HashSet::new();
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
        let file = match rest.split_once(':') {
            Some((commit, file))
                if commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                file
            }
            _ => rest,
        };
        set.insert((file.to_string(), number));
    }
    set
}

#[cfg(test)]
mod tests {
    use super::{parse_fingerprints, parse_gitleaks_ignore};

    #[test]
    fn gitleaks_ignore_entries() {
        let set = parse_gitleaks_ignore(
            "# reviewed\nconfig/app.env:generic-api-key:3\n0123456789abcdef0123456789abcdef01234567:src/a.py:aws-access-token:12\n",
        );
        assert!(set.contains(&("config/app.env".to_string(), 3)));
        assert!(set.contains(&("src/a.py".to_string(), 12)));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn comments_and_errors() {
        let set = parse_fingerprints("# header\n0123456789abcdef0123456789ABCDEF  # test key\n\n")
            .unwrap();
        assert!(set.contains("0123456789abcdef0123456789abcdef"));
        assert_eq!(parse_fingerprints("ok\n").unwrap_err().0, 1);
    }
}
