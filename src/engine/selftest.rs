//! Runs every rule's own examples through the engine: each example must yield a finding of that rule and
//! each negative example none. Used by `keyhound rules check` and by the rules test.

use crate::error::Error;
use crate::rules::Rule;

use super::{Engine, Scratch};

/// Minimum examples and negative examples a rule must carry.
pub const MIN_EXAMPLES: usize = 2;

/// Checks the examples of every rule in `rules`; returns one error per problem.
pub fn check_examples(engine: &Engine) -> Vec<Error> {
    let mut errors = Vec::new();
    let mut scratch = engine.scratch();
    for (index, rule) in engine.rules().rules().iter().enumerate() {
        check_rule(engine, index, rule, &mut scratch, &mut errors);
    }
    errors
}

fn error(rule: &Rule, message: String) -> Error {
    Error::RuleFile {
        file: rule.origin.file.clone(),
        line: rule.origin.line,
        rule: Some(rule.id.clone()),
        message,
    }
}

fn check_rule(
    engine: &Engine,
    index: usize,
    rule: &Rule,
    scratch: &mut Scratch,
    errors: &mut Vec<Error>,
) {
    if let Err(e) = rule.check_patterns() {
        errors.push(error(rule, format!("regex does not compile: {e}")));
        return;
    }
    if rule.examples.len() < MIN_EXAMPLES {
        errors.push(error(
            rule,
            format!(
                "has {} example(s); at least {MIN_EXAMPLES} are required",
                rule.examples.len()
            ),
        ));
    }
    if rule.negative_examples.len() < MIN_EXAMPLES {
        errors.push(error(
            rule,
            format!(
                "has {} negative example(s); at least {MIN_EXAMPLES} are required",
                rule.negative_examples.len()
            ),
        ));
    }
    if rule.is_path_only() {
        for path in &rule.examples {
            if !rule.applies_at(path) {
                errors.push(error(
                    rule,
                    format!("example path does not match: {path:?}"),
                ));
            }
        }
        for path in &rule.negative_examples {
            if rule.applies_at(path) {
                errors.push(error(
                    rule,
                    format!("negative example path matches: {path:?}"),
                ));
            }
        }
        return;
    }
    if rule.path.is_some() && rule.example_path.is_none() {
        errors.push(error(
            rule,
            "a rule with both `path` and `regex` needs `example_path`".into(),
        ));
        return;
    }
    let path = rule.example_path.as_deref().unwrap_or("snippet.txt");
    for example in &rule.examples {
        let mut out = Vec::new();
        engine.scan_with_rule(index, path, example.as_bytes(), scratch, &mut out);
        // A composite rule's companion runs too; only this rule's own matches count.
        out.retain(|m| m.rule == index);
        if out.is_empty() {
            errors.push(error(rule, format!("example does not match: {example:?}")));
        }
    }
    for example in &rule.negative_examples {
        let mut out = Vec::new();
        engine.scan_with_rule(index, path, example.as_bytes(), scratch, &mut out);
        // A composite rule's companion runs too; only this rule's own matches count.
        out.retain(|m| m.rule == index);
        if let Some(m) = out.first() {
            let secret = String::from_utf8_lossy(&example.as_bytes()[m.secret.clone()]);
            errors.push(error(
                rule,
                format!("negative example matches (secret {secret:?}): {example:?}"),
            ));
        }
    }
}
