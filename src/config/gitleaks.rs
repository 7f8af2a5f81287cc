//! Importing a gitleaks configuration (`.gitleaks.toml`) as a keyhound config, so a team can switch tools
//! without rewriting its rules and allowlists. Rules, `secretGroup`, `entropy`, `keywords`, `path`,
//! per-rule and global allowlists (`regexes` with `regexTarget` secret or match, `paths`, `stopwords`),
//! `[extend] useDefault` and `disabledRules` are understood. Differences, said here once: `regexTarget =
//! "line"` is applied to the match (keyhound's regexes run per line, so the two are close); allowlist
//! `commits` and `condition = "AND"` are not supported, and since both only ever narrow what is reported,
//! an allowlist using them is skipped with a warning (keyhound then reports more, never less); a rule
//! without keywords gets them from the literal text its regex requires. Produces a [`ConfigSyntax`] and
//! never reads files itself.

use serde::Deserialize;

use super::syntax::ConfigSyntax;
use crate::rules::{AllowlistSyntax, Confidence, RuleSyntax};

/// A gitleaks config file, as far as keyhound reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksConfig {
    #[serde(default)]
    extend: Option<Extend>,
    #[serde(default)]
    rules: Vec<GitleaksRule>,
    #[serde(default)]
    allowlist: Option<GitleaksAllowlist>,
    #[serde(default)]
    allowlists: Vec<GitleaksAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extend {
    #[serde(default)]
    use_default: bool,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksRule {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<GitleaksAllowlist>,
    #[serde(default)]
    allowlists: Vec<GitleaksAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GitleaksAllowlist {
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
}

/// True when a TOML document is a gitleaks config (`[[rules]]`, `[extend]`, `[[allowlists]]`, `title`).
pub fn looks_like_gitleaks(doc: &toml::Table) -> bool {
    ["rules", "extend", "allowlists", "title"]
        .iter()
        .any(|k| doc.contains_key(*k))
        && !doc.contains_key("rule")
}

/// A converted gitleaks config.
#[derive(Debug)]
pub struct Converted {
    /// The config in keyhound's terms.
    pub syntax: ConfigSyntax,
    /// `[extend] useDefault = true`: the built-in rules stay (else they are replaced, as in gitleaks).
    pub use_default: bool,
    /// What could not be carried over (each allowlist skipped, and why).
    pub warnings: Vec<String>,
}

/// Converts a gitleaks config into keyhound's.
pub fn convert(text: &str) -> Result<Converted, String> {
    let config: GitleaksConfig =
        toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    let mut out = ConfigSyntax::default();
    let mut warnings = Vec::new();
    let use_default = config.extend.as_ref().is_some_and(|e| e.use_default);
    if let Some(extend) = &config.extend {
        if let Some(path) = &extend.path {
            return Err(format!(
                "[extend] path = \"{path}\" is not supported: merge that file's rules into this one"
            ));
        }
        out.disabled_rules
            .extend(extend.disabled_rules.iter().cloned());
    }
    for list in config.allowlist.iter().chain(&config.allowlists) {
        merge_allowlist(
            &mut out.allowlist,
            list,
            "the global allowlist",
            &mut warnings,
        )?;
    }
    for rule in config.rules {
        out.rules.push(convert_rule(rule, &mut warnings)?);
    }
    Ok(Converted {
        syntax: out,
        use_default,
        warnings,
    })
}

fn merge_allowlist(
    into: &mut AllowlistSyntax,
    list: &GitleaksAllowlist,
    what: &str,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    if !list.commits.is_empty() {
        warnings.push(format!(
            "{what}: an allowlist of commits was skipped (use .keyhoundignore fingerprints instead)"
        ));
        return Ok(());
    }
    if list
        .condition
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("and"))
    {
        warnings.push(format!(
            "{what}: an allowlist with condition = \"AND\" was skipped"
        ));
        return Ok(());
    }
    into.paths
        .extend(list.paths.iter().map(|r| go_regex_to_rust(r)));
    into.stopwords.extend(list.stopwords.iter().cloned());
    let regexes = list.regexes.iter().map(|r| go_regex_to_rust(r));
    match list.regex_target.as_deref().unwrap_or("secret") {
        "secret" => into.regexes.extend(regexes),
        "match" | "line" => into.matches.extend(regexes),
        other => return Err(format!("{what}: unknown regexTarget `{other}`")),
    }
    Ok(())
}

/// gitleaks ids are kebab-case by convention but not by rule; keyhound's must be.
fn kebab(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn convert_rule(rule: GitleaksRule, warnings: &mut Vec<String>) -> Result<RuleSyntax, String> {
    let id = kebab(&rule.id);
    let what = format!("rule `{}`", rule.id);
    let mut allowlist = AllowlistSyntax::default();
    for list in rule.allowlist.iter().chain(&rule.allowlists) {
        merge_allowlist(&mut allowlist, list, &what, warnings)?;
    }
    let mut keywords = rule.keywords.clone();
    if keywords.is_empty() {
        if let Some(regex) = &rule.regex {
            keywords = required_literals(regex).ok_or_else(|| {
                format!("{what} has no keywords and its regex requires no literal text to look for: add `keywords = [...]`")
            })?;
        }
    }
    Ok(RuleSyntax {
        id,
        name: rule.description.clone().unwrap_or_else(|| rule.id.clone()),
        description: rule.description,
        regex: rule
            .regex
            .as_deref()
            .map(go_regex_to_rust)
            .map(unicode_classes),
        secret_group: rule.secret_group.filter(|g| *g > 0),
        keywords,
        min_entropy: rule.entropy,
        min_randomness: None,
        path: rule.path.as_deref().map(go_regex_to_rust),
        multiline: false,
        confidence: Confidence::Medium,
        test_confidence: None,
        checksum: None,
        tags: rule.tags,
        allowlist,
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
        example_path: None,
        context_lines: 0,
        also_match: Vec::new(),
        requires: None,
        companion_only: false,
    })
}

/// Go's regexes are Unicode-aware and keyhound's rule regexes run in ASCII mode, where a Unicode class
/// (`\pL`, `\p{Greek}`) does not compile: a rule regex that names one gets Unicode mode back.
fn unicode_classes(re: String) -> String {
    if re.contains("\\p") || re.contains("\\P") {
        format!("(?u){re}")
    } else {
        re
    }
}

/// Rewrites the RE2 (Go) habits Rust's regex does not accept: a `{` or `}` that is not part of a
/// repetition is a literal brace in Go, and must be escaped in Rust.
pub fn go_regex_to_rust(re: &str) -> String {
    let chars: Vec<char> = re.chars().collect();
    let mut out = String::with_capacity(re.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    let mut open_quantifier = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                // A repetition is `{n}`, `{n,}` or `{n,m}`.
                let rest: String = chars[i + 1..].iter().take_while(|c| **c != '}').collect();
                let closed = chars.len() > i + 1 + rest.len();
                let valid = closed
                    && !rest.is_empty()
                    && rest.split(',').count() <= 2
                    && rest
                        .split(',')
                        .next()
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|d| d.is_ascii_digit()))
                    && rest
                        .split(',')
                        .nth(1)
                        .is_none_or(|m| m.chars().all(|d| d.is_ascii_digit()));
                if valid {
                    open_quantifier = true;
                } else {
                    out.push_str("\\{");
                    i += 1;
                    continue;
                }
            }
            '}' if !in_class => {
                if open_quantifier {
                    open_quantifier = false;
                } else {
                    out.push_str("\\}");
                    i += 1;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Literal strings (3+ bytes) one of which every match of `regex` contains, lowercased.
fn required_literals(regex: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(regex)
        .ok()?;
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let mut extractor = Extractor::new();
        extractor.kind(kind);
        let seq = extractor.extract(&hir);
        if let Some(lits) = seq.literals() {
            let words: Vec<String> = lits
                .iter()
                .map(|l| String::from_utf8_lossy(l.as_bytes()).to_ascii_lowercase())
                .collect();
            if !words.is_empty() && words.iter().all(|w| w.trim().len() >= 3) {
                let mut words = words;
                words.sort();
                words.dedup();
                return Some(words);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_rules_allowlists_and_extend() {
        let text = r#"
title = "team config"
[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "acme_internal"
description = "ACME internal token"
regex = '''(acme_[a-z0-9]{32})'''
secretGroup = 1
entropy = 3.0
  [[rules.allowlists]]
  regexTarget = "match"
  regexes = ['''test''']

[allowlist]
paths = ['''^vendor/''']
stopwords = ["dummy"]
"#;
        let doc: toml::Table = toml::from_str(text).unwrap();
        assert!(looks_like_gitleaks(&doc));
        let Converted {
            syntax: config,
            use_default,
            ..
        } = convert(text).unwrap();
        assert!(use_default);
        assert_eq!(config.disabled_rules, vec!["generic-api-key"]);
        assert_eq!(config.allowlist.paths, vec!["^vendor/"]);
        let rule = &config.rules[0];
        assert_eq!(rule.id, "acme-internal");
        assert_eq!(rule.keywords, vec!["acme_"]);
        assert_eq!(rule.min_entropy, Some(3.0));
        assert_eq!(rule.allowlist.matches, vec!["test"]);
    }

    #[test]
    fn go_braces_become_rust_escapes() {
        assert_eq!(go_regex_to_rust(r"a{2,3}b{x}"), r"a{2,3}b\{x\}");
        assert_eq!(go_regex_to_rust(r"\$?{{[^}]+}}"), r"\$?\{\{[^}]+\}\}");
        assert_eq!(go_regex_to_rust(r"[{}]{4}"), r"[{}]{4}");
        assert!(regex::Regex::new(&go_regex_to_rust(r"import[ \t]+{[ \t\w,]+}[ \t]+from")).is_ok());
    }

    #[test]
    fn unsupported_parts_are_errors() {
        let err = convert("[[rules]]\nid = \"x\"\nregex = '''[a-z]{40}'''\n").unwrap_err();
        assert!(err.contains("add `keywords"), "{err}");
        let converted = convert("[allowlist]\ncommits = [\"abc\"]\n").unwrap();
        assert!(converted.warnings[0].contains("commits"));
    }
}
