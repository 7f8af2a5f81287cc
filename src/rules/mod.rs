//! Rules: the data that says what a secret looks like. Parsed from TOML ([`syntax`]; the built-in files
//! at build time, into [`builtin`]) and compiled into a [`RuleSet`] ([`compile`]), each regex a
//! [`pattern::Pattern`] compiled at load or on first use. This layer knows nothing of files, git or
//! reports.

pub mod builtin;
pub mod compile;
pub mod pattern;
pub mod syntax;

pub use compile::{
    is_template_path, is_test_path, Allowed, Allowlist, Checksum, Rule, RuleOrigin, RuleSet,
};
pub use syntax::{AllowlistSyntax, Confidence, RuleFile, RuleSyntax};
