//! The weak-password policy: which values of a password-named field are reported although they are made
//! of words. A password that a person chose (`admin123`, `Summer2023!`, `hunter22`) is as much a leak as a
//! generated one, and worse, so the weak-password rules keep word-made values that the randomness gate
//! of the generic rules drops. What they do not keep is listed here: values a password field holds that
//! are not somebody's password.
//!
//! - the well-known local defaults that a README or a container image tells everyone to use
//!   ([`LOCAL_DEFAULTS`]: `postgres`, `root`, `guest`, `changeme`, `password`, `admin`, ...);
//! - names: identifiers (`userPassword`, `db_password`, `PASSWORD_FIELD`) and one capitalised word,
//!   which is a form label (`Password`, `Passwort`);
//! - numbers (lengths, ports, timeouts), paths, URLs, file names and code fragments.
//!
//! Placeholders, references and masks are dropped before this, for every rule (see `filter`). Where the
//! rules apply (not in tests, docs, examples or translations) is the rules' business, not this module's.

/// Passwords that documentation tells everyone to use for a local service, and schema words a password
/// field is declared with. Compared whole and case-insensitively.
pub const LOCAL_DEFAULTS: &[&str] = &[
    // database, broker and container defaults
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "root",
    "toor",
    "admin",
    "administrator",
    "guest",
    "changeme",
    "changeit",
    "password",
    "passwd",
    "secret",
    "default",
    "foobared",
    "rabbitmq",
    "minioadmin",
    "oracle",
    "tiger",
    "manager",
    "tomcat",
    "vagrant",
    "raspberry",
    "docker",
    "ubuntu",
    // the Android SDK's debug keystore (store and key password)
    "android",
    "test",
    "testing",
    "demo",
    "user",
    "username",
    "localhost",
    "development",
    // schema and form words
    "string",
    "hidden",
    "varchar",
    "boolean",
    "required",
    "optional",
    "undefined",
    "none",
    "null",
    "empty",
];

/// Why a password field's value is not reported as a weak password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAPassword {
    /// A default every installation shares ([`LOCAL_DEFAULTS`]).
    LocalDefault,
    /// An identifier or a form label: the name of a field, not its value.
    Name,
    /// A number, version or date.
    Number,
    /// A path, URL, file name or email address.
    PathOrUrl,
    /// A code fragment (a call, an index, a block, part of a concatenation).
    Code,
    /// A value that says it is test data (`TestSource-Password`, `fake-pass-1`).
    TestValue,
}

impl NotAPassword {
    /// A short lowercase description, for explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            NotAPassword::LocalDefault => "well-known local default",
            NotAPassword::Name => "identifier or label",
            NotAPassword::Number => "number, version or date",
            NotAPassword::PathOrUrl => "path, URL, file name or email address",
            NotAPassword::Code => "code",
            NotAPassword::TestValue => "test value",
        }
    }
}

/// Why `value` (the literal assigned to a password-named field) is not a weak password, or `None`
/// when it is one.
pub fn not_a_password(value: &[u8]) -> Option<NotAPassword> {
    let Ok(s) = std::str::from_utf8(value) else {
        return None;
    };
    if LOCAL_DEFAULTS.iter().any(|d| d.eq_ignore_ascii_case(s)) {
        return Some(NotAPassword::LocalDefault);
    }
    if is_code(s) {
        return Some(NotAPassword::Code);
    }
    if super::filter::says_test(value) {
        return Some(NotAPassword::TestValue);
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b".-:/+ ".contains(&b))
    {
        return Some(NotAPassword::Number);
    }
    if is_path_or_url(s) || is_email(s) {
        return Some(NotAPassword::PathOrUrl);
    }
    if is_name(s) {
        return Some(NotAPassword::Name);
    }
    None
}

/// Code: brackets that open and close in pairs (`form[password]`, `getPass()`, `{{ pw }}`), a call
/// (`+newSecret(`) or a concatenation's operand. A generated password's punctuation rarely balances
/// (`vhb2}QN,?FTs`).
fn is_code(s: &str) -> bool {
    let count = |c: char| s.matches(c).count();
    let pairs = [('(', ')'), ('[', ']'), ('{', '}')];
    let balanced = pairs.iter().any(|&(o, _)| count(o) > 0)
        && pairs.iter().all(|&(o, c)| count(o) == count(c));
    // a call opened by a name of three letters or more (`+newSecret(`), or a concatenation's operand
    let call = s.match_indices('(').any(|(i, _)| {
        s[..i]
            .bytes()
            .rev()
            .take_while(u8::is_ascii_alphabetic)
            .count()
            >= 3
    });
    balanced || call || s.starts_with('+') || s.ends_with('+')
}

/// Identifiers and labels: letters only, either one capitalised word (`Password`), camel case with humps
/// (`userPassword`, `NewPassword`), or words of one case joined by `_`, `.` or `-` (`db_password`,
/// `PASSWORD_FIELD`, `form.password`).
fn is_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['_', '.', '-']).filter(|p| !p.is_empty()).collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| !p.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return false;
    }
    if parts.len() >= 2 {
        return s.bytes().all(|b| !b.is_ascii_uppercase())
            || s.bytes().all(|b| !b.is_ascii_lowercase());
    }
    let s = parts[0];
    let b = s.as_bytes();
    let title = b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_lowercase);
    // camel case: lower-case runs, each hump a capital followed by at least two lower-case letters
    let camel = b[1..].iter().any(u8::is_ascii_uppercase)
        && b.windows(2)
            .all(|w| !(w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase()))
        && s.split(|c: char| c.is_ascii_uppercase())
            .skip(1)
            .all(|hump| hump.len() >= 2);
    title || camel
}

/// An email address (`apache@localhost`, `noreply@acme.io`): a sender or a login, not a password.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let name = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
    };
    local.len() >= 2
        && name(local)
        && name(domain)
        && (domain == "localhost" || domain.split('.').filter(|p| !p.is_empty()).count() >= 2)
}

/// Paths, URLs and file names.
fn is_path_or_url(s: &str) -> bool {
    const EXTS: &[&str] = &[
        ".json",
        ".yaml",
        ".yml",
        ".txt",
        ".pem",
        ".key",
        ".xml",
        ".conf",
        ".cfg",
        ".ini",
        ".env",
        ".properties",
        ".sh",
        ".py",
        ".js",
        ".php",
        ".html",
    ];
    let lower = s.to_ascii_lowercase();
    s.starts_with('/')
        || s.starts_with("./")
        || s.starts_with("../")
        || s.starts_with("~/")
        || s.contains("://")
        || EXTS.iter().any(|e| lower.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_passwords() {
        for v in [
            "admin123",
            "hunter22",
            "Summer2023!",
            "sup3rstr0ngpass1ForGG",
            "letmein",
            "qwerty12",
            "P@ssw0rd",
            "s3cr3t-pa55",
            "vhb2}QN,?FTs",
            "x)Lm9#q(T4w]",
        ] {
            assert_eq!(not_a_password(v.as_bytes()), None, "{v}");
        }
    }

    #[test]
    fn other_values_are_not() {
        for (v, why) in [
            ("postgres", NotAPassword::LocalDefault),
            ("Changeme", NotAPassword::LocalDefault),
            ("userPassword", NotAPassword::Name),
            ("NewPassword", NotAPassword::Name),
            ("db_password", NotAPassword::Name),
            ("PASSWORD_FIELD", NotAPassword::Name),
            ("Passwort", NotAPassword::Name),
            ("86400", NotAPassword::Number),
            ("2024-01-01", NotAPassword::Number),
            ("/run/secrets/db", NotAPassword::PathOrUrl),
            ("secrets.json", NotAPassword::PathOrUrl),
            ("apache@localhost", NotAPassword::PathOrUrl),
            ("form[password]", NotAPassword::Code),
            ("+newPlausibleSecret(", NotAPassword::Code),
            ("TestSource-Password", NotAPassword::TestValue),
            ("pscale_pw_", NotAPassword::Name),
        ] {
            assert_eq!(not_a_password(v.as_bytes()), Some(why), "{v}");
        }
    }
}
