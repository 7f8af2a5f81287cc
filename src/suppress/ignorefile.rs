//! The ignore file (`.keyhoundignore`): one fingerprint per line, `#` starts a comment. Fingerprints are
//! hashes, so the file can be committed without repeating the secrets it silences. A `.gitleaksignore`
//! uses gitleaks' own fingerprint format and is read by the gitleaks-compatibility layer, not here.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads fingerprints from `path`; a missing file is an empty set.
pub fn read_fingerprints(path: &Path) -> Result<HashSet<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(source) => {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    parse_fingerprints(&text).map_err(|(line, message)| Error::Config {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    })
}

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

#[cfg(test)]
mod tests {
    use super::parse_fingerprints;

    #[test]
    fn comments_and_errors() {
        let set = parse_fingerprints("# header\n0123456789abcdef0123456789ABCDEF  # test key\n\n")
            .unwrap();
        assert!(set.contains("0123456789abcdef0123456789abcdef"));
        assert_eq!(parse_fingerprints("ok\n").unwrap_err().0, 1);
    }
}
