//! The rule format as written in `rules/*.toml` and in a config's `[[rule]]` tables: plain serde structs,
//! no compiled regexes, and [`parse_file`], which reads one file and finds the line of each rule. The build
//! script includes this file too (it parses the built-in rules at build time), so it depends on nothing
//! else in the crate. `compile` turns these structs into `Rule`s.

use std::collections::HashMap;

use serde::Deserialize;

/// Parses one rule file into its rules, each paired with the 1-based line of its `id`.
pub fn parse_file(text: &str) -> Result<Vec<(RuleSyntax, usize)>, toml::de::Error> {
    let parsed: RuleFile = toml::from_str(text)?;
    let lines = id_line_numbers(text, parsed.rules.iter().map(|r| r.id.as_str()));
    Ok(parsed.rules.into_iter().zip(lines).collect())
}

/// The 1-based line of each rule's `id = "..."` in `text`, for rules given by id in file order: a
/// duplicated id takes its next line; 1 when not found. One pass over the text however many rules there
/// are (looking each id up separately made loading 10,000 rules quadratic).
pub fn id_line_numbers<'a>(text: &str, ids: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let mut lines = id_lines(text);
    ids.into_iter()
        .map(|id| {
            lines
                .get_mut(id)
                .and_then(|l| (!l.is_empty()).then(|| l.remove(0)))
                .unwrap_or(1)
        })
        .collect()
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Maps each id of a rule file to the 1-based lines of its `id = "..."` lines, in file order.
pub fn id_lines(text: &str) -> HashMap<&str, Vec<usize>> {
    let mut map = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("id") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim();
        let quote = match value.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => continue,
        };
        if let Some(end) = value[1..].find(quote) {
            map.entry(&value[1..1 + end])
                .or_insert_with(Vec::new)
                .push(i + 1);
        }
    }
    map
}

/// One rule file: a list of `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules, in file order.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSyntax>,
}

/// How sure a rule is that its match is a live secret.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Generic patterns (`password = ...`) gated by randomness.
    Low,
    /// Provider secrets without a distinctive prefix, recognised by context.
    Medium,
    /// Distinctive, structured tokens (`ghp_…`, `AKIA…`, PEM private keys).
    #[default]
    High,
}

impl Confidence {
    /// The lowercase name used in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    /// Stable identifier, lowercase kebab-case; never reused for another meaning.
    pub id: String,
    /// Short human name.
    pub name: String,
    /// One sentence on what the secret grants and why it matters.
    #[serde(default)]
    pub description: Option<String>,
    /// The pattern; the first capture group that took part in the match (or a group named `secret`) is
    /// the secret.
    #[serde(default)]
    pub regex: Option<String>,
    /// Which capture group holds the secret, when it is not 1 or `secret`.
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Case-insensitive literals; the regex runs only near them.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Minimum estimated guessing bits per character of the secret (see [`crate::randomness::estimate`]):
    /// the dictionary-aware gate generic rules use instead of entropy alone.
    #[serde(default)]
    pub min_randomness: Option<f64>,
    /// Only files whose path matches this regex; with no `regex`, the file itself is the finding.
    #[serde(default)]
    pub path: Option<String>,
    /// Lets the regex run past the end of the keyword's line (PEM blocks).
    #[serde(default)]
    pub multiline: bool,
    /// How sure a match is.
    #[serde(default)]
    pub confidence: Confidence,
    /// The lower confidence of a match that is test data: found at a test or fixture path, or with a
    /// value that says it is fake (`fake`, `mock`, `dummy`, `test` as a word). Still reported.
    #[serde(default)]
    pub test_confidence: Option<Confidence>,
    /// An offline structure check the secret must pass (see [`crate::engine::checksum`]).
    #[serde(default)]
    pub checksum: Option<String>,
    /// Free-form labels (`generic`, `file`, ...).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Matches this rule must not report.
    #[serde(default)]
    pub allowlist: AllowlistSyntax,
    /// Documentation of the format and of how to rotate the secret.
    #[serde(default)]
    pub references: Vec<String>,
    /// Texts the rule must find a secret in.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must find nothing in.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// The path examples are checked under, for rules restricted by `path`.
    #[serde(default)]
    pub example_path: Option<String>,
    /// Lines before and after the keyword's line that the regex also sees (for secrets whose name or
    /// companion is on a neighbouring line).
    #[serde(default)]
    pub context_lines: usize,
    /// Regexes the whole match must also match (the "must also match" of lookahead, on a linear-time
    /// engine); the allowlist's `matches` are the "must not match".
    #[serde(default)]
    pub also_match: Vec<String>,
    /// Other rules that must match nearby for this rule's match to count (a composite rule): one
    /// companion (`requires = { rule = … }`) or several, all of which must be there (`requires = [ … ]`:
    /// a host, a user and a password together).
    #[serde(default)]
    pub requires: Option<RequiresList>,
    /// Matches only to complete a composite rule (an OAuth client ID is not a secret by itself): never
    /// reported on its own.
    #[serde(default)]
    pub companion_only: bool,
}

/// One companion or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RequiresList {
    /// `requires = { rule = "…", within_lines = N }`
    One(RequiresSyntax),
    /// `requires = [{ rule = "…" }, { rule = "…" }]`
    All(Vec<RequiresSyntax>),
}

impl RequiresList {
    /// The companions, in the order written.
    pub fn into_vec(self) -> Vec<RequiresSyntax> {
        match self {
            RequiresList::One(r) => vec![r],
            RequiresList::All(v) => v,
        }
    }
}

/// A composite rule's companion: a match of rule `rule` within `within_lines` lines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiresSyntax {
    /// The companion rule's id.
    pub rule: String,
    /// How many lines apart the two matches may be.
    #[serde(default = "default_within_lines")]
    pub within_lines: usize,
}

fn default_within_lines() -> usize {
    5
}

/// Matches a rule (or the whole scan) must not report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSyntax {
    /// A secret matching any of these regexes is dropped.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// A secret containing any of these words (case-insensitive) is dropped.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Files whose relative path matches any of these regexes are not reported.
    #[serde(default)]
    pub paths: Vec<String>,
    /// A match whose whole text (not only the secret) matches any of these is dropped: the "must not
    /// match" that lookaround would express, e.g. a `password_hash = ...` name.
    #[serde(default)]
    pub matches: Vec<String>,
}
