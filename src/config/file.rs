//! One config file: read it (keyhound's format, or a gitleaks config converted on the way), then apply
//! it to the rule set and build its scan-wide allowlist. Which file applies is [`super::discover`]'s
//! decision, not this module's.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::rules::compile::compile_rule;
use crate::rules::syntax::id_line_numbers;
use crate::rules::{Allowlist, RuleOrigin, RuleSet};

use super::gitleaks;
use super::syntax::ConfigSyntax;

/// A loaded config: where it came from and what it says.
#[derive(Debug, Default)]
pub struct Config {
    /// The file, if one was read.
    pub path: Option<PathBuf>,
    /// Its contents.
    pub syntax: ConfigSyntax,
    /// Its text, for locating rules by line.
    text: String,
    /// Read from a gitleaks config: its rules replace same-named built-ins, and without `[extend]
    /// useDefault = true` they replace the built-in rules altogether (as in gitleaks).
    gitleaks: Option<bool>,
    /// What a converted config could not carry over.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads a config. With `explicit`, a missing file is an error; otherwise it means "no config".
    pub fn load(path: &Path, explicit: bool) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                Ok(Config::default())
            }
            Err(source) => Err(Error::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses the text of a config file; `path` is where it came from, for messages. A gitleaks config
    /// (`[[rules]]`, `[extend]`, ...) is recognised and converted.
    pub fn parse(path: &Path, mut text: String) -> Result<Config> {
        // A byte-order mark (editors on Windows write one) is not part of the TOML.
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let located = |message: String| Error::RuleFile {
            file: path.display().to_string(),
            line: 1,
            rule: None,
            message,
        };
        if let Ok(doc) = toml::from_str::<toml::Table>(&text) {
            if gitleaks::looks_like_gitleaks(&doc) {
                let converted = gitleaks::convert(&text)
                    .map_err(|m| located(format!("(gitleaks config) {m}")))?;
                let mut warnings = converted.warnings;
                if !converted.use_default {
                    warnings.push(format!(
                        "this gitleaks config has no `[extend] useDefault = true`, so its {} rule(s) \
                         replace keyhound's built-in rules (as in gitleaks): nothing else is looked for",
                        converted.syntax.rules.len()
                    ));
                }
                return Ok(Config {
                    path: Some(path.to_path_buf()),
                    syntax: converted.syntax,
                    text,
                    gitleaks: Some(converted.use_default),
                    warnings,
                });
            }
        }
        let syntax: ConfigSyntax = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            Error::RuleFile {
                file: path.display().to_string(),
                line,
                rule: None,
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(Config {
            path: Some(path.to_path_buf()),
            syntax,
            text,
            gitleaks: None,
            warnings: Vec::new(),
        })
    }

    /// The rule set a scan under this config uses: the built-in rules with the config applied.
    pub fn rules(&self) -> Result<RuleSet> {
        let mut rules = RuleSet::builtin()?;
        self.apply_to_rules(&mut rules)?;
        Ok(rules)
    }

    /// Applies the config to the built-in rules: adds extra rules, disables, merges per-rule allowlists.
    pub fn apply_to_rules(&self, rules: &mut RuleSet) -> Result<()> {
        let file = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let config_error = |message: String| Error::Config {
            path: self.path.clone().unwrap_or_default(),
            message,
        };
        let mut extra = RuleSet::default();
        let mut errors = Vec::new();
        let lines = id_line_numbers(&self.text, self.syntax.rules.iter().map(|r| r.id.as_str()));
        for (syntax, line) in self.syntax.rules.iter().zip(lines) {
            match compile_rule(
                syntax.clone(),
                RuleOrigin {
                    file: file.clone(),
                    line,
                },
            )
            .and_then(|rule| extra.push(rule))
            {
                Ok(()) => {}
                Err(e) => errors.push(e),
            }
        }
        match self.gitleaks {
            Some(false) => *rules = RuleSet::default(),
            Some(true) => {
                let ids: Vec<&str> = extra.rules().iter().map(|r| r.id.as_str()).collect();
                rules.disable(ids);
            }
            None => {}
        }
        if let Err(e) = rules.extend(extra) {
            errors.push(e);
        }
        if !errors.is_empty() {
            return Err(if errors.len() == 1 {
                errors.pop().expect("one")
            } else {
                Error::RuleFiles(errors)
            });
        }
        let unknown = rules.disable(self.syntax.disabled_rules.iter().map(String::as_str));
        // A gitleaks config's disabledRules name gitleaks' own rules, which keyhound may not have.
        if !unknown.is_empty() && self.gitleaks.is_none() {
            return Err(config_error(format!(
                "disabled_rules names unknown rule(s): {}",
                unknown.join(", ")
            )));
        }
        for (id, syntax) in &self.syntax.rule_allowlists {
            let allowlist = Allowlist::compile(syntax)
                .map_err(|m| config_error(format!("rule_allowlists.{id}: {m}")))?;
            if !rules.add_rule_allowlist(id, allowlist) {
                return Err(config_error(format!(
                    "rule_allowlists names unknown rule `{id}`"
                )));
            }
        }
        Ok(())
    }

    /// Every example and negative example of the config's own rules (exempt in the config file).
    pub fn examples(&self) -> Vec<String> {
        self.syntax
            .rules
            .iter()
            .flat_map(|r| r.examples.iter().chain(&r.negative_examples))
            .cloned()
            .collect()
    }

    /// The config's scan-wide allowlist, compiled.
    pub fn allowlist(&self) -> Result<Allowlist> {
        Allowlist::compile(&self.syntax.allowlist).map_err(|message| Error::Config {
            path: self.path.clone().unwrap_or_default(),
            message,
        })
    }
}
