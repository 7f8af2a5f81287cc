//! The config file as written: [`ConfigSyntax`], the serde shape of `.keyhound.toml`. Both readers fill
//! it: keyhound's own format directly, a gitleaks config through [`super::gitleaks`]. It knows nothing of
//! where the file came from or how it is applied.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::rules::{AllowlistSyntax, RuleSyntax};

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSyntax {
    /// Built-in (or extra) rules to turn off.
    #[serde(default)]
    pub disabled_rules: Vec<String>,
    /// Scan-wide allowlist.
    #[serde(default)]
    pub allowlist: AllowlistSyntax,
    /// Extra allowlists for single rules, by rule id.
    #[serde(default)]
    pub rule_allowlists: BTreeMap<String, AllowlistSyntax>,
    /// Extra rules.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSyntax>,
}
