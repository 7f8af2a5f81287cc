//! The rule list (`keyhound rules list`): one [`RuleSummary`] per rule, written as a JSON array or as
//! aligned text columns. It describes rules; it never runs them.

use std::io::Write;

use serde::Serialize;

use super::escape::terminal;
use crate::rules::{Rule, RuleSet};

/// What the rule list says about one rule. Fields are in alphabetical order, the order of the JSON keys.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary<'a> {
    /// Reported only as the companion of a composite rule, never alone.
    pub companion_only: bool,
    /// `low`, `medium` or `high`.
    pub confidence: &'static str,
    /// What the secret grants.
    pub description: Option<&'a str>,
    /// The rule file it came from.
    pub file: &'a str,
    /// The stable id.
    pub id: &'a str,
    /// Prefilter keywords (empty for a path-only rule).
    pub keywords: &'a [String],
    /// The human name.
    pub name: &'a str,
    /// The provider's documentation of the format.
    pub references: &'a [String],
    /// For a composite rule: the (first) companion rule it needs, and within how many lines.
    pub requires: Option<Requires<'a>>,
    /// The further companions of a composite rule that needs several (a credential group).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_requires: Vec<Requires<'a>>,
}

/// The companion a composite rule needs.
#[derive(Debug, Clone, Serialize)]
pub struct Requires<'a> {
    /// The companion rule's id.
    pub rule: &'a str,
    /// How many lines away it may be.
    pub within_lines: usize,
}

impl<'a> From<&'a Rule> for RuleSummary<'a> {
    fn from(r: &'a Rule) -> Self {
        RuleSummary {
            companion_only: r.companion_only,
            confidence: r.confidence.as_str(),
            description: r.description.as_deref(),
            file: &r.origin.file,
            id: &r.id,
            keywords: &r.keywords,
            name: &r.name,
            references: &r.references,
            requires: r.requires.first().map(|(id, lines)| Requires {
                rule: id,
                within_lines: *lines,
            }),
            also_requires: r
                .requires
                .iter()
                .skip(1)
                .map(|(id, lines)| Requires {
                    rule: id,
                    within_lines: *lines,
                })
                .collect(),
        }
    }
}

/// Writes every rule as one pretty-printed JSON array.
pub fn write_json(rules: &RuleSet, out: &mut dyn Write) -> std::io::Result<()> {
    let list: Vec<RuleSummary<'_>> = rules.rules().iter().map(RuleSummary::from).collect();
    serde_json::to_writer_pretty(&mut *out, &list)?;
    writeln!(out)
}

/// Writes one line per rule (id, confidence, keywords, name; escaped, rules can come from a scanned
/// repository's config), then the count.
pub fn write_text(rules: &RuleSet, out: &mut dyn Write) -> std::io::Result<()> {
    let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(10);
    for r in rules.rules() {
        let kws = if r.keywords.is_empty() {
            "(path)".to_string()
        } else {
            r.keywords.join(",")
        };
        let name = if r.companion_only {
            format!("{} (only with a composite rule, never alone)", r.name)
        } else {
            r.name.clone()
        };
        writeln!(
            out,
            "{:width$}  {:6}  {:30}  {}",
            terminal(&r.id),
            r.confidence.as_str(),
            terminal(&truncate(&kws, 30)),
            terminal(&name)
        )?;
    }
    writeln!(out, "{} rules", rules.len())
}

/// `s` cut to `n` characters, the last one an ellipsis when it was cut.
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_every_rule_with_its_fields() {
        let rules = RuleSet::builtin().unwrap();
        let mut out = Vec::new();
        write_json(&rules, &mut out).unwrap();
        let list: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
        assert_eq!(list.len(), rules.len());
        let keys: Vec<&str> = list[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "companion_only",
                "confidence",
                "description",
                "file",
                "id",
                "keywords",
                "name",
                "references",
                "requires"
            ]
        );
        let composite = list.iter().find(|r| !r["requires"].is_null()).unwrap();
        assert!(composite["requires"]["rule"].is_string());
        assert!(composite["requires"]["within_lines"].is_u64());
    }

    #[test]
    fn text_ends_with_the_count() {
        let rules = RuleSet::builtin().unwrap();
        let mut out = Vec::new();
        write_text(&rules, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), rules.len() + 1);
        assert!(text.ends_with(&format!("{} rules\n", rules.len())));
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
