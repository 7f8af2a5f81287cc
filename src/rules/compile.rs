//! Turns parsed rules ([`RuleSyntax`]) into compiled ones ([`Rule`], [`RuleSet`]), with errors that name
//! the file, line and rule. A rule from a config has every regex compiled when it is loaded; a built-in
//! rule has its regexes compiled the first time a scan needs them (see [`super::pattern`]), so start-up
//! cost does not grow with the size of the rule set. [`Rule::applies_at`] is the one answer to "does this
//! rule apply at this path".

use crate::repotext;
use std::borrow::Cow;
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::bytes::Regex;

use super::builtin;
use super::pattern::Pattern;
use super::syntax::{self, line_of, AllowlistSyntax, Confidence, RuleSyntax};
use crate::error::{Error, Result};

/// Where a rule was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOrigin {
    /// `rules/NAME.toml` for built-in rules, the user's path otherwise.
    pub file: String,
    /// 1-based line of the rule's `id`.
    pub line: usize,
}

/// Offline structure checks a secret must pass (no network).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// GitHub and npm style: the last 6 characters are the base62 CRC32 of the 30 random characters.
    Crc32Base62,
    /// A JSON Web Token whose header and payload decode to JSON objects and whose header names an `alg`.
    Jwt,
}

impl Checksum {
    /// The name rule files use (`checksum = "jwt"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Checksum::Crc32Base62 => "crc32-base62",
            Checksum::Jwt => "jwt",
        }
    }

    /// True when a passing check vouches for every character of the secret (a CRC over the token body),
    /// so that the secret cannot be a placeholder; a JWT's structure check leaves the signature unchecked.
    pub fn covers_whole_secret(self) -> bool {
        matches!(self, Checksum::Crc32Base62)
    }
}

impl FromStr for Checksum {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "crc32-base62" => Ok(Checksum::Crc32Base62),
            "jwt" => Ok(Checksum::Jwt),
            other => Err(format!(
                "unknown checksum `{other}` (known: crc32-base62, jwt)"
            )),
        }
    }
}

/// When a rule's regexes compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// At load: a rule the user wrote, whose errors must name its file and rule.
    Now,
    /// On first use: a built-in rule, whose regexes tests compile.
    FirstUse,
}

impl When {
    fn pattern(self, source: &str, unicode: bool) -> std::result::Result<Pattern, String> {
        match self {
            When::Now => Pattern::new(source, unicode).map_err(|e| e.to_string()),
            When::FirstUse => Ok(Pattern::lazy(source, unicode)),
        }
    }
}

/// A compiled allowlist: used per rule and for the scan as a whole.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// Secrets matching any of these are dropped.
    pub regexes: Vec<Pattern>,
    /// Lowercased words; a secret containing any is dropped.
    pub stopwords: Vec<String>,
    /// Paths matching any of these are not reported.
    pub paths: Vec<Pattern>,
    /// Whole matches matching any of these are dropped.
    pub matches: Vec<Pattern>,
}

impl Allowlist {
    /// Compiles an allowlist; an error names the regex that does not compile.
    pub fn compile(syntax: &AllowlistSyntax) -> std::result::Result<Self, String> {
        Self::build(syntax, When::Now)
    }

    fn build(syntax: &AllowlistSyntax, when: When) -> std::result::Result<Self, String> {
        let compile_all = |list: &[String], kind: &str| {
            list.iter()
                .map(|s| {
                    when.pattern(s, true)
                        .map_err(|e| format!("allowlist {kind} `{s}`: {e}"))
                })
                .collect::<std::result::Result<Vec<_>, _>>()
        };
        Ok(Allowlist {
            regexes: compile_all(&syntax.regexes, "regex")?,
            stopwords: syntax
                .stopwords
                .iter()
                .map(|w| w.to_ascii_lowercase())
                .collect(),
            paths: compile_all(&syntax.paths, "path")?,
            matches: compile_all(&syntax.matches, "match")?,
        })
    }

    /// Every pattern of the allowlist.
    fn patterns(&self) -> impl Iterator<Item = &Pattern> {
        self.regexes.iter().chain(&self.paths).chain(&self.matches)
    }

    /// True when the secret is allowed (matches a regex or contains a stopword).
    pub fn allows_secret(&self, secret: &[u8]) -> bool {
        self.why_secret(secret).is_some()
    }

    /// The entry that allows the secret: the first regex it matches, else the first stopword it
    /// contains (case-insensitive).
    pub fn why_secret(&self, secret: &[u8]) -> Option<Allowed> {
        if let Some(r) = self.regexes.iter().find(|r| r.is_match(secret)) {
            return Some(Allowed::Regex(r.as_str().to_string()));
        }
        if self.stopwords.is_empty() {
            return None;
        }
        let lower = secret.to_ascii_lowercase();
        (self.stopwords.iter())
            .find(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
            .map(|w| Allowed::Stopword(w.clone()))
    }

    /// True when findings at `path` are allowed.
    pub fn allows_path(&self, path: &str) -> bool {
        self.why_path(path).is_some()
    }

    /// The first path regex `path` matches.
    pub fn why_path(&self, path: &str) -> Option<Allowed> {
        (self.paths.iter())
            .find(|r| r.is_match(path.as_bytes()))
            .map(|r| Allowed::Path(r.as_str().to_string()))
    }

    /// True when the whole text of a match is allowed.
    pub fn allows_match(&self, matched: &[u8]) -> bool {
        self.why_match(matched).is_some()
    }

    /// The first `matches` regex the whole text of a match (or a line) matches.
    pub fn why_match(&self, matched: &[u8]) -> Option<Allowed> {
        (self.matches.iter())
            .find(|r| r.is_match(matched))
            .map(|r| Allowed::Match(r.as_str().to_string()))
    }
}

/// The allowlist entry that allowed something, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// A secret regex.
    Regex(String),
    /// A stopword.
    Stopword(String),
    /// A path regex.
    Path(String),
    /// A whole-match (or line) regex.
    Match(String),
}

impl std::fmt::Display for Allowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Allowed::Regex(r) => write!(f, "secret regex `{r}`"),
            Allowed::Stopword(w) => write!(f, "stopword `{w}`"),
            Allowed::Path(r) => write!(f, "path regex `{r}`"),
            Allowed::Match(r) => write!(f, "match regex `{r}`"),
        }
    }
}

/// A rule ready for matching.
#[derive(Debug)]
pub struct Rule {
    /// Stable identifier.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// What the secret grants.
    pub description: Option<String>,
    /// How sure a match is.
    pub confidence: Confidence,
    /// How sure a match is where it is test data (a test or fixture path, a value marked fake); lower
    /// than `confidence`. See [`Rule::confidence_at`].
    pub test_confidence: Option<Confidence>,
    /// Prefilter literals (as written; matched case-insensitively).
    pub keywords: Vec<String>,
    /// Entropy gate on the secret.
    pub min_entropy: Option<f64>,
    /// Guessability gate on the secret (bits per character).
    pub min_randomness: Option<f64>,
    /// The regex may run past the keyword's line.
    pub multiline: bool,
    /// Structure check on the secret.
    pub checksum: Option<Checksum>,
    /// Tagged `generic`: a keyword-and-assignment rule, so values that look like code, hashes, UUIDs,
    /// versions or paths are dropped before they become findings.
    pub generic: bool,
    /// Tagged `weak-password`: the value of a password field, judged by the weak-password policy
    /// (`crate::engine::password`) instead of the generic value filters.
    pub weak_password: bool,
    /// Format and rotation documentation.
    pub references: Vec<String>,
    /// Texts that must produce a finding (borrowed from the binary for built-in rules).
    pub examples: Vec<Cow<'static, str>>,
    /// Texts that must not.
    pub negative_examples: Vec<Cow<'static, str>>,
    /// Path the examples are checked under.
    pub example_path: Option<String>,
    /// Neighbouring lines the regex also sees.
    pub context_lines: usize,
    /// Regexes the whole match must also match.
    pub also_match: Vec<Pattern>,
    /// Companion rules (by id), each of which must match within its number of lines (empty: not a
    /// composite rule).
    pub requires: Vec<(String, usize)>,
    /// Never reported by itself; only a composite rule's companion.
    pub companion_only: bool,
    /// Where it was defined.
    pub origin: RuleOrigin,
    /// Only paths matching this.
    pub path: Option<Pattern>,
    /// The rule's own allowlist.
    pub allowlist: Allowlist,
    regex: Option<Pattern>,
    /// `secret_group` as written.
    secret_group_syntax: Option<usize>,
    /// Which group holds the secret, known once the regex is compiled.
    secret_group: OnceLock<SecretGroup>,
}

#[derive(Debug, Clone, Copy)]
enum SecretGroup {
    Index(usize),
    /// The first capture group that took part in the match: alternatives (a double-quoted, single-quoted
    /// or bare value) each capture the secret in their own group.
    FirstParticipating,
    Named,
    WholeMatch,
}

impl Rule {
    /// The regex source, if the rule has one (path-only rules do not).
    pub fn regex_source(&self) -> Option<&str> {
        self.regex.as_ref().map(Pattern::as_str)
    }

    /// The compiled regex (path-only rules have none). A rule from a config was compiled when it was
    /// loaded; a built-in rule is compiled here, the first time it is needed.
    pub fn regex(&self) -> Option<&Regex> {
        self.regex.as_ref().map(Pattern::regex)
    }

    /// Compiles every regex of the rule now and checks its secret group, reporting the first error
    /// (used by `rules check` and the rules test, which prove the built-in rules compile).
    pub fn check_patterns(&self) -> std::result::Result<(), String> {
        if let Some(regex) = &self.regex {
            let compiled = regex.check().map_err(|e| e.to_string())?;
            secret_group(compiled, self.secret_group_syntax)?;
        }
        let others = self.path.iter().chain(&self.also_match);
        for p in others.chain(self.allowlist.patterns()) {
            p.check().map_err(|e| format!("`{}`: {e}", p.as_str()))?;
        }
        Ok(())
    }

    /// The span of the secret inside one match of [`Rule::regex`].
    pub fn secret_span(&self, caps: &regex::bytes::Captures<'_>) -> Option<std::ops::Range<usize>> {
        let group = self.secret_group.get_or_init(|| {
            let regex = self.regex().expect("a match implies a regex");
            secret_group(regex, self.secret_group_syntax)
                .unwrap_or_else(|e| panic!("built-in rule `{}`: {e}", self.id))
        });
        let m = match *group {
            SecretGroup::Index(i) => caps.get(i),
            SecretGroup::FirstParticipating => caps.iter().skip(1).flatten().next(),
            SecretGroup::Named => caps.name("secret"),
            SecretGroup::WholeMatch => caps.get(0),
        }?;
        Some(m.range())
    }

    /// True for rules that report a file by its path alone.
    pub fn is_path_only(&self) -> bool {
        self.regex.is_none()
    }

    /// True when this rule applies to a file at `path` (relative, `/`-separated): the path matches the
    /// rule's `path` restriction (if any), the rule's allowlist does not list the path, and the file is
    /// not a template (`.env.example`) unless the rule is high-confidence. The one answer to "does this
    /// rule apply here": the engine, the example checks and every scan mode ask it.
    pub fn applies_at(&self, path: &str) -> bool {
        self.path
            .as_ref()
            .is_none_or(|p| p.is_match(path.as_bytes()))
            && !self.allowlist.allows_path(path)
            && !(self.confidence < Confidence::High && is_template_path(path))
    }
}

/// True for files where values are test data by convention: test, spec and fixture directories
/// (`tests/`, `t/`, `__tests__/`, `spec/`, `fixtures/`, `testdata/`, `mocks/`) and test files by name
/// (`x_test.go`, `x.test.ts`, `x.spec.js`, `test_x.py`, `XTest.java`, `XTests.cs`).
pub fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let dirs = [
        "t",
        "test",
        "tests",
        "testing",
        "testdata",
        "test_data",
        "test-data",
        "__tests__",
        "__mocks__",
        "spec",
        "specs",
        "fixture",
        "fixtures",
        "mock",
        "mocks",
        "stubs",
    ];
    let mut parts: Vec<&str> = lower.split('/').collect();
    let name = parts.pop().unwrap_or("");
    if parts.iter().any(|d| dirs.contains(d)) {
        return true;
    }
    let original = path.rsplit('/').next().unwrap_or(path);
    let stem = original.split('.').next().unwrap_or(original);
    name.starts_with("test_")
        || ["_test.", ".test.", ".spec."]
            .iter()
            .any(|m| name.contains(m))
        || stem.ends_with("Test")
        || stem.ends_with("Tests")
}

/// True for files that by convention hold templates: `.env.example`, `config.sample.yml`, `x.template`.
/// Only high-confidence rules report in them (see [`Rule::applies_at`]).
pub fn is_template_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".example", ".sample", ".template", ".tmpl", ".dist", ".tpl"]
        .iter()
        .any(|ext| name.ends_with(ext) || name.contains(&format!("{ext}.")))
        || name.starts_with("example.")
        || name.starts_with("sample.")
}

/// An ordered, id-unique set of compiled rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules embedded in the binary: parsed at build time, validated here, their regexes compiled
    /// the first time a scan needs them.
    pub fn builtin() -> Result<Self> {
        let mut set = RuleSet {
            rules: Vec::with_capacity(builtin::BUILTIN_RULES.len()),
        };
        let mut errors = Vec::new();
        for data in builtin::BUILTIN_RULES {
            let origin = RuleOrigin {
                file: data.file.to_string(),
                line: data.line,
            };
            match compile_builtin(data.to_syntax(), origin) {
                Ok(mut rule) => {
                    // the examples stay in the binary: only `rules check` and tests read them
                    rule.examples = data.examples.iter().map(|e| Cow::Borrowed(*e)).collect();
                    rule.negative_examples = (data.negative_examples.iter())
                        .map(|e| Cow::Borrowed(*e))
                        .collect();
                    set.rules.push(rule);
                }
                Err(e) => errors.push(e),
            }
        }
        errors.extend(set.check_ids());
        errors.extend(set.check_requires());
        into_result(set, errors)
    }

    /// Parses and compiles rule files given as `(file name, text)`; reports every problem found.
    pub fn from_sources<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut set = RuleSet::default();
        let mut errors = Vec::new();
        for (file, text) in files {
            match parse_rule_file(file, text) {
                Ok(rules) => {
                    for (syntax, line) in rules {
                        match compile_rule(
                            syntax,
                            RuleOrigin {
                                file: file.to_string(),
                                line,
                            },
                        ) {
                            Ok(rule) => set.rules.push(rule),
                            Err(e) => errors.push(e),
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        errors.extend(set.check_ids());
        errors.extend(set.check_requires());
        into_result(set, errors)
    }

    /// Ids must be unique: an error names both definitions of a duplicate id.
    fn check_ids(&self) -> Vec<Error> {
        let mut first: std::collections::HashMap<&str, &Rule> = Default::default();
        let mut errors = Vec::new();
        for rule in &self.rules {
            if let Some(prev) = first.insert(&rule.id, rule) {
                first.insert(&prev.id, prev);
                errors.push(duplicate(prev, rule));
            }
        }
        errors
    }

    /// Every composite rule's companion must exist, and every companion-only rule must be some
    /// composite rule's companion (otherwise it could never show up).
    fn check_requires(&self) -> Vec<Error> {
        let fail = |r: &Rule, message: String| Error::RuleFile {
            file: r.origin.file.clone(),
            line: r.origin.line,
            rule: Some(r.id.clone()),
            message,
        };
        let unknown = self.rules.iter().flat_map(|r| {
            r.requires
                .iter()
                .filter(|(id, _)| self.get(id).is_none())
                .map(move |(id, _)| fail(r, format!("requires unknown rule `{id}`")))
        });
        let required: HashSet<&str> = (self.rules.iter())
            .flat_map(|o| o.requires.iter().map(|(id, _)| id.as_str()))
            .collect();
        let unused = self
            .rules
            .iter()
            .filter(|r| r.companion_only && !required.contains(r.id.as_str()))
            .map(|r| {
                fail(
                    r,
                    "companion_only, but no rule requires it, so it can never be reported".into(),
                )
            });
        unknown.chain(unused).collect()
    }

    /// Adds a rule; a duplicate id is an error that names both definitions.
    pub fn push(&mut self, rule: Rule) -> Result<()> {
        if let Some(prev) = self.rules.iter().find(|r| r.id == rule.id) {
            return Err(duplicate(prev, &rule));
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Adds every rule of `other`, replacing none: ids must stay unique.
    pub fn extend(&mut self, other: RuleSet) -> Result<()> {
        let mut errors = Vec::new();
        let mut ids: HashSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        for rule in other.rules {
            if ids.insert(rule.id.clone()) {
                self.rules.push(rule);
            } else {
                let prev = self.get(&rule.id).expect("an id already in the set");
                errors.push(duplicate(prev, &rule));
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.pop().expect("one error")),
            _ => Err(Error::RuleFiles(errors)),
        }
    }

    /// Removes the rules with these ids; returns the ids that named no rule.
    pub fn disable<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut unknown = Vec::new();
        for id in ids {
            let before = self.rules.len();
            self.rules.retain(|r| r.id != id);
            if self.rules.len() == before {
                unknown.push(id.to_string());
            }
        }
        unknown
    }

    /// Merges an allowlist into one rule's own; false when no rule has that id.
    pub fn add_rule_allowlist(&mut self, id: &str, extra: Allowlist) -> bool {
        match self.rules.iter_mut().find(|r| r.id == id) {
            Some(rule) => {
                rule.allowlist.regexes.extend(extra.regexes);
                rule.allowlist.stopwords.extend(extra.stopwords);
                rule.allowlist.paths.extend(extra.paths);
                rule.allowlist.matches.extend(extra.matches);
                true
            }
            None => false,
        }
    }

    /// The rules in definition order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// A digest of everything that decides what the rules find, in order (a cache of scan results is
    /// valid only under the same digest): every field of every rule but where it was defined.
    pub fn identity(&self) -> [u8; 32] {
        let mut h = Identity::default();
        for rule in &self.rules {
            rule.identity_into(&mut h);
        }
        h.finish()
    }
}

/// A digest fed field by field, each length-prefixed.
#[derive(Default)]
pub struct Identity(sha2::Sha256);

impl Identity {
    /// Feeds one field.
    pub fn field(&mut self, value: impl AsRef<[u8]>) {
        use sha2::Digest;
        let value = value.as_ref();
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value);
    }

    /// Feeds a list of fields, with its length.
    fn list<T: AsRef<[u8]>>(&mut self, values: impl IntoIterator<Item = T>) {
        let values: Vec<T> = values.into_iter().collect();
        self.field(values.len().to_le_bytes());
        for v in values {
            self.field(v);
        }
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        use sha2::Digest;
        self.0.finalize().into()
    }
}

impl Allowlist {
    /// Feeds what decides what the allowlist allows into `h`.
    pub fn identity_into(&self, h: &mut Identity) {
        h.list(self.regexes.iter().map(Pattern::identity));
        h.list(&self.stopwords);
        h.list(self.paths.iter().map(Pattern::identity));
        h.list(self.matches.iter().map(Pattern::identity));
    }
}

impl Rule {
    /// Feeds every field that decides what the rule finds and how it reports it into `h`.
    fn identity_into(&self, h: &mut Identity) {
        let texts = [&self.id, &self.name];
        h.list(texts.iter().map(|s| s.as_bytes()));
        h.field(format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{}|{}|{:?}",
            self.description,
            self.confidence,
            self.min_entropy.map(f64::to_bits),
            self.min_randomness.map(f64::to_bits),
            self.checksum,
            self.multiline,
            self.generic,
            self.weak_password,
            self.context_lines,
            self.secret_group_syntax,
        ));
        h.list(&self.keywords);
        h.list(self.examples.iter().map(|e| e.as_bytes()));
        h.list(self.negative_examples.iter().map(|e| e.as_bytes()));
        h.field(format!("{:?}", self.example_path));
        h.list(self.also_match.iter().map(Pattern::identity));
        h.list(self.requires.iter().map(|(id, n)| format!("{id}:{n}")));
        h.field(format!("{}", self.companion_only));
        h.field(
            self.path
                .as_ref()
                .map(Pattern::identity)
                .unwrap_or_default(),
        );
        h.field(
            self.regex
                .as_ref()
                .map(Pattern::identity)
                .unwrap_or_default(),
        );
        self.allowlist.identity_into(h);
    }
}

/// The error for a rule whose id an earlier rule already has.
fn duplicate(prev: &Rule, rule: &Rule) -> Error {
    Error::RuleFile {
        file: rule.origin.file.clone(),
        line: rule.origin.line,
        rule: Some(rule.id.clone()),
        message: format!(
            "duplicate rule id (first defined at {}:{})",
            prev.origin.file, prev.origin.line
        ),
    }
}

/// `set` when there are no errors; else the one error, or all of them.
fn into_result(set: RuleSet, mut errors: Vec<Error>) -> Result<RuleSet> {
    match errors.len() {
        0 => Ok(set),
        1 => Err(errors.pop().expect("one error")),
        _ => Err(Error::RuleFiles(errors)),
    }
}

/// Parses one rule file into rules paired with the line of their `id`.
pub fn parse_rule_file(file: &str, text: &str) -> Result<Vec<(RuleSyntax, usize)>> {
    syntax::parse_file(text).map_err(|e| Error::RuleFile {
        file: file.to_string(),
        line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
        rule: None,
        message: e.message().trim().to_string(),
    })
}

/// Which group of `regex` holds the secret: `secret_group` when written (it must exist), else a group
/// named `secret`, else the first group that took part in the match, else the whole match.
fn secret_group(regex: &Regex, written: Option<usize>) -> std::result::Result<SecretGroup, String> {
    let captures = regex.captures_len() - 1;
    let named = regex.capture_names().any(|n| n == Some("secret"));
    Ok(match written {
        Some(i) if i == 0 || i > captures => {
            return Err(format!(
                "secret_group = {i} but the regex has {captures} capture group(s)"
            ))
        }
        Some(i) => SecretGroup::Index(i),
        None if named => SecretGroup::Named,
        None if captures >= 1 => SecretGroup::FirstParticipating,
        None => SecretGroup::WholeMatch,
    })
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The checks on a rule as written that need no regex compiled.
fn check_syntax(syntax: &RuleSyntax) -> std::result::Result<(), String> {
    if !is_kebab(&syntax.id) {
        return Err("id must be lowercase kebab-case (a-z, 0-9, '-')".into());
    }
    if syntax.name.trim().is_empty() {
        return Err("name is empty".into());
    }
    if syntax.regex.is_some() && syntax.keywords.is_empty() {
        return Err(
            "missing keywords: every rule with a regex needs at least one keyword for the prefilter"
                .into(),
        );
    }
    if syntax.regex.is_none() && syntax.path.is_none() {
        return Err("a rule needs a regex, a path, or both".into());
    }
    if let Some(kw) = syntax.keywords.iter().find(|kw| kw.trim().len() < 2) {
        return Err(format!(
            "keyword `{kw}` is shorter than 2 characters and would select the rule almost everywhere"
        ));
    }
    if let Some(t) = syntax.test_confidence.filter(|t| *t >= syntax.confidence) {
        return Err(format!(
            "test_confidence `{}` must be lower than confidence `{}`",
            t.as_str(),
            syntax.confidence.as_str()
        ));
    }
    if let Some(e) = syntax.min_entropy.filter(|e| !(0.0..=8.0).contains(e)) {
        return Err(format!("min_entropy {e} is outside 0..=8 bits per byte"));
    }
    if let Some(r) = syntax.min_randomness.filter(|r| !(0.0..=8.0).contains(r)) {
        return Err(format!(
            "min_randomness {r} is outside 0..=8 bits per character"
        ));
    }
    Ok(())
}

/// Validates and compiles one rule a user wrote: every regex is compiled now, so one that cannot
/// compile is an error naming the rule's file, line and id.
pub fn compile_rule(syntax: RuleSyntax, origin: RuleOrigin) -> Result<Rule> {
    build_rule(bound_text(syntax), origin, When::Now)
}

/// Validates one built-in rule; its regexes compile on first use.
pub(crate) fn compile_builtin(syntax: RuleSyntax, origin: RuleOrigin) -> Result<Rule> {
    build_rule(syntax, origin, When::FirstUse)
}

/// Bounds the text reports copy from a rule: a repository's config is repository text, and a report
/// copies no more of it than [`repotext`] allows.
fn bound_text(mut syntax: RuleSyntax) -> RuleSyntax {
    repotext::bound_in_place(&mut syntax.name, repotext::MAX_FIELD);
    if let Some(d) = &mut syntax.description {
        repotext::bound_in_place(d, repotext::MAX_TEXT);
    }
    syntax
}

fn owned(texts: Vec<String>) -> Vec<Cow<'static, str>> {
    texts.into_iter().map(Cow::Owned).collect()
}

fn build_rule(syntax: RuleSyntax, origin: RuleOrigin, when: When) -> Result<Rule> {
    let fail = |message: String| Error::RuleFile {
        file: origin.file.clone(),
        line: origin.line,
        rule: Some(syntax.id.clone()),
        message,
    };
    check_syntax(&syntax).map_err(fail)?;
    let regex = syntax
        .regex
        .as_deref()
        .map(|src| when.pattern(src, false))
        .transpose()
        .map_err(|e| fail(format!("bad regex: {e}")))?;
    let secret_group = OnceLock::new();
    if let Some(compiled) = regex.as_ref().filter(|_| when == When::Now) {
        let group = self::secret_group(compiled.regex(), syntax.secret_group).map_err(fail)?;
        secret_group.set(group).expect("set once");
    }
    let path = syntax
        .path
        .as_deref()
        .map(|src| when.pattern(src, true))
        .transpose()
        .map_err(|e| fail(format!("bad path regex: {e}")))?;
    let allowlist = Allowlist::build(&syntax.allowlist, when).map_err(fail)?;
    let also_match = syntax
        .also_match
        .iter()
        .map(|r| {
            when.pattern(r, true)
                .map_err(|e| fail(format!("bad also_match regex `{r}`: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let checksum = syntax
        .checksum
        .as_deref()
        .map(Checksum::from_str)
        .transpose()
        .map_err(fail)?;
    Ok(Rule {
        generic: syntax.tags.iter().any(|t| t == "generic"),
        id: syntax.id,
        name: syntax.name,
        description: syntax.description,
        confidence: syntax.confidence,
        test_confidence: syntax.test_confidence,
        keywords: syntax.keywords,
        min_entropy: syntax.min_entropy,
        min_randomness: syntax.min_randomness,
        multiline: syntax.multiline,
        checksum,
        weak_password: syntax.tags.iter().any(|t| t == "weak-password"),
        references: syntax.references,
        examples: owned(syntax.examples),
        negative_examples: owned(syntax.negative_examples),
        example_path: syntax.example_path,
        context_lines: syntax.context_lines.min(20),
        also_match,
        requires: syntax
            .requires
            .map(|r| {
                r.into_vec()
                    .into_iter()
                    .map(|r| (r.rule, r.within_lines))
                    .collect()
            })
            .unwrap_or_default(),
        companion_only: syntax.companion_only,
        origin,
        path,
        allowlist,
        regex,
        secret_group_syntax: syntax.secret_group,
        secret_group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_rule() {
        let text =
            "[[rule]]\nid = \"ok-rule\"\nname = \"x\"\nregex = '''(abc'''\nkeywords = [\"abc\"]\n";
        let err = RuleSet::from_sources([("my.toml", text)])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("my.toml:2: rule `ok-rule`: bad regex"),
            "{err}"
        );
    }

    #[test]
    fn composite_companions_must_exist_and_be_used() {
        let text = "[[rule]]\nid = \"pair\"\nname = \"x\"\nregex = '(abc)'\nkeywords = [\"abc\"]\n\
                    requires = { rule = \"nope\", within_lines = 2 }\n\
                    [[rule]]\nid = \"lonely\"\nname = \"y\"\nregex = '(abd)'\nkeywords = [\"abd\"]\n\
                    companion_only = true\n";
        let err = RuleSet::from_sources([("f.toml", text)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("f.toml:2: rule `pair`: requires unknown rule `nope`"),
            "{err}"
        );
        assert!(
            err.contains("f.toml:8: rule `lonely`: companion_only, but no rule"),
            "{err}"
        );
    }

    #[test]
    fn unknown_field_is_reported_with_its_line() {
        let text = "[[rule]]\nid = \"a\"\nname = \"x\"\nregexp = 'abc'\n";
        let err = RuleSet::from_sources([("f.toml", text)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.toml:"), "{err}");
        assert!(err.contains("unknown field `regexp`"), "{err}");
    }

    #[test]
    fn duplicate_ids_and_missing_keywords() {
        let text = "[[rule]]\nid = \"a\"\nname = \"x\"\nregex = '(abc)'\nkeywords = [\"abc\"]\n\
                    [[rule]]\nid = \"a\"\nname = \"y\"\nregex = '(abd)'\nkeywords = [\"abd\"]\n\
                    [[rule]]\nid = \"b\"\nname = \"z\"\nregex = '(abe)'\n";
        let err = RuleSet::from_sources([("f.toml", text)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("f.toml:7: rule `a`: duplicate rule id (first defined at f.toml:2)"),
            "{err}"
        );
        assert!(
            err.contains("f.toml:12: rule `b`: missing keywords"),
            "{err}"
        );
    }

    #[test]
    fn applies_at_path_allowlist_and_templates() {
        let text = r#"
[[rule]]
id = "low"
name = "x"
confidence = "low"
regex = '(abc)'
keywords = ["abc"]
path = '\.env'
[rule.allowlist]
paths = ['^vendor/']

[[rule]]
id = "high"
name = "y"
regex = '(abd)'
keywords = ["abd"]
"#;
        let set = RuleSet::from_sources([("f.toml", text)]).unwrap();
        let (low, high) = (&set.rules()[0], &set.rules()[1]);
        assert!(low.applies_at("app/.env"));
        assert!(!low.applies_at("app/main.rs"), "outside its path");
        assert!(!low.applies_at("vendor/.env"), "allowlisted path");
        assert!(
            !low.applies_at("app/.env.example"),
            "template file, low confidence"
        );
        assert!(high.applies_at("app/.env.example"), "high confidence");
        assert!(high.applies_at("anything.txt"));
    }

    #[test]
    fn template_paths() {
        assert!(is_template_path(".env.example"));
        assert!(is_template_path("config/app.sample.yml"));
        assert!(is_template_path("deploy/values.yaml.tmpl"));
        assert!(!is_template_path("src/example_test.go"));
        assert!(!is_template_path(".env"));
    }

    #[test]
    fn secret_group_selection() {
        let text = "[[rule]]\nid = \"a\"\nname = \"x\"\nregex = 'key=(?P<secret>[a-z]+)'\nkeywords = [\"key\"]\n";
        let set = RuleSet::from_sources([("f.toml", text)]).unwrap();
        let rule = &set.rules()[0];
        let caps = rule.regex().unwrap().captures(b"key=abc").unwrap();
        assert_eq!(rule.secret_span(&caps), Some(4..7));
    }
}
