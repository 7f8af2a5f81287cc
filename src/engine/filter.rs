//! Recognising values that are obviously not secrets: placeholders, templates, variable references and
//! degenerate strings (checked on every rule's captured secret), and, for generic rules only, values
//! that are something else: code, identifiers, numbers, paths ([`not_a_secret_value`]). The gates in
//! [`super::gate`] call these and say which one dropped a value. Test data is recognised here too
//! ([`confidence_at`]): reported, at the lower confidence a rule may give it.

use crate::rules::{is_test_path, Confidence, Rule};

/// Words (lowercase) that mark a documentation or template value. They count only as words of the value
/// (see [`contains_word`]): `Todo` inside a random token (`…HtutoDoiS…`) is chance, not a marker.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "redacted",
    "insert",
    "replaceme",
    "todo",
    "fixme",
];

/// Substrings (lowercase) that mark a template, a mask or a reference wherever they appear.
const PLACEHOLDER_MARKS: &[&str] = &[
    "change_me",
    "change-me",
    "replace_me",
    "xxxx",
    "***",
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
    placeholder_mark(secret).is_some()
}

/// What marks `secret` as a placeholder, when something does: the word or mark it holds (`example`,
/// `xxxx`, `${`), `your…` at its start, a `<name>` in angle brackets, or too few distinct characters.
pub fn placeholder_mark(secret: &[u8]) -> Option<String> {
    let lower = secret.to_ascii_lowercase();
    if lower.starts_with(b"your") {
        return Some("`your…` at the start".into());
    }
    if let Some(mark) =
        (PLACEHOLDER_MARKS.iter()).find(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    {
        return Some(format!("mark `{mark}`"));
    }
    if let Some(word) = PLACEHOLDER_WORDS.iter().find(|w| contains_word(secret, w)) {
        return Some(format!("word `{word}`"));
    }
    // `<TOKEN>`, `<your key here>`: a name in angle brackets. A generated key may hold `<` and `>` too,
    // and chance puts a few letters between them (`…$>k#YWyz<re>s6w`): a name has four letters or more.
    if let Some(open) = memchr::memchr(b'<', &lower) {
        if let Some(len) = memchr::memchr(b'>', &lower[open..]) {
            let inside = &lower[open + 1..open + len];
            if inside.iter().filter(|b| b.is_ascii_alphabetic()).count() >= 4
                && inside
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b" _-.:".contains(b))
            {
                return Some("a `<name>` in angle brackets".into());
            }
        }
    }
    if secret.len() >= 4 && distinct_bytes(secret) <= 2 {
        return Some("at most two distinct characters".into());
    }
    None
}

/// Words that mark a value as test data, matched as words.
const TEST_MARKERS: &[&str] = &["test", "fake", "mock", "dummy", "sample", "example"];

/// True when `value` says it is test data: `test`, `fake`, `mock`, `dummy`, `sample` or `example` as a
/// word of it (`fake-db-pass-1`, `TestSource-Password`).
pub fn says_test(value: &[u8]) -> bool {
    TEST_MARKERS.iter().any(|w| contains_word(value, w))
}

/// The confidence of `rule`'s match of `secret` found at `path`: the rule's `test_confidence` where the
/// match is test data (a test or fixture path, or a value that says it is fake), else its confidence.
/// Test data stays reported; the reader sees that it is less likely to be live.
pub fn confidence_at(rule: &Rule, path: &str, secret: &[u8]) -> Confidence {
    match rule.test_confidence {
        Some(test) if is_test_path(path) || says_test(secret) => test,
        _ => rule.confidence,
    }
}

/// True when `word` (lowercase letters) occurs in `text` as a word, by case-insensitive comparison: in
/// one casing (`todo`, `Todo`, `TODO`) and bounded on each side by a non-letter, the start or end of the
/// text, or a camel-case hump (`myTodo`, `todoList`). Inside a run of capitals the boundaries cannot be
/// seen, so there only words of six letters or more count (`…EXAMPLEKEY`), which chance rarely spells.
pub fn contains_word(text: &[u8], word: &str) -> bool {
    let n = word.len();
    if n == 0 || text.len() < n {
        return false;
    }
    let w = word.as_bytes();
    (0..=text.len() - n).any(|i| {
        let at = &text[i..i + n];
        if !at.eq_ignore_ascii_case(w) {
            return false;
        }
        let lower = at.iter().all(u8::is_ascii_lowercase);
        let upper = at.iter().all(u8::is_ascii_uppercase);
        let title = at[0].is_ascii_uppercase() && at[1..].iter().all(u8::is_ascii_lowercase);
        if !(lower || upper || title) {
            return false;
        }
        let before = i.checked_sub(1).map(|j| text[j]);
        let after = text.get(i + n).copied();
        let left = match before {
            None => true,
            Some(b) if !b.is_ascii_alphabetic() => true,
            Some(b) if b.is_ascii_lowercase() => upper || title,
            Some(_) => upper && n >= 6,
        };
        let right = match after {
            None => true,
            Some(b) if !b.is_ascii_alphabetic() => true,
            Some(b) if b.is_ascii_uppercase() => !upper || n >= 6,
            Some(_) => false,
        };
        left && right
    })
}

/// True when `secret` is a reference to a value held elsewhere, or a value encrypted to be committed,
/// in any of the styles configuration files use:
///
/// - shell and Make variables `$VAR`, `$(VAR)`, command substitution `$(cat file)`, PowerShell `$env:VAR`, Python `%(name)s`;
/// - Windows `%VAR%`, Azure Pipelines / Octopus `#{VAR}`, Maven / Ant `@VAR@`, token-replacement
///   `__VAR__` (a name between the markers, nothing else);
/// - YAML tags and aliases in place of a value: `!vault |`, `!secret db_password`, `!ENV`, `*anchor`;
/// - encrypted values: Jasypt `ENC(…)`, Spring Cloud Config `{cipher}…`;
/// - secret-store addresses: `vault:secret/…`, AWS Secrets Manager and SSM ARNs, 1Password `op://…`,
///   Azure Key Vault `@Microsoft.KeyVault(…)`.
pub fn is_reference(secret: &[u8]) -> bool {
    let name = |n: &[u8]| {
        n.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && n.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    };
    const PREFIXES: &[&[u8]] = &[
        b"ENC(",
        b"{cipher}",
        b"vault:",
        b"arn:aws:secretsmanager:",
        b"arn:aws:ssm:",
        b"op://",
        b"@Microsoft.KeyVault(",
    ];
    if PREFIXES.iter().any(|p| secret.starts_with(p)) {
        return true;
    }
    match secret {
        // command substitution computes the value at run time: `$(cat /run/secrets/db)`
        [b'$', b'(', ..] => true,
        [b'$', b'e', b'n', b'v', b':', rest @ ..] => name(rest),
        [b'$', rest @ ..] => rest
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'(' || *b == b')'),
        [b'%', b'(', ..] => true,
        [b'%', n @ .., b'%'] | [b'#', b'{', n @ .., b'}'] => name(n),
        [b'@', .., b'@'] => true,
        [b'_', b'_', n @ .., b'_', b'_'] => name(n),
        // a YAML tag (`!vault |`, `!secret name`) or alias (`*default_password`) where a value goes
        [b'!' | b'*', n @ ..] => name(n) && n.iter().all(|b| !b.is_ascii_digit()),
        _ => false,
    }
}

/// What a generic rule's value was recognised as, when it is not a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Code: a call, member access or operator (`getPassword()`, `a->b`, `x != y`).
    Code,
    /// An escaped newline: the match ran past the end of a line inside a string literal.
    EscapedNewline,
    /// An interpolated variable (`$SERVERDIR/auth.db`, `prefix-${env}`).
    Interpolation,
    /// An identifier or dotted name made of words (`self.password`, `DB_PASSWORD`, `pw_gecos`).
    Identifier,
    /// A number, version or date.
    Number,
    /// A UUID.
    Uuid,
    /// A password hash (bcrypt, crypt(3) sha-256/512, argon2): meant to be stored.
    PasswordHash,
    /// A file path or a URL without credentials.
    PathOrUrl,
    /// A file name (`secrets.json`, `server.key`).
    FileName,
    /// Template syntax (`%s`, `#{x}`, `{0}`, `[[x]]`).
    Template,
    /// A SOPS-encrypted value (`ENC[AES256_GCM,...]`), meant to be committed.
    Sops,
    /// A regex class, slice or index (`[0-9]{11}`, `key[:37]`).
    Brackets,
    /// Regex syntax (`(?:…)`, `\s`, `[^…]`), quoted or not.
    Regex,
    /// A percent-encoding test string (`%4d^%70`): too short once decoded.
    PercentEncoded,
}

impl ValueKind {
    /// A short lowercase description, for explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Code => "code",
            ValueKind::EscapedNewline => "escaped newline",
            ValueKind::Interpolation => "interpolated variable",
            ValueKind::Identifier => "identifier",
            ValueKind::Number => "number, version or date",
            ValueKind::Uuid => "UUID",
            ValueKind::PasswordHash => "password hash",
            ValueKind::PathOrUrl => "path or URL",
            ValueKind::FileName => "file name",
            ValueKind::Template => "template syntax",
            ValueKind::Sops => "SOPS-encrypted value",
            ValueKind::Brackets => "regex class or index",
            ValueKind::Regex => "regex",
            ValueKind::PercentEncoded => "percent-encoding test string",
        }
    }
}

/// What a value a generic `key = value` rule captured is, when it is not a secret: code, identifiers,
/// numbers, UUIDs, password hashes, versions, paths, plain URLs, file names and templates. `None` when
/// it may be a secret. Provider rules never use this: their formats are exact.
///
/// `per_char` gives the value's estimated guessing bits per character (computed by the caller at most
/// once, since its gates may need it too; see `crate::randomness::estimate`).
///
/// A quoted literal (`quote`: its quote character) is not code whatever punctuation it holds, so the code
/// and bracket checks are skipped for it, and in single quotes nothing is interpolated.
pub fn not_a_secret_value(
    v: &[u8],
    per_char: impl Fn() -> f64,
    quote: Option<u8>,
) -> Option<ValueKind> {
    let s = std::str::from_utf8(v).ok()?;
    regex_like(s)
        .or_else(|| code_like(s, quote))
        .or_else(|| identifier(s, &per_char))
        .or_else(|| number_or_id(s))
        .or_else(|| path_or_file(s))
        .or_else(|| template_like(s, quote.is_some()))
}

/// Regex syntax, quoted or not: `(?:`, `\s`, `[^…]`, a class with a quantifier.
fn regex_like(s: &str) -> Option<ValueKind> {
    [
        "(?", "\\s", "\\d", "\\w", "\\b", "[^", "]{", "]+", "]*", "){",
    ]
    .iter()
    .any(|t| s.contains(t))
    .then_some(ValueKind::Regex)
}

/// Code, escaped newlines and interpolated variables; in a quoted literal only what its quotes
/// interpolate.
fn code_like(s: &str, quote: Option<u8>) -> Option<ValueKind> {
    // calls, member access, operators (base64 padding `==` at the end is not an operator)
    let body = s.trim_end_matches('=');
    if quote.is_none()
        && ["(", ")", "::", "->", "++", "--", "&&", "||", "!=", "=="]
            .iter()
            .any(|op| body.contains(op))
    {
        return Some(ValueKind::Code);
    }
    // an escaped newline: the match ran across the end of a line inside a string literal
    if s.contains("\\n") {
        return Some(ValueKind::EscapedNewline);
    }
    // a variable's element or member interpolated in any quotes (Perl, PHP): `$config{'KEY'}`, `$a->b`
    let element = s.match_indices('$').any(|(i, _)| {
        let rest = &s[i + 1..];
        let name = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        name >= 2 && ["{", "[", "->"].iter().any(|t| rest[name..].starts_with(t))
    });
    if element {
        return Some(ValueKind::Interpolation);
    }
    // an interpolated variable anywhere: `$SERVERDIR/auth.db`, `prefix-${env}`
    if quote != Some(b'\'')
        && s.as_bytes().windows(3).any(|w| {
            w[0] == b'$'
                && (w[1] == b'{'
                    || (w[1].is_ascii_uppercase() || w[1] == b'_')
                        && (w[2].is_ascii_uppercase() || w[2] == b'_'))
        })
    {
        return Some(ValueKind::Interpolation);
    }
    None
}

/// Identifiers and dotted names: `self.password`, `DB_PASSWORD`, `getSecret`, and snake/kebab/dotted
/// names whose parts are words or short suffixes (`bearer_access_token_v2`). Made of words, they are
/// cheap to guess; a random letters-only token (`BywNjrkAnmTGgmQX_ljqSaBOMavV`) is not.
/// Unknown words (`pw_gecos`, `dir.Odiarnfc`) still read as names by their casing: lower, UPPER or
/// camel case with few humps, where random letters are about half upper case.
fn identifier(s: &str, per_char: &impl Fn() -> f64) -> Option<ValueKind> {
    let wordy = || per_char() < 3.5;
    let segments: Vec<&str> = s.split(['_', '-', '.']).filter(|p| !p.is_empty()).collect();
    let name_cased = || {
        segments.iter().all(|p| {
            let letters = p.bytes().filter(u8::is_ascii_alphabetic).count();
            let upper = p.bytes().filter(u8::is_ascii_uppercase).count();
            p.len() <= 20 && (upper == letters || upper * 10 <= letters * 3)
        })
    };
    let letters_only = s
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'.' || b == b'-');
    let word_parts = || {
        segments.len() >= 2
            && segments
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_alphabetic()) || p.len() <= 3)
    };
    if letters_only && (wordy() || name_cased()) {
        return Some(ValueKind::Identifier);
    }
    if word_parts() && (wordy() || name_cased()) {
        return Some(ValueKind::Identifier);
    }
    constant_or_field_list(s)
}

/// Constant-like names (`NEXUS-GPT4-API-KEY`: the name of a secret, not one: capitals and digits in
/// parts, most of them letters only, half of them words) and field lists
/// (`username:password:uid:gid:gecos`: lower-case names joined by colons).
fn constant_or_field_list(s: &str) -> Option<ValueKind> {
    let parts: Vec<&str> = s.split(['_', '-']).filter(|p| !p.is_empty()).collect();
    let letters_only = |p: &&&str| p.bytes().all(|b| b.is_ascii_alphabetic());
    let words = || {
        parts
            .iter()
            .filter(|p| crate::randomness::estimate(p.as_bytes()).per_char < 2.5)
            .count()
    };
    if parts.len() >= 2
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && parts.iter().filter(letters_only).count() * 2 > parts.len()
        && words() * 2 >= parts.len()
    {
        return Some(ValueKind::Identifier);
    }
    if s.contains(':')
        && s.split(':')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    {
        return Some(ValueKind::Identifier);
    }
    None
}

/// Numbers, versions, dates, UUIDs and password hashes.
///
/// Hex strings are not dropped here: assigned to a secret-sounding name, a 32- or 64-digit hex value is
/// usually a key. Names that say "hash" or "checksum" are dropped by the generic rules' allowlists.
fn number_or_id(s: &str) -> Option<ValueKind> {
    if s.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'-' || b == b':' || b == b'v' || b == b'+'
    }) {
        return Some(ValueKind::Number);
    }
    let is_hex = |t: &str| t.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| is_hex(p))
    {
        return Some(ValueKind::Uuid);
    }
    const HASH_PREFIXES: &[&str] = &["$2a$", "$2b$", "$2y$", "$5$", "$6$", "$argon2"];
    if HASH_PREFIXES.iter().any(|p| s.starts_with(p)) {
        return Some(ValueKind::PasswordHash);
    }
    // Percent-encoding test strings (`%4d^%70`): what is left after decoding is too short to be a secret.
    let escapes = s
        .as_bytes()
        .windows(3)
        .filter(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
        .count();
    if escapes >= 1 && s.len().saturating_sub(2 * escapes) < 6 {
        return Some(ValueKind::PercentEncoded);
    }
    None
}

/// File extensions that make a value a file name.
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

/// Paths, plain URLs (no credentials in them) and file names.
fn path_or_file(s: &str) -> Option<ValueKind> {
    const PATH_PREFIXES: &[&str] = &["/", "./", "../", "~/", "file:"];
    // a base64 value may start with `/` too: a path has a second `/` or is a short name
    let base64_like = s.starts_with('/')
        && s.len() >= 16
        && !s[1..].contains('/')
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_uppercase());
    if PATH_PREFIXES.iter().any(|p| s.starts_with(p)) && !base64_like {
        return Some(ValueKind::PathOrUrl);
    }
    if (s.starts_with("http://") || s.starts_with("https://")) && !s.contains('@') {
        return Some(ValueKind::PathOrUrl);
    }
    let lower = s.to_ascii_lowercase();
    if FILE_EXTS.iter().any(|e| lower.ends_with(e)) {
        return Some(ValueKind::FileName);
    }
    None
}

/// Template syntax that survived the placeholder check, SOPS values, regex classes and indexing.
fn template_like(s: &str, quoted: bool) -> Option<ValueKind> {
    // `%s`, `{0}`, `#{x}`, `[[x]]`
    if s.contains("%s")
        || s.contains("#{")
        || s.starts_with('{') && s.ends_with('}')
        || s.starts_with("[[")
    {
        return Some(ValueKind::Template);
    }
    // SOPS-encrypted values (`ENC[AES256_GCM,data:...]`) are meant to be committed
    if s.starts_with("ENC[") {
        return Some(ValueKind::Sops);
    }
    // regex classes and quantifiers, slices and indexing: `[0-9]{11}`, `[A-Za-z]+`, `key[:37]`, `x[i]`
    if let Some(open) = s.find('[').filter(|_| !quoted) {
        if s[open..].contains(']') {
            return Some(ValueKind::Brackets);
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn not_secret(v: &str) -> bool {
        not_a_secret_value(
            v.as_bytes(),
            || crate::randomness::estimate(v.as_bytes()).per_char,
            None,
        )
        .is_some()
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
            "my-todo-secret",
            "SampleKey2024",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in [
            "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",
            "x7TodoqLm2Vz",
            "ghp_R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1JuE5gKo0",
            "hunter2hunter3",
            "Zq8#mK2!pL9v",
            "UZC;-@)~Jp#KdL~^hKhlVTo.#5J|eh(IRSFJ!HiD0W8u}063C6$>k#YWyz<re>s6w",
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
            "NEXUS-GPT4-API-KEY",
            "uid:gid:gecos",
            "%4d^%70",
            "$config{'WIKI_PASSW'}",
            "(?:'|\\\"|\\s|=){0,5}(",
        ] {
            assert!(not_secret(v), "{v}");
        }
        // random letters are not an identifier, with or without separators
        for v in [
            "BywNjrkAnmTGgmQXCFjMt_ljqSaBOMavV",
            "qKzvHxWmPlrTgBnY",
            "QXKZ-WMPT-RTBN-7Q2K",
            "/E3aQx9Lm2Vz7KtR4pWn8Yc1",
        ] {
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
    fn test_data_gets_the_rules_test_confidence() {
        let text =
            "[[rule]]\nid = \"t\"\nname = \"t\"\nregex = '(k_[a-z0-9]+)'\nkeywords = [\"k_\"]\n\
                    test_confidence = \"low\"\n";
        let set = crate::rules::RuleSet::from_sources([("t.toml", text)]).unwrap();
        let rule = &set.rules()[0];
        assert_eq!(
            confidence_at(rule, "src/app.py", b"k_q8z2m"),
            Confidence::High
        );
        for path in [
            "tests/app.py",
            "pkg/testdata/a.env",
            "src/app_test.go",
            "web/a.spec.ts",
        ] {
            assert_eq!(
                confidence_at(rule, path, b"k_q8z2m"),
                Confidence::Low,
                "{path}"
            );
        }
        assert_eq!(
            confidence_at(rule, "src/app.py", b"k_fake_1"),
            Confidence::Low
        );
        let plain = crate::rules::RuleSet::from_sources([(
            "t.toml",
            text.replace("test_confidence = \"low\"\n", "").as_str(),
        )])
        .unwrap();
        assert_eq!(
            confidence_at(&plain.rules()[0], "tests/app.py", b"k_fake_1"),
            Confidence::High
        );
    }

    #[test]
    fn references() {
        assert!(is_reference(b"$DB_PASSWORD"));
        assert!(is_reference(b"%(password)s"));
        assert!(is_reference(b"@db.password@"));
        assert!(is_reference(b"%TestSourcePassword%"));
        assert!(!is_reference(b"$2b$12$abcdefghijk"));
        for r in [
            "$(DB_PASSWORD)",
            "$(cat /run/secrets/ldap)",
            "$env:SQL_PASSWORD",
            "#{ApiPassword}",
            "@MQ_PASSWORD@",
            "__SVC_PASSWORD__",
            "%SVC_PASSWORD%",
            "!vault",
            "!secret",
            "*default_password",
            "ENC(AbCdEf123456GhIj)",
            "{cipher}AQBkd92jfhs8",
            "vault:secret/data/ldap#password",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            "op://prod/db/password",
        ] {
            assert!(is_reference(r.as_bytes()), "{r}");
        }
        // passwords that merely start or end like a reference
        for p in [
            "!Summer2023",
            "*Rt8xQ2mLp",
            "__init__x",
            "#{not a name}",
            "%50off%",
        ] {
            assert!(!is_reference(p.as_bytes()), "{p}");
        }
    }
}
