//! Suppression of values that are obviously not secrets: placeholders, templates, variable references and
//! degenerate strings. Applied to every rule's captured secret before it becomes a finding.

/// Credentials published by their vendor for local development, identical on every machine.
const WELL_KNOWN_PUBLIC: &[&str] = &[
    // Azurite / Azure Storage Emulator account key for devstoreaccount1
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
];

/// Substrings (lowercase) that mark a documentation or template value.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "redacted",
    "xxxx",
    "***",
    "insert",
    "replaceme",
    "replace_me",
    "todo",
    "fixme",
    "process.env",
    "os.environ",
    "getenv",
    "${",
    "{{",
    "your_",
    "your-",
    "your ",
    "1234567890",
    "abcdefghij",
];

/// True when `secret` is a placeholder rather than a credential.
pub fn is_placeholder(secret: &[u8]) -> bool {
    if WELL_KNOWN_PUBLIC.iter().any(|k| secret == k.as_bytes()) {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    if lower.starts_with(b"your") {
        return true;
    }
    if PLACEHOLDER_WORDS
        .iter()
        .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    {
        return true;
    }
    // `<TOKEN>`, `<your key here>`
    if let Some(open) = memchr::memchr(b'<', &lower) {
        if memchr::memchr(b'>', &lower[open..]).is_some() {
            return true;
        }
    }
    if secret.len() >= 4 && distinct_bytes(secret) <= 2 {
        return true;
    }
    false
}

/// True when `secret` is a reference to a value held elsewhere (`$VAR`, `%(name)s`, `@token@`).
pub fn is_reference(secret: &[u8]) -> bool {
    match secret {
        [b'$', rest @ ..] => rest
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'(' || *b == b')'),
        [b'%', b'(', ..] => true,
        [b'@', .., b'@'] => true,
        _ => false,
    }
}

/// True for values a generic `key = value` rule should not report: code, identifiers, numbers, hashes,
/// UUIDs, versions, paths and plain URLs. Provider rules never use this: their formats are exact.
///
/// `per_char` gives the value's estimated guessing bits per character (computed by the caller at most
/// once, since its gates may need it too; see `crate::randomness::estimate`).
pub fn is_not_a_secret_value(v: &[u8], per_char: impl Fn() -> f64) -> bool {
    let Ok(s) = std::str::from_utf8(v) else {
        return false;
    };
    let is_hex = |t: &str| t.bytes().all(|b| b.is_ascii_hexdigit());
    // code: calls, member access, operators
    // (base64 padding `==` at the end is not an operator)
    let body = s.trim_end_matches('=');
    if ["(", ")", "::", "->", "++", "--", "&&", "||", "!=", "=="]
        .iter()
        .any(|op| body.contains(op))
    {
        return true;
    }
    // an escaped newline: the match ran across the end of a line inside a string literal
    if s.contains("\\n") {
        return true;
    }
    // an interpolated variable anywhere: `$SERVERDIR/auth.db`, `prefix-${env}`
    if s.as_bytes().windows(3).any(|w| {
        w[0] == b'$'
            && (w[1] == b'{'
                || (w[1].is_ascii_uppercase() || w[1] == b'_')
                    && (w[2].is_ascii_uppercase() || w[2] == b'_'))
    }) {
        return true;
    }
    // Identifiers and dotted names: `self.password`, `DB_PASSWORD`, `getSecret`, and snake/kebab/dotted
    // names whose parts are words or short suffixes (`bearer_access_token_v2`). Made of words, they are
    // cheap to guess; a random letters-only token (`BywNjrkAnmTGgmQX_ljqSaBOMavV`) is not.
    // Unknown words (`pw_gecos`, `dir.Odiarnfc`) still read as names by their casing: lower, UPPER or
    // camel case with few humps, where random letters are about half upper case.
    let wordy = || per_char() < 3.5;
    let segments: Vec<&str> = s.split(['_', '-', '.']).filter(|p| !p.is_empty()).collect();
    let name_cased = || {
        segments.iter().all(|p| {
            let letters = p.bytes().filter(u8::is_ascii_alphabetic).count();
            let upper = p.bytes().filter(u8::is_ascii_uppercase).count();
            p.len() <= 20 && (upper == letters || upper * 10 <= letters * 3)
        })
    };
    if s.bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'.' || b == b'-')
        && (wordy() || name_cased())
    {
        return true;
    }
    if segments.len() >= 2
        && segments
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphabetic()) || p.len() <= 3)
        && (wordy() || name_cased())
    {
        return true;
    }
    // numbers, versions, dates
    if s.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'-' || b == b':' || b == b'v' || b == b'+'
    }) {
        return true;
    }
    // Hex strings are not dropped here: assigned to a secret-sounding name, a 32- or 64-digit hex value is
    // usually a key. Names that say "hash" or "checksum" are dropped by the generic rules' allowlists.
    // UUIDs
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| is_hex(p))
    {
        return true;
    }
    // password hashes (bcrypt, crypt(3) sha-256/512, argon2)
    if s.starts_with("$2a$")
        || s.starts_with("$2b$")
        || s.starts_with("$2y$")
        || s.starts_with("$5$")
        || s.starts_with("$6$")
        || s.starts_with("$argon2")
    {
        return true;
    }
    // paths and plain URLs
    if s.starts_with('/')
        || s.starts_with("./")
        || s.starts_with("../")
        || s.starts_with("~/")
        || s.starts_with("file:")
    {
        return true;
    }
    if (s.starts_with("http://") || s.starts_with("https://")) && !s.contains('@') {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    const FILE_EXTS: &[&str] = &[
        ".json",
        ".yaml",
        ".yml",
        ".txt",
        ".pem",
        ".key",
        ".crt",
        ".cer",
        ".p12",
        ".jks",
        ".xml",
        ".toml",
        ".env",
        ".properties",
        ".conf",
        ".cfg",
        ".ini",
        ".html",
        ".js",
        ".ts",
        ".py",
        ".rb",
        ".go",
        ".java",
        ".php",
        ".sh",
        ".enc",
        ".gpg",
        ".asc",
    ];
    if FILE_EXTS.iter().any(|e| lower.ends_with(e)) {
        return true;
    }
    // template syntax that survived the placeholder check: `%s`, `{0}`, `#{x}`, `[[x]]`
    if s.contains("%s")
        || s.contains("#{")
        || s.starts_with('{') && s.ends_with('}')
        || s.starts_with("[[")
    {
        return true;
    }
    // SOPS-encrypted values (`ENC[AES256_GCM,data:...]`) are meant to be committed
    if s.starts_with("ENC[") {
        return true;
    }
    // regex classes and quantifiers, slices and indexing: `[0-9]{11}`, `[A-Za-z]+`, `key[:37]`, `x[i]`
    if let Some(open) = s.find('[') {
        if s[open..].contains(']') {
            return true;
        }
    }
    false
}

fn distinct_bytes(s: &[u8]) -> usize {
    let mut seen = [false; 256];
    let mut n = 0;
    for &b in s {
        if !seen[b as usize] {
            seen[b as usize] = true;
            n += 1;
        }
    }
    n
}

/// True for files that by convention hold templates: `.env.example`, `config.sample.yml`, `x.template`.
pub fn is_template_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".example", ".sample", ".template", ".tmpl", ".dist", ".tpl"]
        .iter()
        .any(|ext| name.ends_with(ext) || name.contains(&format!("{ext}.")))
        || name.starts_with("example.")
        || name.starts_with("sample.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_secret(v: &str) -> bool {
        is_not_a_secret_value(v.as_bytes(), || {
            crate::randomness::estimate(v.as_bytes()).per_char
        })
    }

    #[test]
    fn placeholders() {
        for p in [
            "your-api-key",
            "YOUR_TOKEN_HERE",
            "<TOKEN>",
            "${API_KEY}",
            "{{ secrets.token }}",
            "process.env.KEY",
            "xxxxxxxxxxxxxxxx",
            "changeme",
            "AKIAIOSFODNN7EXAMPLE",
            "0000000000000000",
            "abababababab",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in [
            "ghp_R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1JuE5gKo0",
            "hunter2hunter3",
            "Zq8#mK2!pL9v",
        ] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn non_secret_values() {
        for v in [
            "getPassword()",
            "self.password",
            "DB_PASSWORD",
            "1.2.3",
            "20240101",
            "123e4567-e89b-12d3-a456-426614174000",
            "$2b$12$KIXQJ1lJ9Cq8bY0e7m3J0eQ8r1nWcG1j5fZs5aQvG8Vb9Jm2xk3yC",
            "/etc/secret/key.pem",
            "https://example.org/path",
            "secrets.json",
            "client_ref_count++",
            "$SERVERDIR/auth.db",
            "home-pass",
            "ENC[AES256_GCM",
            "ntn_[0-9]{11}[A-Za-z0-9]{32}",
            "auxSecret[:37]",
            "bearer_access_token_v2",
            "pw_gecos",
            "dir.Odiarnfc",
        ] {
            assert!(not_secret(v), "{v}");
        }
        // random letters are not an identifier, with or without separators
        for v in ["BywNjrkAnmTGgmQXCFjMt_ljqSaBOMavV", "qKzvHxWmPlrTgBnY"] {
            assert!(!not_secret(v), "{v}");
        }
        for v in [
            "Zq8mK2pL9vXw3RtY",
            "hJ7#kL2$mN9qR4tW",
            "a1B2c3D4e5F6g7H8i9J0",
        ] {
            assert!(!not_secret(v), "{v}");
        }
    }

    #[test]
    fn references() {
        assert!(is_reference(b"$DB_PASSWORD"));
        assert!(is_reference(b"%(password)s"));
        assert!(is_reference(b"@db.password@"));
        assert!(!is_reference(b"$2b$12$abcdefghijk"));
    }

    #[test]
    fn template_paths() {
        assert!(is_template_path(".env.example"));
        assert!(is_template_path("config/app.sample.yml"));
        assert!(is_template_path("deploy/values.yaml.tmpl"));
        assert!(!is_template_path("src/example_test.go"));
        assert!(!is_template_path(".env"));
    }
}
